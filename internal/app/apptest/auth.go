package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/auth/authweb"
	"kessai/internal/platform/db"
)

// Client is a browser for tests: it keeps cookies, sends the session's CSRF token with every
// form it posts, and does not follow redirects (so a test can check where one points).
//
//	c := inst.Client(t, auth.RoleStaff)
//	res := c.PostForm("/cases", url.Values{"amount": {"1200"}})
//	if res.Status != http.StatusSeeOther { t.Fatalf("%d %s", res.Status, res.Body) }
type Client struct {
	T        testing.TB
	Base     string // the instance's URL
	HTTP     *http.Client
	User     *auth.User // nil for Anonymous
	Password string
	CSRF     string // the session's CSRF token ("" for Anonymous)

	in *Instance
}

// Response is a finished request with its body read.
type Response struct {
	Status   int
	Header   http.Header
	Body     string
	Location string // the redirect target, if any
}

// Anonymous returns a client that is not signed in.
func (in *Instance) Anonymous(t testing.TB) *Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &Client{T: t, Base: in.URL, in: in, HTTP: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Client returns a client signed in, through the login form, as a new user with role.
func (in *Instance) Client(t testing.TB, role auth.Role) *Client {
	t.Helper()
	password := "pw-" + strings.ToLower(db.NewID(""))
	ctx := auth.WithPrincipal(context.Background(), auth.System("apptest"))
	u, err := in.App.Platform.Auth.CreateUser(ctx, auth.NewUser{
		Email: string(role) + "-" + strings.ToLower(db.NewID(""))[16:] + "@example.com", Name: "テスト" + role.Label(),
		Role: role, Password: password})
	if err != nil {
		t.Fatalf("apptest: create %s user: %v", role, err)
	}
	c := in.Anonymous(t)
	c.Login(u.Email, password)
	c.User, c.Password = u, password
	return c
}

var loginTokenRE = regexp.MustCompile(`name="login_token" value="([^"]+)"`)

// Login signs the client in through the login form and fails the test unless it worked.
func (c *Client) Login(email, password string) {
	c.T.Helper()
	page := c.Get("/login")
	m := loginTokenRE.FindStringSubmatch(page.Body)
	if m == nil {
		c.T.Fatalf("apptest: login page has no login_token (status %d)", page.Status)
	}
	res := c.post("/login", url.Values{"email": {email}, "password": {password}, "login_token": {m[1]}})
	if res.Status != http.StatusSeeOther {
		c.T.Fatalf("apptest: login as %s: status %d: %s", email, res.Status, res.Body)
	}
	u, _ := url.Parse(c.Base)
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == authweb.SessionCookie {
			c.CSRF = c.csrfOf(ck.Value)
		}
	}
	if c.CSRF == "" {
		c.T.Fatalf("apptest: login as %s set no session cookie", email)
	}
}

// csrfOf returns the CSRF token of the session (pages carry it in forms and a meta tag).
func (c *Client) csrfOf(token string) string {
	p, err := c.in.App.Platform.Auth.Session(context.Background(), token)
	if err != nil {
		c.T.Fatalf("apptest: session after login: %v", err)
	}
	return p.CSRFToken
}

// Get fetches path.
func (c *Client) Get(path string) *Response {
	c.T.Helper()
	req, err := http.NewRequest(http.MethodGet, c.Base+path, nil)
	if err != nil {
		c.T.Fatalf("apptest: %v", err)
	}
	return c.Do(req)
}

// PostForm posts form to path with the session's CSRF token added as csrf_token.
func (c *Client) PostForm(path string, form url.Values) *Response {
	c.T.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	if c.CSRF != "" && f.Get("csrf_token") == "" {
		f.Set("csrf_token", c.CSRF)
	}
	return c.post(path, f)
}

// PostFormNoCSRF posts form as is: for tests that prove a missing token is refused.
func (c *Client) PostFormNoCSRF(path string, form url.Values) *Response {
	c.T.Helper()
	return c.post(path, form)
}

func (c *Client) post(path string, form url.Values) *Response {
	c.T.Helper()
	req, err := http.NewRequest(http.MethodPost, c.Base+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.T.Fatalf("apptest: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.Do(req)
}

// Do sends req (its URL must be absolute) and reads the whole response.
func (c *Client) Do(req *http.Request) *Response {
	c.T.Helper()
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.T.Fatalf("apptest: %s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.T.Fatalf("apptest: read %s %s: %v", req.Method, req.URL, err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: string(b), Location: resp.Header.Get("Location")}
}

// APIKey returns a new API key with role.
func (in *Instance) APIKey(t testing.TB, role auth.Role) string {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), auth.System("apptest"))
	key, _, err := in.App.Platform.Auth.CreateAPIKey(ctx, "apptest "+role.Label(), role)
	if err != nil {
		t.Fatalf("apptest: create %s API key: %v", role, err)
	}
	return key
}

// API sends a JSON request to the API with key (no key when ""); body nil sends no body, a
// string or []byte is sent as is, anything else is encoded as JSON.
func (in *Instance) API(t testing.TB, key, method, path string, body any) *Response {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("apptest: encode body: %v", err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, in.URL+path, r)
	if err != nil {
		t.Fatalf("apptest: %v", err)
	}
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return in.Anonymous(t).Do(req)
}
