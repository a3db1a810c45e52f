package rakutenpay

import (
	"fmt"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/platform/clock"
	"kessai/internal/provider/rakuten"
)

// TargetDays is how long after the order date (or a payment-method or amount change) a slip is
// an authorization target, and how soon after the order a re-authorization must come to be
// applied automatically.
const TargetDays = 15

// LongLeadDays: a card authorization older than this many days before the 納品書印刷指示日 is
// re-done by Rakuten (long-lead orders), and the check looks this far ahead.
const (
	LongLeadAuthDays  = 30
	LongLeadAheadDays = 7
)

// Patch is what a rule writes onto a slip (and its split children). Nil fields stay.
type Patch struct {
	PaymentStatus       *string
	AuthorizationStatus *string
	AuthorizedOn        *string
	PaymentMethod       *string
	Cancel              bool
}

// apply writes p onto o and reports whether anything changed.
func (p *Patch) apply(o *commerce.Order) bool {
	if p == nil {
		return false
	}
	changed := false
	set := func(dst *string, v *string) {
		if v != nil && *dst != *v {
			*dst, changed = *v, true
		}
	}
	set(&o.PaymentStatus, p.PaymentStatus)
	set(&o.AuthorizationStatus, p.AuthorizationStatus)
	set(&o.AuthorizedOn, p.AuthorizedOn)
	set(&o.PaymentMethod, p.PaymentMethod)
	if p.Cancel && o.OrderStatus != "cancelled" {
		o.OrderStatus, o.CancelType, changed = "cancelled", "1", true
	}
	return changed
}

// describe says what p changes on o, for the history ("入金状況 未入金→入金済、…").
func (p *Patch) describe(before, after commerce.Order) string {
	var out string
	add := func(label, a, b string) {
		if a == b {
			return
		}
		if out != "" {
			out += "、"
		}
		if a == "" {
			a = "（空）"
		}
		if b == "" {
			b = "（空）"
		}
		out += label + " " + a + "→" + b
	}
	add("受注状態", commerce.OrderStatuses.Label(before.OrderStatus), commerce.OrderStatuses.Label(after.OrderStatus))
	add("入金状況", commerce.PaymentStatuses.Label(before.PaymentStatus), commerce.PaymentStatuses.Label(after.PaymentStatus))
	add("承認状況", commerce.AuthorizationStatuses.Label(before.AuthorizationStatus), commerce.AuthorizationStatuses.Label(after.AuthorizationStatus))
	add("承認日", before.AuthorizedOn, after.AuthorizedOn)
	add("支払方法", commerce.PaymentMethods.Label(before.PaymentMethod), commerce.PaymentMethods.Label(after.PaymentMethod))
	return out
}

// facts is everything a decision reads.
type facts struct {
	Slip  commerce.Order
	Link  Link
	Order *rakuten.Order
	In    rakuten.SlipInputs
	Now   time.Time
	// MergeRestored: the slip was once cancelled as merged into another (キャンセル区分 3).
	MergeRestored bool
	Mapping       map[rakuten.SettlementCode]string
	// Shippable is the 入金状況 a long-lead slip gets when its re-authorization is OK (the
	// first 出荷可能 status).
	Shippable string
}

// decision is what the poll does with one Rakuten order.
type decision struct {
	Key    string // stable outcome code, part of the fingerprint
	Reason string // why, in Japanese, for the history
	Patch  *Patch
	// Children: the patch also applies to split children that satisfy ChildOK.
	ChildOK func(c commerce.Order) bool
	Manual  string // lists the slip for manual payment entry ("" clears the listing)
	// KeepManual leaves the current listing as it is.
	KeepManual  bool
	Watch       bool
	CancelState string
	Settlement  rakuten.SettlementCode
}

func str(s string) *string { return &s }

func jstDate(t time.Time) string { return t.In(clock.JST).Format("2006-01-02") }

