package atobarai

import (
	"fmt"
	"strings"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/errs"
	"kessai/internal/provider/yamato"
)

// CreditRequestOf is the credit request of order o: the buyer is the ship-to person (氏名・
// 郵便番号・住所・電話番号 of お届け先; Yamato sends the invoice there), email the customer's;
// items are the order's lines, then 消費税 and 送料 as lines of their own, so they sum to the
// total. More than ten lines: the tenth and the rest become one 「その他」 line. shipDate is
// 出荷予定日 (the order date when zero or earlier).
func CreditRequestOf(o commerce.Order, email string, shipDate time.Time) yamato.CreditRequest {
	items := make([]yamato.Item, 0, len(o.Lines)+2)
	for _, l := range o.Lines {
		items = append(items, yamato.Item{Name: l.Name, Count: l.Quantity, UnitPrice: l.UnitPrice, SubTotal: l.Amount})
	}
	if o.Tax != 0 {
		items = append(items, yamato.Item{Name: "消費税", Count: 1, UnitPrice: o.Tax, SubTotal: o.Tax})
	}
	if o.ShippingFee != 0 {
		items = append(items, yamato.Item{Name: "送料", Count: 1, UnitPrice: o.ShippingFee, SubTotal: o.ShippingFee})
	}
	if len(items) > yamato.ItemsMax {
		var rest int64
		for _, it := range items[yamato.ItemsMax-1:] {
			rest += it.SubTotal
		}
		n := len(items) - yamato.ItemsMax + 1
		items = append(items[:yamato.ItemsMax-1], yamato.Item{Name: fmt.Sprintf("その他%d点", n), Count: 1, UnitPrice: rest, SubTotal: rest})
	}
	ordered := o.OrderedAt
	if shipDate.IsZero() {
		shipDate = ordered
	}
	if d := ordered.In(clock.JST); shipDate.In(clock.JST).Format("20060102") < d.Format("20060102") {
		shipDate = ordered
	}
	return yamato.CreditRequest{OrderDate: ordered, ShipDate: shipDate, Name: strings.TrimSpace(o.ShipName),
		PostCode: o.ShipPostalCode, Address: o.ShipAddress, Tel: o.ShipPhone, Email: email, TotalAmount: o.Total, Items: items}
}

// orderFields maps the credit request's keys to the order's fields, so a refusal before
// sending names what the buyer typed.
var orderFields = map[string]string{
	"name": "ship_name", "postCode": "ship_postal_code", "address1": "ship_address", "address2": "ship_address",
	"telNum": "ship_phone", "email": "customer_id", "totalAmount": "total", "shipYmd": "ordered_at", "orderYmd": "ordered_at",
}

// CheckRequest runs Yamato's field rules on r before anything is sent: the buyer-facing
// refusal of an order whose address or telephone Yamato would not accept.
func CheckRequest(r yamato.CreditRequest, now time.Time) error {
	f, extra := r.Form()
	f.Set("ycfStrCode", "00000000000")
	f.Set("password", "check")
	f.Set("requestDate", now.In(clock.JST).Format("20060102150405"))
	if r.OrderNo == "" {
		f.Set("orderNo", "CHECK")
	}
	for k, v := range f {
		if len(v) == 1 && v[0] == "" {
			delete(f, k)
		}
	}
	fes := append(extra, yamato.Validate(yamato.APICredit, f)...)
	if len(fes) == 0 {
		return nil
	}
	e := errs.Invalid("クロネコ代金後払いをご利用いただけません。お届け先の内容をご確認ください")
	for _, fe := range fes {
		key := orderFields[fe.Key]
		if key == "" {
			if strings.HasPrefix(fe.Key, "item") || strings.HasPrefix(fe.Key, "unitPrice") || strings.HasPrefix(fe.Key, "subTotal") {
				key = "lines"
			} else {
				key = fe.Key
			}
		}
		msg := fe.Label + ": " + fe.Message
		if prev, ok := e.Fields[key]; ok {
			msg = prev + " / " + msg
		}
		e.Field(key, msg)
	}
	return e
}
