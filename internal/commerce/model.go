// Package commerce holds the merchant's records that every workflow room shares: shops,
// customers (with their payout bank account and stored card references), orders (受注伝票),
// purchase cases (買取ケース: 宅配買取・一般仕入) and subscriptions (定期受注). Rooms add their own
// tables next to these and reference them.
package commerce

import (
	"embed"
	"time"

	"kessai/internal/platform/bankaccount"
	"kessai/internal/platform/db"
	"kessai/internal/platform/status"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations creates the commerce tables.
var Migrations = db.Migrations{Module: "commerce", FS: migrationsFS}

// Shop is a storefront (店舗). Providers such as Rakuten are configured per shop.
type Shop struct {
	ID        string    `json:"id"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// BankAccount is where a seller is paid (振込先口座). AccountNumber is 7 digits; HolderKana is
// in 全銀 half-width kana.
type BankAccount struct {
	BankCode      string `json:"bank_code"`
	BankName      string `json:"bank_name"`
	BranchCode    string `json:"branch_code"`
	BranchName    string `json:"branch_name"`
	AccountType   string `json:"account_type"` // see AccountTypes
	AccountNumber string `json:"account_number"`
	HolderKana    string `json:"account_holder_kana"`
}

// IsZero reports whether no account is registered.
func (b BankAccount) IsZero() bool { return b == BankAccount{} }

// Customer is a person who buys from or sells to the merchant (顧客).
type Customer struct {
	ID         string      `json:"id"`
	Code       string      `json:"code"`
	Name       string      `json:"name"`
	NameKana   string      `json:"name_kana"`
	Email      string      `json:"email"`
	Phone      string      `json:"phone"`
	PostalCode string      `json:"postal_code"`
	Prefecture string      `json:"prefecture"`
	Address1   string      `json:"address1"`
	Address2   string      `json:"address2"`
	Bank       BankAccount `json:"bank_account"`
	Note       string      `json:"note"`
	Version    int         `json:"version"` // optimistic lock: send back the version you read
	CreatedAt  time.Time   `json:"created_at"`
	UpdatedAt  time.Time   `json:"updated_at"`
}

// Card is a stored card reference: the card lives at the provider (e.g. GMO-PG member + seq).
type Card struct {
	ID         string    `json:"id"`
	CustomerID string    `json:"customer_id"`
	Provider   string    `json:"provider"`
	MemberID   string    `json:"member_id"`
	CardSeq    string    `json:"card_seq"`
	MaskedPAN  string    `json:"masked_pan"`
	ExpireYM   string    `json:"expire_ym"` // YYMM
	Status     string    `json:"status"`    // see CardStatuses
	Version    int       `json:"version"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Order is an order slip (受注伝票).
type Order struct {
	ID                  string      `json:"id"`
	Number              string      `json:"number"`
	ShopID              string      `json:"shop_id"`
	CustomerID          string      `json:"customer_id,omitempty"`
	Source              string      `json:"source"` // see OrderSources
	OrderedAt           time.Time   `json:"ordered_at"`
	Subtotal            int64       `json:"subtotal"`
	Tax                 int64       `json:"tax"`
	ShippingFee         int64       `json:"shipping_fee"`
	Total               int64       `json:"total"`
	PaymentMethod       string      `json:"payment_method"`       // see PaymentMethods
	OrderStatus         string      `json:"order_status"`         // 受注状態, see OrderStatuses
	PaymentStatus       string      `json:"payment_status"`       // 入金状況, see PaymentStatuses
	AuthorizationStatus string      `json:"authorization_status"` // 承認状況, see AuthorizationStatuses
	AuthorizedOn        string      `json:"authorized_on"`        // 承認日 YYYY-MM-DD
	Carrier             string      `json:"carrier"`
	TrackingNumber      string      `json:"tracking_number"`
	ShippedOn           string      `json:"shipped_on"`
	DeliveryNotePrintOn string      `json:"delivery_note_print_on"` // 納品書印刷指示日
	ParentOrderID       string      `json:"parent_order_id,omitempty"`
	CancelType          string      `json:"cancel_type"` // see CancelTypes
	MergedIntoOrderID   string      `json:"merged_into_order_id,omitempty"`
	ExternalRef         string      `json:"external_ref"`
	ShipName            string      `json:"ship_name"`
	ShipPostalCode      string      `json:"ship_postal_code"`
	ShipAddress         string      `json:"ship_address"`
	ShipPhone           string      `json:"ship_phone"`
	Note                string      `json:"note"`
	Lines               []OrderLine `json:"lines"`
	Version             int         `json:"version"`
	CreatedAt           time.Time   `json:"created_at"`
	UpdatedAt           time.Time   `json:"updated_at"`
}

// OrderLine is one line of an order.
type OrderLine struct {
	ID        string `json:"id"`
	LineNo    int    `json:"line_no"`
	SKU       string `json:"sku"`
	Name      string `json:"name"`
	UnitPrice int64  `json:"unit_price"`
	Quantity  int    `json:"quantity"`
	TaxRate   int    `json:"tax_rate"` // percent
	Amount    int64  `json:"amount"`
}

// PurchaseCase is a purchase from a consumer (買取ケース): 宅配買取 or 一般仕入.
type PurchaseCase struct {
	ID             string    `json:"id"`
	Code           string    `json:"code"`
	Kind           string    `json:"kind"` // see CaseKinds
	ShopID         string    `json:"shop_id"`
	CustomerID     string    `json:"customer_id"`
	Status         string    `json:"status"` // see CaseStatuses
	ReceivedOn     string    `json:"received_on"`
	ConfirmedOn    string    `json:"confirmed_on"` // 買取確定日
	PurchaseAmount int64     `json:"purchase_amount"`
	ItemCount      int       `json:"item_count"`
	Note           string    `json:"note"`
	Version        int       `json:"version"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Subscription is a recurring order (定期受注) billed to a stored card.
type Subscription struct {
	ID            string    `json:"id"`
	Code          string    `json:"code"`
	ShopID        string    `json:"shop_id"`
	CustomerID    string    `json:"customer_id"`
	CardID        string    `json:"card_id,omitempty"`
	ProductName   string    `json:"product_name"`
	Amount        int64     `json:"amount"`
	CycleMonths   int       `json:"cycle_months"`
	NextBillingOn string    `json:"next_billing_on"`
	Status        string    `json:"status"` // see SubscriptionStatuses
	Note          string    `json:"note"`
	Version       int       `json:"version"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Status tables: one declaration each, read by the UI, the API, CSV import and tests.
var (
	CaseKinds = status.NewSet("買取種別",
		status.Status{Code: "takuhai", Label: "宅配買取"},
		status.Status{Code: "ippan", Label: "一般仕入"},
	)
	// CaseStatuses runs up to 入庫完了; a case may be paid (振込) once it is stocked.
	CaseStatuses = status.NewSet("買取ケースの状態",
		status.Status{Code: "received", Label: "受付", Actions: []string{"edit", "cancel"}},
		status.Status{Code: "arrived", Label: "到着", Actions: []string{"edit", "cancel"}},
		status.Status{Code: "appraising", Label: "査定中", Actions: []string{"edit", "cancel"}},
		status.Status{Code: "awaiting_consent", Label: "査定済・承諾待ち", Actions: []string{"edit", "cancel"}},
		status.Status{Code: "consented", Label: "買取承諾", Actions: []string{"edit", "cancel"}},
		status.Status{Code: "stocked", Label: "入庫完了", Level: "ok", Actions: []string{"edit", "transfer"}},
		status.Status{Code: "cancelled", Label: "キャンセル", Final: true},
	)
	OrderSources = status.NewSet("受注の取込元",
		status.Status{Code: "manual", Label: "手入力"},
		status.Status{Code: "csv", Label: "CSV"},
		status.Status{Code: "api", Label: "API"},
		status.Status{Code: "copy", Label: "複写"},
	)
	OrderStatuses = status.NewSet("受注状態",
		status.Status{Code: "new", Label: "新規受付", Actions: []string{"edit", "cancel"}},
		status.Status{Code: "awaiting_payment", Label: "入金待ち", Actions: []string{"edit", "cancel"}},
		status.Status{Code: "awaiting_shipment", Label: "出荷待ち", Actions: []string{"edit", "cancel", "ship"}},
		status.Status{Code: "on_hold", Label: "保留", Level: "warn", Actions: []string{"edit", "cancel"}},
		status.Status{Code: "shipped", Label: "出荷確定", Level: "ok", Actions: []string{"edit"}},
		status.Status{Code: "cancelled", Label: "キャンセル", Final: true},
	)
	PaymentStatuses = status.NewSet("入金状況",
		status.Status{Code: "unpaid", Label: "未入金"},
		status.Status{Code: "partially_paid", Label: "一部入金", Level: "warn"},
		status.Status{Code: "paid", Label: "入金済", Level: "ok"},
		status.Status{Code: "refunded", Label: "返金済"},
		status.Status{Code: "not_required", Label: "入金不要"},
	)
	AuthorizationStatuses = status.NewSet("承認状況",
		status.Status{Code: "not_required", Label: "承認不要"},
		status.Status{Code: "pending", Label: "未承認"},
		status.Status{Code: "authorized", Label: "承認済", Level: "ok"},
		status.Status{Code: "failed", Label: "承認NG", Level: "error"},
		status.Status{Code: "expired", Label: "与信期限切れ", Level: "warn"},
		status.Status{Code: "cancelled", Label: "取消済"},
	)
	PaymentMethods = status.NewSet("支払方法",
		status.Status{Code: "credit_card", Label: "クレジットカード"},
		status.Status{Code: "rakuten_pay", Label: "楽天ペイ"},
		status.Status{Code: "kantan", Label: "かんたん支払い"},
		status.Status{Code: "atobarai", Label: "クロネコ代金後払い"},
		status.Status{Code: "bank_transfer", Label: "銀行振込"},
		status.Status{Code: "cod", Label: "代金引換"},
	)
	CancelTypes = status.NewSet("キャンセル区分",
		status.Status{Code: "0", Label: "なし"},
		status.Status{Code: "1", Label: "キャンセル"},
		status.Status{Code: "2", Label: "分割"},
		status.Status{Code: "3", Label: "他伝票に統合"},
	)
	SubscriptionStatuses = status.NewSet("定期受注の状態",
		status.Status{Code: "active", Label: "継続中", Actions: []string{"edit", "pause", "cancel", "bill"}},
		status.Status{Code: "paused", Label: "休止中", Actions: []string{"edit", "resume", "cancel"}},
		status.Status{Code: "card_error", Label: "カードエラー", Level: "error", Actions: []string{"edit", "resume", "cancel"}},
		status.Status{Code: "cancelled", Label: "解約", Final: true},
	)
	CardStatuses = status.NewSet("カードの状態",
		status.Status{Code: "valid", Label: "有効", Level: "ok"},
		status.Status{Code: "invalid", Label: "無効", Level: "error"},
		status.Status{Code: "expired", Label: "期限切れ", Level: "warn"},
	)
	// AccountTypes are bankaccount.Types (the codes of 全銀 and GMO あおぞらネット銀行's API).
	AccountTypes = accountTypes()
)

func accountTypes() *status.Set {
	var sts []status.Status
	for _, t := range bankaccount.Types {
		sts = append(sts, status.Status{Code: t.Code, Label: t.Label})
	}
	return status.NewSet("預金種目", sts...)
}
