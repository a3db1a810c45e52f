package rakutensim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/rakuten"
)

// Message code prefixes, one per method.
const (
	pfxSearch        = "ORDER_EXT_API_SEARCH_ORDER"
	pfxGetOrder      = "ORDER_EXT_API_GET_ORDER"
	pfxGetPayment    = "ORDER_EXT_API_GET_PAYMENT"
	pfxConfirm       = "ORDER_EXT_API_CONFIRM_ORDER"
	pfxShipping      = "ORDER_EXT_API_UPDATE_ORDERSHIPPING"
	pfxCancel        = "ORDER_EXT_API_CANCEL_ORDER"
	pfxCancelShipped = "ORDER_EXT_API_CANCEL_ORDER_AFTER_SHIPPING"
)

func info(code, text, order string) rakuten.Message {
	return rakuten.Message{Type: rakuten.MessageInfo, Code: code, Text: text, OrderNumber: order}
}

func apiErr(code, text, order string) rakuten.Message {
	return rakuten.Message{Type: rakuten.MessageError, Code: code, Text: text, OrderNumber: order}
}

// endpoint wraps one API method: read the body, check ESA, apply due time rules, check the
// request against its rule table, then run h under the lock.
func (s *Sim) endpoint(prefix string, rules []rule, refusal func(rakuten.Messages) any, h func(sh *Shop, body []byte) (int, any)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 16<<20))
		s.mu.Lock()
		defer s.mu.Unlock()
		sh := s.authenticateLocked(w, r)
		if sh == nil {
			return
		}
		s.tickLocked()
		c := &checker{prefix: prefix}
		if err != nil {
			c.badFormat("request")
		} else {
			c.object(body, rules, "request")
		}
		if len(c.msgs) > 0 {
			writeJSON(w, http.StatusBadRequest, refusal(c.msgs))
			return
		}
		status, out := h(sh, body)
		writeJSON(w, status, out)
	}
}

// Answer shapes. Rakuten sends the data fields as null when it refuses a request.
type searchAnswer struct {
	OrderNumberList []string            `json:"orderNumberList"`
	Messages        rakuten.Messages    `json:"MessageModelList"`
	Pagination      *rakuten.Pagination `json:"PaginationResponseModel"`
}

type getOrderAnswer struct {
	Messages rakuten.Messages `json:"MessageModelList"`
	Orders   []rakuten.Order  `json:"OrderModelList"`
	Version  *int             `json:"version,omitempty"`
}

type getPaymentAnswer struct {
	Messages rakuten.Messages      `json:"MessageModelList"`
	Order    *rakuten.OrderPayment `json:"OrderModel"`
}

type messagesAnswer struct {
	Messages rakuten.Messages `json:"MessageModelList"`
}

// shippingMessage writes shippingDetailId even when null, as Rakuten's added rows did.
type shippingMessage struct {
	Type             rakuten.MessageType `json:"messageType"`
	Code             string              `json:"messageCode"`
	Text             string              `json:"message"`
	DataNumber       int                 `json:"dataNumber"`
	ShippingDetailID *int64              `json:"shippingDetailId"`
}

type shippingAnswer struct {
	Messages []shippingMessage `json:"MessageModelList"`
}

func onlyMessages(ms rakuten.Messages) any { return messagesAnswer{ms} }

