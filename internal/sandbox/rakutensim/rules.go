package rakutensim

import (
	"errors"
	"fmt"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/rakuten"
)

// Rakuten's deadlines, on the Sim's clock.
const (
	ngCancelAfter      = 7 * 24 * time.Hour  // an authorization NG the buyer does not fix is cancelled
	unconfirmedCancel  = 14 * 24 * time.Hour // an order nobody confirms (100) is cancelled
	authLife           = 30 * 24 * time.Hour // a card authorization expires
	reauthBeforeShipBy = 7 * 24 * time.Hour  // long-lead orders are re-authorized this long before 発送日
)

// Errors of the control API.
var (
	ErrUnknownOrder = errors.New("注文が見つかりません")
	ErrUnknownShop  = errors.New("店舗が見つかりません")
)

// StateError is a control that the order's state does not allow.
type StateError struct {
	Order    string
	Progress rakuten.OrderProgress
	Want     string
}

func (e *StateError) Error() string {
	return fmt.Sprintf("注文 %s はステータス %d %s のため%sできません", e.Order, int(e.Progress), e.Progress.Label(), e.Want)
}

// NewOrder describes orders to create. Zero values give a card order of 3,000 yen ordered now,
// waiting for the shop's confirmation (100).
type NewOrder struct {
	Shop       string                 `json:"shop,omitempty"` // shop number; the default shop when empty
	Method     rakuten.SettlementCode `json:"method,omitempty"`
	GoodsPrice int64                  `json:"goods_price,omitempty"`
	Postage    int64                  `json:"postage,omitempty"`
	OrderedAt  time.Time              `json:"ordered_at,omitzero"` // now when zero; never after now
	// Confirmed starts the order in 200 (RMS auto-confirm) instead of 100.
	Confirmed bool `json:"confirmed,omitempty"`
	// Authorize decides the authorization when the order reaches 200: "" waits for the
	// authorize control, "ok" goes to 300 at once, "ng" stays in 200 with a NG payment.
	Authorize string `json:"authorize,omitempty"`
	// ShipBy makes a long-lead order: its planned shipping date. A card order shipped more than
	// 30 days after its authorization is re-authorized 7 days before ShipBy.
	ShipBy time.Time `json:"ship_by,omitzero"`
	// ReauthResult is that re-authorization's result: "ok" (default) or "ng".
	ReauthResult string `json:"reauth_result,omitempty"`
	// RakutenPay overrides rpaySettlementFlag (by default SettlementCode.DefaultRakutenPay).
	RakutenPay *bool `json:"rakuten_pay,omitempty"`
}

func validResult(r string, allowEmpty bool) bool {
	return r == "ok" || r == "ng" || (allowEmpty && r == "")
}