// basis is the latest of the order date, Rakuten's payment-method and amount changes
// (ChangeReasonModel changeType 9) and the slip's 【入金待ちに戻す】.
func basis(o *rakuten.Order, l Link) time.Time {
	b := o.OrderDatetime.Time
	if b.IsZero() {
		b = l.OrderedAt
	}
	for _, c := range o.ChangeReasons {
		if c.ChangeType != nil && *c.ChangeType == rakuten.ChangeTypeRepay && c.ChangeApplyDatetime.After(b) {
			b = c.ChangeApplyDatetime.Time
		}
	}
	if l.AmountChangedAt.After(b) {
		b = l.AmountChangedAt
	}
	return b.UTC()
}

// lastAmountChange is Rakuten's latest amount change (changeType 9, detail 1), zero when none.
func lastAmountChange(o *rakuten.Order) time.Time {
	var t time.Time
	for _, c := range o.ChangeReasons {
		if c.ChangeType != nil && *c.ChangeType == rakuten.ChangeTypeRepay && c.ChangeTypeDetail != nil &&
			*c.ChangeTypeDetail == rakuten.ChangeDetailAmount && c.ChangeApplyDatetime.After(t) {
			t = c.ChangeApplyDatetime.Time
		}
	}
	return t
}

// daysBetween is the number of JST calendar days from a to b.
func daysBetween(a, b string) (int, bool) {
	ta, err1 := time.ParseInLocation("2006-01-02", a, clock.JST)
	tb, err2 := time.ParseInLocation("2006-01-02", b, clock.JST)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return int(tb.Sub(ta).Hours()/24 + 0.5), true
}

// longLead reports whether the slip is selected by the long-lead card check (issue item 6):
// a card method, 受注状態 新規受付 or 出荷待ち, and 0 ≤ 納品書印刷指示日 − today ≤ 7 with 承認日
// empty or at least 30 days before the print day.
func longLead(f facts) bool {
	if !f.Link.Settlement.Card() || (f.Slip.OrderStatus != "new" && f.Slip.OrderStatus != "awaiting_shipment") {
		return false
	}
	// The exclusions of item 3 hold here too: only Rakuten's own 楽天ペイ slips.
	if f.Slip.Source != "api" || f.Slip.PaymentMethod != "rakuten_pay" || f.Slip.CancelType == "3" || f.MergeRestored {
		return false
	}
	print := f.Slip.DeliveryNotePrintOn
	ahead, ok := daysBetween(jstDate(f.Now), print)
	if !ok || ahead < 0 || ahead > LongLeadAheadDays {
		return false
	}
	if f.Slip.AuthorizedOn == "" {
		return true
	}
	gap, ok := daysBetween(f.Slip.AuthorizedOn, print)
	return ok && gap >= LongLeadAuthDays
}

// notTarget says why a slip is not an authorization target ("" when it is).
func notTarget(f facts) string {
	s := f.Slip
	switch {
	case s.Source != "api":
		return "取込元が「" + commerce.OrderSources.Label(s.Source) + "」の伝票は対象外です（API取込の伝票だけが対象）"
	case s.PaymentMethod != "rakuten_pay":
		return "支払方法が「" + commerce.PaymentMethods.Label(s.PaymentMethod) + "」のため対象外です（楽天ペイのみ）"
	case s.CancelType == "3" || f.MergeRestored:
		return "他の伝票へ統合の為キャンセル（キャンセル区分 3）から有効に戻した伝票は対象外です"
	case s.OrderStatus != "new":
		return "受注状態が「" + commerce.OrderStatuses.Label(s.OrderStatus) + "」のため対象外です（新規受付のみ）"
	case s.PaymentStatus != "unpaid":
		return "入金状況が「" + commerce.PaymentStatuses.Label(s.PaymentStatus) + "」のため対象外です（未入金のみ）"
	case s.AuthorizationStatus != "pending":
		return "承認状況が「" + commerce.AuthorizationStatuses.Label(s.AuthorizationStatus) + "」のため対象外です（未承認のみ）"
	case s.AuthorizedOn != "":
		return "承認日（" + s.AuthorizedOn + "）が入っているため対象外です"
	}
	return ""
}

