package rakuten

// Wire models of RakutenPayOrderAPI. Field names are Rakuten's (capitalised sub-model names such
// as SettlementModel are Rakuten's own). Optional values are pointers: Rakuten sends null for
// the card fields of a non-card order, and old API versions lack settlementMethodCode.

// Undetermined is Rakuten's amount value for 未確定 (-9999).
const Undetermined int64 = -9999

// Order is getOrder's OrderModel (version 10), the fields kessai reads.
type Order struct {
	OrderNumber             string         `json:"orderNumber"`
	OrderProgress           OrderProgress  `json:"orderProgress"`
	SubStatusID             *int64         `json:"subStatusId"`
	SubStatusName           *string        `json:"subStatusName"`
	OrderDatetime           DateTime       `json:"orderDatetime"`
	ShopOrderCfmDatetime    DateTime       `json:"shopOrderCfmDatetime"`
	OrderFixDatetime        DateTime       `json:"orderFixDatetime"`
	ShippingInstDatetime    DateTime       `json:"shippingInstDatetime"` // 発送指示日時
	ShippingCmplRptDatetime DateTime       `json:"shippingCmplRptDatetime"`
	CancelDueDate           Date           `json:"cancelDueDate"`
	DeliveryDate            Date           `json:"deliveryDate"`
	ShippingTerm            *int           `json:"shippingTerm"`
	Remarks                 string         `json:"remarks"`
	GiftCheckFlag           int            `json:"giftCheckFlag"`
	OrderType               int            `json:"orderType"`
	RakutenConfirmFlag      int            `json:"rakutenConfirmFlag"`
	GoodsPrice              int64          `json:"goodsPrice"`
	GoodsTax                int64          `json:"goodsTax"`
	PostagePrice            int64          `json:"postagePrice"`
	DeliveryPrice           int64          `json:"deliveryPrice"`
	PaymentCharge           int64          `json:"paymentCharge"`
	TotalPrice              int64          `json:"totalPrice"`
	RequestPrice            int64          `json:"requestPrice"`
	CouponAllTotalPrice     int64          `json:"couponAllTotalPrice"`
	Memo                    *string        `json:"memo"`
	Orderer                 Orderer        `json:"OrdererModel"`
	Settlement              Settlement     `json:"SettlementModel"`
	Delivery                *Delivery      `json:"DeliveryModel"`
	Point                   *Point         `json:"PointModel"`
	Packages                []Package      `json:"PackageModelList"`
	ChangeReasons           []ChangeReason `json:"ChangeReasonModelList"`
	DueDates                []DueDate      `json:"DueDateModelList"`
}

// Orderer is OrdererModel.
type Orderer struct {
	ZipCode1       string `json:"zipCode1"`
	ZipCode2       string `json:"zipCode2"`
	Prefecture     string `json:"prefecture"`
	City           string `json:"city"`
	SubAddress     string `json:"subAddress"`
	FamilyName     string `json:"familyName"`
	FirstName      string `json:"firstName"`
	FamilyNameKana string `json:"familyNameKana"`
	FirstNameKana  string `json:"firstNameKana"`
	PhoneNumber1   string `json:"phoneNumber1"`
	PhoneNumber2   string `json:"phoneNumber2"`
	PhoneNumber3   string `json:"phoneNumber3"`
	EmailAddress   string `json:"emailAddress"`
}

// Settlement is SettlementModel. Code is nil only in answers of old API versions.
type Settlement struct {
	Code                *SettlementCode `json:"settlementMethodCode"`
	Name                string          `json:"settlementMethod"` // display only: Rakuten renames
	RakutenPayFlag      *int            `json:"rpaySettlementFlag"`
	CardName            *string         `json:"cardName"`
	CardNumber          *string         `json:"cardNumber"`
	CardOwner           *string         `json:"cardOwner"`
	CardYm              *string         `json:"cardYm"`
	CardPayType         *int            `json:"cardPayType"`
	CardInstallmentDesc *string         `json:"cardInstallmentDesc"`
}

// RakutenPay reports whether the order uses 楽天市場の共通決済 (rpaySettlementFlag 1).
func (s Settlement) RakutenPay() bool { return s.RakutenPayFlag != nil && *s.RakutenPayFlag == 1 }

// Method is the settlement code, or 0 when the answer had none.
func (s Settlement) Method() SettlementCode {
	if s.Code == nil {
		return 0
	}
	return *s.Code
}

// Delivery is DeliveryModel.
type Delivery struct {
	DeliveryName  string `json:"deliveryName"`
	DeliveryClass *int   `json:"deliveryClass"`
}

// Point is PointModel.
type Point struct {
	UsedPoint int64 `json:"usedPoint"`
}

// Package is one PackageModel (送付先).
type Package struct {
	BasketID     int64      `json:"basketId"`
	PostagePrice int64      `json:"postagePrice"`
	GoodsPrice   int64      `json:"goodsPrice"`
	Sender       Sender     `json:"SenderModel"`
	Items        []Item     `json:"ItemModelList"`
	Shippings    []Shipping `json:"ShippingModelList"`
}

