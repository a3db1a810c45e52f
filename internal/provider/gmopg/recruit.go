package gmopg

import (
	"context"
	"strconv"
	"time"
)

// PayType is SearchTradeMulti's and the result notification's payment method.
type PayType string

const (
	PayTypeCard    PayType = "0"
	PayTypeRecruit PayType = "O" // リクルートかんたん支払い（letter O）
)

// RecruitEntryInput registers a Recruit かんたん支払い transaction.
type RecruitEntryInput struct {
	OrderID string
	JobCd   JobCd // AUTH (仮売上→実売上) or CAPTURE (即時売上)
	Amount  int64
	Tax     int64
}

// EntryTranRecruit registers a Recruit transaction. Its answer lists OrderID, AccessID and
// AccessPass; OrderID is not required (other EntryTran* answers lack it) and the one sent is kept.
func (c *Client) EntryTranRecruit(ctx context.Context, in RecruitEntryInput) (Access, error) {
	v := c.shop(Values{{"OrderID", in.OrderID}, {"JobCd", string(in.JobCd)}, {"Amount", itoa(in.Amount)}, {"Tax", itoa(in.Tax)}})
	a, err := c.call(ctx, "EntryTranRecruit", v, writes)
	if err == nil {
		err = require("EntryTranRecruit", a, writes, "AccessID", "AccessPass")
	}
	if err != nil {
		return Access{}, err
	}
	return Access{OrderID: in.OrderID, AccessID: a.Get("AccessID"), AccessPass: a.Get("AccessPass")}, nil
}

// RecruitExecInput starts a Recruit payment: GMO-PG answers where the buyer's browser goes.
type RecruitExecInput struct {
	Access
	RetURL          string // where GMO-PG sends the buyer back (POST)
	ItemName        string
	PaymentTermSec  int // how long the buyer has; GMO-PG's default when 0
	ClientField1    string
	ClientField2    string
	ClientField3    string
	ClientFieldFlag bool
}

// RecruitStart is what the buyer's browser must POST (AccessID and Token) to StartURL, from a
// Windows-31J page. Token and StartURL are raw in the answer: "+", "/" and ":" are kept.
type RecruitStart struct {
	AccessID       string
	Token          string
	StartURL       string
	StartLimitDate time.Time // zero when the answer has none
}

// ExecTranRecruit asks GMO-PG for the buyer's payment start. No money moves until the buyer pays.
func (c *Client) ExecTranRecruit(ctx context.Context, in RecruitExecInput) (RecruitStart, error) {
	v := c.shop(in.Access.values())
	v = append(v, clientFields(in.ClientField1, in.ClientField2, in.ClientField3, in.ClientFieldFlag)...)
	v.Add("RetURL", in.RetURL)
	v.Add("ItemName", in.ItemName)
	if in.PaymentTermSec > 0 {
		v.Add("PaymentTermSec", strconv.Itoa(in.PaymentTermSec))
	}
	a, err := c.call(ctx, "ExecTranRecruit", v, writes)
	if err == nil {
		err = require("ExecTranRecruit", a, writes, "AccessID", "Token", "StartURL")
	}
	if err != nil {
		return RecruitStart{}, err
	}
	return RecruitStart{AccessID: a.Get("AccessID"), Token: a.Get("Token"), StartURL: a.Get("StartURL"),
		StartLimitDate: ParseTime(a.Get("StartLimitDate"))}, nil
}

// RecruitResult is the answer of RecruitSales, RecruitCancel, RecruitChange and
// RecruitUpdateAuth; the fields a call does not answer are empty.
type RecruitResult struct {
	OrderID         string
	Status          Status
	Amount          int64
	Tax             int64
	RcUsePoint      int64
	RcUseCoupon     int64
	RcUseShopCoupon int64
	// RcUpdateAuthDay is the new authorization deadline after RecruitUpdateAuth.
	RcUpdateAuthDay time.Time
}

func recruitResult(a Values) RecruitResult {
	return RecruitResult{OrderID: a.Get("OrderID"), Status: Status(a.Get("Status")), Amount: parseInt(a.Get("Amount")),
		Tax: parseInt(a.Get("Tax")), RcUsePoint: parseInt(a.Get("RcUsePoint")), RcUseCoupon: parseInt(a.Get("RcUseCoupon")),
		RcUseShopCoupon: parseInt(a.Get("RcUseShopCoupon")), RcUpdateAuthDay: ParseTime(a.Get("RcUpdateAuthDay"))}
}

