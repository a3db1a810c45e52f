package app_test

import (
	"bufio"
	"context"
	"fmt"
	"go/version"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"kessai/internal/app"
	"kessai/internal/app/apptest"
	"kessai/internal/platform/auth"
)

// More probes of the security suite (TestSecurity in security_test.go registers them).

// eventually polls cond (every 50 ms, at most 30 s: generous for a busy machine, never a
// timing assertion) and reports whether it became true.
func eventually(cond func() bool) bool {
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// secAbortedUpload: a client that goes away halfway through an upload leaves nothing on disk,
// on the import page and on the API alike, and neither does an import the CSV fails.
func secAbortedUpload(t *testing.T, c *secCounts) {
	uploads := t.TempDir()
	inst := secStart(t, func(cfg *app.Config) { cfg.UploadDir = uploads })
	staff := inst.Client(t, auth.RoleStaff)
	key := inst.APIKey(t, auth.RoleStaff)
	addr := strings.TrimPrefix(inst.URL, "http://")
	page := staff.Get("/customers/import")
	formToken := regexp.MustCompile(`name="form_token" value="([^"]+)"`).FindStringSubmatch(page.Body)
	if formToken == nil {
		t.Fatalf("import page has no form token: %d", page.Status)
	}
	u, _ := url.Parse(inst.URL)
	var cookie string
	for _, ck := range staff.HTTP.Jar.Cookies(u) {
		cookie += ck.Name + "=" + ck.Value + "; "
	}
	const boundary = "secboundary"
	pageHead := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n" + staff.CSRF + "\r\n" +
		"--" + boundary + "\r\nContent-Disposition: form-data; name=\"form_token\"\r\n\r\n" + formToken[1] + "\r\n" +
		"--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\nContent-Type: text/csv\r\n\r\n"
	for _, tt := range []struct{ what, head, prefix string }{
		{"page import", "POST /customers/import HTTP/1.1\r\nHost: " + addr + "\r\nCookie: " + cookie +
			"\r\nContent-Type: multipart/form-data; boundary=" + boundary + "\r\n", pageHead},
		{"API import", "POST /api/v1/customers/import HTTP/1.1\r\nHost: " + addr + "\r\nAuthorization: Bearer " + key +
			"\r\nContent-Type: text/csv\r\n", ""},
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		// 4 MB announced, 512 KB sent, then the client is gone.
		if _, err := io.WriteString(conn, tt.head+"Content-Length: 4194304\r\n\r\n"+tt.prefix); err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(conn, zeros(512<<10)); err != nil {
			t.Fatal(err)
		}
		c.probes.Add(1)
		if !eventually(func() bool { return len(tempFiles(t, uploads)) > 0 }) {
			t.Errorf("%s: no upload file while the body arrives: nothing below could be proven", tt.what)
		}
		conn.Close()
		if !eventually(func() bool { return len(tempFiles(t, uploads)) == 0 }) {
			t.Errorf("%s: the client went away mid-upload and %v stays", tt.what, tempFiles(t, uploads))
			continue
		}
		c.refusals.Add(1)
	}
	// A file the import refuses (no header it knows) is removed too.
	req, _ := http.NewRequest("POST", inst.URL+"/api/v1/customers/import", strings.NewReader("x,y\r\n1,2\r\n"))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "text/csv")
	res := staff.Do(req)
	c.expect(t, "an import of a CSV without known columns", res.Status, res.Body, http.StatusUnprocessableEntity)
	if left := tempFiles(t, uploads); len(left) > 0 {
		t.Errorf("a refused import left %v", left)
	}
}