func (s *Sim) handleSearch(sh *Shop, body []byte) (int, any) {
	var req rakuten.SearchRequest
	_ = json.Unmarshal(body, &req) // the rule table has checked every field
	c := &checker{prefix: pfxSearch}
	start, end := req.StartDatetime.Time, req.EndDatetime.Time
	switch {
	case end.Before(start):
		c.add("012", "endDatetimeはstartDatetime以降の日時を指定して下さい。")
	case end.Sub(start) > rakuten.MaxWindow:
		c.add("013", "startDatetimeからendDatetimeまでの期間は63日以内で指定して下さい。")
	}
	if slices.Contains(req.SubStatusIDList, -1) && len(req.OrderProgressList) == 0 {
		c.add("015", "subStatusIdListに-1を指定する場合はorderProgressListを指定して下さい。")
	}
	if start.Before(s.now().AddDate(0, 0, -rakuten.MaxPastSearchDays)) {
		c.add("014", "startDatetimeは730日前以降の日時を指定して下さい。")
	}
	size, page := req.Pagination.RecordsAmount, req.Pagination.Page
	if (page-1)*size >= rakuten.MaxSearchHits {
		c.add("023", "検索結果は先頭の15000件まで取得できます。検索条件を絞り込んで下さい。")
	}
	if len(c.msgs) > 0 {
		return http.StatusBadRequest, searchAnswer{Messages: c.msgs}
	}
	var hits []*order
	for _, o := range s.st.Orders {
		if o.Shop != sh.Number {
			continue
		}
		if len(req.OrderProgressList) > 0 && !slices.Contains(req.OrderProgressList, o.Progress) {
			continue
		}
		if req.SettlementMethod != nil && *req.SettlementMethod != o.Method {
			continue
		}
		// Every sandbox order is orderType 1 (通常購入) without a sub-status; [-1] in
		// subStatusIdList means "no sub-status".
		if len(req.OrderTypeList) > 0 && !slices.Contains(req.OrderTypeList, 1) ||
			len(req.SubStatusIDList) > 0 && !slices.Contains(req.SubStatusIDList, -1) {
			continue
		}
		t := o.dateFor(req.DateType)
		if t.IsZero() || t.Before(start) || t.After(end) {
			continue
		}
		hits = append(hits, o)
	}
	if len(hits) == 0 {
		return http.StatusOK, searchAnswer{OrderNumberList: []string{},
			Messages:   rakuten.Messages{info(pfxSearch+"_INFO_102", "注文検索に成功しました。(検索結果０件)", "")},
			Pagination: &rakuten.Pagination{}}
	}
	desc := len(req.Pagination.Sort) > 0 && req.Pagination.Sort[0].Direction == 2
	sort.SliceStable(hits, func(i, j int) bool {
		if desc {
			i, j = j, i
		}
		return hits[i].OrderedAt.Before(hits[j].OrderedAt)
	})
	total := len(hits)
	pages := (total + size - 1) / size
	from := min((page-1)*size, total)
	to := min(from+size, total, rakuten.MaxSearchHits)
	nums := make([]string, 0, to-from)
	for _, o := range hits[from:to] {
		nums = append(nums, o.Number)
	}
	return http.StatusOK, searchAnswer{OrderNumberList: nums,
		Messages:   rakuten.Messages{info(pfxSearch+"_INFO_101", "注文検索に成功しました。", "")},
		Pagination: &rakuten.Pagination{TotalRecordsAmount: &total, TotalPages: &pages, RequestPage: &page}}
}

// dateFor is the datetime searchOrder's dateType compares.
func (o *order) dateFor(t rakuten.DateType) time.Time {
	switch t {
	case rakuten.DateOrdered:
		return o.OrderedAt
	case rakuten.DateConfirmed:
		return o.ConfirmedAt
	case rakuten.DateFixed:
		return o.FixedAt
	case rakuten.DateShipped:
		for _, sh := range o.Shippings {
			if sh.Date != "" {
				d, err := time.ParseInLocation(rakuten.DateLayout, sh.Date, clock.JST)
				if err == nil {
					return d
				}
			}
		}
	case rakuten.DateShipReported:
		return o.ShipReportAt
	case rakuten.DatePaymentFixed:
		return o.Pay.FixAt
	}
	return time.Time{}
}

func (s *Sim) lookupLocked(sh *Shop, number string) *order {
	o := s.byNumber[number]
	if o == nil || o.Shop != sh.Number {
		return nil
	}
	return o
}

func (s *Sim) handleGetOrder(sh *Shop, body []byte) (int, any) {
	var req struct {
		OrderNumberList []string `json:"orderNumberList"`
		Version         int      `json:"version"`
	}
	_ = json.Unmarshal(body, &req)
	ans := getOrderAnswer{Orders: []rakuten.Order{}}
	if req.Version >= 6 {
		ans.Version = &req.Version
	}
	var missing rakuten.Messages
	for _, n := range req.OrderNumberList {
		o := s.lookupLocked(sh, n)
		if o == nil {
			missing = append(missing, info(pfxGetOrder+"_INFO_102", "受注情報が取得できませんでした。", n))
			continue
		}
		ans.Orders = append(ans.Orders, o.render())
	}
	if len(ans.Orders) > 0 {
		ans.Messages = append(ans.Messages, info(pfxGetOrder+"_INFO_101", fmt.Sprintf("受注情報取得に成功しました。(取得件数%d件)", len(ans.Orders)), ""))
	}
	ans.Messages = append(ans.Messages, missing...)
	return http.StatusOK, ans
}

