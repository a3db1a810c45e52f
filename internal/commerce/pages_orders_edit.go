package commerce

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"kessai/internal/platform/clock"
	"kessai/internal/platform/errs"
	"kessai/internal/web"
)

// blankLines is how many empty line rows the order form offers below the filled ones, so
// lines can be added without JavaScript (「行を追加」 re-renders with more).
const blankLines = 5

// datetimeLocal is the value format of <input type="datetime-local">, read and shown in JST.
const datetimeLocal = "2006-01-02T15:04"

// lineInput is one line row as typed, kept as text so a bad value is shown back unchanged.
type lineInput struct {
	SKU, Name, UnitPrice, Quantity string
	TaxRate                        int
}

// orderForm is what the order create/edit form shows.
type orderForm struct {
	Order        Order
	CustomerCode string
	OrderedAt    string // datetime-local in JST
	Tax          string // "" means computed from the lines
	ShippingFee  string
	Lines        []lineInput
	Blank        []int // indexes of the empty rows after Lines
	Subtotal     int64 // computed from the lines that read cleanly
	TaxShown     int64 // Tax, or the computed default
	Total        int64
	New          bool
	CopyOf       string // number of the order being copied (source = copy)
	Errors       map[string]string
	Conflict     string

	Shops                                                                 []Shop
	ShopName                                                              string
	Methods, OrderStatuses, PaymentStatuses, AuthorizationStatuses, Rates []web.Option
}

// DefaultOrderTax is the consumption tax of lines priced without tax (税抜): for each rate,
// the sum of that rate's lines times the rate, rounded down once per rate — the invoice rule
// (適格請求書: one rounding per rate and slip), not per line. The shipping fee is taken as
// entered (税込), so it adds nothing here.
func DefaultOrderTax(lines []OrderLine) int64 {
	base := map[int]int64{}
	for _, l := range lines {
		base[l.TaxRate] += l.UnitPrice * int64(l.Quantity)
	}
	var tax int64
	for rate, b := range base {
		if b > 0 {
			tax += b * int64(rate) / 100
		}
	}
	return tax
}

var taxRateOptions = []web.Option{{Value: "10", Label: "10%（標準）"}, {Value: "8", Label: "8%（軽減）"}, {Value: "0", Label: "0%（非課税）"}}

func (p *Pages) renderOrderForm(w http.ResponseWriter, r *http.Request, status int, f orderForm) {
	shops, err := p.store.ListShops(r.Context())
	if err != nil {
		p.fail(w, r, err)
		return
	}
	f.Shops = shops
	for _, s := range shops {
		if s.ID == f.Order.ShopID {
			f.ShopName = s.Name + "（" + s.Code + "）"
		}
	}
	f.Methods, f.PaymentStatuses, f.AuthorizationStatuses = web.Options(PaymentMethods), web.Options(PaymentStatuses), web.Options(AuthorizationStatuses)
	f.Rates = taxRateOptions
	// Cancel and 出荷確定 have their own buttons (they set the cancel type, need a tracking number).
	for _, st := range OrderStatuses.All() {
		if (st.Code == "cancelled" || st.Code == "shipped") && st.Code != f.Order.OrderStatus {
			continue
		}
		f.OrderStatuses = append(f.OrderStatuses, web.Option{Value: st.Code, Label: st.Label})
	}
	f.Blank = f.Blank[:0]
	for i := range blankLines {
		f.Blank = append(f.Blank, len(f.Lines)+i)
	}
	title := "受注の登録"
	switch {
	case f.CopyOf != "":
		title = "受注の登録（" + f.CopyOf + " を複写）"
	case !f.New:
		title = "受注 " + f.Order.Number + " の編集"
	}
	p.render.Render(w, r, status, "commerce/order_form.html", web.View{Title: title, Nav: "orders", Data: f})
}

// orderFormOf fills the form from a stored (or copied) order.
func orderFormOf(o Order, customerCode string) orderForm {
	f := orderForm{Order: o, CustomerCode: customerCode, OrderedAt: web.FormatJST(o.OrderedAt, datetimeLocal),
		ShippingFee: strconv.FormatInt(o.ShippingFee, 10), Subtotal: o.Subtotal, TaxShown: o.Tax, Total: o.Total}
	// A tax equal to the computed default stays blank, so editing the lines recomputes it.
	if o.Tax != DefaultOrderTax(o.Lines) {
		f.Tax = strconv.FormatInt(o.Tax, 10)
	}
	for _, l := range o.Lines {
		f.Lines = append(f.Lines, lineInput{SKU: l.SKU, Name: l.Name, UnitPrice: strconv.FormatInt(l.UnitPrice, 10),
			Quantity: strconv.Itoa(l.Quantity), TaxRate: l.TaxRate})
	}
	return f
}

