package rakutenpay

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/provider/rakuten"
)

// watchDays: a slip's Rakuten order is read while its basis is this recent (the 15-day target
// window and Rakuten's 7- and 14-day cancellations fall inside it), while a cancel request is
// open, and while the long-lead check selects it.
const watchDays = TargetDays + 1

// watched lists the links of shop the sync reads now.
func (s *Service) watched(ctx context.Context, shopID string, now time.Time) ([]Link, error) {
	today := now.In(clock.JST).Format("2006-01-02")
	ahead := now.In(clock.JST).AddDate(0, 0, LongLeadAheadDays).Format("2006-01-02")
	return db.Collect(ctx, s.db, `SELECT `+linkColumns+` FROM rakutenpay_orders l JOIN orders o ON o.id = l.order_id
		WHERE l.shop_id = ? AND ((l.watch AND (l.basis_at >= ? OR l.cancel_state IN (?, ?)))
			OR (l.progress < 500 AND l.settlement_code IN (?, ?) AND o.order_status IN ('new', 'awaiting_shipment')
				AND o.delivery_note_print_on >= ? AND o.delivery_note_print_on <= ?))
		ORDER BY l.rakuten_number`,
		[]any{shopID, now.Add(-watchDays * 24 * time.Hour).UTC(), CancelRequested, CancelSending,
			int(rakuten.SettleCard), int(rakuten.SettleApplePay), today, ahead},
		func(r *sql.Rows) (Link, error) { return scanLink(r) })
}

// sync reads the watched orders (read holds those the import just read; decided those it
// already decided) and applies the rules.
func (s *Service) sync(ctx context.Context, cfg *ShopConfig, read map[string]rakuten.Order, decided map[string]bool, rep *Report) error {
	all, err := s.watched(ctx, cfg.ShopID, s.clock.Now())
	if err != nil {
		return err
	}
	links := all[:0]
	for _, l := range all {
		if !decided[l.Number] {
			links = append(links, l)
		}
	}
	var missing []string
	for _, l := range links {
		if _, ok := read[l.Number]; !ok {
			missing = append(missing, l.Number)
		}
	}
	for i := 0; i < len(missing); i += rakuten.MaxGetOrder {
		batch := missing[i:min(i+rakuten.MaxGetOrder, len(missing))]
		res, err := cfg.Client.GetOrder(ctx, batch)
		if err != nil {
			return fmt.Errorf("rakutenpay: getOrder: %w", err)
		}
		for _, o := range res.Orders {
			read[o.OrderNumber] = o
		}
		for _, n := range res.NotFound() {
			rep.problem("楽天の注文 %s が見つかりません（getOrder INFO_102）", n)
		}
	}
	for _, l := range links {
		o, ok := read[l.Number]
		if !ok {
			continue
		}
		rep.Read++
		if err := s.syncOne(ctx, cfg, l, &o, rep); err != nil {
			if rakuten.IsGateway(err) {
				return err // the credentials stopped working: the rest would fail alike
			}
			rep.Failed++
			rep.problem("楽天の注文 %s: %v", l.Number, err)
		}
	}
	return nil
}

// rkState is what of a Rakuten order the rules read: a new getPayment is worth a call only
// when it changed.
func rkState(o *rakuten.Order) string {
	due := ""
	for _, d := range o.DueDates {
		due += fmt.Sprintf("%d:%s,", d.DueDateType, d.DueDate)
	}
	return fmt.Sprintf("%d|%s|%d|%d|%s", int(o.OrderProgress), o.ShippingInstDatetime, len(o.ChangeReasons), int(o.Settlement.Method()), due)
}

// needsPayment reports whether a rule needs getPayment for o (one call per order, so it is read
// only when it can say something): an authorized order (its paymentStatus goes into the
// slip's history with the change), and a 200 order that getOrder shows with a 支払い方法変更期限日
// (DueDateModel type 1: Rakuten's NG, whose paymentStatus 30400 the history shows). A 200 order
// still being authorized, an unconfirmed order, a cancelled one and an order without
// 楽天市場の共通決済 have nothing getPayment would change.
func needsPayment(o *rakuten.Order) bool {
	if !o.Settlement.RakutenPay() {
		return false
	}
	switch p := o.OrderProgress; {
	case p == rakuten.ProgressRakutenHandling:
		for _, d := range o.DueDates {
			if d.DueDateType == 1 {
				return true
			}
		}
		return false
	case p >= rakuten.ProgressAwaitingShipment && p < rakuten.ProgressCancelRequested:
		return true
	}
	return false
}

