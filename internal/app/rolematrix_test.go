package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"kessai/internal/app"
	"kessai/internal/app/apptest"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/platform/errs"
	"kessai/internal/web"
)

// The permission policy every route must follow. It is what makes a route registered with the
// wrong permission fail this test: the guard enforces whatever a route declares, so the
// declarations themselves are checked here. Change these lists deliberately.
var (
	// 閲覧 is read-only: anything that changes state needs at least PermOperate, except these
	// public endpoints (the login form, and the simulators, which play the providers' side).
	publicStateChanging = []string{"/login", "/logout", "/sandbox/"}
	// Paths that need at least a given permission, whatever their method.
	minimumPerm = []struct {
		prefix string
		perm   auth.Perm
	}{
		{"/settings/", auth.PermAdmin},
		{"/api/v1/settings/", auth.PermAdmin},
		{"/audit", auth.PermMoney},
	}
)

// roomForeign are the paths rooms serve to a provider's site (room.Room.Foreign: the buyer's
// return and the result notification), public by nature and checked by the provider's proof.
func roomForeign() []string {
	var out []string
	for _, r := range app.Rooms() {
		out = append(out, r.Foreign...)
	}
	return out
}

var permRank = map[auth.Perm]int{auth.PermPublic: 0, auth.PermView: 1, auth.PermOperate: 2, auth.PermMoney: 3, auth.PermAdmin: 4}

// policyProblems lists the routes whose declared permission breaks the policy.
func policyProblems(routes []web.Route) []string {
	var out []string
	for _, rt := range routes {
		name := strings.TrimSpace(rt.Method + " " + rt.Pattern)
		rank, ok := permRank[rt.Perm]
		if !ok {
			out = append(out, name+": unknown permission "+string(rt.Perm))
			continue
		}
		if rt.IsStateChanging() && rank < permRank[auth.PermOperate] && !(rt.Perm == auth.PermPublic && hasAnyPrefix(rt.Pattern, append(roomForeign(), publicStateChanging...))) {
			out = append(out, name+": changes state but only needs "+string(rt.Perm)+" (閲覧 would be able to change data)")
		}
		for _, m := range minimumPerm {
			if strings.HasPrefix(rt.Pattern, m.prefix) && rank < permRank[m.perm] {
				out = append(out, name+": under "+m.prefix+" needs at least "+string(m.perm)+", declares "+string(rt.Perm))
			}
		}
	}
	return out
}

