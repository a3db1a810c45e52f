package rakutenpay

import (
	"context"
	"net/url"

	"kessai/internal/commerce"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/web"
)

// FilterCond is the 楽天連携 condition of the order list (x_rakuten), nil for "".
func FilterCond(code string) *commerce.Cond {
	switch code {
	case FilterManual:
		return &commerce.Cond{SQL: `EXISTS (SELECT 1 FROM rakutenpay_orders rl WHERE rl.order_id = o.id AND rl.manual_reason <> '')`}
	case FilterCancelRequested:
		return &commerce.Cond{SQL: `EXISTS (SELECT 1 FROM rakutenpay_orders rl WHERE rl.order_id = o.id AND rl.cancel_state IN (?, ?))`,
			Args: []any{CancelRequested, CancelSending}}
	case FilterCancelFailed:
		return &commerce.Cond{SQL: `EXISTS (SELECT 1 FROM rakutenpay_orders rl WHERE rl.order_id = o.id AND rl.cancel_state = ?)`, Args: []any{CancelFailed}}
	}
	return nil
}

func filterWhere(q url.Values) (*commerce.Cond, error) {
	code := q.Get("x_rakuten")
	if code != "" && !Filters.Valid(code) {
		return nil, errs.Invalid("楽天連携の値が正しくありません: "+code).Field("x_rakuten", "手動で入金確認が必要・キャンセル申請中・キャンセル申請エラーから選んでください")
	}
	return FilterCond(code), nil
}

// ViewCond is the condition of a view (x_view) for the 出荷可能 statuses: 入金待ち is a live slip
// (新規受付・入金待ち) whose 入金状況 is not yet 出荷可能; 印刷待ち is a live slip (新規受付・
// 入金待ち・出荷待ち) whose 入金状況 is 出荷可能 and whose 納品書印刷指示日 is not set yet.
func ViewCond(view string, shippable []string) *commerce.Cond {
	args := make([]any, len(shippable))
	for i, s := range shippable {
		args[i] = s
	}
	in := db.Placeholders(len(shippable))
	switch view {
	case ViewAwaitingPayment:
		return &commerce.Cond{SQL: `o.order_status IN ('new', 'awaiting_payment') AND o.payment_status NOT IN (` + in + `)`, Args: args}
	case ViewAwaitingPrint:
		return &commerce.Cond{SQL: `o.order_status IN ('new', 'awaiting_payment', 'awaiting_shipment') AND o.delivery_note_print_on = ''
			AND o.payment_status IN (` + in + `)`, Args: args}
	}
	return nil
}

func (s *Service) viewWhere(ctx context.Context) func(q url.Values) (*commerce.Cond, error) {
	return func(q url.Values) (*commerce.Cond, error) {
		v := q.Get("x_view")
		if v == "" {
			return nil, nil
		}
		if !Views.Valid(v) {
			return nil, errs.Invalid("表示の値が正しくありません: "+v).Field("x_view", "入金待ち・印刷待ちから選んでください")
		}
		sh, err := s.Shippable(ctx)
		if err != nil {
			return nil, err
		}
		return ViewCond(v, sh), nil
	}
}

// Cells are the 楽天連携 column of the order list: the listing or the cancel request.
func (s *Service) Cells(ctx context.Context, ids []string) (map[string]web.Cell, error) {
	out := map[string]web.Cell{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.db.QueryContext(ctx, `SELECT order_id, rakuten_number, manual_reason, cancel_state FROM rakutenpay_orders
		WHERE order_id IN (`+db.Placeholders(len(ids))+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, num, manual, cancel string
		if err := rows.Scan(&id, &num, &manual, &cancel); err != nil {
			return nil, err
		}
		c := web.Cell{Text: num}
		switch {
		case cancel != "":
			st := CancelStates.Lookup(cancel)
			c.Detail, c.Level, c.Badge = st.Label, st.Level, true
		case manual != "":
			c.Detail, c.Level, c.Badge = "要手動入金確認: "+manual, "warn", true
		}
		out[id] = c
	}
	return out, rows.Err()
}
