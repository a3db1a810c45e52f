package yamato

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"kessai/internal/platform/clock"
)

// Item is one 明細 line. Negative prices and subtotals are discounts.
type Item struct {
	Name      string
	Count     int
	UnitPrice int64
	SubTotal  int64
}

// Destination is the 送り先 of a gift order (SendDiv 1).
type Destination struct {
	Name     string
	PostCode string
	Address  string // the whole address; split 25/25 like the buyer's
	Tel      string
}

// CreditRequest is a KAARA0010 決済依頼. The client converts names and addresses to 全角, splits
// the address and normalises telephone and postal codes before checking the rules, so callers
// pass what the buyer typed.
type CreditRequest struct {
	OrderNo     string    // ≤ 20 of [0-9A-Za-z_-], unique per merchant: the retry key
	OrderDate   time.Time // 受注日 (its JST date is sent)
	ShipDate    time.Time // 出荷予定日: on or after OrderDate, within 90 days
	Name        string    // 氏名, ≤ 30 全角
	NameKana    string    // optional, sent as 半角カナ
	PostCode    string    // 7 digits or 000-0000
	Address     string    // the whole address, starting with the prefecture
	Tel         string    // 10 digits (11 for mobiles), no or exactly two hyphens
	Email       string
	TotalAmount int64   // 1–999,999 yen, the sum of the items' subtotals
	SendDiv     SendDiv // SendSelf when empty
	Items       []Item  // 1–10 lines
	SendTo      *Destination
	FreeField   string // フリー項目 (billPostCode)
}

func ymd(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(clock.JST).Format("20060102")
}

// setItems writes the item lines; more than ten is reported as a field error.
func setItems(f url.Values, items []Item) []FieldError {
	var errs []FieldError
	if len(items) > ItemsMax {
		errs = append(errs, FieldError{Key: fmt.Sprintf("itemName%d", ItemsMax+1), Label: "購入商品名称",
			Message: fmt.Sprintf("明細は%d行までです（%d行あります）", ItemsMax, len(items))})
		items = items[:ItemsMax]
	}
	for i, it := range items {
		n := strconv.Itoa(i + 1)
		f.Set("itemName"+n, ToZenkaku(strings.TrimSpace(it.Name)))
		f.Set("itemCount"+n, strconv.Itoa(it.Count))
		f.Set("unitPrice"+n, strconv.FormatInt(it.UnitPrice, 10))
		f.Set("subTotal"+n, strconv.FormatInt(it.SubTotal, 10))
	}
	return errs
}

func setAddress(f url.Values, k1, k2, addr string) {
	a1, a2, _ := SplitAddress(addr) // an address over 50 characters fails the 住所２ length rule
	f.Set(k1, a1)
	f.Set(k2, a2)
}

// Form returns the request as the form the client sends (without the credentials and
// requestDate), with the extra errors that have no form field of their own.
func (r CreditRequest) Form() (url.Values, []FieldError) {
	f := url.Values{}
	f.Set("orderNo", r.OrderNo)
	f.Set("orderYmd", ymd(r.OrderDate))
	f.Set("shipYmd", ymd(r.ShipDate))
	f.Set("name", ToZenkaku(strings.TrimSpace(r.Name)))
	f.Set("nameKana", ToHankakuKana(strings.TrimSpace(r.NameKana)))
	f.Set("postCode", halfDigits(r.PostCode))
	setAddress(f, "address1", "address2", r.Address)
	f.Set("telNum", halfDigits(r.Tel))
	f.Set("email", strings.TrimSpace(r.Email))
	f.Set("totalAmount", strconv.FormatInt(r.TotalAmount, 10))
	div := r.SendDiv
	if div == "" {
		div = SendSelf
	}
	f.Set("sendDiv", string(div))
	errs := setItems(f, r.Items)
	if d := r.SendTo; d != nil {
		f.Set("sendName", ToZenkaku(strings.TrimSpace(d.Name)))
		f.Set("sendPostCode", halfDigits(d.PostCode))
		setAddress(f, "sendAddress1", "sendAddress2", d.Address)
		f.Set("sendTelNum", halfDigits(d.Tel))
	}
	f.Set("billPostCode", r.FreeField)
	return f, errs
}