// errStale is a slip changed since the sync read it.
var errStale = errors.New("rakutenpay: slip changed meanwhile")

// syncOne applies the rules to one slip and its split children.
func (s *Service) syncOne(ctx context.Context, cfg *ShopConfig, l Link, o *rakuten.Order, rep *Report) error {
	state := rkState(o)
	var pay *rakuten.OrderPayment
	fresh := false
	if state != l.RKState && needsPayment(o) {
		res, err := cfg.Client.GetPayment(ctx, o.OrderNumber)
		if err != nil {
			return fmt.Errorf("getPayment: %w", err)
		}
		pay, fresh = res.Order, true
	} else if l.PaymentStatus != 0 {
		pay = &rakuten.OrderPayment{OrderNumber: o.OrderNumber, Payments: []rakuten.Payment{{PaymentStatus: l.PaymentStatus,
			PaymentProcCmplDatetime: rakuten.At(l.PaymentOKAt)}}}
	}
	slip, err := s.store.GetOrder(ctx, l.OrderID)
	if err != nil {
		return err
	}
	childIDs, err := db.Strings(ctx, s.db, `SELECT id FROM orders WHERE parent_order_id = ? ORDER BY number`, slip.ID)
	if err != nil {
		return err
	}
	children := make([]commerce.Order, 0, len(childIDs))
	for _, id := range childIDs {
		c, err := s.store.GetOrder(ctx, id)
		if err != nil {
			return err
		}
		children = append(children, c)
	}
	shippable, err := s.Shippable(ctx)
	if err != nil {
		return err
	}
	f := facts{Slip: slip, Link: l, Order: o, In: rakuten.SlipInputsFor(o, pay), Now: s.clock.Now(), Mapping: cfg.Mapping, Shippable: shippable[0]}
	if slip.OrderStatus != "cancelled" && slip.OrderStatus != "shipped" {
		if f.MergeRestored, err = s.mergeRestored(ctx, slip.ID); err != nil {
			return err
		}
	}
	d := decide(f)
	fp := state + "#" + d.Key
	next := l
	next.Progress, next.RKState, next.Fingerprint, next.Watch = o.OrderProgress, state, fp, d.Watch
	next.BasisAt, next.CancelState, next.Settlement, next.CheckedAt = basis(o, l), d.CancelState, d.Settlement, s.clock.Now().UTC()
	if fresh {
		next.PaymentStatus, next.PaymentOKAt = f.In.PaymentStatus, f.In.PaymentOKAt
	}
	if !d.KeepManual {
		next.ManualReason = d.Manual
	}
	// Which slips the patch changes, on copies: nothing is written when nothing differs.
	type change struct{ before, after commerce.Order }
	var changes []change
	if d.Patch != nil {
		for i, sl := range append([]commerce.Order{slip}, children...) {
			if i > 0 && (d.ChildOK == nil || !d.ChildOK(sl)) {
				continue
			}
			after := sl
			if d.Patch.apply(&after) {
				changes = append(changes, change{sl, after})
			}
		}
	}
	if len(changes) > 0 {
		// The fingerprint is of the state the slip is left in: the next poll, reading the same
		// Rakuten state, decides the same and writes nothing.
		f.Slip = changes[0].after
		if changes[0].before.ID != slip.ID {
			f.Slip = slip
		}
		fp = state + "#" + decide(f).Key
	}
	next.Fingerprint = fp
	if fp == l.Fingerprint && len(changes) == 0 && next.Watch == l.Watch && next.ManualReason == l.ManualReason &&
		next.CancelState == l.CancelState && next.Settlement == l.Settlement {
		rep.Unchanged++
		return nil
	}
	if s.BeforeWrite != nil {
		s.BeforeWrite(ctx, slip.ID)
	}
	read := fmt.Sprintf("楽天: %s（%d）", o.OrderProgress.Label(), int(o.OrderProgress))
	if pay != nil && len(pay.Payments) > 0 {
		read += fmt.Sprintf("・%s（%d）", f.In.PaymentStatus.Label(), int(f.In.PaymentStatus))
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		// The link as read, or a staff action (a cancel request, 【入金待ちに戻す】) came in
		// between: writing this link would undo it.
		cur, err := scanLink(tx.QueryRowContext(ctx, `SELECT `+linkColumns+` FROM rakutenpay_orders l WHERE l.order_id = ?`+
			db.ForUpdate(tx.Dialect()), l.OrderID))
		if err != nil {
			return fmt.Errorf("rakutenpay: link of %s: %w", l.OrderID, err)
		}
		if cur.CancelState != l.CancelState || cur.Fingerprint != l.Fingerprint || !cur.BasisAt.Equal(l.BasisAt) ||
			!cur.AmountChangedAt.Equal(l.AmountChangedAt) || cur.Watch != l.Watch || cur.ManualReason != l.ManualReason {
			return errStale
		}
		for _, c := range changes {
			version := c.before.Version
			patch := d.Patch
			saved, err := s.store.ModifyOrderTx(ctx, tx, c.before.ID, func(cur *commerce.Order) error {
				if cur.Version != version {
					return errStale
				}
				patch.apply(cur)
				return nil
			})
			if err != nil {
				return fmt.Errorf("slip %s: %w", c.before.Number, err)
			}
			what := d.Patch.describe(c.before, saved)
			sum := read + " → " + what
			if c.before.ID != slip.ID {
				sum = read + " → 分割元 " + slip.Number + " と同じく " + what
			}
			if _, err := s.store.AppendOrderHistory(ctx, tx, commerce.OrderEvent{OrderID: c.before.ID, Room: Room, Kind: "sync.applied",
				Summary: sum, Detail: d.Reason + "\n" + orderDetail(o) + paymentDetail(pay)}); err != nil {
				return err
			}
		}
		if fp != l.Fingerprint && len(changes) == 0 {
			if _, err := s.store.AppendOrderHistory(ctx, tx, commerce.OrderEvent{OrderID: slip.ID, Room: Room, Kind: "sync.read",
				Summary: read + " → 変更なし: " + d.Reason, Detail: orderDetail(o) + paymentDetail(pay)}); err != nil {
				return err
			}
		}
		return saveLink(ctx, tx, next)
	})
	switch {
	case errors.Is(err, errStale), isConflict(err):
		rep.Conflicts++
		return nil
	case err != nil:
		return err
	}
	if len(changes) > 0 {
		rep.Updated++
	} else {
		rep.Noted++
	}
	return nil
}

