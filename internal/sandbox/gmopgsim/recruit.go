package gmopgsim

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"kessai/internal/provider/gmopg"
)

func (s *Sim) entryTranRecruit(c *call) gmopg.Values {
	t := s.entry(c, gmopg.PayTypeRecruit, gmopg.JobAuth, gmopg.JobCapture)
	if t == nil {
		return c.errAnswer()
	}
	return gmopg.Values{{Key: "OrderID", Value: t.OrderID}, {Key: "AccessID", Value: t.AccessID}, {Key: "AccessPass", Value: t.AccessPass}}
}

// recruitTran finds a Recruit transaction by AccessID/AccessPass/OrderID after the shop check.
func (s *Sim) recruitTran(c *call) *tran {
	s.checkShop(c)
	t := s.access(c)
	if t != nil && t.PayType != gmopg.PayTypeRecruit {
		c.fail(gmopg.InfoTranNotFound)
		return nil
	}
	return t
}

// StartPath is the buyer's payment page below the mount prefix (the StartURL).
const StartPath = "/recruit/start"

func (s *Sim) execTranRecruit(c *call) gmopg.Values {
	t := s.recruitTran(c)
	if c.get("RetURL") == "" {
		c.fail(infoRetURLMissing)
	}
	name := c.get("ItemName")
	if name == "" {
		c.fail(gmopg.InfoItemNameMissing)
	} else if b, _ := gmopg.EncodeCP932(name); len(b) > 64 {
		c.fail(gmopg.InfoItemNameTooLong)
	}
	if !c.failed() && t.Status != gmopg.StatusUnprocessed {
		c.fail(gmopg.InfoJobCdNotAllowed)
	}
	if c.failed() {
		return c.errAnswer()
	}
	now := s.now()
	window := s.opts.StartWindow
	if sec, err := strconv.Atoi(c.get("PaymentTermSec")); err == nil && sec > 0 {
		window = time.Duration(sec) * time.Second
	}
	t.RetURL, t.ItemName, t.Token, t.StartLimit = c.get("RetURL"), name, randomToken(48), now.Add(window)
	t.ClientField = [3]string{c.get("ClientField1"), c.get("ClientField2"), c.get("ClientField3")}
	t.Status = gmopg.StatusReqSuccess
	t.record(now, "exec")
	return gmopg.Values{{Key: "AccessID", Value: t.AccessID}, {Key: "Token", Value: t.Token},
		{Key: "StartURL", Value: origin(c.r) + s.opts.Prefix + StartPath}, {Key: "StartLimitDate", Value: gmopg.FormatTime(t.StartLimit)}}
}

// origin is the scheme and host the request came to, so StartURL points back at this Sim.
func origin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func recruitAnswer(t *tran) gmopg.Values {
	return gmopg.Values{{Key: "OrderID", Value: t.OrderID}, {Key: "Status", Value: string(t.Status)}}
}

func (s *Sim) recruitSales(c *call) gmopg.Values {
	t := s.recruitTran(c)
	if c.failed() {
		return c.errAnswer()
	}
	switch t.Status {
	case gmopg.StatusAuth:
	case gmopg.StatusExpired:
		return errAnswer(gmopg.InfoAuthPeriodOver)
	default:
		return errAnswer(gmopg.InfoJobCdNotAllowed)
	}
	now := s.now()
	t.Status, t.JobCd, t.CapturedAt = gmopg.StatusSales, gmopg.JobSales, now
	t.record(now, "sales")
	s.noticeLocked(t)
	return append(recruitAnswer(t), gmopg.Pair{Key: "AccessID", Value: t.AccessID})
}

func (s *Sim) recruitCancel(c *call) gmopg.Values {
	t := s.recruitTran(c)
	if c.failed() {
		return c.errAnswer()
	}
	now := s.now()
	switch t.Status {
	case gmopg.StatusAuth, gmopg.StatusReqSuccess:
		t.Status = gmopg.StatusVoid
	case gmopg.StatusSales, gmopg.StatusCapture:
		if now.After(endOfFollowingMonth(t.CapturedAt)) {
			return errAnswer(gmopg.InfoAfterCaptureDeadline)
		}
		t.Status = gmopg.StatusCancel
	default:
		return errAnswer(gmopg.InfoJobCdNotAllowed)
	}
	t.record(now, "cancel")
	s.noticeLocked(t)
	return recruitAnswer(t)
}

