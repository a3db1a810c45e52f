package rakuten

import (
	"context"
	"fmt"
	"iter"
	"time"
)

// Window is a searchOrder datetime range, both ends included (Rakuten's datetimes have
// one-second resolution).
type Window struct {
	Start, End time.Time
}

// SplitWindows cuts [start, end] into consecutive windows of at most 63 days that neither
// overlap nor leave a gap.
func SplitWindows(start, end time.Time) []Window {
	start, end = start.Truncate(time.Second), end.Truncate(time.Second)
	var out []Window
	for !start.After(end) {
		e := start.Add(MaxWindow)
		if e.After(end) {
			e = end
		}
		out = append(out, Window{start, e})
		start = e.Add(time.Second)
	}
	return out
}

// SearchQuery is what SearchAll looks for: every order whose DateType datetime lies in
// [Start, End], any length of time.
type SearchQuery struct {
	DateType          DateType
	Start, End        time.Time
	OrderProgressList []OrderProgress
	SettlementMethod  *SettlementCode
	PageSize          int // MaxPageSize when zero
}

// SearchAll yields every order number matching q. It splits the range into windows of at most
// 63 days, and a window with more hits than Rakuten lets one search read (15,000) in halves
// until each fits, then pages through each window sorted by 注文日時. An order seen twice (the
// hits moved while paging) is yielded once; an order that moved past the pages already read is
// found by the next poll, whose window should overlap this one.
func (c *Client) SearchAll(ctx context.Context, q SearchQuery) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		if q.PageSize <= 0 || q.PageSize > MaxPageSize {
			q.PageSize = MaxPageSize
		}
		seen := map[string]bool{}
		stack := SplitWindows(q.Start, q.End)
		// Depth-first, earliest window first.
		for i, j := 0, len(stack)-1; i < j; i, j = i+1, j-1 {
			stack[i], stack[j] = stack[j], stack[i]
		}
		for len(stack) > 0 {
			w := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			first, err := c.SearchOrder(ctx, q.request(w, 1))
			if err != nil {
				yield("", fmt.Errorf("searchOrder %s–%s page 1: %w", At(w.Start), At(w.End), err))
				return
			}
			if first.Pagination.Total() > MaxSearchHits {
				if !w.End.After(w.Start) {
					yield("", fmt.Errorf("rakuten: searchOrder: %d hits within one second (%s), more than the %d Rakuten lets one search read", first.Pagination.Total(), At(w.Start), MaxSearchHits))
					return
				}
				mid := w.Start.Add(w.End.Sub(w.Start) / 2).Truncate(time.Second)
				stack = append(stack, Window{mid.Add(time.Second), w.End}, Window{w.Start, mid})
				continue
			}
			res := first
			for page := 1; ; page++ {
				if page > 1 {
					res, err = c.SearchOrder(ctx, q.request(w, page))
					if err != nil {
						yield("", fmt.Errorf("searchOrder %s–%s page %d: %w", At(w.Start), At(w.End), page, err))
						return
					}
				}
				for _, n := range res.OrderNumbers {
					if seen[n] {
						continue
					}
					seen[n] = true
					if !yield(n, nil) {
						return
					}
				}
				if page >= res.Pagination.Pages() || len(res.OrderNumbers) == 0 {
					break
				}
			}
		}
	}
}

func (q SearchQuery) request(w Window, page int) SearchRequest {
	return SearchRequest{
		DateType:          q.DateType,
		StartDatetime:     At(w.Start),
		EndDatetime:       At(w.End),
		OrderProgressList: q.OrderProgressList,
		SettlementMethod:  q.SettlementMethod,
		Pagination: PaginationRequest{RecordsAmount: q.PageSize, Page: page,
			Sort: []SortModel{{Column: 1, Direction: 1}}},
	}
}

// Orders yields every order matching q, reading them with getOrder as SearchAll finds them,
// MaxGetOrder per call, so an import never holds more than one batch of numbers. Orders that
// vanished between the search and the read (INFO_102) are skipped.
func (c *Client) Orders(ctx context.Context, q SearchQuery) iter.Seq2[Order, error] {
	return func(yield func(Order, error) bool) {
		batch := make([]string, 0, MaxGetOrder)
		flush := func() bool {
			if len(batch) == 0 {
				return true
			}
			r, err := c.GetOrder(ctx, batch)
			batch = batch[:0]
			if err != nil {
				yield(Order{}, err)
				return false
			}
			for _, o := range r.Orders {
				if !yield(o, nil) {
					return false
				}
			}
			return true
		}
		for n, err := range c.SearchAll(ctx, q) {
			if err != nil {
				yield(Order{}, err)
				return
			}
			batch = append(batch, n)
			if len(batch) == MaxGetOrder && !flush() {
				return
			}
		}
		flush()
	}
}