func paymentDetail(pay *rakuten.OrderPayment) string {
	if pay == nil || len(pay.Payments) == 0 {
		return ""
	}
	p := pay.Payments[0]
	d := fmt.Sprintf("\ngetPayment: paymentStatus=%d %s", int(p.PaymentStatus), p.PaymentStatus.Label())
	for _, t := range []struct {
		name string
		at   rakuten.DateTime
	}{{"paymentProcCmplDatetime", p.PaymentProcCmplDatetime}, {"paymentProcNgDatetime", p.PaymentProcNgDatetime},
		{"paymentFixDatetime", p.PaymentFixDatetime}} {
		if !t.at.IsZero() {
			d += " " + t.name + "=" + t.at.String()
		}
	}
	return d
}

// mergeRestored reports whether the slip was ever cancelled as merged into another slip
// (キャンセル区分 3): the audit log holds every version of the slip.
func (s *Service) mergeRestored(ctx context.Context, orderID string) (bool, error) {
	n, err := s.count(ctx, `SELECT COUNT(*) FROM audit_log WHERE record_type = 'order' AND record_id = ?
		AND (before_json LIKE ? OR after_json LIKE ?)`, orderID, `%"cancel_type":"3"%`, `%"cancel_type":"3"%`)
	return n > 0, err
}

func isConflict(err error) bool {
	e := errs.As(err)
	return e != nil && e.Kind == errs.KindConflict
}
