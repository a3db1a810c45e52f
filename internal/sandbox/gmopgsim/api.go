package gmopgsim

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"kessai/internal/provider/gmopg"
)

// call is one /payment/<API>.idPass request being answered.
type call struct {
	api  string
	in   gmopg.Values
	r    *http.Request
	errs []string // ErrInfo codes collected so far, in parameter order
}

func (c *call) fail(info string)        { c.errs = append(c.errs, info) }
func (c *call) get(k string) string     { return c.in.Get(k) }
func (c *call) failed() bool            { return len(c.errs) > 0 }
func (c *call) has(k string) bool       { _, ok := c.in.Lookup(k); return ok && c.in.Get(k) != "" }
func (c *call) errAnswer() gmopg.Values { return errAnswer(c.errs...) }

// errAnswer is GMO-PG's error answer: every pair at once, "|"-joined, ErrCode the first three
// characters of each ErrInfo.
func errAnswer(infos ...string) gmopg.Values {
	codes := make([]string, len(infos))
	for i, info := range infos {
		codes[i] = info[:3]
	}
	return gmopg.Values{{Key: "ErrCode", Value: strings.Join(codes, "|")}, {Key: "ErrInfo", Value: strings.Join(infos, "|")}}
}

type apiFunc func(s *Sim, c *call) gmopg.Values

// apis lists every API the Sim answers. Each runs with s.mu held.
var apis = map[string]apiFunc{
	"SaveMember":        (*Sim).saveMember,
	"SearchMember":      (*Sim).searchMember,
	"DeleteMember":      (*Sim).deleteMember,
	"SaveCard":          (*Sim).saveCard,
	"SearchCard":        (*Sim).searchCard,
	"DeleteCard":        (*Sim).deleteCard,
	"EntryTran":         (*Sim).entryTran,
	"ExecTran":          (*Sim).execTran,
	"AlterTran":         (*Sim).alterTran,
	"ChangeTran":        (*Sim).changeTran,
	"SearchTrade":       (*Sim).searchTrade,
	"EntryTranRecruit":  (*Sim).entryTranRecruit,
	"ExecTranRecruit":   (*Sim).execTranRecruit,
	"RecruitSales":      (*Sim).recruitSales,
	"RecruitCancel":     (*Sim).recruitCancel,
	"RecruitChange":     (*Sim).recruitChange,
	"RecruitUpdateAuth": (*Sim).recruitUpdateAuth,
	"SearchTradeMulti":  (*Sim).searchTradeMulti,
}

// formBody is the request's percent-encoded CP932 form. Mounted inside kessai, the host's
// request guard has already parsed the body into r.PostForm (its values are the raw CP932
// bytes, percent-decoded): encoded again, it means what was sent.
func formBody(r *http.Request, limit int64) ([]byte, error) {
	if r.PostForm != nil {
		return []byte(r.PostForm.Encode()), nil
	}
	return io.ReadAll(io.LimitReader(r.Body, limit))
}

// serveAPI answers POST /payment/<API>.idPass with HTTP 200 and a raw CP932 body, errors
// included, as GMO-PG does.
func (s *Sim) serveAPI(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/payment/"), ".idPass")
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := formBody(r, 1<<20)
	if err != nil {
		return
	}
	in, err := gmopg.ParseForm(body)
	if err != nil {
		writeAnswer(w, errAnswer(infoUnknownAPI))
		return
	}
	h := apis[name]
	if !ok || h == nil {
		writeAnswer(w, errAnswer(infoUnknownAPI))
		return
	}
	run := func() gmopg.Values {
		s.mu.Lock()
		c := &call{api: name, in: in, r: r}
		ans := h(s, c)
		s.saveLocked()
		s.mu.Unlock()
		s.kickDelivery()
		return ans
	}
	switch f := s.takeFault(name); f {
	case "":
		writeAnswer(w, run())
	case FaultRateLimit:
		writeAnswer(w, errAnswer(gmopg.InfoRateLimited))
	case FaultCardCompany:
		writeAnswer(w, errAnswer(infoCardCompanyDown))
	case FaultDoubleSubmission:
		// The first request went through; this answer is the one the client sees.
		run()
		writeAnswer(w, errAnswer(gmopg.InfoDoubleSubmission))
	case FaultTimeoutAfterAccept:
		run()
		t := time.NewTimer(s.opts.HangTimeout)
		defer t.Stop()
		select {
		case <-r.Context().Done():
		case <-t.C:
		}
		panic(http.ErrAbortHandler)
	case FaultCloseAfterAccept:
		run()
		panic(http.ErrAbortHandler)
	}
}

