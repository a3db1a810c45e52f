// Package rakutenpay is the 楽天ペイ room: Rakuten orders (RMS RakutenPayOrderAPI) become order
// slips every poll, and Rakuten's authorization (与信) and payment (入金) state, its
// cancellations and its re-authorizations are written onto those slips by the rules of issue 10:
//
//   - Import: new Rakuten orders (100–400) become slips with source api, 受注状態 新規受付
//     (起票済), 入金状況 未入金, 承認状況 未承認, 承認日 empty; optionally confirmed at Rakuten
//     (confirmOrder). An order whose settlement method has no kessai payment method in the
//     shop's mapping is not imported and is listed, never guessed.
//   - Authorization: a target slip (楽天ペイ, 新規受付, 未入金, 未承認, no 承認日, within 15 days
//     of the order, of a payment-method change or of an amount change; never CSV, manual or
//     copied slips, never one restored from a merge cancellation) becomes 入金済 / 承認済 with
//     承認日 = 発送指示日時 when Rakuten's order is in 300; split children with it. An NG
//     changes nothing; Rakuten's cancellation (900) cancels the slip.
//   - 【入金待ちに戻す】 after an amount change; a re-authorization later than 15 days after
//     the order is listed for manual payment entry instead of applied.
//   - Long-lead card orders near their 納品書印刷指示日 follow Rakuten's re-authorization.
//
// The mapping of Rakuten's states is provider/rakuten's SlipInputsFor (status.go); this room
// decides which slips it may touch (decide.go). Every read and every decision is a line of
// the slip's 履歴 (room rakutenpay), written only when something changed, so a repeated poll
// writes nothing. A slip edited by staff while a poll runs is not overwritten: the write is
// conditional on the version the poll read, and the next poll tries again.
package rakutenpay

import (
	"embed"

	"kessai/internal/platform/db"
	"kessai/internal/platform/status"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations creates the room's tables (after commerce and attempt).
var Migrations = db.Migrations{Module: "rakutenpay", FS: migrationsFS}

// Room, record type and operation names used in attempts, jobs, history and the audit log.
const (
	Room        = "rakutenpay"
	RecordOrder = "rakutenpay_order"
	OpCancel    = "rakutenpay.cancel"
)

// Cancel request states of a slip's Rakuten order (cancel_state).
const (
	CancelNone      = ""
	CancelSending   = "sending"
	CancelRequested = "requested" // キャンセル申請中: Rakuten has the request (800)
	CancelConfirmed = "confirmed" // Rakuten confirmed it (900)
	CancelFailed    = "failed"
)

// CancelStates labels cancel_state for the pages and the API.
var CancelStates = status.NewSet("楽天へのキャンセル申請",
	status.Status{Code: "none", Label: "なし"},
	status.Status{Code: CancelSending, Label: "送信中"},
	status.Status{Code: CancelRequested, Label: "キャンセル申請中", Level: "warn"},
	status.Status{Code: CancelConfirmed, Label: "キャンセル確定", Level: "ok"},
	status.Status{Code: CancelFailed, Label: "キャンセル申請エラー", Level: "error"},
)

// Views of the order list (x_view): 入金待ち and 印刷待ち, driven by the 出荷可能 setting.
const (
	ViewAwaitingPayment = "awaiting_payment"
	ViewAwaitingPrint   = "awaiting_print"
)

// Views labels the views.
var Views = status.NewSet("受注の表示",
	status.Status{Code: ViewAwaitingPayment, Label: "入金待ち"},
	status.Status{Code: ViewAwaitingPrint, Label: "印刷待ち"},
)

// Rakuten filter of the order list (x_rakuten).
const (
	FilterManual          = "manual"
	FilterCancelRequested = "cancel_requested"
	FilterCancelFailed    = "cancel_failed"
)

// Filters labels x_rakuten.
var Filters = status.NewSet("楽天連携",
	status.Status{Code: FilterManual, Label: "手動で入金確認が必要", Level: "warn"},
	status.Status{Code: FilterCancelRequested, Label: "キャンセル申請中", Level: "warn"},
	status.Status{Code: FilterCancelFailed, Label: "キャンセル申請エラー", Level: "error"},
)
