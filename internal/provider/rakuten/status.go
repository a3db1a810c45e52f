package rakuten

import (
	"fmt"
	"time"
)

// This file is the one table from Rakuten's states to kessai's order slip. The room, the
// simulator and the tests read it; nothing else spells these codes.

// OrderProgress is getOrder's orderProgress (ステータス).
type OrderProgress int

const (
	ProgressAwaitingConfirm  OrderProgress = 100 // 注文確認待ち
	ProgressRakutenHandling  OrderProgress = 200 // 楽天処理中: 与信・代金預かり・不正チェック
	ProgressAwaitingShipment OrderProgress = 300 // 発送待ち
	ProgressAwaitingChange   OrderProgress = 400 // 変更確定待ち
	ProgressShipped          OrderProgress = 500 // 発送済
	ProgressPaying           OrderProgress = 600 // 支払手続き中
	ProgressPaid             OrderProgress = 700 // 支払手続き済
	ProgressCancelRequested  OrderProgress = 800 // キャンセル確定待ち
	ProgressCancelled        OrderProgress = 900 // キャンセル確定
)

// Verdict is what a Rakuten state means for the slip.
type Verdict string

const (
	VerdictAwaitingConfirm Verdict = "awaiting_confirm" // 100: the shop has not confirmed the order
	VerdictAuthorizing     Verdict = "authorizing"      // 200: Rakuten is authorizing; nothing to write
	VerdictAuthorizationNG Verdict = "authorization_ng" // 200 with a NG payment: the buyer has 7 days
	VerdictAuthorized      Verdict = "authorized"       // 300 and later: 与信OK, the slip may ship
	VerdictCancelRequested Verdict = "cancel_requested" // 800: キャンセル申請中
	VerdictCancelled       Verdict = "cancelled"        // 900: reflect the cancellation on the slip
)

type progressRow struct {
	Label string
	// Verdict before looking at the payment.
	Verdict Verdict
	// Cancellable: cancelOrder is accepted (100/200/300); later states need
	// cancelOrderAfterShipping.
	Cancellable bool
	// Shipped: cancelOrderAfterShipping is the cancel that applies.
	Shipped bool
}

var progressTable = map[OrderProgress]progressRow{
	ProgressAwaitingConfirm:  {"注文確認待ち", VerdictAwaitingConfirm, true, false},
	ProgressRakutenHandling:  {"楽天処理中", VerdictAuthorizing, true, false},
	ProgressAwaitingShipment: {"発送待ち", VerdictAuthorized, true, false},
	ProgressAwaitingChange:   {"変更確定待ち", VerdictAuthorized, false, false},
	ProgressShipped:          {"発送済", VerdictAuthorized, false, true},
	ProgressPaying:           {"支払手続き中", VerdictAuthorized, false, true},
	ProgressPaid:             {"支払手続き済", VerdictAuthorized, false, true},
	ProgressCancelRequested:  {"キャンセル確定待ち", VerdictCancelRequested, false, false},
	ProgressCancelled:        {"キャンセル確定", VerdictCancelled, false, false},
}

// OrderProgresses lists every known orderProgress in order.
func OrderProgresses() []OrderProgress {
	return []OrderProgress{100, 200, 300, 400, 500, 600, 700, 800, 900}
}

// Known reports whether p is one of Rakuten's documented codes.
func (p OrderProgress) Known() bool { _, ok := progressTable[p]; return ok }

// Label is Rakuten's Japanese name, or "不明なステータス(N)".
func (p OrderProgress) Label() string {
	if r, ok := progressTable[p]; ok {
		return r.Label
	}
	return fmt.Sprintf("不明なステータス(%d)", int(p))
}

// Cancellable reports whether cancelOrder accepts an order in p (100, 200, 300 only).
func (p OrderProgress) Cancellable() bool { return progressTable[p].Cancellable }

// CancelTaken reports whether an order in p has taken a cancel request (800 キャンセル確定待ち
// or 900 キャンセル確定): how a cancelOrder with an unknown outcome is settled by reading the
// order. An order still in 100/200/300 did not take it.
func (p OrderProgress) CancelTaken() bool {
	return p == ProgressCancelRequested || p == ProgressCancelled
}

// CancellableAfterShipping reports whether cancelOrderAfterShipping is the cancel for p.
func (p OrderProgress) CancellableAfterShipping() bool { return progressTable[p].Shipped }

// PaymentStatus is getPayment's PaymentModelList[].paymentStatus.
type PaymentStatus int