func (p *Pages) newOrder(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	if id := q.Get("copy"); id != "" {
		src, err := p.store.GetOrder(ctx, id)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		code, err := p.customerCode(r, src.CustomerID)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		f := orderFormOf(copyOrder(src, p.store.now()), code)
		f.New, f.CopyOf = true, src.Number
		p.renderOrderForm(w, r, http.StatusOK, f)
		return
	}
	o := Order{Source: "manual", OrderStatus: "new", PaymentStatus: "unpaid", PaymentMethod: "credit_card", OrderedAt: p.store.now()}
	if shops, err := p.store.ListShops(ctx); err == nil && len(shops) == 1 {
		o.ShopID = shops[0].ID
	}
	f := orderFormOf(o, q.Get("customer"))
	f.New, f.ShippingFee = true, ""
	p.renderOrderForm(w, r, http.StatusOK, f)
}

// copyOrder is what 「複写して新規作成」 starts from: the same shop, customer, payment method,
// ship-to, lines and money, as a new slip — status back to 新規受付, nothing of the original's
// payment, authorisation, shipment or links to other slips.
func copyOrder(src Order, now time.Time) Order {
	o := Order{ShopID: src.ShopID, CustomerID: src.CustomerID, Source: "copy", OrderedAt: now,
		Subtotal: src.Subtotal, Tax: src.Tax, ShippingFee: src.ShippingFee, Total: src.Total,
		PaymentMethod: src.PaymentMethod, OrderStatus: "new", PaymentStatus: "unpaid", Carrier: src.Carrier,
		ShipName: src.ShipName, ShipPostalCode: src.ShipPostalCode, ShipAddress: src.ShipAddress, ShipPhone: src.ShipPhone,
		Note: src.Note}
	for _, l := range src.Lines {
		l.ID = ""
		o.Lines = append(o.Lines, l)
	}
	return o
}

func (p *Pages) customerCode(r *http.Request, id string) (string, error) {
	if id == "" {
		return "", nil
	}
	c, err := p.store.GetCustomer(r.Context(), id)
	if err != nil {
		return "", err
	}
	return c.Code, nil
}

// numberText reads a typed number: full-width digits and thousands commas are fine.
func numberText(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(norm.NFKC.String(s)), ",", "")
}

func parseNumber(s, field, label string, f errs.Fields) int64 {
	s = numberText(s)
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f.Add(field, label+"は半角の整数で入力してください")
	}
	return n
}

// formLineIndexes returns the row numbers present in the form (lines.N.*), in order.
func formLineIndexes(r *http.Request) []int {
	seen := map[int]bool{}
	for k := range r.PostForm {
		rest, ok := strings.CutPrefix(k, "lines.")
		if !ok {
			continue
		}
		n, _, _ := strings.Cut(rest, ".")
		if i, err := strconv.Atoi(n); err == nil && i >= 0 && i < 1000 {
			seen[i] = true
		}
	}
	out := make([]int, 0, len(seen))
	for i := range seen {
		out = append(out, i)
	}
	sort.Ints(out)
	return out
}

