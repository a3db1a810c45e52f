package gmopg

import (
	"fmt"
	"io"
	"net/http"
)

// NotificationAck is the body the merchant answers a result notification with. GMO-PG's
// 結果通知プログラム expects "0" for "received" (assumed: the value is not in public sources);
// anything else makes GMO-PG send the notification again later.
const NotificationAck = "0"

// Notification is a result notification (結果通知) GMO-PG posts to the merchant's notification
// URL when a payment's state changes: a percent-encoded CP932 form. ShopPass and AccessPass
// arrive masked with "*", so a notification proves nothing by itself: check ShopID, then read
// the state with SearchTrade/SearchTradeMulti before acting on it.
type Notification struct {
	ShopID          string
	AccessID        string
	OrderID         string
	Status          Status
	JobCd           JobCd
	Amount          int64
	Tax             int64
	Currency        string
	Forward         string
	Method          string
	PayTimes        string
	TranID          string
	Approve         string
	TranDate        string
	PayType         PayType
	RcOrderID       string
	RcOrderTime     string
	RcUsePoint      int64
	RcUseCoupon     int64
	RcUseShopCoupon int64
	Errors          []ErrPair
	// Values holds every pair as received, for keys this type does not name.
	Values Values
}

// IsPing reports the connectivity check GMO-PG sends to a notification URL (ErrInfo
// E00000000): answer NotificationAck and change nothing.
func (n Notification) IsPing() bool {
	for _, p := range n.Errors {
		if p.Info == InfoPing {
			return true
		}
	}
	return false
}

// Failed reports whether the notification carries an error other than the ping.
func (n Notification) Failed() bool { return len(n.Errors) > 0 && !n.IsPing() }

// ParseNotification reads a notification body. The buyer's return to the RetURL is posted with
// the same keys (Status, OrderID, the Rc… keys, ErrCode/ErrInfo), so it is read with this too;
// like a notification, it is a hint to read the state back, not proof of payment.
func ParseNotification(body []byte) (Notification, error) {
	v, err := ParseForm(body)
	if err != nil {
		return Notification{}, fmt.Errorf("gmopg: result notification: %w", err)
	}
	if _, ok := v.Lookup("ShopID"); !ok {
		return Notification{}, fmt.Errorf("gmopg: result notification: no ShopID")
	}
	return Notification{ShopID: v.Get("ShopID"), AccessID: v.Get("AccessID"), OrderID: v.Get("OrderID"),
		Status: Status(v.Get("Status")), JobCd: JobCd(v.Get("JobCd")), Amount: parseInt(v.Get("Amount")), Tax: parseInt(v.Get("Tax")),
		Currency: v.Get("Currency"), Forward: v.Get("Forward"), Method: v.Get("Method"), PayTimes: v.Get("PayTimes"),
		TranID: v.Get("TranID"), Approve: v.Get("Approve"), TranDate: v.Get("TranDate"), PayType: PayType(v.Get("PayType")),
		RcOrderID: v.Get("RcOrderId"), RcOrderTime: v.Get("RcOrderTime"), RcUsePoint: parseInt(v.Get("RcUsePoint")),
		RcUseCoupon: parseInt(v.Get("RcUseCoupon")), RcUseShopCoupon: parseInt(v.Get("RcUseShopCoupon")),
		Errors: parseErrors(v), Values: v}, nil
}

// ReadNotification reads a notification from an HTTP request (at most 64 KiB).
func ReadNotification(r *http.Request) (Notification, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		return Notification{}, fmt.Errorf("gmopg: result notification: %w", err)
	}
	return ParseNotification(b)
}

// NotificationValues writes n as GMO-PG posts it, secrets masked; the simulator uses it.
func NotificationValues(n Notification) Values {
	v := Values{{"ShopID", n.ShopID}, {"ShopPass", "**********"}, {"AccessID", n.AccessID},
		{"AccessPass", "********************************"}, {"OrderID", n.OrderID}, {"Status", string(n.Status)},
		{"JobCd", string(n.JobCd)}, {"Amount", itoa(n.Amount)}, {"Tax", itoa(n.Tax)}, {"Currency", n.Currency},
		{"Forward", n.Forward}, {"Method", n.Method}, {"PayTimes", n.PayTimes}, {"TranID", n.TranID},
		{"Approve", n.Approve}, {"TranDate", n.TranDate}}
	codes, infos := "", ""
	for i, p := range n.Errors {
		if i > 0 {
			codes, infos = codes+"|", infos+"|"
		}
		codes, infos = codes+p.Code, infos+p.Info
	}
	v = append(v, Values{{"ErrCode", codes}, {"ErrInfo", infos}, {"PayType", string(n.PayType)}}...)
	if n.PayType == PayTypeRecruit {
		v = append(v, Values{{"RcOrderId", n.RcOrderID}, {"RcOrderTime", n.RcOrderTime}, {"RcUsePoint", itoa(n.RcUsePoint)},
			{"RcUseCoupon", itoa(n.RcUseCoupon)}, {"RcUseShopCoupon", itoa(n.RcUseShopCoupon)}}...)
	}
	return v
}

// FromShop reports whether the notification names shopID. The passwords arrive masked, so this
// is the only credential check a notification allows; read the state back before acting.
func (n Notification) FromShop(shopID string) bool { return n.ShopID != "" && n.ShopID == shopID }
