package kantan

import (
	"context"
	"net/url"

	"kessai/internal/commerce"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/web"
)

// listCond selects orders by their 決済ステータス.
func listCond(q url.Values) (*commerce.Cond, error) {
	code := q.Get("x_kantan_status")
	switch {
	case code == "":
		return nil, nil
	case !Statuses.Valid(code):
		return nil, errs.Invalid("決済ステータスの値が正しくありません: "+code).Field("x_kantan_status", "要確認・仮売上・決済完了・注文キャンセル・売上失敗・決済失敗・仮売上期限切れから選んでください")
	}
	return &commerce.Cond{SQL: `EXISTS (SELECT 1 FROM kantan_payments kp WHERE kp.order_id = o.id AND kp.status = ?)`, Args: []any{code}}, nil
}

// cells are the 決済ステータス of a page of orders (one query).
func (s *Service) cells(ctx context.Context, ids []string) (map[string]web.Cell, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.db.QueryContext(ctx, `SELECT order_id, status, amount, busy FROM kantan_payments WHERE order_id IN (`+db.Placeholders(len(ids))+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]web.Cell{}
	for rows.Next() {
		var id, st, busy string
		var amount int64
		if err := rows.Scan(&id, &st, &amount, &busy); err != nil {
			return nil, err
		}
		c := web.Cell{Text: Statuses.Label(st), Badge: true, Level: Statuses.Lookup(st).Level}
		if busy != "" {
			c.Detail = "処理中"
		}
		out[id] = c
	}
	return out, rows.Err()
}