// secUploadNotAllowed: a session whose role may not import (a viewer, with a valid CSRF token)
// is refused before one byte of its file is read or written: the 403 arrives while most of
// the announced body is still unsent, and the upload dir stays empty. The API likewise.
func secUploadNotAllowed(t *testing.T, c *secCounts) {
	uploads := t.TempDir()
	inst := secStart(t, func(cfg *app.Config) { cfg.UploadDir = uploads })
	viewer := inst.Client(t, auth.RoleViewer)
	key := inst.APIKey(t, auth.RoleViewer)
	addr := strings.TrimPrefix(inst.URL, "http://")
	u, _ := url.Parse(inst.URL)
	var cookie string
	for _, ck := range viewer.HTTP.Jar.Cookies(u) {
		cookie += ck.Name + "=" + ck.Value + "; "
	}
	const boundary = "secboundary"
	for _, tt := range []struct{ what, head, prefix string }{
		{"viewer session imports on the page", "POST /customers/import HTTP/1.1\r\nHost: " + addr + "\r\nCookie: " + cookie +
			"\r\nContent-Type: multipart/form-data; boundary=" + boundary + "\r\n",
			"--" + boundary + "\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n" + viewer.CSRF + "\r\n" +
				"--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\n"},
		{"viewer key imports on the API", "POST /api/v1/customers/import HTTP/1.1\r\nHost: " + addr + "\r\nAuthorization: Bearer " + key +
			"\r\nContent-Type: text/csv\r\n", ""},
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		// 64 MB announced, 512 KB sent: a server that reads the file before refusing would
		// wait for the rest (a minute, the upload pace) instead of answering.
		if _, err := io.WriteString(conn, tt.head+"Content-Length: 67108864\r\n\r\n"+tt.prefix); err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(conn, zeros(512<<10)); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		line, _ := bufio.NewReader(conn).ReadString('\n')
		left := tempFiles(t, uploads)
		conn.Close()
		c.expect(t, tt.what, statusOf(line), line, http.StatusForbidden)
		if len(left) > 0 {
			t.Errorf("%s: the file was written before the refusal: %v", tt.what, left)
		}
	}
}

// statusOf is the code of an HTTP status line ("HTTP/1.1 403 Forbidden"), 0 if none.
func statusOf(line string) int {
	var code int
	if _, err := fmt.Sscanf(line, "HTTP/1.1 %d", &code); err != nil {
		return 0
	}
	return code
}

// secServerTimeouts: the server the app configures bounds every phase of a connection, in
// lengths that fit (uploads and downloads extend their own deadlines, see secSlowBody and
// web.Limits): a client can hold a connection neither by a slow header, a slow body, a
// response it never reads, nor idling.
func secServerTimeouts(t *testing.T, c *secCounts) {
	inst := secStart(t, nil)
	var srv http.Server
	inst.App.ConfigureServer(&srv)
	for _, tt := range []struct {
		what          string
		got, min, max time.Duration
	}{
		{"ReadHeaderTimeout", srv.ReadHeaderTimeout, time.Second, time.Minute},
		{"ReadTimeout (a 1 MB form at any sane rate)", srv.ReadTimeout, 20 * time.Second, 2 * time.Minute},
		{"WriteTimeout (a CSV export of a million rows)", srv.WriteTimeout, 2 * time.Minute, 30 * time.Minute},
		{"IdleTimeout", srv.IdleTimeout, 10 * time.Second, 5 * time.Minute},
	} {
		c.probes.Add(1)
		if tt.got < tt.min || tt.got > tt.max {
			t.Errorf("%s is %v, want %v..%v", tt.what, tt.got, tt.min, tt.max)
			continue
		}
		c.refusals.Add(1)
	}
	if srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > 1<<20 {
		t.Errorf("MaxHeaderBytes %d, want 1..1MB", srv.MaxHeaderBytes)
	}
}

