package authweb

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/errs"
	"kessai/internal/web"
)

// SafeNext returns next when it is a path on this site, else "/". It keeps the login form
// from sending people to another site (open redirect).
func SafeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	if strings.HasPrefix(u.Path, "/login") || strings.HasPrefix(u.Path, "/logout") {
		return "/"
	}
	return next
}

type loginView struct {
	Email   string
	Next    string
	Token   string
	Message string
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	next := SafeNext(r.URL.Query().Get("next"))
	if auth.FromContext(r.Context()) != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	h.renderLogin(w, r, http.StatusOK, loginView{Next: next})
}

// renderLogin shows the form with a fresh double-submit token: the login form has no session
// yet, so its CSRF token lives in a short-lived cookie that the form must echo.
func (h *Handler) renderLogin(w http.ResponseWriter, r *http.Request, status int, v loginView) {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	v.Token = base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: v.Token, Path: "/login", MaxAge: 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: h.secure(r)})
	h.Render.Render(w, r, status, "auth/login.html", web.View{Title: "ログイン", Data: v})
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	v := loginView{Email: strings.TrimSpace(r.PostFormValue("email")), Next: SafeNext(r.PostFormValue("next"))}
	c, err := r.Cookie(loginCookie)
	if err != nil || !sameToken(c.Value, r.PostFormValue("login_token")) {
		v.Message = "ログイン画面の有効期限が切れました。もう一度入力してください"
		h.renderLogin(w, r, http.StatusForbidden, v)
		return
	}
	l, err := h.Auth.Login(r.Context(), auth.LoginRequest{Email: v.Email, Password: r.PostFormValue("password"),
		IP: clientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		e := errs.As(err)
		if e == nil || e.Kind == errs.KindInternal {
			h.Render.Error(w, r, err)
			return
		}
		v.Message = e.Message
		h.renderLogin(w, r, web.StatusOf(e.Kind), v)
		return
	}
	h.clearCookie(w, r, loginCookie)
	// MaxAge, not Expires: the server's clock may be a moved sandbox clock. The server enforces
	// the real expiry either way.
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: l.Token, Path: "/", MaxAge: int(h.Auth.SessionTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: h.secure(r)})
	http.Redirect(w, r, v.Next, http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if err := h.Auth.Logout(r.Context(), auth.FromContext(r.Context())); err != nil {
		h.Render.Error(w, r, err)
		return
	}
	h.clearCookie(w, r, SessionCookie)
	web.SetFlash(w, "ログアウトしました")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
