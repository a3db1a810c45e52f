package yamatosim

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/yamato"
)

// endpoint is one API: its rules run first (yamato.Validate), then the credentials, then its
// business logic, which returns the answer's result and warning or an error code.
type endpoint struct {
	api API
	// unknownStore and wrongPassword are the endpoint's codes for credentials that do not match.
	unknownStore, wrongPassword string
	// notFound is its 存在しない受注番号 code, also answered inside the follow-up window.
	notFound string
	handle   func(s *Sim, f url.Values, now time.Time) (answer, string)
}

// API is yamato.API, so tests and pages can name endpoints from this package alone.
type API = yamato.API

// answer is the part of the `<return>` an endpoint fills.
type answer struct {
	result, warning, reissueCode string
}

var endpoints = map[yamato.API]endpoint{
	yamato.APICredit:    {yamato.APICredit, "kaara092E", "kaara092E", "", (*Sim).credit},
	yamato.APIResult:    {yamato.APIResult, "kaars012E", "kaars012E", "kaars008E", (*Sim).result},
	yamato.APIStatus:    {yamato.APIStatus, "kaast015E", "kaast012E", "kaast008E", (*Sim).status},
	yamato.APIShipment:  {yamato.APIShipment, "kaasl041E", "kaasl036E", "kaasl008E", (*Sim).shipment},
	yamato.APICancel:    {yamato.APICancel, "kaacl017E", "kaacl013E", "kaacl008E", (*Sim).cancel},
	yamato.APIReduce:    {yamato.APIReduce, "kaakk004E", "kaakk061E", "kaakk008E", (*Sim).reduce},
	yamato.APIReissue:   {yamato.APIReissue, "kaarr004E", "kaarr012E", "kaarr008E", (*Sim).reissue},
	yamato.APISMSVerify: {yamato.APISMSVerify, "kaasa004E", "kaasa024E", "kaasa020E", (*Sim).sms},
}

// handleAPI serves POST {APIPath}{API}APIAction_execute.action.
func (s *Sim) handleAPI(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("file"), "APIAction_execute.action")
	ep, known := endpoints[yamato.API(name)]
	if !ok || !known {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "form: "+err.Error(), http.StatusBadRequest)
		return
	}
	f := r.PostForm
	if s.faultBefore(w, ep.api) {
		return
	}
	s.mu.Lock()
	now := s.now()
	s.tickLocked()
	a, code := s.run(ep, f, now)
	s.saveLocked()
	s.mu.Unlock()
	s.reply(w, r, ep.api, f, now, a, code)
}

func (s *Sim) run(ep endpoint, f url.Values, now time.Time) (answer, string) {
	if errs := yamato.Validate(ep.api, f); len(errs) > 0 {
		code := errs[0].Code // the provider answers one code: the first broken rule
		if code == "kaara052E" && s.opts.Enclosed {
			code = "kaara053E" // the same rule, worded for merchants with the 同梱 option
		}
		return answer{}, code
	}
	switch {
	case f.Get("ycfStrCode") != DefaultStoreCode:
		return answer{}, ep.unknownStore
	case f.Get("password") != DefaultPassword:
		return answer{}, ep.wrongPassword
	}
	if ep.notFound != "" && ep.api != yamato.APISMSVerify {
		o := s.st.Orders[f.Get("orderNo")]
		if o == nil || s.opts.FollowUpWindow > 0 && now.Sub(o.CreatedAt) < s.opts.FollowUpWindow {
			return answer{}, ep.notFound
		}
	}
	return ep.handle(s, f, now)
}