// Decision is what a credit answer means for the order.
type Decision int

const (
	// Approved: returnCode 0, result 0 and a requestDate — the only answer that makes an order.
	Approved Decision = iota
	// Refused: ご利用不可 or 限度額超過.
	Refused
	// Pending: 審査中 (SMS authentication or manual review); read the result again later.
	Pending
	// Unclear: an answer that is neither (an unknown result, or result 0 without requestDate).
	// Treat it like an unknown outcome: ask KAARS0010 before doing anything else.
	Unclear
)

func (d Decision) String() string {
	switch d {
	case Approved:
		return "与信OK"
	case Refused:
		return "与信NG"
	case Pending:
		return "与信保留"
	}
	return "与信結果不明"
}

// CreditAnswer is the answer of KAARA0010 or KAARS0010.
type CreditAnswer struct {
	Answer
	Result CreditResult
}

// Decision classifies the answer the way production clients do: an order exists only for
// returnCode 0, result 0 and a non-empty requestDate (returnDate does not count).
func (a CreditAnswer) Decision() Decision {
	if a.ReturnCode != ReturnOK {
		return Unclear
	}
	switch a.Result {
	case CreditOK:
		if a.HasRequestDate {
			return Approved
		}
	case CreditNG, CreditOverMax:
		return Refused
	case CreditReviewed:
		return Pending
	}
	return Unclear
}

// Credit sends a 決済依頼 (KAARA0010). A refusal of the request itself (a field Yamato does not
// accept, a duplicate orderNo) is an *APIError; a credit decision, good or bad, is the answer.
func (c *Client) Credit(ctx context.Context, r CreditRequest) (CreditAnswer, error) {
	f, extra := r.Form()
	a, err := c.post(ctx, APICredit, f, extra...)
	return CreditAnswer{Answer: a, Result: CreditResult(a.Result)}, err
}

func orderForm(orderNo string) url.Values {
	f := url.Values{}
	f.Set("orderNo", orderNo)
	return f
}

// CreditResult reads the credit result of an order (KAARS0010). A cancelled order is an error
// (kaars008E), not a result.
func (c *Client) CreditResult(ctx context.Context, orderNo string) (CreditAnswer, error) {
	a, err := c.post(ctx, APIResult, orderForm(orderNo))
	return CreditAnswer{Answer: a, Result: CreditResult(a.Result)}, err
}

// StatusAnswer is the answer of KAAST0010.
type StatusAnswer struct {
	Answer
	Status  Status
	Warning Warning
}

// Status reads the 取引状況 and warning of an order (KAAST0010).
func (c *Client) Status(ctx context.Context, orderNo string) (StatusAnswer, error) {
	a, err := c.post(ctx, APIStatus, orderForm(orderNo))
	return StatusAnswer{Answer: a, Status: Status(a.Result), Warning: Warning(a.Warning)}, err
}

// ShipmentRequest is a KAASL0010 出荷情報登録.
type ShipmentRequest struct {
	OrderNo          string
	TrackingNo       string     // 送り状番号; hyphens are removed. Empty for ProcessCancel
	ProcessDiv       ProcessDiv // ProcessRegister when empty
	ShipDate         time.Time  // required for ProcessChange, not sent for ProcessCancel
	BeforeTrackingNo string     // for ProcessChange
}

// Form returns the request as the form the client sends.
func (r ShipmentRequest) Form() url.Values {
	f := orderForm(r.OrderNo)
	div := r.ProcessDiv
	if div == "" {
		div = ProcessRegister
	}
	f.Set("processDiv", string(div))
	no := halfDigits(r.TrackingNo)
	if div != ProcessOther {
		no = strings.ReplaceAll(no, "-", "") // ヤマト numbers are sent as 12 digits; others as given
	}
	f.Set("paymentNo", no)
	f.Set("shipYmd", ymd(r.ShipDate))
	f.Set("beforePaymentNo", strings.ReplaceAll(halfDigits(r.BeforeTrackingNo), "-", ""))
	return f
}

