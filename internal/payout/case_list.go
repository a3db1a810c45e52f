package payout

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/web"
)

// notRequested is the 振込状態 of a case without a transfer.
const notRequested = "none"

// CaseListExtension is the 振込状態 column and filter of the case lists: 未依頼 or the
// transfer's status. The filter narrows the page, 全N件を一括操作, CSV and the API alike.
func (p *Pages) CaseListExtension() commerce.ListExtension {
	opts := []web.Option{{Value: notRequested, Label: "未依頼"}}
	opts = append(opts, web.Options(Statuses)...)
	return commerce.ListExtension{List: commerce.ListCases, Perm: auth.PermView,
		Field: &web.Field{Name: "x_transfer_status", Label: "振込状態", Type: "select", Options: opts},
		Where: func(q url.Values) (*commerce.Cond, error) {
			switch v := strings.TrimSpace(q.Get("x_transfer_status")); {
			case v == "":
				return nil, nil
			case v == notRequested:
				return &commerce.Cond{SQL: "pc.id NOT IN (SELECT case_id FROM transfers)"}, nil
			case Statuses.Valid(v):
				return &commerce.Cond{SQL: "pc.id IN (SELECT case_id FROM transfers WHERE status = ?)", Args: []any{v}}, nil
			}
			return nil, errs.Invalid("振込状態は一覧から選んでください").Field("x_transfer_status", "振込状態は 未依頼・"+strings.Join(labels(), "・")+" から選んでください")
		},
		Column: &web.Column{Label: "振込状態"},
		Cells:  p.svc.caseTransferCells}
}

func labels() []string {
	var out []string
	for _, st := range Statuses.All() {
		out = append(out, st.Label)
	}
	return out
}

// caseTransferCells is the 振込状態 cell of each case.
func (s *Service) caseTransferCells(ctx context.Context, caseIDs []string) (map[string]web.Cell, error) {
	out := make(map[string]web.Cell, len(caseIDs))
	for _, id := range caseIDs {
		out[id] = web.Cell{Text: "未依頼", Muted: true}
	}
	args := make([]any, len(caseIDs))
	for i, id := range caseIDs {
		args[i] = id
	}
	rows, err := s.db.QueryContext(ctx, `SELECT case_id, status, reason FROM transfers WHERE case_id IN (`+db.Placeholders(len(caseIDs))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("transfer status of cases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, st, reason string
		if err := rows.Scan(&id, &st, &reason); err != nil {
			return nil, err
		}
		c := web.StatusCell(Statuses, st)
		if reason != "" {
			c.Detail = reason
		}
		c.Link = "/cases/" + id + "?tab=transfer"
		out[id] = c
	}
	return out, rows.Err()
}
