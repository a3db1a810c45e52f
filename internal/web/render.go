package web

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/logs"
)

//go:embed templates
var shellTemplates embed.FS

//go:embed static
var staticFiles embed.FS

// Static serves the embedded CSS and JavaScript under /static/.
func Static() http.Handler {
	sub, _ := fs.Sub(staticFiles, "static")
	fileServer := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fileServer.ServeHTTP(w, r)
	})
}

// View is what every page template receives. Room handlers fill Title, Nav and Data; the
// renderer fills the rest from the request.
type View struct {
	Title string
	// Nav is the key of the highlighted navigation entry (see layout.html).
	Nav  string
	Data any

	Principal *auth.Principal
	CSRFToken string
	// FormToken is the one-time token of a create form (see FormTokens).
	FormToken string
	Flash     string
	// FlashKind is "" for a success message and "error" for a refusal (SetFlashError).
	FlashKind string
	Path      string
	Query     url.Values
	Now       time.Time
	Sandbox   bool
	// Menu is the navigation the principal may open (Shell.AddNav).
	Menu Menu
}

// Renderer holds the parsed templates: the shell's layout and partials plus each room's pages.
// Page templates define "content"; the layout wraps them.
type Renderer struct {
	base    *template.Template
	pages   map[string]*template.Template
	clock   clock.Clock
	sandbox bool
	// Sandbox, when set, says whether kessai talks to a simulator now (the サンドボックス badge);
	// otherwise the sandbox flag of NewRenderer holds.
	Sandbox func(ctx context.Context) bool
	menu    func(p *auth.Principal, current string) Menu
}

// NewRenderer parses the shell's templates. sandbox marks the UI as running against simulators.
func NewRenderer(c clock.Clock, sandbox bool) (*Renderer, error) {
	base, err := template.New("layout").Funcs(Funcs()).ParseFS(shellTemplates, "templates/*.part.html")
	if err != nil {
		return nil, fmt.Errorf("parse shell templates: %w", err)
	}
	r := &Renderer{base: base, pages: map[string]*template.Template{}, clock: c, sandbox: sandbox}
	if err := r.Add("web", shellTemplates, "templates"); err != nil {
		return nil, err
	}
	return r, nil
}

// Add parses every page file in dir of fsys under the name "room/file.html". Files named
// *.part.html in that dir are partials shared by the room's pages (define blocks only).
func (r *Renderer) Add(room string, fsys fs.FS, dir string) error {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return fmt.Errorf("templates of %s: %w", room, err)
	}
	var partials []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".part.html") {
			partials = append(partials, path.Join(dir, e.Name()))
		}
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasSuffix(name, ".part.html") || !strings.HasSuffix(name, ".html") {
			continue
		}
		t, err := r.base.Clone()
		if err != nil {
			return err
		}
		files := append(append([]string(nil), partials...), path.Join(dir, name))
		if room == "web" {
			files = []string{path.Join(dir, name)} // shell partials are in base already
		}
		if _, err := t.ParseFS(fsys, files...); err != nil {
			return fmt.Errorf("parse %s/%s: %w", room, name, err)
		}
		r.pages[room+"/"+name] = t
	}
	return nil
}

