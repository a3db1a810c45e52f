package aozorasim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// ClientReg is an OAuth client registered with the sandbox bank.
type ClientReg struct {
	ID       string `json:"id"`
	Secret   string `json:"secret"`
	Password string `json:"password"` // login password on the authorization page
	// AuthMethod is "client_secret_basic", "client_secret_post", or "" to accept either.
	AuthMethod string `json:"auth_method,omitempty"`
	// RedirectURIs are the allowed redirect URIs; none means any (the sandbox does not know
	// where kessai runs).
	RedirectURIs []string `json:"redirect_uris,omitempty"`
}

type authCode struct {
	ClientID    string    `json:"client_id"`
	RedirectURI string    `json:"redirect_uri"`
	Scope       string    `json:"scope"`
	Expires     time.Time `json:"expires"`
}

// grant is an issued access or refresh token.
type grant struct {
	ClientID string    `json:"client_id"`
	Scope    string    `json:"scope"`
	Expires  time.Time `json:"expires"`
}

const codeTTL = 10 * time.Minute

// knownScopes are the scope values the sandbox accepts.
var knownScopes = []string{"private:account", "private:transfer", "private:bulk-transfer", "private:virtual-account", "offline_access", "openid"}

// RegisterClient adds or replaces a client.
func (s *Sim) RegisterClient(c ClientReg) error {
	if c.ID == "" || c.Secret == "" {
		return fmt.Errorf("aozorasim: a client needs an id and a secret")
	}
	switch c.AuthMethod {
	case "", "client_secret_basic", "client_secret_post":
	default:
		return fmt.Errorf("aozorasim: unknown auth method %q", c.AuthMethod)
	}
	if c.Password == "" {
		c.Password = DefaultPassword
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Clients[c.ID] = &c
	s.saveLocked()
	return nil
}

// authRequest is what the authorization page carries from the query into the form.
type authRequest struct {
	ResponseType, ClientID, RedirectURI, Scope, State string
}

func readAuthRequest(v url.Values) authRequest {
	return authRequest{v.Get("response_type"), v.Get("client_id"), v.Get("redirect_uri"), v.Get("scope"), v.Get("state")}
}

// checkAuthRequest validates the request; a non-empty page message means the redirect URI cannot
// be trusted and the error must be shown instead of redirected.
func (s *Sim) checkAuthRequest(ar authRequest) (page string, oauthErr string) {
	s.mu.Lock()
	c := s.st.Clients[ar.ClientID]
	s.mu.Unlock()
	if c == nil {
		return "クライアントIDが登録されていません。", ""
	}
	if u, err := url.Parse(ar.RedirectURI); err != nil || !u.IsAbs() {
		return "redirect_uri が正しくありません。", ""
	}
	if len(c.RedirectURIs) > 0 && !slices.Contains(c.RedirectURIs, ar.RedirectURI) {
		return "redirect_uri が登録されていません。", ""
	}
	if ar.ResponseType != "code" {
		return "", "unsupported_response_type"
	}
	if !validScope(ar.Scope) {
		return "", "invalid_scope"
	}
	return "", ""
}

func validScope(scope string) bool {
	f := strings.Fields(scope)
	if len(f) == 0 {
		return false
	}
	for _, v := range f {
		if !slices.Contains(knownScopes, v) {
			return false
		}
	}
	return true
}

func redirectWith(w http.ResponseWriter, r *http.Request, redirectURI string, q url.Values) {
	u, _ := url.Parse(redirectURI) // checked by checkAuthRequest
	v := u.Query()
	for k, vs := range q {
		v[k] = vs
	}
	u.RawQuery = v.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// handleAuthorize shows the login page (GET /authorization).
func (s *Sim) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	ar := readAuthRequest(r.URL.Query())
	if msg, oe := s.checkAuthRequest(ar); msg != "" {
		s.renderPage(w, http.StatusBadRequest, "error", pageData{Title: "認可エラー", Message: msg})
		return
	} else if oe != "" {
		redirectWith(w, r, ar.RedirectURI, url.Values{"error": {oe}, "state": {ar.State}})
		return
	}
	s.renderPage(w, http.StatusOK, "login", pageData{Title: "ログイン", Auth: ar, LoginID: ar.ClientID})
}

// handleLogin checks the login form (POST /authorization) and redirects with a code.
func (s *Sim) handleLogin(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	ar := readAuthRequest(r.PostForm)
	if msg, oe := s.checkAuthRequest(ar); msg != "" {
		s.renderPage(w, http.StatusBadRequest, "error", pageData{Title: "認可エラー", Message: msg})
		return
	} else if oe != "" {
		redirectWith(w, r, ar.RedirectURI, url.Values{"error": {oe}, "state": {ar.State}})
		return
	}
	if r.PostForm.Get("action") == "deny" {
		redirectWith(w, r, ar.RedirectURI, url.Values{"error": {"access_denied"}, "state": {ar.State}})
		return
	}
	loginID, password := r.PostForm.Get("login_id"), r.PostForm.Get("password")
	s.mu.Lock()
	c := s.st.Clients[loginID]
	ok := c != nil && c.Password == password
	var code string
	if ok {
		code = randomToken(16)
		s.st.Codes[code] = &authCode{ClientID: ar.ClientID, RedirectURI: ar.RedirectURI, Scope: ar.Scope, Expires: s.now().Add(codeTTL)}
		s.saveLocked()
	}
	s.mu.Unlock()
	if !ok {
		s.renderPage(w, http.StatusUnauthorized, "login", pageData{Title: "ログイン", Auth: ar, LoginID: loginID,
			Message: "ログインIDまたはパスワードが正しくありません。"})
		return
	}
	redirectWith(w, r, ar.RedirectURI, url.Values{"code": {code}, "state": {ar.State}})
}

type oauthErr struct {
	status int
	Code   string `json:"error"`
	Desc   string `json:"error_description,omitempty"`
}

func writeOAuthError(w http.ResponseWriter, e oauthErr) {
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="aozorasim"`)
	}
	writeJSON(w, e.status, e)
}

// handleToken issues tokens (POST /token) for the authorization_code and refresh_token grants.
// Every refresh rotates the refresh token: the old one stops working.
func (s *Sim) handleToken(w http.ResponseWriter, r *http.Request) {
	if s.maintenance(w) {
		return
	}
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, oauthErr{http.StatusBadRequest, "invalid_request", "フォームを読めません"})
		return
	}
	f := r.PostForm
	id, secret, basic := r.BasicAuth()
	method := "client_secret_basic"
	if basic {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		if f.Get("client_secret") != "" {
			writeOAuthError(w, oauthErr{http.StatusBadRequest, "invalid_request", "クライアント認証方式が複数指定されています"})
			return
		}
	} else {
		id, secret, method = f.Get("client_id"), f.Get("client_secret"), "client_secret_post"
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	c := s.st.Clients[id]
	if c == nil || id == "" || c.Secret != secret || (c.AuthMethod != "" && c.AuthMethod != method) {
		writeOAuthError(w, oauthErr{http.StatusUnauthorized, "invalid_client", "クライアント認証に失敗しました"})
		return
	}
	var scope string
	switch f.Get("grant_type") {
	case "authorization_code":
		code := f.Get("code")
		ac := s.st.Codes[code]
		delete(s.st.Codes, code) // a code is good for one try, right or wrong
		if ac == nil || ac.ClientID != id || !now.Before(ac.Expires) {
			s.saveLocked()
			writeOAuthError(w, oauthErr{http.StatusBadRequest, "invalid_grant", "認可コードが無効です"})
			return
		}
		if ac.RedirectURI != f.Get("redirect_uri") {
			s.saveLocked()
			writeOAuthError(w, oauthErr{http.StatusBadRequest, "invalid_grant", "redirect_uri が認可要求と一致しません"})
			return
		}
		scope = ac.Scope
	case "refresh_token":
		rt := f.Get("refresh_token")
		g := s.st.Refresh[rt]
		if g == nil || g.ClientID != id || !now.Before(g.Expires) {
			writeOAuthError(w, oauthErr{http.StatusBadRequest, "invalid_grant", "リフレッシュトークンが無効です"})
			return
		}
		delete(s.st.Refresh, rt)
		scope = g.Scope
	case "":
		writeOAuthError(w, oauthErr{http.StatusBadRequest, "invalid_request", "grant_type がありません"})
		return
	default:
		writeOAuthError(w, oauthErr{http.StatusBadRequest, "unsupported_grant_type", ""})
		return
	}

	resp := map[string]any{
		"access_token": randomToken(24),
		"token_type":   "Bearer",
		"expires_in":   int64(s.opts.AccessTokenTTL / time.Second),
		"scope":        scope,
	}
	s.st.Access[resp["access_token"].(string)] = &grant{ClientID: id, Scope: scope, Expires: now.Add(s.opts.AccessTokenTTL)}
	if slices.Contains(strings.Fields(scope), "offline_access") {
		rt := randomToken(24)
		s.st.Refresh[rt] = &grant{ClientID: id, Scope: scope, Expires: now.Add(s.opts.RefreshTokenTTL)}
		resp["refresh_token"] = rt
	}
	s.saveLocked()
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, resp)
}

// authorize checks x-access-token and the scope the endpoint needs. It returns the client ID,
// or "" after writing the error.
func (s *Sim) authorize(w http.ResponseWriter, r *http.Request, scope string) string {
	tok := r.Header.Get("x-access-token")
	s.mu.Lock()
	g := s.st.Access[tok]
	now := s.now()
	s.mu.Unlock()
	switch {
	case tok == "" || g == nil:
		writeError(w, http.StatusUnauthorized, apiError{Code: codeTokenInvalid, Message: "アクセストークンが不正です。"})
		return ""
	case !now.Before(g.Expires):
		writeError(w, http.StatusUnauthorized, apiError{Code: codeTokenExpired, Message: "アクセストークンの有効期限が切れています。"})
		return ""
	case !slices.Contains(strings.Fields(g.Scope), scope):
		writeError(w, http.StatusForbidden, apiError{Code: codeScope, Message: "このAPIを利用する権限（スコープ）がありません。"})
		return ""
	}
	return g.ClientID
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