// windowOpen reports whether now is within TargetDays of the basis.
func windowOpen(f facts, b time.Time) bool {
	return !f.Now.After(b.Add(TargetDays * 24 * time.Hour))
}

// targetChild: a split child gets the authorization when it is itself still waiting.
func targetChild(c commerce.Order) bool {
	return c.OrderStatus == "new" && c.PaymentStatus == "unpaid" && c.AuthorizationStatus == "pending" && c.AuthorizedOn == ""
}

func longLeadChild(c commerce.Order) bool {
	return c.OrderStatus == "new" || c.OrderStatus == "awaiting_shipment"
}

func notFinalChild(c commerce.Order) bool {
	return c.OrderStatus != "cancelled" && c.OrderStatus != "shipped"
}

// decide applies issue 10's rules (items 3–6 and the cancellation) to one slip.
func decide(f facts) decision {
	d := decision{Watch: true, CancelState: f.Link.CancelState, Settlement: f.Link.Settlement, KeepManual: true}
	in := f.In
	switch in.Verdict {
	case rakuten.VerdictCancelled:
		d.Watch = false
		if f.Link.CancelState == CancelRequested || f.Link.CancelState == CancelSending {
			d.CancelState = CancelConfirmed
		}
		switch f.Slip.OrderStatus {
		case "cancelled":
			d.Key, d.Reason = "cancelled.already", "楽天でキャンセル確定（900）。伝票はキャンセル済みです"
		case "shipped":
			d.Key, d.Reason = "cancelled.shipped", "楽天でキャンセル確定（900）ですが伝票は出荷確定済みのため変更しません"
			d.Manual, d.KeepManual = "楽天でキャンセル確定済み・伝票は出荷確定", false
		default:
			d.Key, d.Reason = "cancelled", "楽天でキャンセル確定（900）: 伝票をキャンセルにします"
			d.Patch, d.ChildOK = &Patch{Cancel: true}, notFinalChild
			d.KeepManual = false
		}
		return d
	case rakuten.VerdictCancelRequested:
		d.Key, d.Reason = "cancel_requested", in.Reason
		return d
	}
	if in.Progress >= rakuten.ProgressShipped {
		d.Key, d.Reason, d.Watch = "shipped", fmt.Sprintf("楽天のステータスが %s（%d）のため以後は確認しません", in.Progress.Label(), int(in.Progress)), false
		return d
	}
	if longLead(f) {
		return decideLongLead(f, d)
	}
	b := basis(f.Order, f.Link)
	if why := notTarget(f); why != "" {
		d.Key, d.Reason = "not_target", why
		d.Watch = in.Verdict != rakuten.VerdictAuthorized // settled: nothing more will come for this slip
		return d
	}
	if !windowOpen(f, b) {
		d.Key, d.Reason = "window_closed", fmt.Sprintf("受注日・支払方法の変更・金額の変更（最後は %s）から%d日を過ぎたため自動反映の対象外です", jstDate(b), TargetDays)
		if in.Verdict == rakuten.VerdictAuthorized {
			d.Watch = false
			d.Manual, d.KeepManual = "楽天で与信OK（承認日 "+jstDate(in.ApprovedAt)+"）ですが"+fmt.Sprint(TargetDays)+"日を過ぎたため自動反映していません", false
		}
		return d
	}
	switch in.Verdict {
	case rakuten.VerdictAuthorizationNG:
		d.Key, d.Reason = "ng", in.Reason+"（伝票は変更しません）"
		return d
	case rakuten.VerdictAwaitingConfirm, rakuten.VerdictAuthorizing:
		d.Key, d.Reason = "waiting", in.Reason
		return d
	}
	// Authorized (300, 400).
	p := &Patch{PaymentStatus: str("paid"), AuthorizationStatus: str("authorized"), AuthorizedOn: str(jstDate(in.ApprovedAt))}
	code := f.Order.Settlement.Method()
	if code != f.Link.Settlement {
		m := f.Mapping[code]
		if m == "" {
			d.Key = "unmapped"
			d.Reason = fmt.Sprintf("購入者が支払方法を %s（%d）に変更しましたが、kessai の支払方法に対応付けられていないため反映しません", code.Label(), int(code))
			d.Manual, d.KeepManual = "変更後の楽天の決済方法 "+code.Label()+" が未設定", false
			return d
		}
		if m != "rakuten_pay" {
			d.Key, d.Watch = "method_changed", false
			d.Reason = fmt.Sprintf("購入者が支払方法を %s に変更しました（楽天ペイではないため入金・承認は反映しません）", code.Label())
			d.Patch, d.Settlement = &Patch{PaymentMethod: str(m)}, code
			return d
		}
		p.PaymentMethod, d.Settlement = str(m), code
	}
	if !f.Link.AmountChangedAt.IsZero() {
		changed := lastAmountChange(f.Order)
		if changed.IsZero() || !in.ApprovedAt.After(changed) {
			d.Key, d.Reason = "reauth_waiting", "【入金待ちに戻す】の後の、楽天での金額変更による再与信を待っています"
			return d
		}
		if in.ApprovedAt.After(f.Slip.OrderedAt.Add(TargetDays * 24 * time.Hour)) {
			d.Key, d.Watch = "reauth_late", false
			d.Reason = fmt.Sprintf("金額変更後の再与信（%s）が受注日（%s）から%d日を過ぎているため自動反映しません", jstDate(in.ApprovedAt), jstDate(f.Slip.OrderedAt), TargetDays)
			d.Manual, d.KeepManual = "金額変更後の再与信が受注日から"+fmt.Sprint(TargetDays)+"日を過ぎています（承認日 "+jstDate(in.ApprovedAt)+"）", false
			return d
		}
	}
	// Applied: the order is not read again (a later amount change comes back through
	// 【入金待ちに戻す】, a long-lead re-authorization through the print-date check).
	d.Key, d.Reason, d.Watch = "authorized:"+*p.AuthorizedOn, in.Reason, false
	d.Patch, d.ChildOK, d.Manual, d.KeepManual = p, targetChild, "", false
	return d
}