const (
	PaymentNone                 PaymentStatus = 30000 // 決済なし
	PaymentProcWaiting          PaymentStatus = 30100 // 決済手続き待ち
	PaymentProcWaitingPre       PaymentStatus = 30110 // 決済手続き待ち（前処理待ち）
	PaymentProcRequested        PaymentStatus = 30200 // 決済手続き依頼
	PaymentProcCompleted        PaymentStatus = 30300 // 決済手続き完了 (与信OK)
	PaymentProcNG               PaymentStatus = 30400 // 決済手続きNG (与信NG)
	PaymentRequested            PaymentStatus = 30500 // 決済依頼
	PaymentFixed                PaymentStatus = 30600 // 決済確定 (売上・入金)
	PaymentFixedCancelNG        PaymentStatus = 30610 // 決済確定（取消NG）
	PaymentNG                   PaymentStatus = 30700 // 決済NG
	PaymentNGHandedToShop       PaymentStatus = 30710 // 決済NG（店舗引渡）
	PaymentProcCancelling       PaymentStatus = 31100 // 決済手続き取消中
	PaymentProcCancelWaiting    PaymentStatus = 31110 // 決済手続き取消待ち
	PaymentProcCancelWaitingPre PaymentStatus = 31120 // 決済手続き取消待ち（前処理待ち）
	PaymentProcCancelled        PaymentStatus = 31200 // 決済手続き取消完了
	PaymentProcCancelNG         PaymentStatus = 31300 // 決済手続き取消NG
	PaymentCancelling           PaymentStatus = 31400 // 決済取消中
	PaymentCancelWaiting        PaymentStatus = 31410 // 決済取消待ち
	PaymentCancelWaitingPre     PaymentStatus = 31420 // 決済取消待ち（前処理待ち）
	PaymentCancelled            PaymentStatus = 31500 // 決済取消完了
	PaymentCancelledChargeback  PaymentStatus = 31800 // 決済取消完了（チャージバック）
)

// PaymentKind groups payment statuses by what they mean for the slip.
type PaymentKind string

const (
	PaymentKindNone      PaymentKind = "none"      // no payment to wait for
	PaymentKindPending   PaymentKind = "pending"   // authorization not finished
	PaymentKindAuthOK    PaymentKind = "auth_ok"   // 決済手続き完了: authorized
	PaymentKindAuthNG    PaymentKind = "auth_ng"   // 決済手続きNG
	PaymentKindFixed     PaymentKind = "fixed"     // 決済確定: money taken
	PaymentKindNG        PaymentKind = "ng"        // 決済NG
	PaymentKindCancelled PaymentKind = "cancelled" // cancelling or cancelled
)

type paymentRow struct {
	Label string
	Kind  PaymentKind
}

var paymentTable = map[PaymentStatus]paymentRow{
	PaymentNone:                 {"決済なし", PaymentKindNone},
	PaymentProcWaiting:          {"決済手続き待ち", PaymentKindPending},
	PaymentProcWaitingPre:       {"決済手続き待ち（前処理待ち）", PaymentKindPending},
	PaymentProcRequested:        {"決済手続き依頼", PaymentKindPending},
	PaymentProcCompleted:        {"決済手続き完了", PaymentKindAuthOK},
	PaymentProcNG:               {"決済手続きNG", PaymentKindAuthNG},
	PaymentRequested:            {"決済依頼", PaymentKindAuthOK},
	PaymentFixed:                {"決済確定", PaymentKindFixed},
	PaymentFixedCancelNG:        {"決済確定（取消NG）", PaymentKindFixed},
	PaymentNG:                   {"決済NG", PaymentKindNG},
	PaymentNGHandedToShop:       {"決済NG（店舗引渡）", PaymentKindNG},
	PaymentProcCancelling:       {"決済手続き取消中", PaymentKindCancelled},
	PaymentProcCancelWaiting:    {"決済手続き取消待ち", PaymentKindCancelled},
	PaymentProcCancelWaitingPre: {"決済手続き取消待ち（前処理待ち）", PaymentKindCancelled},
	PaymentProcCancelled:        {"決済手続き取消完了", PaymentKindCancelled},
	PaymentProcCancelNG:         {"決済手続き取消NG", PaymentKindCancelled},
	PaymentCancelling:           {"決済取消中", PaymentKindCancelled},
	PaymentCancelWaiting:        {"決済取消待ち", PaymentKindCancelled},
	PaymentCancelWaitingPre:     {"決済取消待ち（前処理待ち）", PaymentKindCancelled},
	PaymentCancelled:            {"決済取消完了", PaymentKindCancelled},
	PaymentCancelledChargeback:  {"決済取消完了（チャージバック）", PaymentKindCancelled},
}

// Label is Rakuten's Japanese name, or "不明な決済ステータス(N)".
func (s PaymentStatus) Label() string {
	if r, ok := paymentTable[s]; ok {
		return r.Label
	}
	return fmt.Sprintf("不明な決済ステータス(%d)", int(s))
}