// Sender is SenderModel (送付先).
type Sender struct {
	ZipCode1   string `json:"zipCode1"`
	ZipCode2   string `json:"zipCode2"`
	Prefecture string `json:"prefecture"`
	City       string `json:"city"`
	SubAddress string `json:"subAddress"`
	FamilyName string `json:"familyName"`
	FirstName  string `json:"firstName"`
}

// Item is ItemModel.
type Item struct {
	ItemDetailID int64   `json:"itemDetailId"`
	ItemName     string  `json:"itemName"`
	ItemID       int64   `json:"itemId"`
	ItemNumber   string  `json:"itemNumber"`
	ManageNumber string  `json:"manageNumber"`
	Price        int64   `json:"price"`
	Units        int     `json:"units"`
	TaxRate      float64 `json:"taxRate"`
}

// Shipping is ShippingModel (発送明細).
type Shipping struct {
	ShippingDetailID    *int64 `json:"shippingDetailId"`
	ShippingNumber      string `json:"shippingNumber"`
	DeliveryCompany     string `json:"deliveryCompany"`
	DeliveryCompanyName string `json:"deliveryCompanyName"`
	ShippingDate        Date   `json:"shippingDate"`
}

// ChangeReason is ChangeReasonModel.
type ChangeReason struct {
	ChangeID            int64    `json:"changeId"`
	ChangeType          *int     `json:"changeType"` // 8 注文確認, 9 再決済手続き, …
	ChangeTypeDetail    *int     `json:"changeTypeDetail"`
	ChangeReason        *int     `json:"changeReason"`
	ChangeReasonDetail  *int     `json:"changeReasonDetail"`
	ChangeApplyDatetime DateTime `json:"changeApplyDatetime"`
	ChangeFixDatetime   DateTime `json:"changeFixDatetime"`
	ChangeCmplDatetime  DateTime `json:"changeCmplDatetime"`
}

// ChangeReasonModel.changeType values kessai reads.
const (
	ChangeTypeConfirm  = 8 // 注文確認
	ChangeTypeRepay    = 9 // 再決済手続き (payment method changed, re-authorization)
	ChangeDetailAmount = 1 // changeTypeDetail: 金額変更 (an assumption of the simulator)
	ChangeDetailMethod = 10
)

// DueDate is DueDateModel.
type DueDate struct {
	DueDateType int  `json:"dueDateType"` // 0 支払い期限日, 1 支払い方法変更期限日, 2 返金手続き期限日
	DueDate     Date `json:"dueDate"`
}

// OrderPayment is getPayment's OrderModel: the order's 支払明細.
type OrderPayment struct {
	OrderNumber string    `json:"orderNumber"`
	Payments    []Payment `json:"PaymentModelList"`
}

// Payment is one PaymentModel.
type Payment struct {
	OrderPaymentNumber            string         `json:"orderPaymentNumber"`
	PaymentMethod                 SettlementCode `json:"paymentMethod"`
	PaymentAmount                 int64          `json:"paymentAmount"`
	PaymentCharge                 int64          `json:"paymentCharge"`
	PaymentStatus                 PaymentStatus  `json:"paymentStatus"`
	PaymentProcReqDatetime        DateTime       `json:"paymentProcReqDatetime"`
	PaymentProcNgDatetime         DateTime       `json:"paymentProcNgDatetime"`
	PaymentProcCmplDatetime       DateTime       `json:"paymentProcCmplDatetime"`
	PaymentProcCancelCmplDatetime DateTime       `json:"paymentProcCancelCmplDatetime"`
	PaymentReqDatetime            DateTime       `json:"paymentReqDatetime"`
	PaymentNgDatetime             DateTime       `json:"paymentNgDatetime"`
	PaymentFixDatetime            DateTime       `json:"paymentFixDatetime"`
	PaymentCancelCmplDatetime     DateTime       `json:"paymentCancelCmplDatetime"`
	PayExpectDate                 Date           `json:"payExpectDate"`
	Card                          *PaymentCard   `json:"PaymentCardModel"`
	Bank                          *PaymentBank   `json:"PaymentBankModel"`
}

// PaymentCard is PaymentCardModel.
type PaymentCard struct {
	CardName    *string `json:"cardName"`
	CardYm      *string `json:"cardYm"`
	CardNumber  *string `json:"cardNumber"`
	CardPayType *int    `json:"cardPayType"`
}

// PaymentBank is PaymentBankModel.
type PaymentBank struct {
	TransferDate     Date   `json:"transferDate"` // 振込日
	TransferNameKana string `json:"transferNameKana"`
}

// DateType is searchOrder's dateType.
type DateType int

