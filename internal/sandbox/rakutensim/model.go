package rakutensim

import (
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/rakuten"
)

// order is one Rakuten order as the Sim keeps it; render turns it into getOrder's OrderModel.
type order struct {
	Shop     string                 `json:"shop"`
	Number   string                 `json:"number"`
	Progress rakuten.OrderProgress  `json:"progress"`
	Method   rakuten.SettlementCode `json:"method"`
	RPay     bool                   `json:"rpay"`
	Goods    int64                  `json:"goods"`
	Postage  int64                  `json:"postage"`
	Charge   int64                  `json:"charge"` // paymentCharge (代引手数料)
	BasketID int64                  `json:"basket_id"`

	OrderedAt      time.Time `json:"ordered_at"`
	ConfirmedAt    time.Time `json:"confirmed_at,omitzero"`
	FixedAt        time.Time `json:"fixed_at,omitzero"`
	ShippingInstAt time.Time `json:"shipping_inst_at,omitzero"` // 発送指示日時
	ShipReportAt   time.Time `json:"ship_report_at,omitzero"`
	// ShipBy is the planned shipping date of a long-lead order (zero otherwise); a card
	// authorization is re-done 7 days before it.
	ShipBy       time.Time `json:"ship_by,omitzero"`
	ReauthDone   bool      `json:"reauth_done,omitempty"`
	ReauthResult string    `json:"reauth_result,omitempty"` // "ok" (default) or "ng"
	// Authorize says what happens when the order reaches 200: "" wait for a control, "ok", "ng".
	Authorize string `json:"authorize,omitempty"`

	Pay        payment               `json:"payment"`
	NGAt       time.Time             `json:"ng_at,omitzero"` // an unresolved authorization NG since
	CancelAt   time.Time             `json:"cancel_at,omitzero"`
	CancelFrom rakuten.OrderProgress `json:"cancel_from,omitempty"`

	Shippings []shipping             `json:"shippings,omitempty"`
	Changes   []rakuten.ChangeReason `json:"changes,omitempty"`
}

type payment struct {
	Status      rakuten.PaymentStatus `json:"status"`
	ProcReqAt   time.Time             `json:"proc_req_at,omitzero"`
	ProcOKAt    time.Time             `json:"proc_ok_at,omitzero"`
	ProcNGAt    time.Time             `json:"proc_ng_at,omitzero"`
	ReqAt       time.Time             `json:"req_at,omitzero"`
	FixAt       time.Time             `json:"fix_at,omitzero"`
	CancelledAt time.Time             `json:"cancelled_at,omitzero"`
}

type shipping struct {
	ID      int64  `json:"id"`
	Company string `json:"company"`
	Number  string `json:"number"`
	Date    string `json:"date"` // YYYY-MM-DD or ""
}

func (o *order) total() int64   { return o.Goods + o.Postage }
func (o *order) request() int64 { return o.total() + o.Charge }

func dt(t time.Time) rakuten.DateTime { return rakuten.At(t) }

func strp(s string) *string { return &s }
func intp(i int) *int       { return &i }