// readOrder reads the form into o (which holds the stored order when editing) and f. Empty
// line rows are dropped; the kept rows are renumbered, so the store's "lines.N.field" errors
// match the rows shown back. The money is recomputed: subtotal from the lines, tax as typed
// (blank: DefaultOrderTax), total = subtotal + tax + shipping.
func (p *Pages) readOrder(r *http.Request, o *Order, f *orderForm) error {
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("フォームを読み取れません").Wrap(err)
	}
	fe := errs.Fields{}
	v := func(k string) string { return strings.TrimSpace(r.PostForm.Get(k)) }
	f.CustomerCode = v("customer_code")
	o.CustomerID = ""
	if f.CustomerCode != "" {
		c, err := p.store.GetCustomerByCode(r.Context(), f.CustomerCode)
		switch {
		case IsNotFound(err):
			fe.Add("customer_id", "顧客番号 "+f.CustomerCode+" の顧客が見つかりません")
		case err != nil:
			return err
		default:
			o.CustomerID = c.ID
		}
	}
	if o.ID == "" {
		o.ShopID = v("shop_id")
		o.Source = "manual"
		if v("source") == "copy" {
			o.Source = "copy"
		}
	}
	f.OrderedAt = v("ordered_at")
	o.OrderedAt = time.Time{}
	if f.OrderedAt != "" {
		t, err := time.ParseInLocation(datetimeLocal, f.OrderedAt, clock.JST)
		if err != nil {
			t, err = time.ParseInLocation(datetimeLocal+":05", f.OrderedAt, clock.JST)
		}
		if err != nil {
			fe.Add("ordered_at", "受注日時は 2026-04-01T10:30 の形で入力してください")
		}
		o.OrderedAt = t.UTC()
	} else {
		fe.Add("ordered_at", "受注日時を入力してください")
	}
	o.PaymentMethod, o.PaymentStatus, o.AuthorizationStatus = v("payment_method"), v("payment_status"), v("authorization_status")
	o.AuthorizedOn = v("authorized_on")
	status := v("order_status")
	switch {
	case status == o.OrderStatus:
	case status == "cancelled":
		fe.Add("order_status", "キャンセルは受注詳細の「キャンセル」ボタンから行ってください")
	case status == "shipped":
		fe.Add("order_status", "出荷確定は受注詳細の「出荷確定」から、送り状番号とともに行ってください")
	}
	o.OrderStatus = status
	o.Carrier, o.TrackingNumber, o.ShippedOn, o.DeliveryNotePrintOn = v("carrier"), v("tracking_number"), v("shipped_on"), v("delivery_note_print_on")
	o.ShipName, o.ShipPostalCode, o.ShipAddress, o.ShipPhone = v("ship_name"), v("ship_postal_code"), v("ship_address"), v("ship_phone")
	o.Note = r.PostForm.Get("note")

	o.Lines, f.Lines = []OrderLine{}, nil
	for _, i := range formLineIndexes(r) {
		key := fmt.Sprintf("lines.%d.", i)
		in := lineInput{SKU: v(key + "sku"), Name: v(key + "name"), UnitPrice: v(key + "unit_price"), Quantity: v(key + "quantity")}
		if in.SKU == "" && in.Name == "" && in.UnitPrice == "" && in.Quantity == "" {
			continue
		}
		n := len(f.Lines) // the row's number once empty rows are gone
		ek, label := fmt.Sprintf("lines.%d.", n), fmt.Sprintf("%d行目の", n+1)
		in.TaxRate = int(parseNumber(v(key+"tax_rate"), ek+"tax_rate", label+"税率", fe))
		l := OrderLine{SKU: in.SKU, Name: in.Name, TaxRate: in.TaxRate}
		if numberText(in.UnitPrice) == "" {
			fe.Add(ek+"unit_price", label+"単価を入力してください（無償なら0）")
		}
		l.UnitPrice = parseNumber(in.UnitPrice, ek+"unit_price", label+"単価", fe)
		l.Quantity = int(parseNumber(in.Quantity, ek+"quantity", label+"数量", fe))
		f.Lines = append(f.Lines, in)
		o.Lines = append(o.Lines, l)
	}
	f.Tax, f.ShippingFee = v("tax"), v("shipping_fee")
	o.ShippingFee = parseNumber(f.ShippingFee, "shipping_fee", "送料", fe)
	if numberText(f.Tax) == "" {
		o.Tax = DefaultOrderTax(o.Lines)
	} else {
		o.Tax = parseNumber(f.Tax, "tax", "消費税", fe)
	}
	o.Subtotal, o.Total = 0, 0
	for i := range o.Lines {
		o.Lines[i].Amount = 0
		f.Subtotal += o.Lines[i].UnitPrice * int64(o.Lines[i].Quantity)
	}
	f.TaxShown, f.Total = o.Tax, f.Subtotal+o.Tax+o.ShippingFee
	if n, err := strconv.Atoi(v("version")); err == nil {
		o.Version = n
	}
	if _, err := ValidateOrder(*o); err != nil {
		for k, msg := range formErrors(err) {
			fe.Add(k, msg)
		}
	}
	return fe.Err()
}

// saveErrors is formErrors plus the error's own message under "" when it says more than the
// generic 入力内容を確認してください (e.g. 店舗コード main はすでに使われています).
func saveErrors(err error) map[string]string {
	fe := formErrors(err)
	if fe == nil {
		return nil
	}
	out := make(map[string]string, len(fe)+1)
	for k, v := range fe {
		out[k] = v
	}
	if msg := errs.As(err).Message; msg != "" && msg != "入力内容を確認してください" {
		if _, ok := out[""]; !ok {
			out[""] = msg
		}
	}
	return out
}

// orderSaveFailed shows the form again for a validation error or a stale version; it reports
// false for other errors, which the caller renders as an error page.
func (p *Pages) orderSaveFailed(w http.ResponseWriter, r *http.Request, f orderForm, err error) bool {
	if fe := saveErrors(err); fe != nil {
		f.Errors = fe
		p.renderOrderForm(w, r, http.StatusUnprocessableEntity, f)
		return true
	}
	if errs.KindOf(err) == errs.KindConflict {
		f.Conflict = errs.As(err).Message
		p.renderOrderForm(w, r, http.StatusConflict, f)
		return true
	}
	return false
}

