package atobarai

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/status"
	"kessai/internal/provider/yamato"
	"kessai/internal/web"
)

// PollReport says what one status read did.
type PollReport struct {
	Checked int `json:"checked"` // transactions asked about
	Changed int `json:"changed"` // whose credit, status or warning changed
	Flipped int `json:"flipped"` // approved credits Yamato withdrew (OK → NG)
	Orphans int `json:"orphans"` // approved checkout credits without an order, cancelled at Yamato
}

// PollEvery is how often open transactions are read again (KAAST0010); the periodic job runs
// more often and takes those due.
const PollEvery = 10 * time.Minute

// orphanAfter: an approved checkout credit whose order was never created (the process died
// between the answer and the order) is cancelled at Yamato after this long.
const orphanAfter = 10 * time.Minute

// PollStatus reads the status of every open transaction not read within PollEvery: a credit
// 審査中 is read again (KAARS0010), an approved one's 取引状況 and warning (KAAST0010) — an
// approved order that Yamato shows 取消済 without kessai cancelling it is an OK → NG flip.
func (s *Service) PollStatus(ctx context.Context) (PollReport, error) {
	var rep PollReport
	now := s.now()
	ts, err := db.Collect(ctx, s.db, `SELECT `+txnColumns+` FROM atobarai_transactions t
		WHERE t.credit IN (?, ?, ?) AND t.status NOT IN (?, ?) AND t.busy = '' AND t.order_id IS NOT NULL
		AND (t.checked_at IS NULL OR t.checked_at <= ?) ORDER BY t.checked_at LIMIT 500`,
		[]any{CreditOK, CreditHold, CreditUnclear, string(yamato.StatusCancelled), string(yamato.StatusPaid), now.Add(-PollEvery)}, scanTxnRow)
	if err != nil {
		return rep, fmt.Errorf("atobarai: open transactions: %w", err)
	}
	var errList []error
	var cl *yamato.Client
	if len(ts) > 0 { // an idle merchant (or one not connected yet) costs no connection read
		if cl, _, err = s.clients.Client(ctx); err != nil {
			return rep, err
		}
	}
	for _, t := range ts {
		if !t.CreditedAt.IsZero() && now.Before(t.CreditedAt.Add(s.FollowUp)) {
			continue // Yamato does not know it yet
		}
		rep.Checked++
		changed, flipped, err := s.read(ctx, cl, t)
		if err != nil {
			errList = append(errList, fmt.Errorf("%s: %w", t.OrderNo, err))
			continue
		}
		if changed {
			rep.Changed++
		}
		if flipped {
			rep.Flipped++
		}
	}
	n, err := s.cancelOrphans(ctx)
	rep.Orphans = n
	if err != nil {
		errList = append(errList, err)
	}
	return rep, errors.Join(errList...)
}

// Refresh reads one transaction's status now (the order tab's 【状態を更新】).
func (s *Service) Refresh(ctx context.Context, id string) (Txn, error) {
	t, err := s.Txn(ctx, id)
	if err != nil {
		return t, err
	}
	if t.Busy != "" {
		return t, errs.Conflict("この取引は" + opLabel(t.Busy) + "の送信中です。少し待ってから更新してください")
	}
	cl, _, err := s.clients.Client(ctx)
	if err != nil {
		return t, err
	}
	if _, _, err := s.read(ctx, cl, t); err != nil {
		return t, err
	}
	return s.Txn(ctx, id)
}

