package yamatosim

import (
	"strings"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/yamato"
)

// Test data, also listed on the admin screen. The buyer's name decides the credit result:
const (
	NameRefused = "不可" // a name containing 不可 → 1 ご利用不可
	NameOverMax = "限度" // 限度 → 2 限度額超過 (so does a total above Options.CreditLimit)
	NameReview  = "審査" // 審査 → 3 審査中, resolving after Options.ReviewDelay to 0 (or to 1 with 不可 too)
	// PostCodeUnknown does not exist (kaara029E and the other endpoints' 実在 codes).
	PostCodeUnknown = "9999999"
	// TrackingInvestigate: a tracking number starting with it is delivered as 配送要調査.
	TrackingInvestigate = "9999"
	// TrackingUnusable: a tracking number starting with it is not usable for 後払い (kaasl015E).
	TrackingUnusable = "0000"
)

// decideLocked chooses the credit result of a new order from the test data.
func (s *Sim) decideLocked(o *Order, now time.Time) {
	o.DecidedAt = now
	switch {
	case o.SendDiv == yamato.SendSMS || o.SendDiv == yamato.SendSMSValidity:
		o.Result = yamato.CreditReviewed
		o.SMSExpires = now.Add(s.opts.SMSValidity)
		o.log(now, "審査中（SMS認証待ち、認証コード %s）", SMSCode)
	case strings.Contains(o.Name, NameReview):
		o.Result, o.ResolveAt, o.ResolveTo = yamato.CreditReviewed, now.Add(s.opts.ReviewDelay), yamato.CreditOK
		if strings.Contains(o.Name, NameRefused) {
			o.ResolveTo = yamato.CreditNG
		}
		o.log(now, "審査中（%s後に %s）", clock.FormatDuration(s.opts.ReviewDelay), o.ResolveTo.Label())
	case strings.Contains(o.Name, NameRefused):
		o.Result = yamato.CreditNG
	case strings.Contains(o.Name, NameOverMax) || o.Total > s.opts.CreditLimit:
		o.Result = yamato.CreditOverMax
	default:
		o.Result = yamato.CreditOK
	}
	if o.Result != yamato.CreditReviewed {
		o.log(now, "審査結果 %s", o.Result.Label())
	}
	s.repeatRuleLocked(o, now)
}

// addressKey identifies a delivery address across spellings (both widths, spaces).
func addressKey(o *Order) string {
	return strings.ReplaceAll(o.PostCode, "-", "") + "|" + strings.ReplaceAll(yamato.ToZenkaku(o.Address1+o.Address2), "　", "")
}

// repeatRuleLocked applies the repeated-order rule: the RepeatLimit-th order to one address
// within RepeatWindow is refused and the earlier approved, unshipped orders there withdrawn.
// Orders are grouped by the address they were placed to (a later reduction's new address does
// not move them).
func (s *Sim) repeatRuleLocked(o *Order, now time.Time) {
	var recent []*Order
	for _, p := range s.placedToLocked(o) {
		if now.Sub(p.CreatedAt) < s.opts.RepeatWindow && p.Status != yamato.StatusCancelled {
			recent = append(recent, p)
		}
	}
	if len(recent)+1 < s.opts.RepeatLimit {
		return
	}
	if o.Result == yamato.CreditOK || o.Result == yamato.CreditReviewed {
		o.Result, o.ResolveAt, o.SMSExpires = yamato.CreditNG, time.Time{}, time.Time{}
		o.log(now, "同じ住所への短時間の注文が%d件目のため ご利用不可", len(recent)+1)
	}
	for _, p := range recent {
		if p.Result == yamato.CreditOK && p.Status == yamato.StatusApproved {
			s.withdrawLocked(p, now, "同じ住所への短時間の注文の繰り返し")
		}
	}
}

// placedToLocked records the new order o under its address and returns the orders placed to
// that address before it. The index is built on first use (and after a load or reset), so a
// 100,000-row upload does not compare every pair.
func (s *Sim) placedToLocked(o *Order) []*Order {
	if s.byAddress == nil {
		s.byAddress = map[string][]*Order{}
		for _, p := range s.st.Orders {
			if p != o {
				k := addressKey(p)
				s.byAddress[k] = append(s.byAddress[k], p)
			}
		}
	}
	k := addressKey(o)
	prev := s.byAddress[k]
	s.byAddress[k] = append(prev[:len(prev):len(prev)], o)
	return prev
}

// tickLocked applies what the clock brings: reviews resolve, SMS codes expire, parcels are
// delivered, invoices issued.
func (s *Sim) tickLocked() {
	now := s.now()
	changed := false
	for _, o := range s.st.Orders {
		if o.Result == yamato.CreditReviewed && !o.ResolveAt.IsZero() && !now.Before(o.ResolveAt) {
			o.Result, o.DecidedAt, o.ResolveAt = o.ResolveTo, o.ResolveAt, time.Time{}
			o.log(o.DecidedAt, "審査完了: %s", o.Result.Label())
			changed = true
		}
		if o.Result == yamato.CreditReviewed && !o.SMSExpires.IsZero() && !now.Before(o.SMSExpires) {
			o.Result, o.DecidedAt = yamato.CreditNG, o.SMSExpires
			o.log(o.SMSExpires, "SMS認証の有効期限切れ: ご利用不可")
			changed = true
		}
		if o.Status == yamato.StatusShipped && !o.ShippedAt.IsZero() && !now.Before(o.ShippedAt.Add(s.opts.DeliveryDelay)) {
			at := o.ShippedAt.Add(s.opts.DeliveryDelay)
			if strings.HasPrefix(o.TrackingNo, TrackingInvestigate) {
				o.Status = yamato.StatusInvestigating
				o.log(at, "配達状況に問題: 配送要調査")
			} else {
				o.Status, o.DeliveredAt = yamato.StatusSold, at
				o.log(at, "配達完了: 売上確定")
			}
			changed = true
		}
		if o.Status == yamato.StatusSold && !o.DeliveredAt.IsZero() && !now.Before(o.DeliveredAt.Add(s.opts.InvoiceDelay)) {
			o.Status = yamato.StatusInvoiced
			o.log(o.DeliveredAt.Add(s.opts.InvoiceDelay), "請求書発行済み")
			changed = true
		}
	}
	if changed {
		s.saveLocked()
	}
}

func parseYmd(s string) (time.Time, error) { return time.ParseInLocation("20060102", s, clock.JST) }
