// Package kantan is the かんたん決済 room: the payment lifecycle of orders paid through GMO
// Payment Gateway, built once for any GMO-PG pay type — Recruit かんたん支払い (PayType O) and
// credit card share every status, screen and rule here; only the calls differ (payType).
//
// The room owns the orders of the payment methods kantan and credit_card through commerce's
// payment handler: creating such an order through the API fixes GMO-PG's OrderID and runs
// EntryTran/ExecTran, and the answer carries what the buyer's browser posts to GMO-PG
// (start_url, access_id, token). The buyer comes back to /kantan/return; GMO-PG's result
// notification comes to /kantan/notify; both are only hints: the state is read back with
// SearchTradeMulti before anything changes. Capture (実売上), cancel, amount change and
// オーソリ期間延長 are money calls through attempt.Runner; a call whose outcome is unknown is
// settled by reading the trade back, never by sending again.
package kantan

import (
	"embed"
	"fmt"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/status"
	"kessai/internal/provider/gmopg"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations creates the room's tables (after commerce and attempt).
var Migrations = db.Migrations{Module: "kantan", FS: migrationsFS}

// Room, record type and operation names used in attempts, history and the audit log.
const (
	Room          = "kantan"
	RecordPayment = "kantan_payment"
	OpCapture     = "kantan.capture"
	OpCancel      = "kantan.cancel"
	OpChange      = "kantan.change"
	OpExtend      = "kantan.extend"
)

// Payment statuses (決済ステータス), exactly the table.
const (
	StatusNeedsCheck    = "needs_check"    // 要確認
	StatusAuthorized    = "authorized"     // 仮売上
	StatusCaptured      = "captured"       // 決済完了
	StatusCancelled     = "cancelled"      // 注文キャンセル
	StatusCaptureFailed = "capture_failed" // 売上失敗
	StatusFailed        = "failed"         // 決済失敗
	StatusExpired       = "expired"        // 仮売上期限切れ
)

// Actions a status allows.
const (
	ActCapture      = "capture"
	ActCancel       = "cancel"
	ActChangeAmount = "change_amount"
	ActExtend       = "extend"
	ActShip         = "ship"
	ActChangeMethod = "change_method"
)

// Statuses is the one table of 決済ステータス and what each allows.
var Statuses = status.NewSet("決済ステータス",
	status.Status{Code: StatusNeedsCheck, Label: "要確認", Level: "warn", Actions: []string{ActCancel, ActChangeMethod}},
	status.Status{Code: StatusAuthorized, Label: "仮売上", Level: "info", Actions: []string{ActCapture, ActCancel, ActChangeAmount, ActExtend}},
	status.Status{Code: StatusCaptured, Label: "決済完了", Level: "ok", Actions: []string{ActShip, ActCancel, ActChangeAmount}},
	status.Status{Code: StatusCancelled, Label: "注文キャンセル", Actions: []string{ActChangeMethod}},
	status.Status{Code: StatusCaptureFailed, Label: "売上失敗", Level: "error", Actions: []string{ActCancel}},
	status.Status{Code: StatusFailed, Label: "決済失敗", Level: "error", Actions: []string{ActCancel, ActChangeMethod}},
	status.Status{Code: StatusExpired, Label: "仮売上期限切れ", Level: "warn", Actions: []string{ActCancel, ActChangeMethod}},
)

// actionLabels name the actions in refusals.
var actionLabels = map[string]string{ActCapture: "実売上処理", ActCancel: "注文キャンセル", ActChangeAmount: "金額変更",
	ActExtend: "オーソリ期間延長", ActShip: "配送完了（出荷）", ActChangeMethod: "決済方法の変更"}

// refusal is the reason st does not allow act, or "" when it does.
func refusal(st, act string) string {
	if Statuses.Allows(st, act) {
		return ""
	}
	return fmt.Sprintf("決済ステータスが「%s」のため%sはできません（できる操作: %s）", Statuses.Label(st), actionLabels[act], allowedText(st))
}

func allowedText(st string) string {
	s, _ := Statuses.Get(st)
	out := ""
	for i, a := range s.Actions {
		if i > 0 {
			out += "・"
		}
		out += actionLabels[a]
	}
	if out == "" {
		return "なし"
	}
	return out
}

// Methods are the commerce payment methods the room owns, with their GMO-PG pay type.
var Methods = map[string]gmopg.PayType{"kantan": gmopg.PayTypeRecruit, "credit_card": gmopg.PayTypeCard}

// Settings are 設定 › 決済 › GMO-PG.
type Settings struct {
	// JobCd is 売上処理種類: AUTH (仮売上→実売上) or CAPTURE (即時売上).
	JobCd gmopg.JobCd `json:"job_cd"`
	// ExtendAuth is オーソリ期間延長設定 (利用する).
	ExtendAuth bool `json:"extend_auth"`
	// ShipCapture is 実売り同時処理: registering a tracking number captures a 仮売上 order.
	ShipCapture bool `json:"ship_capture"`
	// CaptureFail is what a failed capture does to the order: CaptureFailMark (売上失敗 only)
	// or CaptureFailHold (also puts the order on 保留).
	CaptureFail string `json:"capture_fail"`
}

// What a failed capture does to the order.
const (
	CaptureFailMark = "mark"
	CaptureFailHold = "hold"
)

// DefaultSettings are used until an admin saves the page.
var DefaultSettings = Settings{JobCd: gmopg.JobAuth, ExtendAuth: true, ShipCapture: false, CaptureFail: CaptureFailMark}

// Validate checks s, naming the field.
func (s Settings) Validate() map[string]string {
	f := map[string]string{}
	if s.JobCd != gmopg.JobAuth && s.JobCd != gmopg.JobCapture {
		f["job_cd"] = "売上処理種類は「仮売上→実売上」（AUTH）か「即時売上」（CAPTURE）を選んでください"
	}
	if s.CaptureFail != CaptureFailMark && s.CaptureFail != CaptureFailHold {
		f["capture_fail"] = "実売上失敗時の扱いは「売上失敗にする」（mark）か「売上失敗にして受注を保留にする」（hold）を選んでください"
	}
	return f
}

// changeRules are the reasons a change of a payment's amount to amount is refused at now
// (kessai's copy of GMO-PG's rules, checked before calling). atSend adds the rules of the
// moment of sending (the capture day and 0:00–1:00 JST the next day): an edit on the capture
// day is recorded and sent later.
func changeRules(p Payment, amount int64, now time.Time, atSend bool) []string {
	var out []string
	increase := amount > p.Amount
	if amount <= 0 {
		out = append(out, "金額は1円以上にしてください")
	}
	if p.PayType == gmopg.PayTypeCard {
		// Card (ChangeTran): any amount while the trade is authorized or captured.
		if p.Status != StatusAuthorized && p.Status != StatusCaptured {
			out = append(out, refusal(p.Status, ActChangeAmount))
		}
		return out
	}
	switch p.Status {
	case StatusAuthorized:
		if increase && p.PointsOnly {
			out = append(out, "ポイントのみで支払われた注文は増額できません")
		}
	case StatusCaptured:
		if increase {
			out = append(out, "実売上後は増額できません（減額のみ）")
		}
		if now.After(endOfFollowingMonth(p.CapturedAt)) {
			out = append(out, "実売上の翌月末（"+endOfFollowingMonth(p.CapturedAt).In(clock.JST).Format("2006/01/02")+"）を過ぎたため金額を変更できません")
		}
		if atSend {
			j := now.In(clock.JST)
			next := p.CapturedAt.In(clock.JST).AddDate(0, 0, 1)
			switch {
			case sameJSTDay(now, p.CapturedAt):
				out = append(out, "実売上の当日は金額変更を送信できません（翌日1:00以降に送信してください）")
			case sameJSTDay(now, next) && j.Hour() < 1:
				out = append(out, "実売上の翌日0:00〜1:00は金額変更を送信できません（1:00以降に送信してください）")
			}
		}
	default:
		out = append(out, refusal(p.Status, ActChangeAmount))
	}
	return out
}

// endOfFollowingMonth is the last instant (JST) of the month after t's.
func endOfFollowingMonth(t time.Time) time.Time {
	j := t.In(clock.JST)
	return time.Date(j.Year(), j.Month()+2, 1, 0, 0, 0, 0, clock.JST).Add(-time.Nanosecond)
}

func sameJSTDay(a, b time.Time) bool {
	ay, am, ad := a.In(clock.JST).Date()
	by, bm, bd := b.In(clock.JST).Date()
	return ay == by && am == bm && ad == bd
}

// statusOf maps GMO-PG's 取引状態 to the payment status; was is the current one (an
// authorization that lapses is 仮売上期限切れ, a start that lapses is 決済失敗).
func statusOf(pg gmopg.Status, was string) string {
	switch pg {
	case gmopg.StatusAuth:
		return StatusAuthorized
	case gmopg.StatusSales, gmopg.StatusCapture:
		return StatusCaptured
	case gmopg.StatusVoid, gmopg.StatusCancel, gmopg.StatusReturn, gmopg.StatusReturnX:
		return StatusCancelled
	case gmopg.StatusPayFail:
		return StatusFailed
	case gmopg.StatusExpired:
		if was == StatusAuthorized || was == StatusExpired {
			return StatusExpired
		}
		return StatusFailed
	}
	return StatusNeedsCheck // UNPROCESSED, REQSUCCESS, AUTHPROCESS: the buyer has not finished
}