// read asks Yamato about t and records what changed.
func (s *Service) read(ctx context.Context, cl *yamato.Client, t Txn) (changed, flipped bool, err error) {
	credit, result := t.Credit, t.CreditResult
	var st, warn string
	if t.Credit == CreditHold || t.Credit == CreditUnclear {
		ans, err := cl.CreditResult(ctx, t.OrderNo)
		switch {
		case err == nil:
			credit, result = creditDecision(ans), string(ans.Result)
		case yamato.IsNotFound(err):
			// 取消済 answers kaars008E: the status says so.
		default:
			return false, false, err
		}
	}
	sa, err := cl.Status(ctx, t.OrderNo)
	switch {
	case err == nil:
		st, warn = string(sa.Status), string(sa.Warning)
	case yamato.IsNotFound(err):
		return false, false, s.touch(ctx, t.ID)
	default:
		return false, false, err
	}
	if st == string(yamato.StatusCancelled) && (t.Credit == CreditOK || t.Credit == CreditHold) {
		// kessai did not cancel it (a cancel of ours records 取消済 itself): Yamato withdrew it.
		credit, flipped = CreditNG, true
	}
	changed = credit != t.Credit || result != t.CreditResult || st != t.Status || warn != t.Warning
	now := s.now()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE atobarai_transactions SET credit = ?, credit_result = ?, status = ?, warning = ?,
			flipped = CASE WHEN ? = 1 THEN 1 ELSE flipped END, checked_at = ?, updated_at = ? WHERE id = ? AND busy = '' AND status = ? AND credit = ?`,
			credit, result, st, warn, b2i(flipped), now, now, t.ID, t.Status, t.Credit)
		if err != nil {
			return fmt.Errorf("atobarai: record status of %s: %w", t.OrderNo, err)
		}
		if n, _ := res.RowsAffected(); n == 0 || !changed {
			return nil // an operation moved it meanwhile: its own answer is newer
		}
		line := fmt.Sprintf("ヤマトの状態: %s・%s（警告: %s）", CreditStates.Label(credit), yamato.Status(st).Label(), yamato.Warning(warn).Label())
		kind := "status.changed"
		if flipped {
			kind, line = "credit.withdrawn", "ヤマトが与信を取り消しました（与信OK → 与信NG）。出荷を止め、購入者に別の支払方法を案内してください"
		}
		if err := s.note(ctx, tx, t, kind, line, fmt.Sprintf("result=%s status=%s warning=%s", result, st, warn)); err != nil {
			return err
		}
		if s.OnCredit != nil && credit != t.Credit {
			t.Credit, t.Flipped = credit, flipped
			return s.OnCredit(ctx, tx, t)
		}
		return nil
	})
	return changed, flipped, err
}

func (s *Service) touch(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE atobarai_transactions SET checked_at = ? WHERE id = ?`, s.now(), id)
	return err
}

// cancelOrphans cancels at Yamato the approved checkout credits whose order was never created.
func (s *Service) cancelOrphans(ctx context.Context) (int, error) {
	ids, err := db.Strings(ctx, s.db, `SELECT id FROM atobarai_transactions WHERE order_id IS NULL AND mode = ? AND credit IN (?, ?)
		AND status NOT IN (?) AND busy = '' AND created_at <= ? LIMIT 100`, ModeAPI, CreditOK, CreditHold, string(yamato.StatusCancelled), s.now().Add(-orphanAfter))
	if err != nil {
		return 0, fmt.Errorf("atobarai: orphan credits: %w", err)
	}
	n := 0
	var errList []error
	for _, id := range ids {
		// Claimed only while still without an order: a slow checkout may link it meanwhile.
		if _, err := s.cancel(ctx, id, "order_id IS NULL"); err != nil {
			if errs.KindOf(err) == errs.KindConflict {
				continue // it became an order's credit (or another instance took it)
			}
			errList = append(errList, err)
			continue
		}
		n++
	}
	return n, errors.Join(errList...)
}

// ---- the order list: 決済ステータス column, search field, top-page alerts --------------------

// Filters of the order list's 後払い field (x_atobarai).
var Filters = status.NewSet("後払いの状態",
	status.Status{Code: CreditOK, Label: "与信OK"},
	status.Status{Code: CreditNG, Label: "与信NG"},
	status.Status{Code: CreditHold, Label: "与信保留"},
	status.Status{Code: "flipped", Label: "ヤマトが与信取消（OK→NG）", Level: "error"},
	status.Status{Code: "warning", Label: "配送の警告あり", Level: "warn"},
	status.Status{Code: "error", Label: "送信エラー", Level: "error"},
	status.Status{Code: "queued", Label: "送信待ち（ヤマトの登録待ち）"},
)

// warningWhere is the SQL of a transaction with a delivery warning Yamato raised.
const warningWhere = `(t.warning IN ('1', '2', '3') OR t.status = '5')`

