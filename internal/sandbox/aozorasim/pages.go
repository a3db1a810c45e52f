package aozorasim

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"kessai/internal/platform/clock"
	"net/http"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

var funcs = template.FuncMap{
	"yen": yen,
	"jst": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(clock.JST).Format("2006-01-02 15:04:05")
	},
}

// pages holds one template set per page, each with the layout and the scenario table.
var pages = func() map[string]*template.Template {
	base := template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/scenarios.html"))
	m := map[string]*template.Template{}
	for _, name := range []string{"index", "login", "error", "mailbox", "approve"} {
		m[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name+".html"))
	}
	return m
}()

// pageData feeds every page; each page uses what it needs.
type pageData struct {
	Title, Message string
	OK             bool
	Prefix         string
	Now            time.Time
	Auth           authRequest
	LoginID        string
	To             string
	Window         string
	Mails          []Mail
	Transfers      []TransferView
	Transfer       *TransferView
	Token          string
	Waiting        bool
	Faults         []FaultState
}

func (s *Sim) renderPage(w http.ResponseWriter, status int, name string, d pageData) {
	d.Prefix = s.opts.Prefix
	if d.Now.IsZero() {
		d.Now = s.now()
	}
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout", d); err != nil {
		http.Error(w, "template: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Sim) handleIndex(w http.ResponseWriter, _ *http.Request) {
	s.renderPage(w, http.StatusOK, "index", pageData{Title: "サンドボックス", Transfers: s.Transfers(), Faults: s.Faults()})
}

func (s *Sim) handleMailbox(w http.ResponseWriter, _ *http.Request) {
	s.renderPage(w, http.StatusOK, "mailbox", pageData{Title: "メールボックス", Mails: s.Mails(), To: ApproverAddress,
		Window: clock.FormatDuration(s.opts.ApprovalWindow), Faults: s.Faults()})
}

// approvalData looks the token up for the approval page.
func (s *Sim) approvalData(token string) pageData {
	d := pageData{Title: "振込の承認", Token: token}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked()
	t := s.byTokenLocked(token)
	if t == nil {
		if token != "" {
			d.Message = "ワンタイムトークンが正しくありません。"
		}
		d.Waiting = true
		return d
	}
	for _, v := range s.transfersLocked() {
		if v.ApplyNo == t.ApplyNo {
			d.Transfer = &v
		}
	}
	d.Waiting = t.Status == "2"
	if !d.Waiting {
		d.Message = "この依頼は承認待ちではありません（" + t.Status.Label() + "）。"
	}
	return d
}

func (s *Sim) handleApprovePage(w http.ResponseWriter, r *http.Request) {
	s.renderPage(w, http.StatusOK, "approve", s.approvalData(r.URL.Query().Get("token")))
}

func (s *Sim) handleApproveForm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	token := r.PostForm.Get("token")
	var err error
	msg := "承認しました。"
	if r.PostForm.Get("action") == "reject" {
		err, msg = s.Reject(token), "差し戻しました。"
	} else {
		err = s.Approve(token, r.PostForm.Get("password"))
	}
	d := s.approvalData(token)
	status := http.StatusOK
	switch {
	case err == nil:
		d.Message, d.OK = msg, true
	case errors.Is(err, ErrWrongPassword):
		d.Message, status = "取引パスワードが正しくありません。", http.StatusUnauthorized
	case errors.Is(err, ErrUnknownToken):
		d.Message, status = "ワンタイムトークンが正しくありません。", http.StatusNotFound
	default:
		d.Message, status = "承認できません: "+err.Error(), http.StatusConflict
	}
	s.renderPage(w, status, "approve", d)
}