// secAccountBackoff: guesses spread over many addresses (none of them locked long enough to
// stop the guesser) reach the slower account-wide limit: then even the owner from a fresh
// address waits, until an administrator, who sees the lock, lifts it.
func secAccountBackoff(t *testing.T, c *secCounts) {
	inst := secStart(t, nil)
	victim := inst.Client(t, auth.RoleStaff)
	admin := inst.Client(t, auth.RoleAdmin)
	limit := auth.DefaultThrottle
	addrs := limit.PerAccount / limit.PerAccountIP // each address stops at its own fast lock
	var wg sync.WaitGroup
	var guessed atomic.Int64
	for i := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := fromAddr(t, inst, fmt.Sprintf("127.0.1.%d", i+1))
			for j := range limit.PerAccountIP {
				res := tryLogin(t, cl, victim.User.Email, fmt.Sprintf("guess-%d-%d-xx", i, j))
				c.expect(t, "a guess from one of many addresses", res.Status, res.Body, http.StatusUnauthorized)
				guessed.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := guessed.Load(); n != int64(limit.PerAccount) {
		t.Fatalf("%d guesses checked, want %d", n, limit.PerAccount)
	}
	owner := fromAddr(t, inst, "127.0.1.200")
	res := tryLogin(t, owner, victim.User.Email, victim.Password)
	c.expect(t, "the owner from a fresh address after the account-wide limit", res.Status, res.Body, http.StatusTooManyRequests)
	if !strings.Contains(res.Body, "管理者にロック解除") {
		t.Errorf("the refusal does not say who can lift it: %.300s", res.Body)
	}
	// Another account is not affected (Login fails the test otherwise).
	fromAddr(t, inst, "127.0.1.201").Login(admin.User.Email, admin.Password)
	page := admin.Get("/settings/users")
	if !strings.Contains(page.Body, "/settings/users/"+victim.User.ID+"/unlock") {
		t.Errorf("the users page shows no lock for %s", victim.User.Email)
	}
	res = admin.PostForm("/settings/users/"+victim.User.ID+"/unlock", nil)
	c.expect(t, "admin lifts the account-wide lock", res.Status, res.Body, http.StatusSeeOther)
	res = tryLogin(t, owner, victim.User.Email, victim.Password)
	c.expect(t, "the owner after the lift", res.Status, res.Body, http.StatusSeeOther)
}

// secRefusalFlood: once an address is locked, a flood of guesses from it is refused without
// growing the database: 30 at once are all refused and add at most a couple of rows (one a
// minute per email and address), not one each.
func secRefusalFlood(t *testing.T, c *secCounts) {
	inst := secStart(t, nil)
	victim := inst.Client(t, auth.RoleStaff)
	const ip = "127.0.2.1"
	guesser := fromAddr(t, inst, ip)
	for i := range auth.DefaultThrottle.PerAccountIP {
		res := tryLogin(t, guesser, victim.User.Email, fmt.Sprintf("guess-guess-%d", i))
		c.expect(t, "a guess before the lock", res.Status, res.Body, http.StatusUnauthorized)
	}
	rows := func() int {
		var n int
		if err := inst.App.DB.QueryRowContext(context.Background(),
			`SELECT COUNT(*) FROM login_attempts WHERE email = ? AND ip = ?`, victim.User.Email, ip).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := rows()
	clients := make([]*apptest.Client, 30)
	for i := range clients {
		clients[i] = fromAddr(t, inst, ip)
		clients[i].Get("/login")
	}
	var wg sync.WaitGroup
	for _, cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := tryLogin(t, cl, victim.User.Email, "guess-flood-xx")
			c.expect(t, "a guess in the flood from a locked address", res.Status, res.Body, http.StatusTooManyRequests)
		}()
	}
	wg.Wait()
	if added := rows() - before; added > 2 {
		t.Errorf("30 refused guesses added %d login attempt rows, want at most 2 (one a minute)", added)
	}
}

// secRecorder is a host a secret was not entered for: an HTTP server keeping every body and
// Authorization header, and a TCP listener (an SFTP host) counting connections.
type secRecorder struct {
	mu   sync.Mutex
	got  []string
	srv  *httptest.Server
	ln   net.Listener
	conn atomic.Int64
}

func newSecRecorder(t *testing.T) *secRecorder {
	r := &secRecorder{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, req.URL.String()+"\n"+req.Header.Get("Authorization")+"\n"+string(b))
		r.mu.Unlock()
		http.Error(w, "ErrCode=E01&ErrInfo=E01010001", http.StatusOK)
	}))
	t.Cleanup(r.srv.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.ln = ln
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			cn, err := ln.Accept()
			if err != nil {
				return
			}
			r.conn.Add(1)
			cn.Close()
		}
	}()
	return r
}

// saw reports how many HTTP requests arrived and whether one contained s.
func (r *secRecorder) saw(s string) (int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	found := false
	for _, g := range r.got {
		found = found || strings.Contains(g, s)
	}
	return len(r.got), found
}