func (s *Sim) handleGetPayment(sh *Shop, body []byte) (int, any) {
	var req struct {
		OrderNumber string `json:"orderNumber"`
	}
	_ = json.Unmarshal(body, &req)
	o := s.lookupLocked(sh, req.OrderNumber)
	if o == nil {
		return http.StatusOK, getPaymentAnswer{Messages: rakuten.Messages{
			info(pfxGetPayment+"_INFO_102", "支払明細が取得できませんでした。", req.OrderNumber)}}
	}
	p := o.renderPayment()
	return http.StatusOK, getPaymentAnswer{Order: &p, Messages: rakuten.Messages{
		info(pfxGetPayment+"_INFO_101", "支払明細取得に成功しました。", req.OrderNumber)}}
}

func (s *Sim) handleConfirm(sh *Shop, body []byte) (int, any) {
	var req struct {
		OrderNumberList []string `json:"orderNumberList"`
	}
	_ = json.Unmarshal(body, &req)
	now := s.now()
	var ms rakuten.Messages
	for _, n := range req.OrderNumberList {
		o := s.lookupLocked(sh, n)
		switch {
		case o == nil:
			ms = append(ms, apiErr(pfxConfirm+"_ERROR_101", "注文情報が存在しません。", n))
		case o.Progress == rakuten.ProgressAwaitingConfirm:
			s.confirmLocked(o, now)
			s.track(o)
			ms = append(ms, info(rakuten.CodeConfirmOK, "注文確認に成功しました。", n))
		case o.Progress == rakuten.ProgressCancelRequested || o.Progress == rakuten.ProgressCancelled:
			ms = append(ms, apiErr(rakuten.CodeConfirmCancelled, "キャンセルされた注文のため注文確認できません。", n))
		default:
			ms = append(ms, apiErr(rakuten.CodeConfirmMovedOn, "既に注文確認済みの注文です。", n))
		}
	}
	s.saveLocked()
	return http.StatusOK, messagesAnswer{ms}
}

func (s *Sim) handleCancel(afterShipping bool) func(sh *Shop, body []byte) (int, any) {
	prefix := pfxCancel
	if afterShipping {
		prefix = pfxCancelShipped
	}
	return func(sh *Shop, body []byte) (int, any) {
		var req rakuten.CancelRequest
		_ = json.Unmarshal(body, &req)
		o := s.lookupLocked(sh, req.OrderNumber)
		if o == nil {
			return http.StatusBadRequest, messagesAnswer{rakuten.Messages{apiErr(prefix+"_ERROR_101", "注文情報が存在しません。", req.OrderNumber)}}
		}
		if err := s.cancelLocked(o, afterShipping, req.ChangeReasonDetailApply, s.now()); err != nil {
			return http.StatusBadRequest, messagesAnswer{rakuten.Messages{apiErr(prefix+"_ERROR_102",
				fmt.Sprintf("ステータスが%s（%d）の注文はキャンセルできません。", o.Progress.Label(), int(o.Progress)), req.OrderNumber)}}
		}
		s.saveLocked()
		return http.StatusOK, messagesAnswer{rakuten.Messages{info(prefix+"_INFO_101", "キャンセル申請に成功しました。", req.OrderNumber)}}
	}
}

