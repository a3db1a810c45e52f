package authweb_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/auth/authweb"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/web"
)

type env struct {
	t   *testing.T
	srv *httptest.Server
	svc *auth.Service
	d   *db.DB
	clk *clock.Sandbox
}

// newEnv serves the auth pages plus two probe routes (/things and /api/v1/things) behind the
// middleware, like the app does.
func newEnv(t *testing.T, secure bool) *env {
	t.Helper()
	d := dbtest.Open(t, audit.Migrations, auth.Migrations)
	clk := clock.NewFrozen(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
	log := &audit.Log{Now: clk.Now, RequestID: web.RequestID}
	svc := auth.NewService(d, clk, log.RecordEvent)
	render, err := web.NewRenderer(clk, false)
	if err != nil {
		t.Fatal(err)
	}
	sh := web.NewShell(render)
	h := &authweb.Handler{Auth: svc, Render: render, SecureCookies: secure, Foreign: []string{"/sim/"}}
	if err := h.Routes(sh); err != nil {
		t.Fatal(err)
	}
	ok := func(w http.ResponseWriter, r *http.Request) {
		p := auth.FromContext(r.Context())
		io.WriteString(w, "ok "+string(p.Kind)+" "+p.Name)
	}
	sh.HandleFunc(http.MethodGet, "/things", auth.PermView, "probe", ok)
	sh.HandleFunc(http.MethodPost, "/things", auth.PermOperate, "probe", ok)
	sh.HandleFunc(http.MethodPost, "/api/v1/things", auth.PermOperate, "probe", ok)
	// A simulator: its pages are public, its control API needs an admin.
	sh.HandleFunc(http.MethodPost, "/sim/login", auth.PermPublic, "probe", func(w http.ResponseWriter, r *http.Request) {
		if p := auth.FromContext(r.Context()); p != nil {
			io.WriteString(w, "principal "+p.Name)
			return
		}
		io.WriteString(w, "anonymous")
	})
	sh.HandleFunc(http.MethodPost, "/sim/_sim/reset", auth.PermAdmin, "probe", ok)
	srv := httptest.NewServer(web.WithRequestID(h.Middleware(sh)))
	t.Cleanup(srv.Close)
	e := &env{t: t, srv: srv, svc: svc, d: d, clk: clk}
	e.user("admin@example.com", auth.RoleAdmin)
	return e
}

func (e *env) user(email string, role auth.Role) *auth.User {
	e.t.Helper()
	u, err := e.svc.CreateUser(auth.WithPrincipal(context.Background(), auth.System("test")),
		auth.NewUser{Email: email, Role: role, Password: "password-" + string(role)})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

type browser struct {
	e    *env
	c    *http.Client
	csrf string
}

type result struct {
	status int
	body   string
	loc    string
	header http.Header
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, form url.Values, header map[string]string) result {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.e.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	s, _ := io.ReadAll(resp.Body)
	return result{resp.StatusCode, string(s), resp.Header.Get("Location"), resp.Header}
}

var (
	loginTokenRE = regexp.MustCompile(`name="login_token" value="([^"]+)"`)
	csrfRE       = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
)

func (b *browser) login(email, password, next string) result {
	b.e.t.Helper()
	page := b.do("GET", "/login", nil, nil)
	m := loginTokenRE.FindStringSubmatch(page.body)
	if m == nil {
		b.e.t.Fatalf("no login token in %s", page.body)
	}
	res := b.do("POST", "/login", url.Values{"email": {email}, "password": {password}, "next": {next}, "login_token": {m[1]}}, nil)
	if res.status == http.StatusSeeOther {
		users := b.do("GET", "/settings/users", nil, nil)
		if m := csrfRE.FindStringSubmatch(users.body); m != nil {
			b.csrf = m[1]
		}
	}
	return res
}

func (b *browser) post(path string, form url.Values) result {
	b.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", b.csrf)
	return b.do("POST", path, form, nil)
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", "/"},
		{"/cases?kind=takuhai", "/cases?kind=takuhai"},
		{"//evil.example.com/x", "/"},
		{"/\\evil.example.com", "/"},
		{"https://evil.example.com/", "/"},
		{"javascript:alert(1)", "/"},
		{"cases", "/"},
		{"/login?next=/x", "/"},
		{"/a\r\nSet-Cookie: x=1", "/"},
	}
	for _, tt := range tests {
		if got := authweb.SafeNext(tt.in); got != tt.want {
			t.Errorf("SafeNext(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLoginAndCookies(t *testing.T) {
	t.Parallel()
	for _, secure := range []bool{false, true} {
		e := newEnv(t, secure)
		b := e.browser()
		if res := b.do("GET", "/things", nil, nil); res.status != http.StatusSeeOther || res.loc != "/login?next=%2Fthings" {
			t.Fatalf("anonymous GET /things = %d %q", res.status, res.loc)
		}
		res := b.login("admin@example.com", "wrong-password", "/things")
		if res.status != http.StatusUnauthorized || !strings.Contains(res.body, "メールアドレスまたはパスワードが正しくありません") || !strings.Contains(res.body, `value="admin@example.com"`) {
			t.Fatalf("wrong password: %d %s", res.status, res.body)
		}
		res = b.login("admin@example.com", "password-admin", "//evil.example.com/")
		if res.status != http.StatusSeeOther || res.loc != "/" {
			t.Fatalf("login with foreign next: %d %q", res.status, res.loc)
		}
		var cookie string
		for _, c := range res.header.Values("Set-Cookie") {
			if strings.HasPrefix(c, authweb.SessionCookie+"=") {
				cookie = c
			}
		}
		if !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Lax") || strings.Contains(cookie, "Secure") != secure {
			t.Errorf("secure=%v: session cookie %q", secure, cookie)
		}
		if res := b.do("GET", "/things", nil, nil); res.status != 200 || res.body != "ok user admin@example.com" {
			t.Fatalf("signed-in GET /things = %d %s", res.status, res.body)
		}
		if res := b.do("GET", "/login?next=/things", nil, nil); res.status != http.StatusSeeOther || res.loc != "/things" {
			t.Errorf("GET /login when signed in = %d %q", res.status, res.loc)
		}
		// Logout needs the CSRF token too, then the session is gone.
		if res := b.do("POST", "/logout", url.Values{}, nil); res.status != http.StatusForbidden {
			t.Errorf("logout without token = %d", res.status)
		}
		if res := b.post("/logout", nil); res.status != http.StatusSeeOther || res.loc != "/login" {
			t.Errorf("logout = %d %q", res.status, res.loc)
		}
		if res := b.do("GET", "/things", nil, nil); res.status != http.StatusSeeOther {
			t.Errorf("after logout GET /things = %d", res.status)
		}
	}
}

func TestLoginFormNeedsItsToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	b := e.browser()
	res := b.do("POST", "/login", url.Values{"email": {"admin@example.com"}, "password": {"password-admin"}}, nil)
	if res.status != http.StatusForbidden || !strings.Contains(res.body, "有効期限が切れました") {
		t.Fatalf("login without the form's token = %d %s", res.status, res.body)
	}
}

func TestLoginThrottledOverHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	b := e.browser()
	for i := 0; i < 5; i++ {
		b.login("admin@example.com", "wrong-password", "")
	}
	res := b.login("admin@example.com", "password-admin", "")
	if res.status != http.StatusTooManyRequests || !strings.Contains(res.body, "一時的にログインを止めています") {
		t.Fatalf("sixth login = %d %s", res.status, res.body)
	}
	e.clk.Advance(15 * time.Minute)
	if res := b.login("admin@example.com", "password-admin", ""); res.status != http.StatusSeeOther {
		t.Fatalf("after 15 minutes = %d %s", res.status, res.body)
	}
}

func TestCSRFAndAPIKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.user("staff@example.com", auth.RoleStaff)
	b := e.browser()
	if res := b.login("staff@example.com", "password-staff", "/"); res.status != http.StatusSeeOther {
		t.Fatalf("login = %d", res.status)
	}
	// The staff user can't see /settings/users, so take the token from the session.
	jarURL, _ := url.Parse(e.srv.URL)
	for _, c := range b.c.Jar.Cookies(jarURL) {
		if c.Name == authweb.SessionCookie {
			p, err := e.svc.Session(context.Background(), c.Value)
			if err != nil {
				t.Fatal(err)
			}
			b.csrf = p.CSRFToken
		}
	}
	tests := []struct {
		name   string
		path   string
		form   url.Values
		header map[string]string
		status int
	}{
		{"no token", "/things", url.Values{}, nil, 403},
		{"wrong token", "/things", url.Values{"csrf_token": {"x" + b.csrf}}, nil, 403},
		{"form field", "/things", url.Values{"csrf_token": {b.csrf}}, nil, 200},
		{"header", "/things", url.Values{}, map[string]string{"X-CSRF-Token": b.csrf}, 200},
		{"api by cookie without token", "/api/v1/things", url.Values{}, nil, 403},
		{"api by cookie with header", "/api/v1/things", url.Values{}, map[string]string{"X-CSRF-Token": b.csrf}, 200},
		// The simulator's own forms carry no kessai token; the cookie is ignored there instead.
		{"simulator form", "/sim/login", url.Values{}, nil, 200},
	}
	for _, tt := range tests {
		res := b.do("POST", tt.path, tt.form, tt.header)
		if res.status != tt.status {
			t.Errorf("%s: status %d, want %d: %s", tt.name, res.status, tt.status, res.body)
		}
		if tt.status == 403 && !strings.Contains(res.body, "CSRF") {
			t.Errorf("%s: refusal does not say why: %s", tt.name, res.body)
		}
	}
	if res := b.do("POST", "/sim/login", url.Values{}, nil); res.body != "anonymous" {
		t.Errorf("a simulator saw kessai's session: %q", res.body)
	}
	if res := b.do("POST", "/sim/_sim/reset", url.Values{"csrf_token": {b.csrf}}, nil); res.status != http.StatusSeeOther {
		t.Errorf("simulator control by session cookie: status %d, want 303 to the login", res.status)
	}

	ctx := auth.WithPrincipal(context.Background(), auth.System("test"))
	key, k, err := e.svc.CreateAPIKey(ctx, "連携", auth.RoleStaff)
	if err != nil {
		t.Fatal(err)
	}
	viewerKey, _, _ := e.svc.CreateAPIKey(ctx, "閲覧用", auth.RoleViewer)
	anon := e.browser()
	bearer := func(k string) map[string]string { return map[string]string{"Authorization": "Bearer " + k} }
	apiTests := []struct {
		name   string
		path   string
		header map[string]string
		status int
		body   string
	}{
		{"key, no CSRF needed", "/api/v1/things", bearer(key), 200, "ok apikey 連携"},
		{"viewer key", "/api/v1/things", bearer(viewerKey), 403, `"code":"forbidden"`},
		{"unknown key", "/api/v1/things", bearer("kessai_nope"), 401, "APIキーが無効です"},
		{"not bearer", "/api/v1/things", map[string]string{"Authorization": "Basic eDp5"}, 401, "Bearer"},
		{"no key", "/api/v1/things", nil, 401, `"code":"unauthenticated"`},
		{"key outside /api/ is ignored", "/things", bearer(key), 303, ""},
	}
	run := func(when string) {
		for _, tt := range apiTests {
			res := anon.do("POST", tt.path, url.Values{}, tt.header)
			if res.status != tt.status || !strings.Contains(res.body, tt.body) {
				t.Errorf("%s %s: %d %s, want %d %q", when, tt.name, res.status, res.body, tt.status, tt.body)
			}
		}
	}
	run("before revoke")
	// The simulator's own Basic credentials (an OAuth client's) pass through untouched.
	if res := anon.do("POST", "/sim/login", url.Values{}, map[string]string{"Authorization": "Basic a2Vzc2FpOnNlY3JldA=="}); res.status != 200 || res.body != "anonymous" {
		t.Errorf("Basic auth on a simulator path: %d %q, want 200 anonymous", res.status, res.body)
	}
	if res := anon.do("POST", "/sim/_sim/reset", url.Values{}, bearer(key)); res.status != 403 {
		t.Errorf("staff key on simulator control: %d %s", res.status, res.body)
	}
	adminKey, _, _ := e.svc.CreateAPIKey(ctx, "管理", auth.RoleAdmin)
	if res := anon.do("POST", "/sim/_sim/reset", url.Values{}, bearer(adminKey)); res.status != 200 {
		t.Errorf("admin key on simulator control: %d %s", res.status, res.body)
	}
	if err := e.svc.RevokeAPIKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	apiTests[0].status, apiTests[0].body = 401, "APIキーが無効です"
	run("after revoke")
	var body web.ErrorBody
	res := anon.do("POST", "/api/v1/things", url.Values{}, bearer(key))
	if err := json.Unmarshal([]byte(res.body), &body); err != nil || body.Error.Code != "unauthenticated" || body.Error.RequestID == "" {
		t.Errorf("401 body = %s", res.body)
	}
}

func TestUserAndKeyPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	admin := e.browser()
	if res := admin.login("admin@example.com", "password-admin", "/settings/users"); res.status != http.StatusSeeOther || res.loc != "/settings/users" {
		t.Fatalf("login = %d %q", res.status, res.loc)
	}
	// Create with a typed password, then one with a generated password shown once.
	res := admin.post("/settings/users", url.Values{"email": {"Jiro@Example.com"}, "name": {"次郎"}, "role": {"staff"}, "password": {"jiro-password-1"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("create user = %d %s", res.status, res.body)
	}
	res = admin.post("/settings/users", url.Values{"email": {"saburo@example.com"}, "role": {"viewer"}})
	m := regexp.MustCompile(`<code class="secret">([^<]+)</code>`).FindStringSubmatch(res.body)
	if res.status != 200 || m == nil {
		t.Fatalf("create with generated password = %d %s", res.status, res.body)
	}
	if page := admin.do("GET", "/settings/users", nil, nil); strings.Contains(page.body, m[1]) || !strings.Contains(page.body, "jiro@example.com") {
		t.Fatalf("generated password shown again, or user missing")
	}
	if b := e.browser(); b.login("saburo@example.com", m[1], "/").status != http.StatusSeeOther {
		t.Fatal("cannot log in with the generated password")
	}
	res = admin.post("/settings/users", url.Values{"email": {"jiro@example.com"}, "role": {"staff"}, "password": {"jiro-password-1"}})
	if res.status != http.StatusConflict || !strings.Contains(res.body, "既に登録されています") {
		t.Fatalf("duplicate = %d", res.status)
	}
	res = admin.post("/settings/users", url.Values{"email": {"x@example.com"}, "role": {"boss"}, "password": {"short"}})
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "ロールを選んでください") || !strings.Contains(res.body, "12文字以上") {
		t.Fatalf("invalid = %d", res.status)
	}

	var jiro *auth.User
	users, _ := e.svc.Users(context.Background())
	for _, u := range users {
		if u.Email == "jiro@example.com" {
			jiro = u
		}
	}
	jb := e.browser()
	if jb.login("jiro@example.com", "jiro-password-1", "/things").status != http.StatusSeeOther {
		t.Fatal("jiro cannot log in")
	}
	if res := jb.do("GET", "/settings/users", nil, nil); res.status != http.StatusForbidden {
		t.Errorf("staff on /settings/users = %d", res.status)
	}
	steps := []struct {
		path   string
		form   url.Values
		status int
	}{
		{"/settings/users/" + jiro.ID + "/role", url.Values{"role": {"accountant"}}, 303},
		{"/settings/users/" + jiro.ID + "/role", url.Values{"role": {"boss"}}, 422},
		{"/settings/users/" + jiro.ID + "/disable", nil, 303},
		{"/settings/users/" + jiro.ID + "/disable", nil, 409},
		{"/settings/users/usr_nope/disable", nil, 404},
	}
	for _, s := range steps {
		if res := admin.post(s.path, s.form); res.status != s.status {
			t.Errorf("POST %s %v = %d, want %d: %s", s.path, s.form, res.status, s.status, res.body)
		}
	}
	// Jiro's open session stopped working at once.
	if res := jb.do("GET", "/things", nil, nil); res.status != http.StatusSeeOther {
		t.Errorf("disabled user's session: %d", res.status)
	}
	if res := admin.post("/settings/users/"+jiro.ID+"/enable", nil); res.status != 303 {
		t.Errorf("enable = %d", res.status)
	}
	if res := admin.post("/settings/users/"+jiro.ID+"/password", url.Values{"password": {"jiro-password-2"}}); res.status != 303 {
		t.Errorf("reset = %d", res.status)
	}
	if jb.login("jiro@example.com", "jiro-password-2", "/").status != http.StatusSeeOther {
		t.Error("jiro cannot log in with the reset password")
	}

	// API keys: the key is shown once, then only its prefix.
	res = admin.post("/settings/apikeys", url.Values{"name": {"倉庫システム"}, "role": {"staff"}})
	km := regexp.MustCompile(`<code class="secret">(kessai_[^<]+)</code>`).FindStringSubmatch(res.body)
	if res.status != 200 || km == nil {
		t.Fatalf("create key = %d %s", res.status, res.body)
	}
	list := admin.do("GET", "/settings/apikeys", nil, nil)
	if strings.Contains(list.body, km[1]) || !strings.Contains(list.body, km[1][:13]) {
		t.Fatalf("key list shows the whole key or not its prefix")
	}
	if res := admin.post("/settings/apikeys", url.Values{"name": {""}, "role": {"staff"}}); res.status != 422 {
		t.Errorf("key without name = %d", res.status)
	}
	keys, _ := e.svc.APIKeys(context.Background())
	if res := admin.post("/settings/apikeys/"+keys[0].ID+"/revoke", nil); res.status != 303 {
		t.Errorf("revoke = %d", res.status)
	}
	if res := admin.post("/settings/apikeys/"+keys[0].ID+"/revoke", nil); res.status != 409 {
		t.Errorf("revoke twice = %d", res.status)
	}

	// Every change is in the audit log, attributed to the admin.
	items, _, err := audit.List(context.Background(), e.d, audit.Filter{Actor: "admin@example.com", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append([]string{it.Action}, got...)
	}
	want := "user.login user.create user.create user.role_change user.disable user.enable user.password_reset apikey.create apikey.revoke"
	if strings.Join(got, " ") != want {
		t.Errorf("admin's audit trail:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	failed, _, _ := audit.List(context.Background(), e.d, audit.Filter{Action: "user.login_failed"})
	if len(failed) != 0 {
		t.Errorf("unexpected login failures: %+v", failed)
	}
}