// Kind says what s means; an unknown code is pending (wait, do not guess).
func (s PaymentStatus) Kind() PaymentKind {
	if r, ok := paymentTable[s]; ok {
		return r.Kind
	}
	return PaymentKindPending
}

// Known reports whether s is a documented code.
func (s PaymentStatus) Known() bool { _, ok := paymentTable[s]; return ok }

// PaymentStatuses lists every documented paymentStatus.
func PaymentStatuses() []PaymentStatus {
	return []PaymentStatus{30000, 30100, 30110, 30200, 30300, 30400, 30500, 30600, 30610, 30700,
		30710, 31100, 31110, 31120, 31200, 31300, 31400, 31410, 31420, 31500, 31800}
}

// SettlementCode is SettlementModel.settlementMethodCode (and getPayment's paymentMethod). Match
// on it, never on settlementMethod (the name): Rakuten renames methods (14, 2026-01-22).
type SettlementCode int

const (
	SettleCard           SettlementCode = 1  // クレジットカード
	SettleCOD            SettlementCode = 2  // 代金引換
	SettlePayAfterOptOut SettlementCode = 3  // 後払い（選択制決済）; searchOrder and getPayment only
	SettleShoppingCredit SettlementCode = 4  // ショッピングクレジット／ローン
	SettleAutoLoan       SettlementCode = 5  // オートローン
	SettleLease          SettlementCode = 6  // リース
	SettleInvoice        SettlementCode = 7  // 請求書払い
	SettlePoint          SettlementCode = 8  // ポイント
	SettleBankTransfer   SettlementCode = 9  // 銀行振込
	SettleApplePay       SettlementCode = 12 // Apple Pay
	SettleSevenEleven    SettlementCode = 13 // セブンイレブン（前払）
	SettleConveniencePre SettlementCode = 14 // ファミリーマート、ローソン等（前払）
	SettleAlipay         SettlementCode = 16 // Alipay
	SettlePayPal         SettlementCode = 17 // PayPal
	SettlePayAfter       SettlementCode = 21 // 後払い決済（楽天市場の共通決済）
	SettleAlipayZhifubao SettlementCode = 27 // Alipay（支付宝）
)

type settlementRow struct {
	Label string
	// Former names Rakuten used, for showing old orders; never used for matching.
	Former []string
	// Card: authorization expires after 30 days, so long-lead orders are re-authorized.
	Card bool
	// RakutenPay is the simulator's rpaySettlementFlag for the method (an assumption: real
	// orders carry the flag, which is what the room must read).
	RakutenPay bool
}

var settlementTable = map[SettlementCode]settlementRow{
	SettleCard:           {"クレジットカード", nil, true, true},
	SettleCOD:            {"代金引換", nil, false, false},
	SettlePayAfterOptOut: {"後払い", nil, false, false},
	SettleShoppingCredit: {"ショッピングクレジット／ローン", nil, false, false},
	SettleAutoLoan:       {"オートローン", nil, false, false},
	SettleLease:          {"リース", nil, false, false},
	SettleInvoice:        {"請求書払い", nil, false, false},
	SettlePoint:          {"ポイント", nil, false, true},
	SettleBankTransfer:   {"銀行振込", nil, false, true},
	SettleApplePay:       {"Apple Pay", nil, true, true},
	SettleSevenEleven:    {"セブンイレブン（前払）", nil, false, true},
	SettleConveniencePre: {"ファミリーマート、ローソン等（前払）", []string{"ローソン、郵便局ATM等（前払）"}, false, true},
	SettleAlipay:         {"Alipay", nil, false, true},
	SettlePayPal:         {"PayPal", nil, false, true},
	SettlePayAfter:       {"後払い決済", nil, false, true},
	SettleAlipayZhifubao: {"Alipay（支付宝）", nil, false, true},
}

// SettlementCodes lists every documented settlement method code.
func SettlementCodes() []SettlementCode {
	return []SettlementCode{1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 16, 17, 21, 27}
}

// Known reports whether c is a documented code.
func (c SettlementCode) Known() bool { _, ok := settlementTable[c]; return ok }

// Label is the current Japanese name, or "不明な決済方法(N)".
func (c SettlementCode) Label() string {
	if r, ok := settlementTable[c]; ok {
		return r.Label
	}
	return fmt.Sprintf("不明な決済方法(%d)", int(c))
}

// FormerLabels are names Rakuten used before (for display of old orders only).
func (c SettlementCode) FormerLabels() []string { return settlementTable[c].Former }

// Card reports whether the method is card-like (クレジットカード, Apple Pay): its authorization
// expires after 30 days and long-lead orders are re-authorized 7 days before shipping.
func (c SettlementCode) Card() bool { return settlementTable[c].Card }