// changeRuleErrors holds かんたん支払い's amount change rules: while authorized any amount (but
// never more for a points-only payment); after capture not on the capture day, not from 0:00 to
// 1:00 JST the next day, only until the end of the following month, and never an increase.
// Every rule that is broken is reported.
func changeRuleErrors(t *tran, newAmount int64, now time.Time) []string {
	var errs []string
	increase := newAmount > t.Amount
	switch t.Status {
	case gmopg.StatusAuth:
		if newAmount <= 0 || (increase && t.PointsOnly) {
			errs = append(errs, gmopg.InfoChangeAmountInvalid)
		}
	case gmopg.StatusSales, gmopg.StatusCapture:
		j := now.In(jst)
		nextDay := t.CapturedAt.In(jst).AddDate(0, 0, 1)
		if sameJSTDay(now, t.CapturedAt) || (sameJSTDay(now, nextDay) && j.Hour() < 1) {
			errs = append(errs, gmopg.InfoChangePeriod)
		}
		if now.After(endOfFollowingMonth(t.CapturedAt)) {
			errs = append(errs, gmopg.InfoAfterCaptureDeadline)
		}
		if increase || newAmount <= 0 {
			errs = append(errs, gmopg.InfoChangeAmountInvalid)
		}
	default:
		errs = append(errs, gmopg.InfoJobCdNotAllowed)
	}
	return errs
}

func (s *Sim) recruitChange(c *call) gmopg.Values {
	t := s.recruitTran(c)
	amt := amount(c, "Amount", true)
	tax := amount(c, "Tax", false)
	if c.failed() {
		return c.errAnswer()
	}
	now := s.now()
	if errs := changeRuleErrors(t, amt, now); len(errs) > 0 {
		return errAnswer(errs...)
	}
	t.Amount, t.Tax = amt, tax
	if t.PointsOnly || t.RcUsePoint > amt {
		t.RcUsePoint = amt
	}
	t.record(now, "change")
	s.noticeLocked(t)
	return append(recruitAnswer(t), gmopg.Values{{Key: "Amount", Value: strconv.FormatInt(t.Amount, 10)},
		{Key: "Tax", Value: strconv.FormatInt(t.Tax, 10)}, {Key: "RcUsePoint", Value: strconv.FormatInt(t.RcUsePoint, 10)},
		{Key: "RcUseCoupon", Value: strconv.FormatInt(t.RcUseCoupon, 10)}, {Key: "RcUseShopCoupon", Value: strconv.FormatInt(t.RcUseShopCoupon, 10)}}...)
}

func (s *Sim) recruitUpdateAuth(c *call) gmopg.Values {
	t := s.recruitTran(c)
	if c.failed() {
		return c.errAnswer()
	}
	switch t.Status {
	case gmopg.StatusAuth:
	case gmopg.StatusExpired:
		return errAnswer(gmopg.InfoExtendDeadline)
	default:
		return errAnswer(gmopg.InfoExtendNoTarget)
	}
	now := s.now()
	j := now.In(jst)
	// The new period runs RecruitAuthDays from today, to the end of that day (JST).
	t.AuthDeadline = time.Date(j.Year(), j.Month(), j.Day()+s.opts.RecruitAuthDays+1, 0, 0, 0, 0, jst).Add(-time.Second)
	t.RcUpdateAuthDay = t.AuthDeadline
	t.record(now, "update_auth")
	return append(recruitAnswer(t), gmopg.Pair{Key: "RcUpdateAuthDay", Value: t.AuthDeadline.In(jst).Format("20060102")})
}

