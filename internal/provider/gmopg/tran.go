package gmopg

import (
	"context"
	"strconv"
	"time"

	"kessai/internal/platform/clock"
)

// JobCd is a transaction's 処理区分.
type JobCd string

const (
	JobCheck   JobCd = "CHECK"   // 有効性チェック
	JobCapture JobCd = "CAPTURE" // 即時売上
	JobAuth    JobCd = "AUTH"    // 仮売上
	JobSAuth   JobCd = "SAUTH"   // 簡易オーソリ
	JobSales   JobCd = "SALES"   // 実売上（仮売上の確定）
	JobVoid    JobCd = "VOID"    // 取消（仮売上・当日）
	JobReturn  JobCd = "RETURN"  // 返品（売上の当月取消）
	JobReturnX JobCd = "RETURNX" // 月跨り返品
)

// Status is a transaction's 取引状態 as SearchTrade, SearchTradeMulti and the result
// notification report it.
type Status string

const (
	StatusUnprocessed Status = "UNPROCESSED" // 未決済
	StatusReqSuccess  Status = "REQSUCCESS"  // 要求成功（購入者の操作待ち）
	StatusAuthProcess Status = "AUTHPROCESS" // 認証処理中
	StatusAuth        Status = "AUTH"        // 仮売上
	StatusCapture     Status = "CAPTURE"     // 即時売上
	StatusSales       Status = "SALES"       // 実売上
	StatusVoid        Status = "VOID"        // 仮売上取消
	StatusReturn      Status = "RETURN"      // 返品
	StatusReturnX     Status = "RETURNX"     // 月跨り返品
	StatusCancel      Status = "CANCEL"      // キャンセル（実売上・即時売上の取消）
	StatusPayFail     Status = "PAYFAIL"     // 決済失敗
	StatusExpired     Status = "EXPIRED"     // 期限切れ
	StatusCheck       Status = "CHECK"       // 有効性チェック済み
)

// Access identifies a transaction for the calls after EntryTran. OrderID is the merchant's key
// (alphanumerics and "-", at most 27), fixed before the first call so a retry is recognisable.
type Access struct {
	OrderID    string
	AccessID   string
	AccessPass string
}

func (a Access) values() Values {
	return Values{{"AccessID", a.AccessID}, {"AccessPass", a.AccessPass}, {"OrderID", a.OrderID}}
}

// EntryTranInput registers a card transaction.
type EntryTranInput struct {
	OrderID  string
	JobCd    JobCd
	Amount   int64
	Tax      int64
	ItemCode string // optional; GMO-PG defaults to 0000990
}

// EntryTran registers a card transaction and returns its AccessID/AccessPass. The card
// EntryTran answer has no OrderID; the one sent is kept. A reused OrderID is E01040010: read the
// transaction with SearchTrade instead of registering again.
func (c *Client) EntryTran(ctx context.Context, in EntryTranInput) (Access, error) {
	v := Values{{"OrderID", in.OrderID}, {"JobCd", string(in.JobCd)}}
	if in.ItemCode != "" {
		v.Add("ItemCode", in.ItemCode)
	}
	v.Add("Amount", itoa(in.Amount))
	v.Add("Tax", itoa(in.Tax))
	a, err := c.call(ctx, "EntryTran", c.shop(v), writes)
	if err == nil {
		err = require("EntryTran", a, writes, "AccessID", "AccessPass")
	}
	if err != nil {
		return Access{}, err
	}
	return Access{OrderID: in.OrderID, AccessID: a.Get("AccessID"), AccessPass: a.Get("AccessPass")}, nil
}

// ExecTranInput executes (authorizes) a registered transaction, with a token, a card number
// (sandbox) or a stored card (MemberID + CardSeq).
type ExecTranInput struct {
	Access
	Method       string // 支払方法; "1" (一括) when empty
	PayTimes     int
	Token        string
	CardNo       string
	Expire       string // YYMM
	SecurityCode string
	// MemberID charges a stored card: CardSeq is then always sent, 0 included (a classic
	// client bug sends CardSeq=0 as an empty string).
	MemberID        string
	CardSeq         int
	ClientField1    string
	ClientField2    string
	ClientField3    string
	ClientFieldFlag bool // echo the client fields in the answer
}

// ExecResult is ExecTran's answer. PayTimes is empty for 一括.
type ExecResult struct {
	ACS         string
	OrderID     string
	Forward     string
	Method      string
	PayTimes    string
	Approve     string
	TranID      string
	TranDate    time.Time
	CheckString string
}

// ExecTran authorizes (or captures, per the JobCd given to EntryTran). It moves money: on an
// unknown outcome read the state with SearchTrade, never execute again on a guess.
func (c *Client) ExecTran(ctx context.Context, in ExecTranInput) (ExecResult, error) {
	v := in.Access.values()
	method := in.Method
	if method == "" {
		method = "1"
	}
	v.Add("Method", method)
	if in.PayTimes > 0 {
		v.Add("PayTimes", strconv.Itoa(in.PayTimes))
	}
	switch {
	case in.MemberID != "":
		v = append(v, Values{{"SiteID", c.cfg.SiteID}, {"SitePass", c.cfg.SitePass},
			{"MemberID", in.MemberID}, {"SeqMode", "0"}, {"CardSeq", strconv.Itoa(in.CardSeq)}}...)
	case in.Token != "":
		v.Add("Token", in.Token)
	default:
		v.Add("CardNo", in.CardNo)
		v.Add("Expire", in.Expire)
	}
	if in.SecurityCode != "" {
		v.Add("SecurityCode", in.SecurityCode)
	}
	v = append(v, clientFields(in.ClientField1, in.ClientField2, in.ClientField3, in.ClientFieldFlag)...)
	a, err := c.call(ctx, "ExecTran", v, moneyMoving)
	if err == nil {
		err = require("ExecTran", a, moneyMoving, "OrderID", "TranID")
	}
	if err != nil {
		return ExecResult{}, err
	}
	return ExecResult{ACS: a.Get("ACS"), OrderID: a.Get("OrderID"), Forward: a.Get("Forward"), Method: a.Get("Method"),
		PayTimes: a.Get("PayTimes"), Approve: a.Get("Approve"), TranID: a.Get("TranID"),
		TranDate: ParseTime(a.Get("TranDate")), CheckString: a.Get("CheckString")}, nil
}