// operationMismatches lists the API routes that change state with another permission than
// the page doing the same operation: one permission per operation, whichever door it comes
// through. The page of an API route is found by its path: /api/v1/shops/{id} is the operation
// of a page route ending in /shops/{id} (POST for POST and PATCH, …/delete for DELETE).
func operationMismatches(routes []web.Route) []string {
	var out []string
	for _, api := range routes {
		if !api.IsAPI() || !api.IsStateChanging() {
			continue
		}
		rest := strings.TrimPrefix(api.Pattern, "/api/v1")
		page := rest
		if api.Method == http.MethodDelete {
			page += "/delete"
		}
		for _, ui := range routes {
			if ui.IsAPI() || ui.Method != http.MethodPost || (ui.Pattern != page && !strings.HasSuffix(ui.Pattern, page)) {
				continue
			}
			if ui.Perm != api.Perm {
				out = append(out, fmt.Sprintf("%s %s needs %s but the page's %s %s needs %s", api.Method, api.Pattern, api.Perm, ui.Method, ui.Pattern, ui.Perm))
			}
		}
	}
	return out
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// concretePath turns a route pattern into a path that matches it: {$} is dropped and every
// {param} becomes a dummy ID (the guard refuses before any handler looks it up).
func concretePath(pattern string) string {
	p := strings.ReplaceAll(pattern, "{$}", "")
	return wildcard.ReplaceAllString(p, "rolematrix_dummy_id")
}

func requestFor(t *testing.T, inst *apptest.Instance, rt web.Route, path string) *http.Request {
	t.Helper()
	method := rt.Method
	if method == "" {
		method = http.MethodPost
	}
	var body io.Reader
	if rt.IsStateChanging() {
		body = strings.NewReader("")
		if rt.IsAPI() {
			body = strings.NewReader("{}")
		}
	}
	req, err := http.NewRequest(method, inst.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if rt.IsAPI() {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", db.NewID("rm"))
	} else if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req
}

func isForeign(inst *apptest.Instance, path string) bool {
	for _, p := range inst.App.Platform.Web.SessionPaths {
		if strings.HasPrefix(path, p) {
			return false
		}
	}
	for _, p := range inst.App.Platform.Web.Foreign {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// TestRoleMatrix walks every route of a whole kessai — including routes added after this test
// was written — and proves each refuses whom it must: anonymous callers, every role its
// permission does not allow (pages with a valid session and CSRF token, the API with a key of
// that role), and page posts without the CSRF token.
func TestRoleMatrix(t *testing.T) {
	t.Parallel()
	roleMatrix(t, apptest.Start(t, apptest.Options{}))
}

// roleMatrix checks every route of inst and returns the names ("GET /x") of those it checked.
func roleMatrix(t *testing.T, inst *apptest.Instance) map[string]bool {
	t.Helper()
	covered := map[string]bool{}
	routes := inst.App.Shell.Routes()
	for _, p := range policyProblems(routes) {
		t.Errorf("permission policy: %s", p)
	}
	for _, p := range operationMismatches(routes) {
		t.Errorf("one permission per operation: %s", p)
	}
	clients := map[auth.Role]*apptest.Client{}
	keys := map[auth.Role]string{}
	for _, r := range auth.Roles {
		clients[r] = inst.Client(t, r)
		keys[r] = inst.APIKey(t, r)
	}
	anon := inst.Anonymous(t)
	checked := 0
	for _, rt := range routes {
		if rt.Perm == auth.PermPublic {
			continue
		}
		name := strings.TrimSpace(rt.Method + " " + rt.Pattern)
		path := concretePath(rt.Pattern)
		covered[name] = true

		res := anon.Do(requestFor(t, inst, rt, path))
		switch {
		case rt.IsAPI() && res.Status != http.StatusUnauthorized:
			t.Errorf("%s anonymous: status %d, want 401", name, res.Status)
		case !rt.IsAPI() && (res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/login?next=")):
			t.Errorf("%s anonymous: status %d to %q, want a redirect to /login", name, res.Status, res.Location)
		}

		// Under a simulator's mount point kessai's session cookie is ignored (it stands for
		// another site), so roles are checked with API keys there, as for the API.
		foreign := isForeign(inst, path)
		for _, role := range auth.Roles {
			if role.Allows(rt.Perm) {
				continue
			}
			req := requestFor(t, inst, rt, path)
			c := clients[role]
			if rt.IsAPI() || foreign {
				req.Header.Set("Authorization", "Bearer "+keys[role])
				c = anon
			} else {
				req.Header.Set("X-CSRF-Token", c.CSRF)
			}
			if res := c.Do(req); res.Status != http.StatusForbidden {
				t.Errorf("%s as %s: status %d, want 403", name, role, res.Status)
			}
			checked++
		}

		if rt.IsStateChanging() && !rt.IsAPI() && !foreign {
			// The admin may do anything, so only the missing token can refuse this.
			res := clients[auth.RoleAdmin].Do(requestFor(t, inst, rt, path))
			if res.Status != http.StatusForbidden || !strings.Contains(res.Body, "CSRF") {
				t.Errorf("%s without CSRF token: status %d, want 403 naming CSRF", name, res.Status)
			}
			checked++
		}
	}
	if checked < 10 {
		t.Fatalf("only %d refusals checked over %d routes: the route table looks empty", checked, len(routes))
	}
	t.Logf("%d routes, %d refusals checked", len(routes), checked)
	return covered
}

// TestGuardAndPolicyCatchWrongPermissions shows, on a router with made-up routes, that the guard
// refuses exactly the roles a permission excludes and that the policy above reports routes
// declared with a permission that is too weak.
func TestGuardAndPolicyCatchWrongPermissions(t *testing.T) {
	t.Parallel()
	render, err := web.NewRenderer(clock.NewSandbox(), false)
	if err != nil {
		t.Fatal(err)
	}
	rt := web.NewRouter(render)
	ok := func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "done") }
	rt.HandleFunc(http.MethodPost, "/transfers/{id}/execute", auth.PermMoney, "振込実行", ok)
	rt.HandleFunc(http.MethodPost, "/api/v1/cases", auth.PermOperate, "案件作成", ok)
	rt.HandleFunc(http.MethodGet, "/cases", auth.PermView, "案件一覧", ok)
	// As the middleware would: the principal's role comes from the request.
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if role := r.Header.Get("X-Role"); role != "" {
			r = r.WithContext(auth.WithPrincipal(r.Context(), &auth.Principal{Kind: auth.KindUser, ID: "u", Name: "u", Role: auth.Role(role)}))
		}
		rt.ServeHTTP(w, r)
	})
	tests := []struct {
		method, path string
		role         auth.Role
		status       int
	}{
		{"POST", "/transfers/trf_1/execute", "", 303},
		{"POST", "/transfers/trf_1/execute", auth.RoleViewer, 403},
		{"POST", "/transfers/trf_1/execute", auth.RoleStaff, 403},
		{"POST", "/transfers/trf_1/execute", auth.RoleAccountant, 200},
		{"POST", "/transfers/trf_1/execute", auth.RoleAdmin, 200},
		{"POST", "/api/v1/cases", "", 401},
		{"POST", "/api/v1/cases", auth.RoleViewer, 403},
		{"POST", "/api/v1/cases", auth.RoleStaff, 200},
		{"GET", "/cases", "", 303},
		{"GET", "/cases", auth.RoleViewer, 200},
		{"GET", "/cases", "nobody", 403},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(tt.method, tt.path, nil)
		if tt.role != "" {
			req.Header.Set("X-Role", string(tt.role))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.status {
			t.Errorf("%s %s as %q: status %d, want %d", tt.method, tt.path, tt.role, rec.Code, tt.status)
		}
	}

	policy := []struct {
		route web.Route
		bad   bool
	}{
		{web.Route{Method: "POST", Pattern: "/transfers/{id}/execute", Perm: auth.PermMoney}, false},
		{web.Route{Method: "POST", Pattern: "/cases", Perm: auth.PermView}, true},          // 閲覧 could create cases
		{web.Route{Method: "DELETE", Pattern: "/cases/{id}", Perm: auth.PermPublic}, true}, // anyone could delete
		{web.Route{Method: "", Pattern: "/jobs/", Perm: auth.PermView}, true},              // any method counts as a change
		{web.Route{Method: "POST", Pattern: "/settings/integrations", Perm: auth.PermOperate}, true},
		{web.Route{Method: "GET", Pattern: "/settings/users", Perm: auth.PermView}, true},
		{web.Route{Method: "GET", Pattern: "/audit", Perm: auth.PermOperate}, true},
		{web.Route{Method: "GET", Pattern: "/audit", Perm: auth.PermMoney}, false},
		{web.Route{Method: "POST", Pattern: "/login", Perm: auth.PermPublic}, false},
		{web.Route{Method: "", Pattern: "/sandbox/aozora/", Perm: auth.PermPublic}, false},
		{web.Route{Method: "POST", Pattern: "/cases", Perm: "owner"}, true},
	}
	for _, tt := range policy {
		got := policyProblems([]web.Route{tt.route})
		if (len(got) > 0) != tt.bad {
			t.Errorf("policy on %+v: %v, want a problem: %v", tt.route, got, tt.bad)
		}
	}
	// The same operation through the page and the API must need the same permission.
	ops := []struct {
		routes []web.Route
		bad    bool
	}{
		{[]web.Route{{Method: "POST", Pattern: "/settings/shops", Perm: auth.PermAdmin}, {Method: "POST", Pattern: "/api/v1/shops", Perm: auth.PermOperate}}, true},
		{[]web.Route{{Method: "POST", Pattern: "/settings/shops/{id}", Perm: auth.PermAdmin}, {Method: "PATCH", Pattern: "/api/v1/shops/{id}", Perm: auth.PermAdmin}}, false},
		{[]web.Route{{Method: "POST", Pattern: "/transfers/{id}/delete", Perm: auth.PermMoney}, {Method: "DELETE", Pattern: "/api/v1/transfers/{id}", Perm: auth.PermOperate}}, true},
		{[]web.Route{{Method: "GET", Pattern: "/settings/shops", Perm: auth.PermAdmin}, {Method: "GET", Pattern: "/api/v1/shops", Perm: auth.PermView}}, false},
	}
	for _, tt := range ops {
		if got := operationMismatches(tt.routes); (len(got) > 0) != tt.bad {
			t.Errorf("operationMismatches(%+v) = %v, want a problem: %v", tt.routes, got, tt.bad)
		}
	}
	if got := concretePath("/cases/{id}/files/{name...}"); got != "/cases/rolematrix_dummy_id/files/rolematrix_dummy_id" {
		t.Errorf("concretePath = %q", got)
	}
	if got := concretePath("/{$}"); got != "/" {
		t.Errorf("concretePath({$}) = %q", got)
	}
}

// The ways principals come to exist outside the pages: the first start and the CLI.

func TestBootstrapPrintsGeneratedPasswordOnce(t *testing.T) {
	t.Parallel()
	cfg := app.Config{DataDir: t.TempDir(), DatabaseURL: dbtest.URL(t), LogFormat: "text", BaseURL: "http://127.0.0.1:1"}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var out bytes.Buffer
	a, err := app.New(context.Background(), cfg, log, &out)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`パスワード:\s+(\S+)`).FindStringSubmatch(out.String())
	if m == nil || !strings.Contains(out.String(), "admin@kessai.local") || !strings.Contains(out.String(), "http://127.0.0.1:1/login") {
		t.Fatalf("first start printed %q", out.String())
	}
	if _, err := a.Platform.Auth.Login(context.Background(), auth.LoginRequest{Email: "admin@kessai.local", Password: m[1]}); err != nil {
		t.Fatalf("login with the printed password: %v", err)
	}
	a.Close()
	out.Reset()
	a, err = app.New(context.Background(), cfg, log, &out)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if out.Len() != 0 {
		t.Fatalf("second start printed %q", out.String())
	}
}

func TestAccountCommands(t *testing.T) {
	t.Parallel()
	env := map[string]string{"KESSAI_DATA_DIR": t.TempDir(), "KESSAI_DATABASE_URL": dbtest.URL(t)}
	getenv := func(k string) string { return env[k] }
	run := func(args ...string) (string, error) {
		var out, errb bytes.Buffer
		err := app.Run(context.Background(), args, getenv, &out, &errb)
		return out.String(), err
	}
	if _, err := run("apikey", "create", "--name", "倉庫", "--role", "boss"); err == nil ||
		!strings.Contains(err.Error(), "boss") || !strings.Contains(err.Error(), "accountant（経理）") {
		t.Fatalf("unknown role: %v, want the roles listed", err)
	}
	if _, err := run("apikey", "create", "--role", "staff"); err == nil || !strings.Contains(err.Error(), "名前を入力してください") {
		t.Fatalf("no name: %v", err)
	}
	out, err := run("apikey", "create", "--name", "倉庫", "--role", "staff")
	key := regexp.MustCompile(`kessai_\S+`).FindString(out)
	if err != nil || key == "" {
		t.Fatalf("apikey create: %q, %v", out, err)
	}
	// An unquoted name with a space leaves 花子 as an extra argument: refused, nobody created.
	for _, args := range [][]string{
		{"user", "create", "--email", "hanako@example.com", "--role", "accountant", "--name", "経理", "花子"},
		{"apikey", "create", "--name", "倉庫", "システム", "--role", "staff"},
	} {
		if _, err := run(args...); err == nil || !strings.Contains(err.Error(), "余分な引数があります") || !strings.Contains(err.Error(), "システム") && !strings.Contains(err.Error(), "花子") {
			t.Fatalf("%v: %v, want the extra argument refused", args, err)
		}
	}
	out, err = run("user", "create", "--email", "hanako@example.com", "--role", "accountant", "--name", "花子")
	pw := regexp.MustCompile(`パスワード（今回しか表示されません）: (\S+)`).FindStringSubmatch(out)
	if err != nil || pw == nil {
		t.Fatalf("user create: %q, %v", out, err)
	}
	env["KESSAI_NEW_PASSWORD"] = "given-password-1"
	out, err = run("user", "create", "--email", "jiro@example.com", "--role", "staff")
	if err != nil || strings.Contains(out, "given-password-1") || strings.Contains(out, "パスワード（") {
		t.Fatalf("user create with KESSAI_NEW_PASSWORD: %q, %v", out, err)
	}
	if _, err := run("user", "create", "--email", "jiro@example.com", "--role", "staff"); err == nil || !strings.Contains(err.Error(), "既に登録されています") {
		t.Fatalf("duplicate user: %v", err)
	}

	// A key for a user: never above their role (hanako is 経理), never already expired.
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--role", "admin", "--owner", "hanako@example.com"}, "より強いロール"},
		{[]string{"--role", "staff", "--owner", "nobody@example.com"}, "ユーザーが見つかりません"},
		{[]string{"--role", "staff", "--expires", "2020-01-01"}, "今より後の日付"},
		{[]string{"--role", "staff", "--expires", "31/12/2099"}, "YYYY-MM-DD"},
	} {
		if _, err := run(append([]string{"apikey", "create", "--name", "経理連携"}, tt.args...)...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("apikey create %v: %v, want %q", tt.args, err, tt.want)
		}
	}
	out, err = run("apikey", "create", "--name", "経理連携", "--role", "staff", "--owner", "hanako@example.com", "--expires", "2099-12-31")
	ownedKey := regexp.MustCompile(`kessai_\S+`).FindString(out)
	if err != nil || ownedKey == "" {
		t.Fatalf("apikey create --owner: %q, %v", out, err)
	}

	// The app started on the same database accepts what the CLI made.
	inst := apptest.Start(t, apptest.Options{DataDir: env["KESSAI_DATA_DIR"], DatabaseURL: env["KESSAI_DATABASE_URL"]})
	svc := inst.App.Platform.Auth
	if p, err := svc.APIKeyPrincipal(context.Background(), key); err != nil || p.Role != auth.RoleStaff {
		t.Errorf("CLI key: %+v, %v", p, err)
	}
	// The owned key dies with its owner.
	hanako, err := svc.UserByEmail(context.Background(), "HANAKO@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := svc.APIKeyPrincipal(context.Background(), ownedKey); err != nil || p.Role != auth.RoleStaff {
		t.Errorf("owned CLI key: %+v, %v", p, err)
	}
	sys := auth.WithPrincipal(context.Background(), auth.System("test"))
	if _, err := svc.SetDisabled(sys, hanako.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.APIKeyPrincipal(context.Background(), ownedKey); err == nil {
		t.Errorf("the owner is disabled and the CLI key made for them still works")
	}
	if _, err := svc.SetDisabled(sys, hanako.ID, false); err != nil {
		t.Fatal(err)
	}
	// An operator lifts a lock from the command line (the locked one may be the only admin).
	for range auth.DefaultThrottle.PerAccountIP {
		_, _ = svc.Login(context.Background(), auth.LoginRequest{Email: "jiro@example.com", Password: "wrong-password-1", IP: "192.0.2.1"})
	}
	if _, err := svc.Login(context.Background(), auth.LoginRequest{Email: "jiro@example.com", Password: "given-password-1", IP: "192.0.2.1"}); errs.KindOf(err) != errs.KindTooMany {
		t.Fatalf("after 5 failures: %v, want locked", err)
	}
	if out, err := run("user", "unlock", "--email", "JIRO@example.com"); err != nil || !strings.Contains(out, "jiro@example.com のログインのロックを解除しました") {
		t.Fatalf("user unlock: %q, %v", out, err)
	}
	if _, err := run("user", "unlock", "--email", "jiro@example.com"); err == nil || !strings.Contains(err.Error(), "ロックされていません") {
		t.Errorf("unlock with no lock: %v", err)
	}
	if _, err := run("user", "unlock"); err == nil || !strings.Contains(err.Error(), "--email") {
		t.Errorf("unlock without an email: %v", err)
	}
	for email, password := range map[string]string{"hanako@example.com": pw[1], "jiro@example.com": "given-password-1"} {
		if _, err := svc.Login(context.Background(), auth.LoginRequest{Email: email, Password: password}); err != nil {
			t.Errorf("login %s: %v", email, err)
		}
	}
	c := inst.Anonymous(t)
	c.Login("hanako@example.com", pw[1])
	if res := c.Get("/audit?actor=cli"); res.Status != 200 || !strings.Contains(res.Body, "apikey.create") || !strings.Contains(res.Body, "user.create") {
		t.Errorf("audit page for the CLI's changes: %d", res.Status)
	}
}