// decideLongLead is issue item 6: the card authorization of a slip about to be printed is
// renewed by Rakuten 7 days before shipping; OK moves the slip to printing with the new
// 承認日, NG sends it back to waiting.
func decideLongLead(f facts, d decision) decision {
	in, print := f.In, f.Slip.DeliveryNotePrintOn
	d.ChildOK = longLeadChild
	switch in.Verdict {
	case rakuten.VerdictAuthorized:
		gap, _ := daysBetween(jstDate(in.ApprovedAt), print)
		if gap >= LongLeadAuthDays {
			d.Key, d.Reason = "longlead.waiting", fmt.Sprintf("長期の注文: 与信（%s）が納品書印刷指示日（%s）の%d日以上前のため楽天の再与信を待っています", jstDate(in.ApprovedAt), print, LongLeadAuthDays)
			return d
		}
		on := jstDate(in.ApprovedAt)
		d.Key, d.Reason = "longlead.ok:"+on, "長期の注文: 楽天の再与信OK（発送指示日時 "+on+"）"
		d.Patch = &Patch{PaymentStatus: str(f.Shippable), AuthorizationStatus: str("authorized"), AuthorizedOn: str(on)}
		d.KeepManual, d.Manual = false, ""
	case rakuten.VerdictAuthorizationNG:
		d.Key, d.Reason = "longlead.ng", "長期の注文: 楽天の再与信NG。入金状況を未入金、承認状況を未承認に戻します（購入者が7日以内に支払方法を変えなければ楽天がキャンセルします）"
		d.Patch = &Patch{PaymentStatus: str("unpaid"), AuthorizationStatus: str("pending"), AuthorizedOn: str("")}
	default:
		d.Key, d.Reason = "longlead.waiting", "長期の注文: "+in.Reason
	}
	return d
}