// DefaultRakutenPay is whether orders of this method normally come with rpaySettlementFlag 1
// (楽天市場の共通決済). The simulator uses it; the room must read the order's own flag.
func (c SettlementCode) DefaultRakutenPay() bool { return settlementTable[c].RakutenPay }

// Slip codes, as kessai's commerce package spells 入金状況 and 承認状況.
const (
	SlipDepositUnpaid    = "unpaid"     // 未入金
	SlipDepositPaid      = "paid"       // 入金済
	SlipApprovalPending  = "pending"    // 未承認
	SlipApprovalApproved = "authorized" // 承認済
)

// SlipInputs is what a Rakuten order says the slip's payment fields should be.
type SlipInputs struct {
	Verdict  Verdict
	Progress OrderProgress
	// Deposit (入金状況), Approval (承認状況) and ApprovedAt (承認日; zero = empty) are the
	// values the slip should have. For VerdictAuthorizationNG and VerdictAwaitingConfirm they
	// are the unpaid/pending values: NG changes nothing on a slip that was never approved,
	// and moves a re-authorized long-lead slip back to waiting.
	Deposit    string
	Approval   string
	ApprovedAt time.Time
	// From getPayment, when it was read: the first payment's status and its datetimes.
	PaymentStatus PaymentStatus
	PaymentOKAt   time.Time // paymentProcCmplDatetime (決済手続き完了)
	PaymentNGAt   time.Time // paymentProcNgDatetime (決済手続きNG) or paymentNgDatetime
	PaymentFixAt  time.Time // paymentFixDatetime (決済確定)
	// Reason says in Japanese why, for the slip's sync history.
	Reason string
}

// SlipInputsFor maps an order (getOrder) and, if read, its payments (getPayment; nil when not
// read) to the slip's inputs. The rule: 300 発送待ち and later mean authorized, with 承認日 =
// 発送指示日時 (shippingInstDatetime; the payment's 決済手続き完了 when Rakuten left it empty);
// 200 means waiting, or NG when the payment says so; 800 and 900 are the cancellation.
func SlipInputsFor(o *Order, pay *OrderPayment) SlipInputs {
	in := SlipInputs{Progress: o.OrderProgress, Deposit: SlipDepositUnpaid, Approval: SlipApprovalPending}
	row, known := progressTable[o.OrderProgress]
	if pay != nil && len(pay.Payments) > 0 {
		p := pay.Payments[0]
		in.PaymentStatus = p.PaymentStatus
		in.PaymentOKAt = p.PaymentProcCmplDatetime.Time
		in.PaymentNGAt = p.PaymentProcNgDatetime.Time
		if in.PaymentNGAt.IsZero() {
			in.PaymentNGAt = p.PaymentNgDatetime.Time
		}
		in.PaymentFixAt = p.PaymentFixDatetime.Time
	}
	if !known {
		in.Verdict = VerdictAuthorizing
		in.Reason = fmt.Sprintf("楽天のステータス %d は未知のため反映しません", int(o.OrderProgress))
		return in
	}
	in.Verdict = row.Verdict
	switch row.Verdict {
	case VerdictAwaitingConfirm:
		in.Reason = "注文確認待ち（100）のため入金・承認は未確定です"
	case VerdictAuthorizing:
		kind := in.PaymentStatus.Kind()
		if kind == PaymentKindAuthNG || kind == PaymentKindNG {
			in.Verdict = VerdictAuthorizationNG
			in.Reason = fmt.Sprintf("楽天処理中（200）で決済が %s のため与信NGです。購入者が7日以内に支払方法を変更しなければ楽天がキャンセルします", in.PaymentStatus.Label())
		} else {
			in.Reason = "楽天処理中（200）: 与信の結果待ちです"
		}
	case VerdictAuthorized:
		in.Deposit, in.Approval = SlipDepositPaid, SlipApprovalApproved
		in.ApprovedAt = o.ShippingInstDatetime.Time
		in.Reason = fmt.Sprintf("%s（%d）: 与信OK、承認日は発送指示日時", row.Label, int(o.OrderProgress))
		if in.ApprovedAt.IsZero() {
			in.ApprovedAt = in.PaymentOKAt
			in.Reason = fmt.Sprintf("%s（%d）: 与信OK、発送指示日時が空のため承認日は決済手続き完了日時", row.Label, int(o.OrderProgress))
		}
	case VerdictCancelRequested:
		in.Reason = "キャンセル確定待ち（800）: キャンセル申請中です"
	case VerdictCancelled:
		in.Reason = "キャンセル確定（900）: 伝票をキャンセルにします"
	}
	return in
}