// OrderCond selects orders by the 後払い field's value.
func OrderCond(q url.Values) (*commerce.Cond, error) {
	code := q.Get("x_atobarai")
	if code == "" {
		return nil, nil
	}
	var cond string
	var args []any
	switch code {
	case CreditOK, CreditNG, CreditHold:
		cond, args = `t.credit = ?`, []any{code}
	case "flipped":
		cond = `t.flipped = 1`
	case "warning":
		cond = warningWhere + ` AND t.status NOT IN ('2', '12')`
	case "error":
		cond = `t.last_error <> '' AND t.busy = ''`
	case "queued":
		cond = `t.queued_op <> ''`
	default:
		return nil, errs.Invalid("後払いの状態の値が正しくありません: "+code).Field("x_atobarai", "選択肢から選んでください")
	}
	return &commerce.Cond{SQL: `EXISTS (SELECT 1 FROM atobarai_transactions t WHERE t.order_id = o.id AND ` + cond + `)`, Args: args}, nil
}

// Cells are the 決済ステータス cells of the orders ids that have a transaction.
func (s *Service) Cells(ctx context.Context, ids []string) (map[string]web.Cell, error) {
	out := map[string]web.Cell{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	ts, err := db.Collect(ctx, s.db, `SELECT `+txnColumns+` FROM atobarai_transactions t WHERE t.order_id IN (`+db.Placeholders(len(ids))+`)`, args, scanTxnRow)
	if err != nil {
		return nil, fmt.Errorf("atobarai: list cells: %w", err)
	}
	for _, t := range ts {
		out[t.OrderID] = Cell(t)
	}
	return out, nil
}

// Cell is a transaction's 決済ステータス: the credit icon and, below it, what matters next.
func Cell(t Txn) web.Cell {
	c := web.Cell{Text: CreditStates.Label(t.Credit), Badge: true}
	if st, ok := CreditStates.Get(t.Credit); ok {
		c.Level = st.Level
	}
	var d []string
	switch {
	case t.Flipped:
		d = append(d, "ヤマトが与信取消")
	case t.Status != "":
		d = append(d, yamato.Status(t.Status).Label())
	}
	if w := yamato.Warning(t.Warning); w != "" && w != yamato.WarningNone {
		d = append(d, "⚠ "+w.Label())
		if c.Level == "ok" {
			c.Level = "warn"
		}
	}
	if t.QueuedOp != "" {
		d = append(d, opLabel(t.QueuedOp)+"の送信待ち")
	}
	if t.Busy != "" {
		d = append(d, opLabel(t.Busy)+"の送信中")
	}
	if t.LastError != "" && t.Busy == "" {
		d = append(d, "送信エラー")
	}
	c.Detail = strings.Join(d, "・")
	return c
}

// Attention is what the top page shows: withdrawn credits, delivery warnings, credits under
// review and failed sends.
func (s *Service) Attention(ctx context.Context) ([]web.Attention, error) {
	var flipped, warn, hold, failed int
	err := s.db.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN t.flipped = 1 AND o.order_status NOT IN ('cancelled', 'shipped') THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN `+warningWhere+` AND t.status NOT IN ('2', '12') THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN t.credit = 'hold' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN t.last_error <> '' AND t.busy = '' THEN 1 ELSE 0 END), 0)
		FROM atobarai_transactions t JOIN orders o ON o.id = t.order_id`).Scan(&flipped, &warn, &hold, &failed)
	if err != nil {
		return nil, fmt.Errorf("atobarai: attention: %w", err)
	}
	var out []web.Attention
	add := func(n int, label, filter, level string) {
		if n > 0 {
			out = append(out, web.Attention{Label: label, Count: n, Link: "/orders?x_atobarai=" + filter, Level: level})
		}
	}
	add(flipped, "後払い: ヤマトが与信を取り消した受注（出荷を止めてください）", "flipped", "error")
	add(warn, "後払い: 配送の警告（送り状番号未登録・配達未完了・要調査）", "warning", "warn")
	add(hold, "後払い: 与信保留（審査中）", CreditHold, "warn")
	add(failed, "後払い: ヤマトへの送信エラー", "error", "error")
	return out, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