const (
	DateOrdered      DateType = 1 // 注文日
	DateConfirmed    DateType = 2 // 注文確認日
	DateFixed        DateType = 3 // 注文確定日
	DateShipped      DateType = 4 // 発送日
	DateShipReported DateType = 5 // 発送完了報告日
	DatePaymentFixed DateType = 6 // 決済確定日
)

// SearchRequest is searchOrder's request. Start and End bound the window (≤ 63 days).
type SearchRequest struct {
	DateType          DateType          `json:"dateType"`
	StartDatetime     DateTime          `json:"startDatetime"`
	EndDatetime       DateTime          `json:"endDatetime"`
	OrderProgressList []OrderProgress   `json:"orderProgressList,omitempty"`
	SubStatusIDList   []int             `json:"subStatusIdList,omitempty"` // [-1]: no sub-status (needs orderProgressList)
	OrderTypeList     []int             `json:"orderTypeList,omitempty"`   // 1 通常購入, 4 定期購入, 5 頒布会, 6 予約商品
	SettlementMethod  *SettlementCode   `json:"settlementMethod,omitempty"`
	Pagination        PaginationRequest `json:"PaginationRequestModel"`
}

// PaginationRequest is PaginationRequestModel.
type PaginationRequest struct {
	RecordsAmount int         `json:"requestRecordsAmount"`
	Page          int         `json:"requestPage"`
	Sort          []SortModel `json:"SortModelList,omitempty"`
}

// SortModel orders searchOrder's hits; column 1 (注文日時) is the only one.
type SortModel struct {
	Column    int `json:"sortColumn"`
	Direction int `json:"sortDirection"` // 1 ascending, 2 descending
}

// Pagination is PaginationResponseModel; Rakuten sends nulls for zero hits.
type Pagination struct {
	TotalRecordsAmount *int `json:"totalRecordsAmount"`
	TotalPages         *int `json:"totalPages"`
	RequestPage        *int `json:"requestPage"`
}

// Total is totalRecordsAmount (0 when null).
func (p *Pagination) Total() int {
	if p == nil || p.TotalRecordsAmount == nil {
		return 0
	}
	return *p.TotalRecordsAmount
}

// Pages is totalPages (0 when null).
func (p *Pagination) Pages() int {
	if p == nil || p.TotalPages == nil {
		return 0
	}
	return *p.TotalPages
}

// SearchResult is searchOrder's answer.
type SearchResult struct {
	OrderNumbers []string    `json:"orderNumberList"`
	Messages     Messages    `json:"MessageModelList"`
	Pagination   *Pagination `json:"PaginationResponseModel"`
}

// ShippingUpdate is updateOrderShipping's request.
type ShippingUpdate struct {
	OrderNumber string           `json:"orderNumber"`
	Baskets     []BasketShipping `json:"BasketidModelList"`
}

// BasketShipping is one BasketidModel.
type BasketShipping struct {
	BasketID  int64           `json:"basketId"`
	Shippings []ShippingWrite `json:"ShippingModelList"`
}

// ShippingWrite is one ShippingModel to add (no ShippingDetailID), update or delete. Nil fields
// are left out and stay unchanged at Rakuten; an empty string deletes the value.
type ShippingWrite struct {
	ShippingDetailID   *int64  `json:"shippingDetailId,omitempty"`
	DeliveryCompany    *string `json:"deliveryCompany,omitempty"`
	ShippingNumber     *string `json:"shippingNumber,omitempty"`
	ShippingDate       *string `json:"shippingDate,omitempty"` // YYYY-MM-DD
	ShippingDeleteFlag *int    `json:"shippingDeleteFlag,omitempty"`
}

// CancelRequest is cancelOrder's (and cancelOrderAfterShipping's) request.
type CancelRequest struct {
	OrderNumber             string `json:"orderNumber"`
	InventoryRestoreType    int    `json:"inventoryRestoreType"`    // 0 商品設定に合わせる, 1 在庫連動する, 2 在庫連動しない
	ChangeReasonDetailApply int    `json:"changeReasonDetailApply"` // 1 キャンセル … 15 返品
}

// Cancel reasons (changeReasonDetailApply).
const (
	CancelReasonBuyerCancel   = 1  // お客様都合: キャンセル
	CancelReasonReturned      = 2  // 受取後の返品
	CancelReasonAbsent        = 3  // 長期不在による受取拒否
	CancelReasonUnpaid        = 4  // 未入金
	CancelReasonCODRefused    = 5  // 代引決済の受取拒否
	CancelReasonBuyerOther    = 6  // お客様都合: その他
	CancelReasonOutOfStock    = 8  // 欠品
	CancelReasonShopOther     = 10 // 店舗様都合: その他
	CancelReasonShippingDelay = 13 // 発送遅延
	CancelReasonCaution       = 14 // 顧客・配送対応注意表示
	CancelReasonDamagedReturn = 15 // 返品（破損・品間違い）
)

// CancelReasons lists the values changeReasonDetailApply accepts.
func CancelReasons() []int { return []int{1, 2, 3, 4, 5, 6, 8, 10, 13, 14, 15} }