// CreateOrders creates count orders like n and returns their numbers in creation order.
func (s *Sim) CreateOrders(n NewOrder, count int) ([]string, error) {
	if count <= 0 {
		count = 1
	}
	if n.Method == 0 {
		n.Method = rakuten.SettleCard
	}
	if !n.Method.Known() {
		return nil, fmt.Errorf("決済方法コード %d は楽天の一覧にありません", int(n.Method))
	}
	if !validResult(n.Authorize, true) || !validResult(n.ReauthResult, true) {
		return nil, errors.New(`authorize と reauth_result は "ok" か "ng"（authorize は空も可）です`)
	}
	if n.GoodsPrice == 0 {
		n.GoodsPrice = 3000
	}
	if n.GoodsPrice < 0 || n.Postage < 0 {
		return nil, errors.New("金額は0以上です")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickLocked()
	if n.Shop == "" {
		n.Shop = DefaultShopNumber
	}
	if s.st.Shops[n.Shop] == nil {
		return nil, ErrUnknownShop
	}
	now := s.now()
	if n.OrderedAt.IsZero() || n.OrderedAt.After(now) {
		n.OrderedAt = now
	}
	n.OrderedAt = n.OrderedAt.Truncate(time.Second)
	rpay := n.Method.DefaultRakutenPay()
	if n.RakutenPay != nil {
		rpay = *n.RakutenPay
	}
	out := make([]string, 0, count)
	for range count {
		s.st.Seq++
		o := &order{
			Shop: n.Shop, Method: n.Method, RPay: rpay, Goods: n.GoodsPrice, Postage: n.Postage,
			Number:       fmt.Sprintf("%s-%s-%08d", n.Shop, n.OrderedAt.In(clock.JST).Format("20060102"), s.st.Seq%100000000),
			BasketID:     s.st.Seq,
			Progress:     rakuten.ProgressAwaitingConfirm,
			OrderedAt:    n.OrderedAt,
			Authorize:    n.Authorize,
			ShipBy:       n.ShipBy,
			ReauthResult: n.ReauthResult,
			Pay:          payment{Status: rakuten.PaymentProcWaiting},
		}
		if !rpay {
			o.Pay.Status = rakuten.PaymentNone
		}
		if n.Method == rakuten.SettleCOD {
			o.Charge = 330
		}
		if n.Confirmed {
			s.confirmLocked(o, n.OrderedAt)
		}
		s.st.Orders = append(s.st.Orders, o)
		s.byNumber[o.Number] = o
		s.track(o)
		out = append(out, o.Number)
	}
	s.saveLocked()
	return out, nil
}

// confirmLocked is 注文確認: 100 → 200, where Rakuten authorizes.
func (s *Sim) confirmLocked(o *order, at time.Time) {
	o.Progress = rakuten.ProgressRakutenHandling
	o.ConfirmedAt = at
	o.Changes = append(o.Changes, change(8, 0, at))
	if o.RPay {
		o.Pay.Status = rakuten.PaymentProcRequested
		o.Pay.ProcReqAt = at
	}
	switch o.Authorize {
	case "ok":
		_ = s.authorizeLocked(o, true, at)
	case "ng":
		_ = s.authorizeLocked(o, false, at)
	}
}

func change(typ, detail int, at time.Time) rakuten.ChangeReason {
	ch := rakuten.ChangeReason{ChangeType: intp(typ), ChangeApplyDatetime: dt(at), ChangeFixDatetime: dt(at), ChangeCmplDatetime: dt(at)}
	if detail != 0 {
		ch.ChangeTypeDetail = intp(detail)
	}
	return ch
}

// prepaid methods: a successful "authorization" is the money itself arriving.
func prepaid(m rakuten.SettlementCode) bool {
	return m == rakuten.SettleBankTransfer || m == rakuten.SettleSevenEleven || m == rakuten.SettleConveniencePre
}

// authorizeLocked ends Rakuten's handling of a 200 order: OK → 300 発送待ち with 発送指示日時,
// NG → stays 200 with a NG payment, cancelled 7 days later unless the buyer changes the method.
func (s *Sim) authorizeLocked(o *order, ok bool, at time.Time) error {
	if o.Progress != rakuten.ProgressRakutenHandling {
		return &StateError{o.Number, o.Progress, "与信の結果を返すことは"}
	}
	if !ok {
		if !o.RPay {
			return fmt.Errorf("注文 %s は楽天市場の共通決済ではないため与信NGにできません", o.Number)
		}
		o.Pay.Status, o.Pay.ProcNGAt = rakuten.PaymentProcNG, at
		o.NGAt = at
		s.track(o)
		return nil
	}
	o.Progress = rakuten.ProgressAwaitingShipment
	o.ShippingInstAt = at
	if o.FixedAt.IsZero() {
		o.FixedAt = at
	}
	o.NGAt = time.Time{}
	if o.RPay {
		o.Pay.Status, o.Pay.ProcOKAt, o.Pay.ProcNGAt = rakuten.PaymentProcCompleted, at, time.Time{}
		if prepaid(o.Method) {
			o.Pay.Status, o.Pay.FixAt = rakuten.PaymentFixed, at
		}
	}
	s.track(o)
	return nil
}

// changeMethodLocked is the buyer choosing another payment method (after a NG): 再決済手続き,
// and Rakuten authorizes again.
func (s *Sim) changeMethodLocked(o *order, m rakuten.SettlementCode, at time.Time) error {
	if o.Progress != rakuten.ProgressRakutenHandling {
		return &StateError{o.Number, o.Progress, "支払方法を変更"}
	}
	o.Method, o.RPay = m, m.DefaultRakutenPay()
	o.Charge = 0
	if m == rakuten.SettleCOD {
		o.Charge = 330
	}
	o.Changes = append(o.Changes, change(rakuten.ChangeTypeRepay, rakuten.ChangeDetailMethod, at))
	o.NGAt = time.Time{}
	o.Pay = payment{Status: rakuten.PaymentProcRequested, ProcReqAt: at}
	if !o.RPay {
		o.Pay = payment{Status: rakuten.PaymentNone}
	}
	o.Authorize = ""
	s.track(o)
	return nil
}

// changeAmountLocked is the shop changing the amount: Rakuten re-authorizes the new amount, so a
// 300 order goes back to 200 until the new authorization's result.
func (s *Sim) changeAmountLocked(o *order, goods int64, at time.Time) error {
	switch o.Progress {
	case rakuten.ProgressAwaitingConfirm, rakuten.ProgressRakutenHandling, rakuten.ProgressAwaitingShipment:
	default:
		return &StateError{o.Number, o.Progress, "金額を変更"}
	}
	o.Goods = goods
	o.Changes = append(o.Changes, change(rakuten.ChangeTypeRepay, rakuten.ChangeDetailAmount, at))
	if o.Progress == rakuten.ProgressAwaitingShipment && o.RPay {
		o.Progress = rakuten.ProgressRakutenHandling
		o.Pay.Status, o.Pay.ProcReqAt = rakuten.PaymentProcRequested, at
		o.Authorize = ""
	}
	s.track(o)
	return nil
}

// cancelLocked is a cancel request (cancelOrder, cancelOrderAfterShipping): → 800, confirmed
// as 900 after Options.CancelConfirmDelay.
func (s *Sim) cancelLocked(o *order, afterShipping bool, reason int, at time.Time) error {
	if !afterShipping && !o.Progress.Cancellable() || afterShipping && !o.Progress.CancellableAfterShipping() {
		return &StateError{o.Number, o.Progress, "キャンセル"}
	}
	o.CancelFrom, o.Progress, o.CancelAt = o.Progress, rakuten.ProgressCancelRequested, at
	ch := change(1, 0, at)
	ch.ChangeReasonDetail = intp(reason)
	ch.ChangeFixDatetime, ch.ChangeCmplDatetime = rakuten.DateTime{}, rakuten.DateTime{}
	o.Changes = append(o.Changes, ch)
	if o.RPay && o.Pay.Status != rakuten.PaymentNone {
		if o.Pay.Status.Kind() == rakuten.PaymentKindFixed {
			o.Pay.Status = rakuten.PaymentCancelling
		} else {
			o.Pay.Status = rakuten.PaymentProcCancelling
		}
	}
	s.track(o)
	return nil
}

// cancelNowLocked is Rakuten cancelling (900) at at.
func (s *Sim) cancelNowLocked(o *order, at time.Time) {
	o.Progress = rakuten.ProgressCancelled
	o.NGAt = time.Time{}
	if n := len(o.Changes); n > 0 && o.Changes[n-1].ChangeCmplDatetime.IsZero() {
		o.Changes[n-1].ChangeFixDatetime, o.Changes[n-1].ChangeCmplDatetime = dt(at), dt(at)
	} else {
		ch := change(1, 0, at)
		ch.ChangeReasonDetail = intp(rakuten.CancelReasonUnpaid)
		o.Changes = append(o.Changes, ch)
	}
	if o.RPay && o.Pay.Status != rakuten.PaymentNone {
		switch o.Pay.Status {
		case rakuten.PaymentCancelling, rakuten.PaymentFixed:
			o.Pay.Status = rakuten.PaymentCancelled
		default:
			o.Pay.Status = rakuten.PaymentProcCancelled
		}
		o.Pay.CancelledAt = at
	}
}

// shipLocked is the shop's 発送完了報告 (a shipping row with a date on a 300 order): → 500, and
// the card payment is requested (決済依頼).
func (s *Sim) shipLocked(o *order, at time.Time) {
	if o.Progress != rakuten.ProgressAwaitingShipment {
		return
	}
	o.Progress = rakuten.ProgressShipped
	o.ShipReportAt = at
	if o.RPay && o.Pay.Status == rakuten.PaymentProcCompleted {
		o.Pay.Status, o.Pay.ReqAt = rakuten.PaymentRequested, at
	}
	s.track(o)
}

// settleLocked is 決済確定: the money is Rakuten's (searchOrder dateType 6 finds the order).
func (s *Sim) settleLocked(o *order, at time.Time) error {
	if !o.RPay || (o.Pay.Status != rakuten.PaymentProcCompleted && o.Pay.Status != rakuten.PaymentRequested) {
		return fmt.Errorf("注文 %s の決済ステータス %d %s は決済確定にできません", o.Number, int(o.Pay.Status), o.Pay.Status.Label())
	}
	o.Pay.Status, o.Pay.FixAt = rakuten.PaymentFixed, at
	return nil
}

// longLead reports whether o's authorization would expire before it ships.
func (o *order) longLead() bool {
	return !o.ShipBy.IsZero() && o.RPay && o.Method.Card() && !o.ShippingInstAt.IsZero() &&
		o.ShipBy.Sub(o.ShippingInstAt) > authLife
}

// nextDue is when a time rule changes o next (zero when none will).
func (s *Sim) nextDue(o *order) time.Time {
	switch o.Progress {
	case rakuten.ProgressAwaitingConfirm:
		return o.OrderedAt.Add(unconfirmedCancel)
	case rakuten.ProgressRakutenHandling:
		if !o.NGAt.IsZero() {
			return o.NGAt.Add(ngCancelAfter)
		}
	case rakuten.ProgressAwaitingShipment:
		if o.longLead() && !o.ReauthDone {
			return o.ShipBy.Add(-reauthBeforeShipBy)
		}
	case rakuten.ProgressCancelRequested:
		return o.CancelAt.Add(s.opts.CancelConfirmDelay)
	}
	return time.Time{}
}

// track keeps o in the timed set while a rule may still change it, and keeps nextAt, the
// earliest due time of the set, so that a call with nothing due does not walk the set.
func (s *Sim) track(o *order) {
	due := s.nextDue(o)
	if due.IsZero() {
		delete(s.timed, o.Number)
		return
	}
	s.timed[o.Number] = o
	if s.nextAt.IsZero() || due.Before(s.nextAt) {
		s.nextAt = due
	}
}

// tickLocked applies every rule that has come due, each at its own due time, so a clock moved
// 10 days runs an NG's cancellation at day 7 and not at day 10.
func (s *Sim) tickLocked() {
	now := s.now()
	if s.nextAt.IsZero() || s.nextAt.After(now) {
		return
	}
	changed := false
	s.nextAt = time.Time{}
	for num, o := range s.timed {
		for {
			due := s.nextDue(o)
			if due.IsZero() || due.After(now) {
				break
			}
			s.fireLocked(o, due)
			changed = true
		}
		due := s.nextDue(o)
		if due.IsZero() {
			delete(s.timed, num)
		} else if s.nextAt.IsZero() || due.Before(s.nextAt) {
			s.nextAt = due
		}
	}
	if changed {
		s.saveLocked()
	}
}

func (s *Sim) fireLocked(o *order, at time.Time) {
	switch o.Progress {
	case rakuten.ProgressAwaitingConfirm, rakuten.ProgressRakutenHandling, rakuten.ProgressCancelRequested:
		s.cancelNowLocked(o, at)
	case rakuten.ProgressAwaitingShipment:
		o.ReauthDone = true
		if o.ReauthResult == "ng" {
			o.Progress = rakuten.ProgressRakutenHandling
			o.Pay.Status, o.Pay.ProcNGAt = rakuten.PaymentProcNG, at
			o.NGAt = at
			return
		}
		o.ShippingInstAt = at
		o.Pay.Status, o.Pay.ProcOKAt = rakuten.PaymentProcCompleted, at
	}
}