func (s *Sim) searchTradeMulti(c *call) gmopg.Values {
	s.checkShop(c)
	id := c.get("OrderID")
	if id == "" || len(id) > 27 {
		c.fail(gmopg.InfoMultiOrderIDFormat)
	}
	pt := gmopg.PayType(c.get("PayType"))
	if pt != gmopg.PayTypeCard && pt != gmopg.PayTypeRecruit {
		c.fail(gmopg.InfoMultiPayTypeInvalid)
	}
	t := s.st.Trans[id]
	if t == nil || t.PayType != pt {
		c.fail(gmopg.InfoMultiOrderNotFound)
	}
	if c.failed() {
		return c.errAnswer()
	}
	t.settle(s.now())
	i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
	rcTime, rcAuth := "", ""
	if !t.RcOrderTime.IsZero() {
		rcTime = gmopg.FormatTime(t.RcOrderTime)
	}
	if pt == gmopg.PayTypeRecruit && !t.AuthDeadline.IsZero() {
		rcAuth = t.AuthDeadline.In(jst).Format("20060102")
	}
	// As recorded: no OrderID key; every method's keys present, empty when not this method's.
	return gmopg.Values{{Key: "Status", Value: string(t.Status)}, {Key: "ProcessDate", Value: gmopg.FormatTime(t.ProcessDate)},
		{Key: "JobCd", Value: string(t.JobCd)}, {Key: "AccessID", Value: t.AccessID}, {Key: "AccessPass", Value: t.AccessPass},
		{Key: "ItemCode", Value: t.ItemCode}, {Key: "Amount", Value: i64(t.Amount)}, {Key: "Tax", Value: i64(t.Tax)},
		{Key: "SiteID", Value: ""}, {Key: "MemberID", Value: t.MemberID}, {Key: "CardNo", Value: t.CardNo},
		{Key: "Expire", Value: t.Expire}, {Key: "Method", Value: t.Method}, {Key: "PayTimes", Value: t.PayTimes},
		{Key: "Forward", Value: t.Forward}, {Key: "TranID", Value: t.TranID}, {Key: "Approve", Value: t.Approve},
		{Key: "ClientField1", Value: t.ClientField[0]}, {Key: "ClientField2", Value: t.ClientField[1]},
		{Key: "ClientField3", Value: t.ClientField[2]}, {Key: "PayType", Value: string(t.PayType)},
		{Key: "CvsCode", Value: ""}, {Key: "CvsConfNo", Value: ""}, {Key: "CvsReceiptNo", Value: ""},
		{Key: "RcOrderId", Value: t.RcOrderID}, {Key: "RcOrderTime", Value: rcTime}, {Key: "RcUsePoint", Value: i64(t.RcUsePoint)},
		{Key: "RcUseCoupon", Value: i64(t.RcUseCoupon)}, {Key: "RcUseShopCoupon", Value: i64(t.RcUseShopCoupon)},
		{Key: "RcUpdateAuthDay", Value: rcAuth}, {Key: "Currency", Value: "JPN"}}
}

// BuyerAction is what the buyer does on the payment page.
type BuyerAction string

const (
	BuyerPay     BuyerAction = "pay"     // pays with card, points and coupons (100 points used)
	BuyerPoints  BuyerAction = "points"  // pays the whole amount with Ponta points
	BuyerAbandon BuyerAction = "abandon" // goes back without paying: stays REQSUCCESS (要確認)
	BuyerFail    BuyerAction = "fail"    // Recruit refuses the payment: PAYFAIL
)

// Errors of the buyer page and Buy.
var (
	ErrUnknownStart = errors.New("gmopgsim: 取引IDかトークンが正しくありません")
	ErrStartExpired = errors.New("gmopgsim: 支払いの受付期限を過ぎています")
	ErrNotWaiting   = errors.New("gmopgsim: この取引は支払い待ちではありません")
)

// Buy performs a buyer's action on a Recruit payment as the payment page does, and returns the
// values posted back to the RetURL (also what a result notification carries).
func (s *Sim) Buy(accessID, tok string, action BuyerAction) (retURL string, back gmopg.Values, err error) {
	s.mu.Lock()
	defer func() { s.saveLocked(); s.mu.Unlock(); s.kickDelivery() }()
	t, err := s.startLocked(accessID, tok)
	if err != nil {
		return "", nil, err
	}
	now := s.now()
	var errs []gmopg.ErrPair
	switch action {
	case BuyerPay, BuyerPoints:
		t.Status = gmopg.StatusAuth
		if t.JobCd == gmopg.JobCapture {
			t.Status, t.CapturedAt = gmopg.StatusCapture, now
		}
		t.AuthDeadline = now.AddDate(0, 0, s.opts.RecruitAuthDays)
		t.RcOrderID, t.RcOrderTime = fmt.Sprintf("RC%012d", s.nextSeq()), now
		t.PointsOnly = action == BuyerPoints
		t.RcUsePoint = min(100, t.Amount)
		if t.PointsOnly {
			t.RcUsePoint = t.Amount
		}
	case BuyerFail:
		t.Status = gmopg.StatusPayFail
		errs = []gmopg.ErrPair{{Code: infoRecruitFailed[:3], Info: infoRecruitFailed}}
	case BuyerAbandon:
	default:
		return "", nil, fmt.Errorf("gmopgsim: unknown buyer action %q", action)
	}
	t.Token = "" // a StartURL is used once
	t.record(now, "buyer "+string(action))
	n := s.notification(t, errs)
	if action != BuyerAbandon {
		s.queueNoticeLocked(n)
	}
	return t.RetURL, gmopg.NotificationValues(n), nil
}