// Render writes the page name ("room/file.html") with status.
func (r *Renderer) Render(w http.ResponseWriter, req *http.Request, status int, name string, v View) {
	t, ok := r.pages[name]
	if !ok {
		logs.From(req.Context()).ErrorContext(req.Context(), "missing template", "name", name)
		http.Error(w, "template "+name+" not found", http.StatusInternalServerError)
		return
	}
	p := auth.FromContext(req.Context())
	v.Principal = p
	if p != nil {
		v.CSRFToken = p.CSRFToken
	}
	v.Path = req.URL.Path
	v.Query = req.URL.Query()
	v.Now = r.clock.Now()
	v.Sandbox = r.sandbox
	if r.Sandbox != nil {
		v.Sandbox = r.Sandbox(req.Context())
	}
	if r.menu != nil && p != nil {
		v.Menu = r.menu(p, v.Nav)
	}
	if v.FormToken == "" {
		v.FormToken = req.PostForm.Get(FormTokenField) // a form shown again keeps its token
	}
	if v.FormToken == "" {
		v.FormToken = NewFormToken()
	}
	if v.Flash == "" {
		v.Flash, v.FlashKind = TakeFlashKind(w, req)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		logs.From(req.Context()).ErrorContext(req.Context(), "render", "name", name, "err", err, "request_id", RequestID(req.Context()))
		http.Error(w, "内部エラーが発生しました（画面の表示に失敗）", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// Error renders err as an error page with the matching status.
func (r *Renderer) Error(w http.ResponseWriter, req *http.Request, err error) {
	e := errs.As(err)
	if ee, ok := ended(w, req, err); ok {
		if ee == nil {
			return
		}
		e = ee
	}
	if e == nil {
		e = &errs.Error{Kind: errs.KindInternal, Cause: err}
	}
	msg := e.Message
	if e.Kind == errs.KindInternal {
		logs.From(req.Context()).ErrorContext(req.Context(), "internal error", "err", err, "request_id", RequestID(req.Context()), "path", req.URL.Path)
		msg = "内部エラーが発生しました。時間をおいて再度お試しください（リクエストID: " + RequestID(req.Context()) + "）"
	}
	setRetryAfter(w, e.Kind)
	r.Render(w, req, StatusOf(e.Kind), "web/error.html", View{Title: "エラー", Data: map[string]any{"Message": msg, "Fields": e.Fields, "Status": StatusOf(e.Kind)}})
}

const flashCookie = "kessai_flash"

// flashErrorPrefix marks an error flash in the cookie (QueryEscape never yields "!").
const flashErrorPrefix = "!"

// SetFlash stores a one-time success message shown on the next page (after a redirect).
func SetFlash(w http.ResponseWriter, msg string) { setFlash(w, url.QueryEscape(msg)) }

// SetFlashError stores a one-time message saying what was refused or failed and why; it is
// shown in red, not as a success.
func SetFlashError(w http.ResponseWriter, msg string) {
	setFlash(w, flashErrorPrefix+url.QueryEscape(msg))
}

func setFlash(w http.ResponseWriter, v string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: v, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: 60})
}

// TakeFlash reads and clears the one-time message.
func TakeFlash(w http.ResponseWriter, r *http.Request) string {
	msg, _ := TakeFlashKind(w, r)
	return msg
}

// TakeFlashKind reads and clears the one-time message and its kind ("" or "error").
func TakeFlashKind(w http.ResponseWriter, r *http.Request) (msg, kind string) {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return "", ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1})
	v := c.Value
	if strings.HasPrefix(v, flashErrorPrefix) {
		v, kind = v[len(flashErrorPrefix):], "error"
	}
	msg, _ = url.QueryUnescape(v)
	return msg, kind
}

// Funcs are the template helpers every page can use.
func Funcs() template.FuncMap {
	return template.FuncMap{
		"yen":      Yen,
		"jst":      func(t time.Time) string { return FormatJST(t, "2006/01/02 15:04") },
		"jstsec":   func(t time.Time) string { return FormatJST(t, "2006/01/02 15:04:05") },
		"date":     FormatDate,
		"comma":    commaAny,
		"query":    withQuery,
		"add":      func(a, b int) int { return a + b },
		"sub":      func(a, b int) int { return a - b },
		"contains": func(list []string, s string) bool { return containsString(list, s) },
		"dict":     dict,
		"list":     func(items ...string) []string { return items },
		"can":      can,
	}
}

// Yen formats an amount as "¥1,234".
func Yen(n int64) string {
	if n < 0 {
		return "-¥" + Comma(-n)
	}
	return "¥" + Comma(n)
}

// Comma formats n with thousands separators; templates pass it int or int64 alike.
func Comma[N ~int | ~int64](v N) string {
	n := int64(v)
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// FormatJST formats t in JST with layout; the zero time is "".
func FormatJST(t time.Time, layout string) string {
	if t.IsZero() {
		return ""
	}
	return t.In(clock.JST).Format(layout)
}

// FormatDate turns a stored business date "2006-01-02" into "2006/01/02".
func FormatDate(s string) string { return strings.ReplaceAll(s, "-", "/") }

// commaAny is Comma for templates, which hold counts as int and money as int64.
func commaAny(v any) (string, error) {
	switch n := v.(type) {
	case int:
		return Comma(n), nil
	case int64:
		return Comma(n), nil
	case int32:
		return Comma(int64(n)), nil
	}
	return "", fmt.Errorf("comma: want an integer, got %T", v)
}

// withQuery returns the current query with key set to value (used by paging and sort links).
func withQuery(q url.Values, kv ...any) string {
	c := url.Values{}
	for k, v := range q {
		c[k] = append([]string(nil), v...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		c.Set(fmt.Sprint(kv[i]), fmt.Sprint(kv[i+1]))
	}
	return "?" + c.Encode()
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func dict(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[fmt.Sprint(kv[i])] = kv[i+1]
	}
	return m
}

// can is the template helper {{if can .Principal "operate"}}: whether the principal's role allows
// perm (a string or auth.Perm; empty allows everyone). Pages hide what the role may not use;
// the routes refuse it regardless.
func can(p *auth.Principal, perm any) bool {
	var pm auth.Perm
	switch v := perm.(type) {
	case auth.Perm:
		pm = v
	case string:
		pm = auth.Perm(v)
	}
	if pm == "" {
		return true
	}
	return p != nil && p.Can(pm)
}