func (c *Client) recruitCall(ctx context.Context, api string, a Access, extra ...Pair) (RecruitResult, error) {
	v := c.shop(a.values())
	v = append(v, extra...)
	ans, err := c.call(ctx, api, v, moneyMoving)
	if err == nil {
		err = require(api, ans, moneyMoving, "Status")
	}
	if err != nil {
		return RecruitResult{}, err
	}
	r := recruitResult(ans)
	if r.OrderID == "" {
		r.OrderID = a.OrderID
	}
	return r, nil
}

// RecruitSales captures an authorized Recruit payment (実売上).
func (c *Client) RecruitSales(ctx context.Context, a Access) (RecruitResult, error) {
	return c.recruitCall(ctx, "RecruitSales", a)
}

// RecruitCancel cancels a Recruit payment, before capture (VOID) or after (CANCEL, a refund).
func (c *Client) RecruitCancel(ctx context.Context, a Access) (RecruitResult, error) {
	return c.recruitCall(ctx, "RecruitCancel", a)
}

// RecruitChange changes the amount. GMO-PG refuses: after capture on the capture day and from
// 0:00 to 1:00 JST the next day (M01235010), after the end of the following month (M01233011),
// an increase after capture or for a points-only payment (M01234010).
func (c *Client) RecruitChange(ctx context.Context, a Access, amount, tax int64) (RecruitResult, error) {
	return c.recruitCall(ctx, "RecruitChange", a, Pair{"Amount", itoa(amount)}, Pair{"Tax", itoa(tax)})
}

// RecruitUpdateAuth extends the authorization period of an authorized payment (オーソリ期間延長).
func (c *Client) RecruitUpdateAuth(ctx context.Context, a Access) (RecruitResult, error) {
	return c.recruitCall(ctx, "RecruitUpdateAuth", a)
}

// MultiTrade is SearchTradeMulti's answer. The answer carries no OrderID (a recorded answer
// shows it); the one asked for is filled in.
type MultiTrade struct {
	OrderID         string
	Status          Status
	ProcessDate     time.Time
	JobCd           JobCd
	AccessID        string
	AccessPass      string
	Amount          int64
	Tax             int64
	PayType         PayType
	ClientField1    string
	ClientField2    string
	ClientField3    string
	RcOrderID       string
	RcOrderTime     time.Time
	RcUsePoint      int64
	RcUseCoupon     int64
	RcUseShopCoupon int64
	RcUpdateAuthDay time.Time
}

// SearchTradeMulti reads a transaction of any payment method by OrderID and PayType (PayTypeRecruit
// for かんたん支払い). An unknown OrderID is M01004002.
func (c *Client) SearchTradeMulti(ctx context.Context, orderID string, pt PayType) (MultiTrade, error) {
	a, err := c.call(ctx, "SearchTradeMulti", c.shop(Values{{"OrderID", orderID}, {"PayType", string(pt)}}), readOnly)
	if err == nil {
		err = require("SearchTradeMulti", a, readOnly, "Status")
	}
	if err != nil {
		return MultiTrade{}, err
	}
	return MultiTrade{OrderID: orderID, Status: Status(a.Get("Status")), ProcessDate: ParseTime(a.Get("ProcessDate")),
		JobCd: JobCd(a.Get("JobCd")), AccessID: a.Get("AccessID"), AccessPass: a.Get("AccessPass"),
		Amount: parseInt(a.Get("Amount")), Tax: parseInt(a.Get("Tax")), PayType: PayType(a.Get("PayType")),
		ClientField1: a.Get("ClientField1"), ClientField2: a.Get("ClientField2"), ClientField3: a.Get("ClientField3"),
		RcOrderID: a.Get("RcOrderId"), RcOrderTime: ParseTime(a.Get("RcOrderTime")), RcUsePoint: parseInt(a.Get("RcUsePoint")),
		RcUseCoupon: parseInt(a.Get("RcUseCoupon")), RcUseShopCoupon: parseInt(a.Get("RcUseShopCoupon")),
		RcUpdateAuthDay: ParseTime(a.Get("RcUpdateAuthDay"))}, nil
}