// RegisterShipment registers, changes or cancels the tracking number of an order (KAASL0010);
// Yamato sends the invoice once the parcel is delivered.
func (c *Client) RegisterShipment(ctx context.Context, r ShipmentRequest) (Answer, error) {
	return c.post(ctx, APIShipment, r.Form())
}

// Cancel cancels the credit of an order (KAACL0010).
func (c *Client) Cancel(ctx context.Context, orderNo string) (Answer, error) {
	return c.post(ctx, APICancel, orderForm(orderNo))
}

// ReductionRequest is a KAAKK0010 金額変更（減額）: the new items and total. Yamato accepts only
// a total below the first one and different from the current one; a change of content with the
// same amount is refused (kaakk049E).
type ReductionRequest struct {
	OrderNo     string
	ShipDate    time.Time // optional 出荷予定日
	PostCode    string
	Address     string
	Items       []Item
	TotalAmount int64
	SendDiv     string // optional: "0" 別送, "1" 同梱
	FreeField   string
}

// Form returns the request as the form the client sends.
func (r ReductionRequest) Form() (url.Values, []FieldError) {
	f := orderForm(r.OrderNo)
	f.Set("shipYmd", ymd(r.ShipDate))
	f.Set("postCode", halfDigits(r.PostCode))
	setAddress(f, "address1", "address2", r.Address)
	errs := setItems(f, r.Items)
	f.Set("totalAmount", strconv.FormatInt(r.TotalAmount, 10))
	f.Set("sendDiv", r.SendDiv)
	f.Set("billPostCode", r.FreeField)
	return f, errs
}

// ReduceAmount lowers the billed amount of an order (KAAKK0010).
func (c *Client) ReduceAmount(ctx context.Context, r ReductionRequest) (Answer, error) {
	f, extra := r.Form()
	return c.post(ctx, APIReduce, f, extra...)
}

// ReissueRequest is a KAARR0010 請求書再発行. For ReissueWithdraw only OrderNo is needed.
type ReissueRequest struct {
	OrderNo     string
	Contents    ReissueContents
	Reason      ReissueReason
	ReasonOther string // ≤ 25 全角, for ReasonOther
	ShipDate    time.Time
	SendDiv     string
	PostCode    string
	Address     string
	Items       []Item
	FreeField   string
}

// Form returns the request as the form the client sends.
func (r ReissueRequest) Form() (url.Values, []FieldError) {
	f := orderForm(r.OrderNo)
	f.Set("requestContents", string(r.Contents))
	if r.Contents == ReissueWithdraw {
		return f, nil
	}
	f.Set("reasonReissue", string(r.Reason))
	f.Set("reasonReissueEtc", ToZenkaku(strings.TrimSpace(r.ReasonOther)))
	f.Set("shipYmd", ymd(r.ShipDate))
	f.Set("sendDiv", r.SendDiv)
	f.Set("postCode", halfDigits(r.PostCode))
	setAddress(f, "address1", "address2", r.Address)
	errs := setItems(f, r.Items)
	f.Set("billPostCode", r.FreeField)
	return f, errs
}

// ReissueInvoice asks for a new invoice or withdraws that request (KAARR0010). The answer's
// ReissueCode is kept verbatim (its meaning is not public).
func (c *Client) ReissueInvoice(ctx context.Context, r ReissueRequest) (Answer, error) {
	f, extra := r.Form()
	return c.post(ctx, APIReissue, f, extra...)
}

// SMSAnswer is the answer of KAASA0020.
type SMSAnswer struct {
	Answer
	Result SMSResult
}

// VerifySMS checks the code the buyer received by SMS (KAASA0020). After SMSOK, read the
// order's status (KAAST0010).
func (c *Client) VerifySMS(ctx context.Context, orderNo, code string) (SMSAnswer, error) {
	f := orderForm(orderNo)
	f.Set("ninCode", halfDigits(code))
	a, err := c.post(ctx, APISMSVerify, f)
	return SMSAnswer{Answer: a, Result: SMSResult(a.Result)}, err
}