// render is the OrderModel of version 10 for o.
func (o *order) render() rakuten.Order {
	code := o.Method
	flag := 0
	if o.RPay {
		flag = 1
	}
	st := rakuten.Settlement{Code: &code, Name: code.Label(), RakutenPayFlag: &flag}
	if code.Card() {
		st.CardName, st.CardNumber = strp("VISA"), strp("XXXX-XXXX-XXXX-1111")
		st.CardOwner, st.CardYm = strp("RAKUTEN TARO"), strp("2030-12")
		st.CardPayType, st.CardInstallmentDesc = intp(0), strp("")
	}
	out := rakuten.Order{
		OrderNumber:             o.Number,
		OrderProgress:           o.Progress,
		OrderDatetime:           dt(o.OrderedAt),
		ShopOrderCfmDatetime:    dt(o.ConfirmedAt),
		OrderFixDatetime:        dt(o.FixedAt),
		ShippingInstDatetime:    dt(o.ShippingInstAt),
		ShippingCmplRptDatetime: dt(o.ShipReportAt),
		CancelDueDate:           rakuten.DateOf(o.OrderedAt.AddDate(1, 0, 0)),
		Remarks:                 "[配送日時指定:]\n\n",
		OrderType:               1,
		GoodsPrice:              o.Goods,
		GoodsTax:                o.Goods / 11,
		PostagePrice:            o.Postage,
		PaymentCharge:           o.Charge,
		TotalPrice:              o.total(),
		RequestPrice:            o.request(),
		Orderer: rakuten.Orderer{ZipCode1: "158", ZipCode2: "0094", Prefecture: "東京都", City: "世田谷区",
			SubAddress: "玉川一丁目14番1号", FamilyName: "楽天", FirstName: "太郎", FamilyNameKana: "ラクテン",
			FirstNameKana: "タロウ", PhoneNumber1: "03", PhoneNumber2: "0000", PhoneNumber3: "0000",
			EmailAddress: "buyer@sandbox.example"},
		Settlement:    st,
		Delivery:      &rakuten.Delivery{DeliveryName: "宅配便"},
		Point:         &rakuten.Point{},
		ChangeReasons: o.Changes,
	}
	if !o.ShipBy.IsZero() {
		out.DeliveryDate = rakuten.DateOf(o.ShipBy)
	}
	pkg := rakuten.Package{BasketID: o.BasketID, PostagePrice: o.Postage, GoodsPrice: o.Goods,
		Sender: rakuten.Sender{ZipCode1: "158", ZipCode2: "0094", Prefecture: "東京都", City: "世田谷区",
			SubAddress: "玉川一丁目14番1号", FamilyName: "楽天", FirstName: "太郎"},
		Items: []rakuten.Item{{ItemDetailID: o.BasketID, ItemName: "サンドボックス商品", ItemID: 10000001,
			ItemNumber: "sandbox-001", ManageNumber: "sandbox-001", Price: o.Goods, Units: 1, TaxRate: 0.1}},
		Shippings: []rakuten.Shipping{},
	}
	for _, sh := range o.Shippings {
		id := sh.ID
		s := rakuten.Shipping{ShippingDetailID: &id, ShippingNumber: sh.Number, DeliveryCompany: sh.Company,
			DeliveryCompanyName: companyName(sh.Company)}
		if sh.Date != "" {
			if t, err := time.ParseInLocation(rakuten.DateLayout, sh.Date, clock.JST); err == nil {
				s.ShippingDate = rakuten.Date{Time: t}
			}
		}
		pkg.Shippings = append(pkg.Shippings, s)
	}
	out.Packages = []rakuten.Package{pkg}
	if o.Progress == rakuten.ProgressRakutenHandling && !o.NGAt.IsZero() {
		out.DueDates = []rakuten.DueDate{{DueDateType: 1, DueDate: rakuten.DateOf(o.NGAt.Add(ngCancelAfter))}}
	}
	return out
}

// renderPayment is getPayment's OrderModel for o.
func (o *order) renderPayment() rakuten.OrderPayment {
	p := rakuten.Payment{
		OrderPaymentNumber:            o.Number + "-1",
		PaymentMethod:                 o.Method,
		PaymentAmount:                 o.request(),
		PaymentCharge:                 o.Charge,
		PaymentStatus:                 o.Pay.Status,
		PaymentProcReqDatetime:        dt(o.Pay.ProcReqAt),
		PaymentProcNgDatetime:         dt(o.Pay.ProcNGAt),
		PaymentProcCmplDatetime:       dt(o.Pay.ProcOKAt),
		PaymentReqDatetime:            dt(o.Pay.ReqAt),
		PaymentFixDatetime:            dt(o.Pay.FixAt),
		PaymentProcCancelCmplDatetime: dt(o.Pay.CancelledAt),
	}
	if o.Method.Card() {
		p.Card = &rakuten.PaymentCard{CardName: strp("VISA"), CardYm: strp("2030-12"),
			CardNumber: strp("XXXX-XXXX-XXXX-1111"), CardPayType: intp(0)}
	}
	if o.Method == rakuten.SettleBankTransfer && !o.Pay.FixAt.IsZero() {
		p.Bank = &rakuten.PaymentBank{TransferDate: rakuten.DateOf(o.Pay.FixAt), TransferNameKana: "ﾗｸﾃﾝ ﾀﾛｳ"}
	}
	return rakuten.OrderPayment{OrderNumber: o.Number, Payments: []rakuten.Payment{p}}
}

var companies = map[string]string{
	"1000": "その他", "1001": "ヤマト運輸", "1002": "佐川急便", "1003": "日本郵便", "1004": "西濃運輸",
	"1005": "セイノースーパーエクスプレス", "1006": "福山通運", "1007": "名鉄運輸", "1008": "トナミ運輸",
}

func companyName(code string) string { return companies[code] }