func (p *Pages) createOrder(w http.ResponseWriter, r *http.Request) {
	once := p.forms.Once(r)
	if once.Seen(w, r) {
		return
	}
	var o Order
	f := orderForm{New: true}
	err := p.readOrder(r, &o, &f)
	f.Order = o
	if o.Source == "copy" {
		f.CopyOf = r.PostForm.Get("copy_of")
	}
	if r.PostForm.Get("op") == "recalc" {
		p.renderOrderForm(w, r, http.StatusOK, f)
		return
	}
	if err == nil {
		o, err = p.store.CreateOrder(r.Context(), o, claim(once, "/orders/"))
	}
	if once.Repeat(w, r, err) {
		return
	}
	if err != nil {
		if !p.orderSaveFailed(w, r, f, err) {
			p.fail(w, r, err)
		}
		return
	}
	web.SetFlash(w, "受注 "+o.Number+" を登録しました")
	http.Redirect(w, r, "/orders/"+o.ID, http.StatusSeeOther)
}

func (p *Pages) editOrder(w http.ResponseWriter, r *http.Request) {
	o, err := p.store.GetOrder(r.Context(), r.PathValue("id"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if !OrderStatuses.Allows(o.OrderStatus, "edit") {
		p.fail(w, r, errs.Conflict("「"+OrderStatuses.Label(o.OrderStatus)+"」の受注は編集できません"))
		return
	}
	code, err := p.customerCode(r, o.CustomerID)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.renderOrderForm(w, r, http.StatusOK, orderFormOf(o, code))
}

func (p *Pages) updateOrder(w http.ResponseWriter, r *http.Request) {
	o, err := p.store.GetOrder(r.Context(), r.PathValue("id"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	var f orderForm
	err = p.readOrder(r, &o, &f)
	f.Order = o
	if r.PostForm.Get("op") == "recalc" {
		p.renderOrderForm(w, r, http.StatusOK, f)
		return
	}
	if err == nil {
		o, err = p.store.UpdateOrder(r.Context(), o)
	}
	if err != nil {
		if !p.orderSaveFailed(w, r, f, err) {
			p.fail(w, r, err)
		}
		return
	}
	web.SetFlash(w, "受注 "+o.Number+" を保存しました")
	http.Redirect(w, r, "/orders/"+o.ID, http.StatusSeeOther)
}

// formVersion reads the hidden version field; 0 (missing) is refused by the store.
func formVersion(r *http.Request) int {
	n, _ := strconv.Atoi(r.PostForm.Get("version"))
	return n
}

func (p *Pages) cancelOrder(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.fail(w, r, errs.Invalid("フォームを読み取れません").Wrap(err))
		return
	}
	o, err := p.store.CancelOrder(r.Context(), r.PathValue("id"), formVersion(r))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	web.SetFlash(w, "受注 "+o.Number+" をキャンセルしました")
	http.Redirect(w, r, "/orders/"+o.ID, http.StatusSeeOther)
}

func (p *Pages) shipOrder(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.fail(w, r, errs.Invalid("フォームを読み取れません").Wrap(err))
		return
	}
	v := func(k string) string { return strings.TrimSpace(r.PostForm.Get(k)) }
	shippedOn := v("shipped_on")
	if shippedOn != "" && !validDate(shippedOn) {
		p.fail(w, r, errs.Invalid("出荷日を確認してください").Field("shipped_on", "出荷日はYYYY-MM-DDの形の実在する日付で入力してください"))
		return
	}
	o, err := p.store.ShipOrder(r.Context(), r.PathValue("id"), formVersion(r), v("carrier"), v("tracking_number"), shippedOn)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	web.SetFlash(w, "受注 "+o.Number+" を出荷確定しました")
	http.Redirect(w, r, "/orders/"+o.ID, http.StatusSeeOther)
}

// lookupCustomers is the type-ahead of customer code inputs: code and name of up to 20 matches.
func (p *Pages) lookupCustomers(w http.ResponseWriter, r *http.Request) {
	out := []lookupItem{}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if q != "" {
		rows, _, err := p.store.SearchCustomers(r.Context(), CustomerFilter{Text: q, Sort: "code"}, 1, 20)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		for _, c := range rows {
			out = append(out, lookupItem{Code: c.Code, Name: c.Name, Kana: c.NameKana})
		}
	}
	web.WriteJSON(w, http.StatusOK, out)
}