func writeAnswer(w http.ResponseWriter, v gmopg.Values) {
	b, err := gmopg.FormatAnswer(v)
	if err != nil {
		b, _ = gmopg.FormatAnswer(errAnswer(gmopg.InfoSystemError))
	}
	w.Header().Set("Content-Type", "text/plain;charset=Windows-31J")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

// checkShop validates ShopID/ShopPass.
func (s *Sim) checkShop(c *call) {
	id, pass := c.get("ShopID"), c.get("ShopPass")
	switch {
	case id == "":
		c.fail(gmopg.InfoShopIDMissing)
	case pass == "":
		c.fail(gmopg.InfoShopPassMissing)
	case id != s.opts.ShopID || pass != s.opts.ShopPass:
		c.fail(gmopg.InfoShopNotFound)
	}
}

// checkSite validates SiteID/SitePass.
func (s *Sim) checkSite(c *call) {
	if c.get("SiteID") != s.opts.SiteID || c.get("SitePass") != s.opts.SitePass {
		c.fail(gmopg.InfoSiteNotFound)
	}
}

// checkOrderID validates an OrderID's form.
func checkOrderID(c *call) string {
	id := c.get("OrderID")
	switch {
	case id == "":
		c.fail(gmopg.InfoOrderIDMissing)
	case len(id) > 27:
		c.fail(gmopg.InfoOrderIDTooLong)
	case strings.Trim(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-") != "":
		c.fail(gmopg.InfoOrderIDChars)
	}
	return id
}

// amount reads Amount: missing and non-numeric are separate errors.
func amount(c *call, key string, required bool) int64 {
	v := c.get(key)
	if v == "" {
		if required {
			c.fail(gmopg.InfoAmountMissing)
		}
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || strings.TrimLeft(v, "0123456789") != "" {
		c.fail(gmopg.InfoAmountNotNumeric)
		return 0
	}
	return n
}

// access finds the transaction named by AccessID/AccessPass (and OrderID when given).
func (s *Sim) access(c *call) *tran {
	id, pass := c.get("AccessID"), c.get("AccessPass")
	if !isHex32(id) {
		c.fail(gmopg.InfoAccessIDFormat)
	}
	if !isHex32(pass) {
		c.fail(gmopg.InfoAccessPassFormat)
	}
	if t := s.byAccess[id]; t != nil && t.AccessPass == pass && (c.get("OrderID") == "" || c.get("OrderID") == t.OrderID) {
		t.settle(s.now())
		return t
	}
	c.fail(gmopg.InfoTranNotFound)
	return nil
}

func isHex32(s string) bool {
	return len(s) == 32 && strings.Trim(s, "0123456789abcdef") == ""
}

func (s *Sim) nextSeq() int64 { s.st.Seq++; return s.st.Seq }

// --- members and cards ---

func (s *Sim) member(c *call) *member {
	id := c.get("MemberID")
	if id == "" {
		c.fail(infoMemberIDMissing)
		return nil
	}
	m := s.st.Members[id]
	if m == nil || m.Deleted {
		c.fail(gmopg.InfoMemberNotFound)
		return nil
	}
	return m
}

func (s *Sim) saveMember(c *call) gmopg.Values {
	s.checkSite(c)
	id := c.get("MemberID")
	if id == "" {
		c.fail(infoMemberIDMissing)
	} else if m := s.st.Members[id]; m != nil && !m.Deleted {
		c.fail(gmopg.InfoMemberExists)
	}
	if c.failed() {
		return c.errAnswer()
	}
	s.st.Members[id] = &member{ID: id, Name: c.get("MemberName"), CreatedAt: s.now()}
	return gmopg.Values{{Key: "MemberID", Value: id}}
}

func (s *Sim) searchMember(c *call) gmopg.Values {
	s.checkSite(c)
	m := s.member(c)
	if c.failed() {
		return c.errAnswer()
	}
	return gmopg.Values{{Key: "MemberID", Value: m.ID}, {Key: "MemberName", Value: m.Name}, {Key: "DeleteFlag", Value: "0"}}
}

func (s *Sim) deleteMember(c *call) gmopg.Values {
	s.checkSite(c)
	m := s.member(c)
	if c.failed() {
		return c.errAnswer()
	}
	m.Deleted = true
	for _, cd := range m.Cards {
		cd.Deleted = true
	}
	return gmopg.Values{{Key: "MemberID", Value: m.ID}}
}

// cardSource reads Token, or CardNo and Expire, validating each as GMO-PG does.
func (s *Sim) cardSource(c *call) (no, expire string, tok *token) {
	if t := c.get("Token"); t != "" {
		tok = s.st.Tokens[t]
		if tok == nil || tok.Used {
			c.fail(infoTokenInvalid)
			return "", "", nil
		}
		return tok.CardNo, tok.Expire, tok
	}
	no, expire = c.get("CardNo"), c.get("Expire")
	switch {
	case no == "":
		c.fail(gmopg.InfoCardNoMissing)
	case strings.Trim(no, "0123456789") != "":
		c.fail(gmopg.InfoCardNoNotDigits)
	case len(no) < 14 || len(no) > 16:
		c.fail(gmopg.InfoCardNoLength)
	}
	switch {
	case expire == "":
		c.fail(gmopg.InfoExpireMissing)
	case strings.Trim(expire, "0123456789") != "":
		c.fail(gmopg.InfoExpireNotDigits)
	case len(expire) != 4 || expire[2:] < "01" || expire[2:] > "12":
		c.fail(gmopg.InfoExpireFormat)
	}
	return no, expire, nil
}

// maxCards is how many live cards a member may hold.
const maxCards = 5

func (s *Sim) saveCard(c *call) gmopg.Values {
	s.checkSite(c)
	m := s.member(c)
	flag := c.get("DefaultFlag")
	if flag != "" && flag != "0" && flag != "1" {
		c.fail(gmopg.InfoDefaultFlag)
	}
	no, expire, tok := s.cardSource(c)
	var existing *card
	if m != nil && c.has("CardSeq") {
		seq, err := strconv.Atoi(c.get("CardSeq"))
		if existing = m.card(seq); err != nil || existing == nil {
			c.fail(gmopg.InfoCardNotFound)
		}
	}
	if m != nil && existing == nil && !c.failed() {
		live := 0
		for _, cd := range m.Cards {
			if !cd.Deleted {
				live++
			}
		}
		if live >= maxCards {
			c.fail(gmopg.InfoTooManyCards)
		}
	}
	if c.failed() {
		return c.errAnswer()
	}
	if tok != nil {
		tok.Used = true
	}
	cd := existing
	if cd == nil {
		cd = &card{Seq: len(m.Cards)}
		m.Cards = append(m.Cards, cd)
	}
	cd.No, cd.Expire, cd.Name, cd.Holder, cd.SavedAt = no, expire, c.get("CardName"), c.get("HolderName"), s.now()
	if tok != nil && tok.Holder != "" && cd.Holder == "" {
		cd.Holder = tok.Holder
	}
	if flag == "1" {
		for _, o := range m.Cards {
			o.Default = false
		}
	}
	cd.Default = flag == "1" || (flag == "" && cd.Default)
	return gmopg.Values{{Key: "CardSeq", Value: strconv.Itoa(cd.Seq)}, {Key: "CardNo", Value: mask(cd.No)},
		{Key: "Forward", Value: "2a99662"}, {Key: "Brand", Value: brand(cd.No)}, {Key: "DomesticFlag", Value: "1"},
		{Key: "IssuerCode", Value: ""}, {Key: "DebitPrepaidFlag", Value: "0"}, {Key: "DebitPrepaidIssuerName", Value: ""},
		{Key: "ForwardFinal", Value: "2a99662"}}
}

func (s *Sim) searchCard(c *call) gmopg.Values {
	s.checkSite(c)
	m := s.member(c)
	var cards []*card
	if m != nil {
		if c.has("CardSeq") {
			seq, err := strconv.Atoi(c.get("CardSeq"))
			if cd := m.card(seq); err == nil && cd != nil {
				cards = append(cards, cd)
			}
		} else {
			for _, cd := range m.Cards {
				if !cd.Deleted {
					cards = append(cards, cd)
				}
			}
		}
		if len(cards) == 0 {
			c.fail(gmopg.InfoCardNotFound)
		}
	}
	if c.failed() {
		return c.errAnswer()
	}
	col := func(f func(*card) string) string {
		parts := make([]string, len(cards))
		for i, cd := range cards {
			parts[i] = f(cd)
		}
		return strings.Join(parts, "|")
	}
	flag := func(b bool) string {
		if b {
			return "1"
		}
		return "0"
	}
	return gmopg.Values{
		{Key: "CardSeq", Value: col(func(cd *card) string { return strconv.Itoa(cd.Seq) })},
		{Key: "DefaultFlag", Value: col(func(cd *card) string { return flag(cd.Default) })},
		{Key: "CardName", Value: col(func(cd *card) string { return cd.Name })},
		{Key: "CardNo", Value: col(func(cd *card) string { return mask(cd.No) })},
		{Key: "Expire", Value: col(func(cd *card) string { return cd.Expire })},
		{Key: "HolderName", Value: col(func(cd *card) string { return cd.Holder })},
		{Key: "DeleteFlag", Value: col(func(cd *card) string { return flag(cd.Deleted) })},
		{Key: "Brand", Value: col(func(cd *card) string { return brand(cd.No) })},
	}
}

func (s *Sim) deleteCard(c *call) gmopg.Values {
	s.checkSite(c)
	m := s.member(c)
	var cd *card
	if m != nil {
		seq, err := strconv.Atoi(c.get("CardSeq"))
		if cd = m.card(seq); err != nil || cd == nil {
			c.fail(gmopg.InfoCardNotFound)
		}
	}
	if c.failed() {
		return c.errAnswer()
	}
	cd.Deleted = true
	return gmopg.Values{{Key: "CardSeq", Value: strconv.Itoa(cd.Seq)}}
}

// --- card transactions ---

// entry validates and creates a transaction for EntryTran and EntryTranRecruit.
func (s *Sim) entry(c *call, pt gmopg.PayType, jobs ...gmopg.JobCd) *tran {
	s.checkShop(c)
	id := checkOrderID(c)
	job := gmopg.JobCd(c.get("JobCd"))
	switch {
	case job == "":
		c.fail(gmopg.InfoJobCdMissing)
	case !contains(jobs, job):
		c.fail(gmopg.InfoJobCdUndefined)
	}
	amt := amount(c, "Amount", job != gmopg.JobCheck)
	tax := amount(c, "Tax", false)
	if id != "" && s.st.Trans[id] != nil {
		c.fail(gmopg.InfoOrderIDExists)
	}
	if c.failed() {
		return nil
	}
	t := &tran{OrderID: id, AccessID: randomHex(16), AccessPass: randomHex(16), PayType: pt, JobCd: job,
		Status: gmopg.StatusUnprocessed, Amount: amt, Tax: tax, ItemCode: c.get("ItemCode")}
	if t.ItemCode == "" && pt == gmopg.PayTypeCard {
		t.ItemCode = "0000990"
	}
	t.record(s.now(), "entry")
	s.st.Trans[id] = t
	s.byAccess[t.AccessID] = t
	return t
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *Sim) entryTran(c *call) gmopg.Values {
	t := s.entry(c, gmopg.PayTypeCard, gmopg.JobCheck, gmopg.JobCapture, gmopg.JobAuth, gmopg.JobSAuth)
	if t == nil {
		return c.errAnswer()
	}
	return gmopg.Values{{Key: "AccessID", Value: t.AccessID}, {Key: "AccessPass", Value: t.AccessPass}}
}

func (s *Sim) execTran(c *call) gmopg.Values {
	t := s.access(c)
	if t != nil && t.PayType != gmopg.PayTypeCard {
		c.fail(gmopg.InfoTranNotFound)
	}
	var no, expire, memberID string
	var tok *token
	if c.has("MemberID") {
		s.checkSite(c)
		if m := s.member(c); m != nil {
			seq, err := strconv.Atoi(c.get("CardSeq"))
			cd := m.card(seq)
			if err != nil || cd == nil {
				c.fail(gmopg.InfoCardNotFound)
			} else {
				no, expire, memberID = cd.No, cd.Expire, m.ID
			}
		}
	} else {
		no, expire, tok = s.cardSource(c)
	}
	if !c.failed() && t.Status != gmopg.StatusUnprocessed {
		c.fail(gmopg.InfoAlreadySettled)
	}
	if c.failed() {
		return c.errAnswer()
	}
	switch no {
	case CardDeclined:
		return errAnswer(infoDeclined)
	case CardCompanyDown:
		return errAnswer(infoCardCompanyDown)
	}
	if tok != nil {
		tok.Used = true
	}
	now := s.now()
	t.MemberID, t.CardNo, t.Expire = memberID, mask(no), expire
	t.Method, t.Forward, t.Approve = c.get("Method"), "2a99662", fmt.Sprintf("%07d", s.nextSeq()%10000000)
	if t.Method == "" {
		t.Method = "1"
	}
	if t.Method != "1" {
		t.PayTimes = c.get("PayTimes")
	}
	t.TranID = now.In(jst).Format("0601021504") + fmt.Sprintf("%018d", s.nextSeq())
	t.TranDate = now
	t.ClientField = [3]string{c.get("ClientField1"), c.get("ClientField2"), c.get("ClientField3")}
	switch t.JobCd {
	case gmopg.JobAuth, gmopg.JobSAuth:
		t.Status = gmopg.StatusAuth
		t.AuthDeadline = now.AddDate(0, 0, s.opts.CardAuthDays)
	case gmopg.JobCapture:
		t.Status, t.CapturedAt = gmopg.StatusCapture, now
	case gmopg.JobCheck:
		t.Status = gmopg.StatusCheck
	}
	t.record(now, "exec")
	s.noticeLocked(t)
	ans := gmopg.Values{{Key: "ACS", Value: "0"}, {Key: "OrderID", Value: t.OrderID}, {Key: "Forward", Value: t.Forward},
		{Key: "Method", Value: t.Method}, {Key: "PayTimes", Value: t.PayTimes}, {Key: "Approve", Value: t.Approve},
		{Key: "TranID", Value: t.TranID}, {Key: "TranDate", Value: gmopg.FormatTime(now)}, {Key: "CheckString", Value: randomHex(16)}}
	if c.get("ClientFieldFlag") == "1" {
		ans = append(ans, gmopg.Values{{Key: "ClientField1", Value: t.ClientField[0]}, {Key: "ClientField2", Value: t.ClientField[1]},
			{Key: "ClientField3", Value: t.ClientField[2]}}...)
	}
	return ans
}

func tranAnswer(t *tran, now time.Time) gmopg.Values {
	return gmopg.Values{{Key: "AccessID", Value: t.AccessID}, {Key: "AccessPass", Value: t.AccessPass},
		{Key: "Forward", Value: t.Forward}, {Key: "Approve", Value: t.Approve}, {Key: "TranID", Value: t.TranID},
		{Key: "TranDate", Value: gmopg.FormatTime(now)}}
}

func (s *Sim) alterTran(c *call) gmopg.Values {
	s.checkShop(c)
	t := s.access(c)
	job := gmopg.JobCd(c.get("JobCd"))
	if job == "" {
		c.fail(gmopg.InfoJobCdMissing)
	} else if !contains([]gmopg.JobCd{gmopg.JobSales, gmopg.JobVoid, gmopg.JobReturn, gmopg.JobReturnX}, job) {
		c.fail(gmopg.InfoJobCdUndefined)
	}
	amt := amount(c, "Amount", job == gmopg.JobSales)
	if c.failed() {
		return c.errAnswer()
	}
	now := s.now()
	switch {
	case t.PayType != gmopg.PayTypeCard:
		c.fail(gmopg.InfoTranNotFound)
	case job == gmopg.JobSales && t.Status == gmopg.StatusAuth:
		if amt != t.Amount {
			c.fail(gmopg.InfoAmountMismatch)
		}
		if now.After(t.AuthDeadline) {
			c.fail(gmopg.InfoAuthPeriodOver)
		}
	case job == gmopg.JobVoid && contains([]gmopg.Status{gmopg.StatusAuth, gmopg.StatusCapture, gmopg.StatusSales}, t.Status):
	case (job == gmopg.JobReturn || job == gmopg.JobReturnX) && (t.Status == gmopg.StatusCapture || t.Status == gmopg.StatusSales):
	default:
		c.fail(gmopg.InfoJobCdNotAllowed)
	}
	if c.failed() {
		return c.errAnswer()
	}
	switch job {
	case gmopg.JobSales:
		t.Status, t.CapturedAt = gmopg.StatusSales, now
	case gmopg.JobVoid:
		t.Status = gmopg.StatusVoid
	case gmopg.JobReturn:
		t.Status = gmopg.StatusReturn
	case gmopg.JobReturnX:
		t.Status = gmopg.StatusReturnX
	}
	t.JobCd = job
	t.TranID = now.In(jst).Format("0601021504") + fmt.Sprintf("%018d", s.nextSeq())
	t.record(now, "alter "+string(job))
	s.noticeLocked(t)
	return tranAnswer(t, now)
}

func (s *Sim) changeTran(c *call) gmopg.Values {
	s.checkShop(c)
	t := s.access(c)
	job := gmopg.JobCd(c.get("JobCd"))
	if !contains([]gmopg.JobCd{gmopg.JobAuth, gmopg.JobCapture, gmopg.JobSales}, job) {
		c.fail(gmopg.InfoJobCdUndefined)
	}
	amt := amount(c, "Amount", true)
	tax := amount(c, "Tax", false)
	if !c.failed() && (t.PayType != gmopg.PayTypeCard || !contains([]gmopg.Status{gmopg.StatusAuth, gmopg.StatusCapture, gmopg.StatusSales}, t.Status)) {
		c.fail(gmopg.InfoJobCdNotAllowed)
	}
	if c.failed() {
		return c.errAnswer()
	}
	now := s.now()
	t.Amount, t.Tax, t.JobCd = amt, tax, job
	switch job {
	case gmopg.JobAuth:
		t.Status = gmopg.StatusAuth
	case gmopg.JobCapture:
		t.Status = gmopg.StatusCapture
	case gmopg.JobSales:
		t.Status = gmopg.StatusSales
	}
	t.record(now, "change")
	s.noticeLocked(t)
	return tranAnswer(t, now)
}

func (s *Sim) searchTrade(c *call) gmopg.Values {
	s.checkShop(c)
	id := checkOrderID(c)
	t := s.st.Trans[id]
	if !c.failed() && (t == nil || t.PayType != gmopg.PayTypeCard) {
		c.fail(gmopg.InfoTranNotFound)
	}
	if c.failed() {
		return c.errAnswer()
	}
	t.settle(s.now())
	site := ""
	if t.MemberID != "" {
		site = s.opts.SiteID
	}
	return gmopg.Values{{Key: "OrderID", Value: t.OrderID}, {Key: "Status", Value: string(t.Status)},
		{Key: "ProcessDate", Value: gmopg.FormatTime(t.ProcessDate)}, {Key: "JobCd", Value: string(t.JobCd)},
		{Key: "AccessID", Value: t.AccessID}, {Key: "AccessPass", Value: t.AccessPass}, {Key: "ItemCode", Value: t.ItemCode},
		{Key: "Amount", Value: strconv.FormatInt(t.Amount, 10)}, {Key: "Tax", Value: strconv.FormatInt(t.Tax, 10)},
		{Key: "SiteID", Value: site}, {Key: "MemberID", Value: t.MemberID}, {Key: "CardNo", Value: t.CardNo},
		{Key: "Expire", Value: t.Expire}, {Key: "Method", Value: t.Method}, {Key: "PayTimes", Value: t.PayTimes},
		{Key: "Forward", Value: t.Forward}, {Key: "TranID", Value: t.TranID}, {Key: "Approve", Value: t.Approve},
		{Key: "ClientField1", Value: t.ClientField[0]}, {Key: "ClientField2", Value: t.ClientField[1]},
		{Key: "ClientField3", Value: t.ClientField[2]}}
}