func clientFields(f1, f2, f3 string, flag bool) Values {
	var v Values
	if f1 != "" || f2 != "" || f3 != "" {
		v = Values{{"ClientField1", f1}, {"ClientField2", f2}, {"ClientField3", f3}}
	}
	if flag {
		v.Add("ClientFieldFlag", "1")
	}
	return v
}

// TranResult is the answer of AlterTran and ChangeTran.
type TranResult struct {
	AccessID   string
	AccessPass string
	Forward    string
	Approve    string
	TranID     string
	TranDate   time.Time
}

func tranResult(a Values) TranResult {
	return TranResult{AccessID: a.Get("AccessID"), AccessPass: a.Get("AccessPass"), Forward: a.Get("Forward"),
		Approve: a.Get("Approve"), TranID: a.Get("TranID"), TranDate: ParseTime(a.Get("TranDate"))}
}

// AlterTran captures (JobCd SALES, with the authorized Amount), voids (VOID) or returns
// (RETURN, RETURNX) a card transaction.
func (c *Client) AlterTran(ctx context.Context, a Access, job JobCd, amount int64) (TranResult, error) {
	v := Values{{"AccessID", a.AccessID}, {"AccessPass", a.AccessPass}, {"JobCd", string(job)}}
	if job == JobSales || job == JobAuth || job == JobCapture {
		v.Add("Amount", itoa(amount))
	}
	ans, err := c.call(ctx, "AlterTran", c.shop(v), moneyMoving)
	if err == nil {
		err = require("AlterTran", ans, moneyMoving, "AccessID")
	}
	if err != nil {
		return TranResult{}, err
	}
	return tranResult(ans), nil
}

// ChangeTran changes the amount of an authorized or captured card transaction; job is the
// transaction's JobCd after the change (AUTH, CAPTURE or SALES).
func (c *Client) ChangeTran(ctx context.Context, a Access, job JobCd, amount, tax int64) (TranResult, error) {
	v := Values{{"AccessID", a.AccessID}, {"AccessPass", a.AccessPass}, {"JobCd", string(job)},
		{"Amount", itoa(amount)}, {"Tax", itoa(tax)}}
	ans, err := c.call(ctx, "ChangeTran", c.shop(v), moneyMoving)
	if err == nil {
		err = require("ChangeTran", ans, moneyMoving, "AccessID")
	}
	if err != nil {
		return TranResult{}, err
	}
	return tranResult(ans), nil
}

// Trade is SearchTrade's answer. Empty keys are present in the answer and read as "".
type Trade struct {
	OrderID      string
	Status       Status
	ProcessDate  time.Time
	JobCd        JobCd
	AccessID     string
	AccessPass   string
	ItemCode     string
	Amount       int64
	Tax          int64
	SiteID       string
	MemberID     string
	CardNo       string
	Expire       string
	Method       string
	PayTimes     string
	Forward      string
	TranID       string
	Approve      string
	ClientField1 string
	ClientField2 string
	ClientField3 string
}

// SearchTrade reads a card transaction by OrderID: the way to settle a call whose outcome is
// unknown. An OrderID never registered is E01110002.
func (c *Client) SearchTrade(ctx context.Context, orderID string) (Trade, error) {
	a, err := c.call(ctx, "SearchTrade", c.shop(Values{{"OrderID", orderID}}), readOnly)
	if err == nil {
		err = require("SearchTrade", a, readOnly, "Status")
	}
	if err != nil {
		return Trade{}, err
	}
	return Trade{OrderID: a.Get("OrderID"), Status: Status(a.Get("Status")), ProcessDate: ParseTime(a.Get("ProcessDate")),
		JobCd: JobCd(a.Get("JobCd")), AccessID: a.Get("AccessID"), AccessPass: a.Get("AccessPass"), ItemCode: a.Get("ItemCode"),
		Amount: parseInt(a.Get("Amount")), Tax: parseInt(a.Get("Tax")), SiteID: a.Get("SiteID"), MemberID: a.Get("MemberID"),
		CardNo: a.Get("CardNo"), Expire: a.Get("Expire"), Method: a.Get("Method"), PayTimes: a.Get("PayTimes"),
		Forward: a.Get("Forward"), TranID: a.Get("TranID"), Approve: a.Get("Approve"),
		ClientField1: a.Get("ClientField1"), ClientField2: a.Get("ClientField2"), ClientField3: a.Get("ClientField3")}, nil
}

// TimeLayout is how GMO-PG writes TranDate, ProcessDate and StartLimitDate (JST).
const TimeLayout = "20060102150405"

// ParseTime reads a yyyyMMddHHmmss (or yyyyMMdd) JST time; empty or malformed is the zero time.
func ParseTime(s string) time.Time {
	layout := TimeLayout
	if len(s) == 8 {
		layout = "20060102"
	}
	t, err := time.ParseInLocation(layout, s, clock.JST)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// FormatTime writes t the way GMO-PG does (JST, yyyyMMddHHmmss).
func FormatTime(t time.Time) string { return t.In(clock.JST).Format(TimeLayout) }
