// Package atobarai is the クロネコ代金後払い room: buyers pay after delivery, by Yamato's
// invoice. kessai asks Yamato for a credit check before an order is accepted (API mode: at
// checkout, synchronously; CSV mode: the 買手情報一括登録CSV uploaded on Yamato's admin
// screen and its 与信結果 file read back), registers the shipment with its tracking number so
// Yamato sends the invoice, cancels, lowers amounts, and reads every open transaction's status
// periodically to catch credits Yamato withdrew (OK → NG) and delivery warnings.
//
// One transaction (atobarai_transactions) per order holds what Yamato knows: the credit
// decision, the 取引状況 and warning, the tracking number, the billed amount. Every call that
// changes it (credit, shipment, cancel, reduction) is an attempt.Op; the janitor settles an
// unknown outcome by asking Yamato (KAARS0010 / KAAST0010), never by sending again — except
// the reduction, which Yamato cannot be asked about: it is "set the amount to X", and Yamato
// refuses a repeat of an applied one (kaakk049E), so the resolver re-sends the same amount and
// reads the answer (see reduceResolver).
//
// Yamato does not know an order for a few seconds after its credit (存在しない受注番号): an
// operation asked for in that window is queued and sent after it (Service.FollowUp), and one
// refused with "not found" shortly after the credit is queued again instead of failing.
package atobarai

import (
	"embed"
	"time"

	"kessai/internal/platform/db"
	"kessai/internal/platform/status"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations creates the room's tables.
var Migrations = db.Migrations{Module: "atobarai", FS: migrationsFS}

// Room is the room's code in attempts, audit entries and job kinds.
const Room = "atobarai"

// PaymentMethod is the commerce payment method this room owns.
const PaymentMethod = "atobarai"

// RecordType is the attempts' record type: a transaction.
const RecordType = "atobarai_transaction"

// Operations of the attempts.
const (
	OpCredit   = "credit"
	OpShipment = "shipment"
	OpCancel   = "cancel"
	OpReduce   = "reduce"
)

// Modes: how the merchant connects (連携方式).
const (
	ModeAPI = "api"
	ModeCSV = "csv"
)

// Credit states of a transaction (与信).
const (
	CreditNew     = "new"     // prepared, not sent (CSV mode: exported, no result yet)
	CreditSending = "sending" // the credit call is out
	CreditOK      = "ok"      // 与信OK (ご利用可)
	CreditNG      = "ng"      // 与信NG (ご利用不可・限度額超過, or withdrawn by Yamato)
	CreditHold    = "hold"    // 与信保留 (審査中): read again later
	CreditUnclear = "unclear" // an answer that is neither (read again)
	CreditFailed  = "failed"  // the request was refused or never sent: fix and send again
)

// CreditStates are the icons of the 決済ステータス column and the API's credit field.
var CreditStates = status.NewSet("与信",
	status.Status{Code: CreditNew, Label: "与信未実施"},
	status.Status{Code: CreditSending, Label: "与信中"},
	status.Status{Code: CreditOK, Label: "与信OK", Level: "ok"},
	status.Status{Code: CreditNG, Label: "与信NG", Level: "error"},
	status.Status{Code: CreditHold, Label: "与信保留", Level: "warn"},
	status.Status{Code: CreditUnclear, Label: "与信結果確認中", Level: "warn"},
	status.Status{Code: CreditFailed, Label: "与信エラー", Level: "error"},
)

// Txn is one order's transaction at Yamato.
type Txn struct {
	ID           string    `json:"id"`
	OrderID      string    `json:"order_id,omitempty"`
	OrderNo      string    `json:"order_no"`
	Mode         string    `json:"mode"`
	Total        int64     `json:"total"`
	InitialTotal int64     `json:"initial_total"`
	Credit       string    `json:"credit"`
	CreditResult string    `json:"credit_result"`
	Status       string    `json:"status"`
	Warning      string    `json:"warning"`
	Flipped      bool      `json:"flipped"`
	TrackingNo   string    `json:"tracking_no"`
	ShipDate     string    `json:"ship_date"`
	Busy         string    `json:"busy,omitempty"`
	QueuedOp     string    `json:"queued_op,omitempty"`
	QueuedUntil  time.Time `json:"queued_until,omitzero"`
	LastError    string    `json:"last_error,omitempty"`
	CreditedAt   time.Time `json:"credited_at,omitzero"`
	CheckedAt    time.Time `json:"checked_at,omitzero"`
	MailSentAt   time.Time `json:"mail_sent_at,omitzero"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`

	attemptID, request, opArgs string
}