func (s *Sim) startLocked(accessID, tok string) (*tran, error) {
	t := s.byAccess[accessID]
	switch {
	case t == nil || t.PayType != gmopg.PayTypeRecruit || t.Token == "" || t.Token != tok:
		return nil, ErrUnknownStart
	case t.Status != gmopg.StatusReqSuccess:
		return nil, ErrNotWaiting
	case s.now().After(t.StartLimit):
		return nil, ErrStartExpired
	}
	return t, nil
}

var startPage = template.Must(template.New("start").Parse(`<!doctype html>
<html lang="ja"><head><meta charset="Shift_JIS"><title>リクルートかんたん支払い（サンドボックス）</title>
<style>body{font-family:sans-serif;max-width:36em;margin:2em auto}button{display:block;margin:.6em 0;padding:.6em 1em;width:100%}</style></head>
<body><h1>リクルートかんたん支払い</h1><p>サンドボックスの支払い画面です。実際の請求は行われません。</p>
{{if .Err}}<p role="alert" style="color:#b00">{{.Err}}</p>{{else}}
<dl><dt>商品名</dt><dd>{{.Item}}</dd><dt>金額</dt><dd>{{.Amount}}円（うち税送料 {{.Tax}}円）</dd><dt>オーダーID</dt><dd>{{.OrderID}}</dd></dl>
<form method="post" action="{{.Action}}" accept-charset="Shift_JIS">
<input type="hidden" name="AccessID" value="{{.AccessID}}"><input type="hidden" name="Token" value="{{.Token}}">
<button name="action" value="pay">支払う（カード・ポイント・クーポン）</button>
<button name="action" value="points">ポイントのみで支払う</button>
<button name="action" value="abandon">支払わずにお店に戻る</button>
<button name="action" value="fail">決済失敗にする（テスト）</button>
</form>{{end}}</body></html>`))

// returnPage posts the result back to the shop. Its button stays visible: mounted inside kessai
// the page carries kessai's CSP, which blocks the inline onload, and the buyer clicks.
var returnPage = template.Must(template.New("return").Parse(`<!doctype html>
<html lang="ja"><head><meta charset="Shift_JIS"><title>お店に戻ります</title></head>
<body onload="document.forms[0].submit()"><p>お店のページに戻ります…</p>
<form method="post" action="{{.URL}}" accept-charset="Shift_JIS">{{range .Values}}<input type="hidden" name="{{.Key}}" value="{{.Value}}">{{end}}
<button>お店に戻る</button></form></body></html>`))

// writeCP932Page renders a template and sends it as Shift_JIS, the way GMO-PG's pages are, so
// the browser posts its forms in CP932 too.
func writeCP932Page(w http.ResponseWriter, status int, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	b, err := gmopg.EncodeCP932(buf.String())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=Shift_JIS")
	w.WriteHeader(status)
	w.Write(b)
}

func readCP932Form(r *http.Request) gmopg.Values {
	b, _ := formBody(r, 64<<10)
	v, _ := gmopg.ParseForm(b)
	return v
}

// serveStart is the StartURL: the buyer's browser POSTs AccessID and Token here.
func (s *Sim) serveStart(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	in := readCP932Form(r)
	s.mu.Lock()
	t, err := s.startLocked(in.Get("AccessID"), in.Get("Token"))
	data := map[string]any{"Action": s.opts.Prefix + "/recruit/pay"}
	if err != nil {
		data["Err"] = err.Error()
	} else {
		data["Item"], data["Amount"], data["Tax"], data["OrderID"] = t.ItemName, t.Amount, t.Tax, t.OrderID
		data["AccessID"], data["Token"] = t.AccessID, t.Token
	}
	s.mu.Unlock()
	status := http.StatusOK
	if err != nil {
		status = http.StatusBadRequest
	}
	writeCP932Page(w, status, startPage, data)
}

// servePay applies the buyer's choice and posts the result back to the RetURL.
func (s *Sim) servePay(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	in := readCP932Form(r)
	retURL, back, err := s.Buy(in.Get("AccessID"), in.Get("Token"), BuyerAction(in.Get("action")))
	if err != nil {
		writeCP932Page(w, http.StatusBadRequest, startPage, map[string]any{"Err": err.Error()})
		return
	}
	writeCP932Page(w, http.StatusOK, returnPage, map[string]any{"URL": retURL, "Values": back})
}