// secEndpointMove: re-pointing a provider's endpoint with the secret left blank is refused per
// field, and the 接続テスト afterwards sends nothing to the new host — GMO-PG's API and its SFTP
// host, and the bank's authorisation URL.
func secEndpointMove(t *testing.T, c *secCounts) {
	inst := secStart(t, nil)
	admin := inst.Client(t, auth.RoleAdmin)
	a, b := newSecRecorder(t), newSecRecorder(t)
	form := func(api, sftp, pass string) url.Values {
		return url.Values{"_environment": {"production"}, "shop_id": {"tshop00000001"}, "shop_pass": {pass}, "site_id": {"tsite00000001"},
			"site_pass": {pass}, "api_url": {api}, "sftp_addr": {sftp}, "sftp_user": {"sftp-user"}, "sftp_password": {pass},
			"security_code": {"on"}, "epos": {"off"}}
	}
	const secret = "shop-secret-for-a"
	res := admin.PostForm("/settings/connections/gmopg", form(a.srv.URL, a.ln.Addr().String(), secret))
	c.expect(t, "GMO-PG pointed at host A with its secrets", res.Status, res.Body, http.StatusSeeOther)
	admin.PostForm("/settings/connections/gmopg/test", nil)
	if _, ok := a.saw(secret); !ok || a.conn.Load() == 0 {
		t.Fatalf("the 接続テスト reached host A's API %v, SFTP %d times: nothing below could be proven", ok, a.conn.Load())
	}
	for _, mv := range []struct {
		what   string
		in     url.Values
		labels []string
	}{
		{"GMO-PG API moved to B, secrets blank", form(b.srv.URL, a.ln.Addr().String(), ""), []string{"ショップパスワード", "サイトパスワード"}},
		{"GMO-PG SFTP host moved to B, password blank", form(a.srv.URL, b.ln.Addr().String(), ""), []string{"SFTP パスワード"}},
	} {
		res := admin.PostForm("/settings/connections/gmopg", mv.in)
		c.expect(t, mv.what, res.Status, res.Body, http.StatusUnprocessableEntity)
		for _, l := range mv.labels {
			if !strings.Contains(res.Body, "が変わったため、"+l+"を入力し直してください") {
				t.Errorf("%s: %s is not asked for again: %.400s", mv.what, l, res.Body)
			}
		}
	}
	admin.PostForm("/settings/connections/gmopg/test", nil)
	if n, _ := b.saw(""); n > 0 || b.conn.Load() > 0 {
		t.Errorf("host B got %d API requests and %d SFTP connections after refused moves", n, b.conn.Load())
	}

	// The bank: re-pointing the authorisation URL and pressing 【リフレッシュトークンを取得】 with
	// the secret blank is refused; the browser is still sent to the host the secret is for.
	bank := url.Values{"client_id": {"merchant-1"}, "client_secret": {"bank-secret-1"}, "auth_method": {"basic"},
		"auth_base_url": {"https://auth-a.example.invalid"}, "api_base_url": {"https://api-a.example.invalid"}}
	res = admin.PostForm("/settings/integrations/aozora", bank)
	c.expect(t, "bank pointed at A with its secret", res.Status, res.Body, http.StatusSeeOther)
	moved := url.Values{}
	for k, v := range bank {
		moved[k] = v
	}
	moved.Set("client_secret", "")
	moved.Set("auth_base_url", "https://auth-b.example.invalid")
	res = admin.PostForm("/settings/integrations/aozora/authorize", moved)
	c.expect(t, "bank authorisation URL moved, secret blank, authorise", res.Status, res.Body, http.StatusUnprocessableEntity)
	if !strings.Contains(res.Body, "接続先URLが変わったため") {
		t.Errorf("the refusal does not say why: %.400s", res.Body)
	}
	res = admin.PostForm("/settings/integrations/aozora/authorize", nil)
	c.expect(t, "authorise after the refused move", res.Status, res.Body, http.StatusSeeOther)
	if !strings.HasPrefix(res.Location, "https://auth-a.example.invalid") {
		t.Errorf("authorise sends the browser to %q, want host A", res.Location)
	}
}

// secToolchain: the binary under test was built by the toolchain go.mod names (or a later one),
// the one govulncheck reports no reachable vulnerability in. With GOTOOLCHAIN=local and an
// older go, the build would otherwise succeed silently on the vulnerable standard library.
func secToolchain(t *testing.T, c *secCounts) {
	b, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^toolchain (go\S+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("go.mod names no toolchain")
	}
	c.probes.Add(1)
	if want := string(m[1]); version.Compare(runtime.Version(), want) < 0 {
		t.Errorf("built with %s, older than go.mod's toolchain %s: run with GOTOOLCHAIN=%s (scripts/test does)", runtime.Version(), want, want)
		return
	}
	c.refusals.Add(1)
}