func (s *Sim) handleShipping(sh *Shop, body []byte) (int, any) {
	var req rakuten.ShippingUpdate
	_ = json.Unmarshal(body, &req)
	refuse := func(code, text string) (int, any) {
		return http.StatusBadRequest, shippingAnswer{[]shippingMessage{{Type: rakuten.MessageError, Code: pfxShipping + code, Text: text}}}
	}
	o := s.lookupLocked(sh, req.OrderNumber)
	if o == nil {
		return refuse("_ERROR_101", "注文情報が存在しません。")
	}
	switch o.Progress {
	case rakuten.ProgressAwaitingShipment, rakuten.ProgressAwaitingChange, rakuten.ProgressShipped,
		rakuten.ProgressPaying, rakuten.ProgressPaid:
	default:
		return refuse("_ERROR_102", fmt.Sprintf("ステータスが%s（%d）の注文の発送情報は更新できません。", o.Progress.Label(), int(o.Progress)))
	}
	// Check every row first: a refused request changes nothing.
	var errs []shippingMessage
	n := 0
	for _, b := range req.Baskets {
		if b.BasketID != o.BasketID {
			errs = append(errs, shippingMessage{Type: rakuten.MessageError, Code: pfxShipping + "_ERROR_011", Text: "basketIdの書式が不正です。", DataNumber: n + 1})
		}
		for _, row := range b.Shippings {
			n++
			if row.ShippingDetailID != nil && o.shippingIndex(*row.ShippingDetailID) < 0 {
				errs = append(errs, shippingMessage{Type: rakuten.MessageError, Code: pfxShipping + "_ERROR_011", Text: "shippingDetailIdの書式が不正です。", DataNumber: n, ShippingDetailID: row.ShippingDetailID})
			}
			if row.ShippingDeleteFlag != nil && *row.ShippingDeleteFlag == 1 && row.ShippingDetailID == nil {
				errs = append(errs, shippingMessage{Type: rakuten.MessageError, Code: pfxShipping + "_ERROR_009", Text: "shippingDetailIdの項目を指定して下さい。", DataNumber: n})
			}
		}
	}
	if len(errs) > 0 {
		return http.StatusBadRequest, shippingAnswer{errs}
	}
	var out []shippingMessage
	n = 0
	for _, b := range req.Baskets {
		for _, row := range b.Shippings {
			n++
			switch {
			case row.ShippingDeleteFlag != nil && *row.ShippingDeleteFlag == 1:
				id := *row.ShippingDetailID
				i := o.shippingIndex(id)
				o.Shippings = slices.Delete(o.Shippings, i, i+1)
				out = append(out, shippingMessage{rakuten.MessageInfo, rakuten.CodeShippingDeleted, "発送情報の削除設定が完了しました。", n, &id})
			case row.ShippingDetailID != nil:
				id := *row.ShippingDetailID
				sp := &o.Shippings[o.shippingIndex(id)]
				sp.apply(row)
				out = append(out, shippingMessage{rakuten.MessageInfo, rakuten.CodeShippingUpdated, "発送情報の更新設定が完了しました。", n, &id})
			default:
				s.st.DetailID++
				id := s.st.DetailID
				sp := shipping{ID: id}
				sp.apply(row)
				o.Shippings = append(o.Shippings, sp)
				var answered *int64
				if !s.st.Settings.NullShippingDetailID {
					answered = &id
				}
				out = append(out, shippingMessage{rakuten.MessageInfo, rakuten.CodeShippingAdded, "発送情報の追加設定が完了しました。", n, answered})
			}
		}
	}
	for _, sp := range o.Shippings {
		if sp.Date != "" {
			s.shipLocked(o, s.now())
			break
		}
	}
	s.saveLocked()
	return http.StatusOK, shippingAnswer{out}
}

func (o *order) shippingIndex(id int64) int {
	for i, sp := range o.Shippings {
		if sp.ID == id {
			return i
		}
	}
	return -1
}

// apply writes the fields present in row: absent stays, "" deletes.
func (sp *shipping) apply(row rakuten.ShippingWrite) {
	if row.DeliveryCompany != nil {
		sp.Company = *row.DeliveryCompany
	}
	if row.ShippingNumber != nil {
		sp.Number = *row.ShippingNumber
	}
	if row.ShippingDate != nil {
		sp.Date = *row.ShippingDate
	}
}

// routes lists every path the Sim serves, below the mount prefix.
func (s *Sim) routes() *http.ServeMux {
	m := http.NewServeMux()
	api := func(method, prefix string, rules []rule, refusal func(rakuten.Messages) any, h func(*Shop, []byte) (int, any)) {
		hf := s.endpoint(prefix, rules, refusal, h)
		// Rakuten's documents keep the trailing slash; one client omits it and works.
		m.HandleFunc("POST "+rakuten.OrderPath+method+"/", hf)
		m.HandleFunc("POST "+rakuten.OrderPath+method, hf)
	}
	api("searchOrder", pfxSearch, searchRules, func(ms rakuten.Messages) any { return searchAnswer{Messages: ms} }, s.handleSearch)
	api("getOrder", pfxGetOrder, getOrderRules, func(ms rakuten.Messages) any { return getOrderAnswer{Messages: ms} }, s.handleGetOrder)
	api("getPayment", pfxGetPayment, getPaymentRules, func(ms rakuten.Messages) any { return getPaymentAnswer{Messages: ms} }, s.handleGetPayment)
	api("confirmOrder", pfxConfirm, confirmRules, onlyMessages, s.handleConfirm)
	api("updateOrderShipping", pfxShipping, shippingRules, onlyMessages, s.handleShipping)
	api("cancelOrder", pfxCancel, cancelRules, onlyMessages, s.handleCancel(false))
	api("cancelOrderAfterShipping", pfxCancelShipped, cancelRules, onlyMessages, s.handleCancel(true))
	m.HandleFunc(rakuten.OrderPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such method: " + r.URL.Path})
	})
	m.HandleFunc("GET /{$}", s.handleIndex)
	s.controlRoutes(m)
	s.controlRoutesHTML(m)
	return m
}