// reply writes the `<return>` answer, or plays an armed fault.
func (s *Sim) reply(w http.ResponseWriter, r *http.Request, api yamato.API, f url.Values, now time.Time, a answer, code string) {
	ans := yamato.Answer{StoreCode: f.Get("ycfStrCode"), OrderNo: f.Get("orderNo"), ReturnCode: yamato.ReturnOK,
		Result: a.result, Warning: a.warning, ReissueCode: a.reissueCode,
		RequestDate: now.In(clock.JST).Format("20060102150405")}
	if code != "" {
		ans.ReturnCode, ans.ErrorCode, ans.Result, ans.ReissueCode = yamato.ReturnError, code, "", ""
		if api == yamato.APIStatus {
			ans.Warning = string(yamato.WarningNone)
		}
	}
	if s.faultAfter(w, r, api, &ans) {
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=UTF-8")
	_, _ = w.Write(yamato.EncodeAnswer(ans))
}

// formOrder builds an order from a KAARA0010 form that passed the rules.
func formOrder(f url.Values, now time.Time, source string) *Order {
	o := &Order{OrderNo: f.Get("orderNo"), Source: source, OrderYmd: f.Get("orderYmd"), ShipYmd: f.Get("shipYmd"),
		Name: f.Get("name"), NameKana: f.Get("nameKana"), PostCode: f.Get("postCode"), Address1: f.Get("address1"),
		Address2: f.Get("address2"), Tel: f.Get("telNum"), Email: f.Get("email"), SendDiv: yamato.SendDiv(f.Get("sendDiv")),
		Status: yamato.StatusApproved, CreatedAt: now}
	o.Items = formItems(f)
	o.Total, _ = strconv.ParseInt(f.Get("totalAmount"), 10, 64)
	o.InitialTotal = o.Total
	return o
}

func formItems(f url.Values) []yamato.Item {
	var items []yamato.Item
	for i := 1; i <= yamato.ItemsMax; i++ {
		n := strconv.Itoa(i)
		if f.Get("itemName"+n) == "" {
			continue
		}
		it := yamato.Item{Name: f.Get("itemName" + n)}
		it.Count, _ = strconv.Atoi(f.Get("itemCount" + n))
		it.UnitPrice, _ = strconv.ParseInt(f.Get("unitPrice"+n), 10, 64)
		it.SubTotal, _ = strconv.ParseInt(f.Get("subTotal"+n), 10, 64)
		items = append(items, it)
	}
	return items
}

func itemsSum(items []yamato.Item) int64 {
	var n int64
	for _, it := range items {
		n += it.SubTotal
	}
	return n
}

// creditChecks are the KAARA0010 rules that need the provider's records; the buyer CSV upload
// runs them too.
func (s *Sim) creditChecks(f url.Values) string {
	switch {
	case s.st.Orders[f.Get("orderNo")] != nil:
		return "kaara009E"
	case f.Get("postCode") == PostCodeUnknown || strings.ReplaceAll(f.Get("postCode"), "-", "") == PostCodeUnknown:
		return "kaara029E"
	case strings.ReplaceAll(f.Get("sendPostCode"), "-", "") == PostCodeUnknown:
		return "kaara073E"
	case f.Get("sendDiv") == string(yamato.SendEnclosed) && !s.opts.Enclosed:
		return "kaara052E"
	}
	return ""
}

func (s *Sim) credit(f url.Values, now time.Time) (answer, string) {
	if code := s.creditChecks(f); code != "" {
		return answer{}, code
	}
	o := formOrder(f, now, "api")
	s.st.Orders[o.OrderNo] = o
	s.decideLocked(o, now)
	return answer{result: string(o.Result)}, ""
}

func (s *Sim) result(f url.Values, _ time.Time) (answer, string) {
	o := s.st.Orders[f.Get("orderNo")]
	if o.Status == yamato.StatusCancelled {
		return answer{}, "kaars008E" // 取消済でない存在する受注番号であること
	}
	return answer{result: string(o.Result)}, ""
}

func (s *Sim) status(f url.Values, now time.Time) (answer, string) {
	o := s.st.Orders[f.Get("orderNo")]
	return answer{result: string(o.Status), warning: string(o.Warning(now))}, ""
}

func (s *Sim) shipment(f url.Values, now time.Time) (answer, string) {
	o := s.st.Orders[f.Get("orderNo")]
	if code := s.shipmentChecks(o, f); code != "" {
		return answer{}, code
	}
	s.applyShipment(o, f, now)
	return answer{}, ""
}

// shipmentChecks are the KAASL0010 rules that need the provider's records; the shipment CSV
// upload runs them too.
func (s *Sim) shipmentChecks(o *Order, f url.Values) string {
	div := yamato.ProcessDiv(f.Get("processDiv"))
	no := f.Get("paymentNo")
	switch div {
	case yamato.ProcessRegister, yamato.ProcessOther:
		if o.Result != yamato.CreditOK || !o.Status.CanRegisterShipment() {
			return "kaasl020E"
		}
	default:
		if !o.Status.CanChangeShipment() {
			return "kaasl022E"
		}
	}
	if div == yamato.ProcessChange && f.Get("beforePaymentNo") != o.TrackingNo {
		return "kaasl011E"
	}
	if ship := f.Get("shipYmd"); ship != "" && ship < o.OrderYmd {
		return "kaasl027E"
	}
	if div != yamato.ProcessCancel {
		if div != yamato.ProcessOther && strings.HasPrefix(no, TrackingUnusable) {
			return "kaasl015E"
		}
		n := 0
		for _, p := range s.st.Orders {
			if p != o && p.TrackingNo == no && p.Status != yamato.StatusCancelled {
				n++
			}
		}
		if n >= 3 {
			return "kaasl045E"
		}
	}
	return ""
}

func (s *Sim) applyShipment(o *Order, f url.Values, now time.Time) {
	if yamato.ProcessDiv(f.Get("processDiv")) == yamato.ProcessCancel {
		o.log(now, "出荷情報取消（送り状番号 %s）", o.TrackingNo)
		o.TrackingNo, o.ShippedAt, o.Status = "", time.Time{}, yamato.StatusApproved
		return
	}
	o.TrackingNo, o.ShippedAt, o.Status = f.Get("paymentNo"), now, yamato.StatusShipped
	if d := f.Get("shipYmd"); d != "" {
		o.ShipYmd = d
	}
	o.log(now, "出荷情報登録（処理区分 %s、送り状番号 %s）", f.Get("processDiv"), o.TrackingNo)
}

func (s *Sim) cancel(f url.Values, now time.Time) (answer, string) {
	o := s.st.Orders[f.Get("orderNo")]
	switch {
	case o.Status == yamato.StatusPaid:
		return answer{}, "kaacl015E"
	case !o.Status.CanCancel():
		return answer{}, "kaacl009E"
	}
	o.Status = yamato.StatusCancelled
	o.log(now, "与信取消")
	return answer{}, ""
}

func (s *Sim) reduce(f url.Values, now time.Time) (answer, string) {
	o := s.st.Orders[f.Get("orderNo")]
	total, _ := strconv.ParseInt(f.Get("totalAmount"), 10, 64)
	items := formItems(f)
	switch {
	case o.Result != yamato.CreditOK || itemsSum(items) != total:
		return answer{}, "kaakk009E"
	case !o.Status.CanReduce():
		return answer{}, "kaakk011E"
	case f.Get("shipYmd") != "" && f.Get("shipYmd") < o.OrderYmd:
		return answer{}, "kaakk016E"
	case strings.ReplaceAll(f.Get("postCode"), "-", "") == PostCodeUnknown:
		return answer{}, "kaakk022E"
	case f.Get("sendDiv") == "1" && !s.opts.Enclosed:
		return answer{}, "kaakk055E"
	case total == o.Total:
		return answer{}, "kaakk049E"
	case total >= o.InitialTotal:
		return answer{}, "kaakk050E"
	}
	o.log(now, "金額変更（減額）%d円 → %d円", o.Total, total)
	o.Total, o.Items = total, items
	o.PostCode, o.Address1, o.Address2 = f.Get("postCode"), f.Get("address1"), f.Get("address2")
	if d := f.Get("shipYmd"); d != "" {
		o.ShipYmd = d
	}
	return answer{}, ""
}

func (s *Sim) reissue(f url.Values, now time.Time) (answer, string) {
	o := s.st.Orders[f.Get("orderNo")]
	if yamato.ReissueContents(f.Get("requestContents")) == yamato.ReissueWithdraw {
		if !o.ReissueOpen {
			return answer{}, "kaarr017E"
		}
		o.ReissueOpen = false
		o.log(now, "請求書再発行の取下げ")
		return answer{reissueCode: "1"}, ""
	}
	switch {
	case !o.Status.CanReissue():
		return answer{}, "kaarr016E"
	case o.Reissues >= yamato.ReissueMax:
		return answer{}, "kaarr009E"
	case itemsSum(formItems(f)) != o.Total:
		return answer{}, "kaarr067E"
	case f.Get("shipYmd") != "" && f.Get("shipYmd") < o.OrderYmd:
		return answer{}, "kaarr029E"
	case strings.ReplaceAll(f.Get("postCode"), "-", "") == PostCodeUnknown:
		return answer{}, "kaarr038E"
	case f.Get("sendDiv") == "1" && !s.opts.Enclosed:
		return answer{}, "kaarr033E"
	}
	o.Reissues++
	o.ReissueOpen = true
	o.PostCode, o.Address1, o.Address2 = f.Get("postCode"), f.Get("address1"), f.Get("address2")
	o.log(now, "請求書再発行（%d回目、不備事由 %s）", o.Reissues, f.Get("reasonReissue"))
	return answer{reissueCode: "1"}, ""
}

func (s *Sim) sms(f url.Values, now time.Time) (answer, string) {
	o := s.st.Orders[f.Get("orderNo")]
	switch {
	case o == nil || o.SMSExpires.IsZero():
		return answer{}, "kaasa020E"
	case o.SMSTries >= s.opts.SMSMaxTries:
		return answer{}, "kaasa021E"
	case o.Result != yamato.CreditReviewed:
		if !now.Before(o.SMSExpires) {
			return answer{result: string(yamato.SMSExpired)}, ""
		}
		return answer{}, "kaasa020E"
	case f.Get("ninCode") != SMSCode:
		o.SMSTries++
		o.log(now, "SMS認証コード不一致（%d回目）", o.SMSTries)
		return answer{result: string(yamato.SMSMismatch)}, ""
	}
	o.Result, o.DecidedAt, o.SMSExpires = yamato.CreditOK, now, time.Time{}
	o.log(now, "SMS認証OK: ご利用可")
	return answer{result: string(yamato.SMSOK)}, ""
}

// fmtYen formats yen with thousands separators for the pages.
func fmtYen(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String() + "円"
	}
	return fmt.Sprintf("%s円", b.String())
}
