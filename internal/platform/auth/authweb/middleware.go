// Package authweb is authentication on the web: the middleware that turns a session cookie or
// an API key into the request's principal and enforces CSRF, and the login, user and API key
// pages. It is apart from package auth because package web imports auth.
package authweb

import (
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/errs"
	"kessai/internal/web"
)

// Cookie names.
const (
	SessionCookie = "kessai_session"
	loginCookie   = "kessai_login" // double-submit token of the login form
)

// CSRFHeader is the header scripts send the session's CSRF token in; forms use the field
// csrf_token.
const CSRFHeader = "X-CSRF-Token"

// Handler serves authentication.
type Handler struct {
	Auth   *auth.Service
	Render *web.Renderer
	// SecureCookies sets Secure on cookies even for plain-HTTP requests (KESSAI_BASE_URL is
	// https behind a TLS-terminating proxy). Requests that came over TLS get it anyway.
	SecureCookies bool
	// Foreign lists path prefixes served on behalf of another site: the built-in provider
	// simulators under /sandbox/{name}/. A real provider lives on another origin and never sees
	// kessai's session cookie, so here too the cookie is ignored there (their login and approval
	// forms carry no kessai CSRF token). An API key is still honoured, for scripting a
	// simulator's control API. Set during wiring, read-only afterwards.
	Foreign []string
	// SessionPaths are Foreign paths where kessai's session is read after all: a simulator's
	// private pages (the approver's mailbox and approval form) need a kessai login. Their
	// forms are the simulator's and cannot carry kessai's CSRF token, so a state-changing
	// request there must instead come from this origin (Origin or Sec-Fetch-Site).
	SessionPaths []string
	// KeyPaths lists path prefixes besides /api/ where an API key is accepted, for scripting
	// pages' JSON endpoints (the sandbox clock). Requests there with a key carry no cookie and
	// need no CSRF token.
	KeyPaths []string
}

func hasPrefix(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

func (h *Handler) foreign(path string) bool { return hasPrefix(path, h.Foreign) }

func (h *Handler) secure(r *http.Request) bool { return h.SecureCookies || r.TLS != nil }

// Middleware puts the principal in the request's context: an API key (Authorization: Bearer,
// only under /api/ and Foreign paths), else the session cookie's user (not on Foreign paths),
// else none (the route guard then refuses or the route is public). State-changing requests of a cookie session must carry the session's
// CSRF token; API-key requests carry no cookie and need none.
func (h *Handler) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		api := strings.HasPrefix(r.URL.Path, "/api/")
		sessionPath := hasPrefix(r.URL.Path, h.SessionPaths)
		foreign := h.foreign(r.URL.Path) && !sessionPath
		authz := r.Header.Get("Authorization")
		if foreign && !strings.HasPrefix(authz, "Bearer "+auth.APIKeyPrefix) {
			// The simulator's own credentials (the bank's client_secret_basic) are its business.
			authz = ""
		}
		if (api || foreign || hasPrefix(r.URL.Path, h.KeyPaths)) && authz != "" {
			key, ok := strings.CutPrefix(authz, "Bearer ")
			if !ok {
				web.WriteError(w, r, errs.E(errs.KindUnauthenticated, "Authorization ヘッダーは「Bearer APIキー」の形で送ってください"))
				return
			}
			p, err := h.Auth.APIKeyPrincipal(ctx, strings.TrimSpace(key))
			if errors.Is(err, auth.ErrBadAPIKey) {
				web.WriteError(w, r, errs.E(errs.KindUnauthenticated, "APIキーが無効です（誤っているか、失効しています）。管理者に有効なキーを発行してもらってください"))
				return
			}
			if err != nil {
				web.WriteError(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(ctx, p)))
			return
		}
		if foreign {
			next.ServeHTTP(w, r)
			return
		}
		if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
			p, err := h.Auth.Session(ctx, c.Value)
			switch {
			case err == nil:
				r = r.WithContext(auth.WithPrincipal(ctx, p))
				if !safeMethod(r.Method) && !(sessionPath && sameOrigin(r)) && (sessionPath || !checkCSRF(r, p)) {
					e := errCSRF
					if api {
						web.WriteError(w, r, e)
					} else {
						h.Render.Error(w, r, e)
					}
					return
				}
			case errors.Is(err, auth.ErrNoSession):
				h.clearCookie(w, r, SessionCookie)
			default:
				if api {
					web.WriteError(w, r, err)
				} else {
					h.Render.Error(w, r, err)
				}
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sameOrigin reports whether the browser says r comes from a page of this site.
func sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		return err == nil && u.Host == r.Host
	}
	return r.Header.Get("Sec-Fetch-Site") == "same-origin"
}

var errCSRF = errs.Forbidden("画面の有効期限が切れたか、不正な送信のため受け付けませんでした（CSRFトークンが一致しません）。画面を再読み込みしてからもう一度操作してください")

// checkCSRF reports whether r carries p's CSRF token: in the header, or in the form. The form
// of an upload route is read up to its file only (the token comes first on the page), so a
// request without the right token writes nothing to disk.
func checkCSRF(r *http.Request, p *auth.Principal) bool {
	if t := r.Header.Get(CSRFHeader); t != "" {
		return auth.CheckCSRF(p, t)
	}
	if web.IsUpload(r) {
		_, err := web.Uploaded(r, func(v url.Values) error {
			if !auth.CheckCSRF(p, v.Get("csrf_token")) {
				return errCSRF
			}
			return nil
		})
		// Any other problem with the upload is the handler's to report.
		return !errors.Is(err, errCSRF)
	}
	return auth.CheckCSRF(p, r.PostFormValue("csrf_token"))
}

func (h *Handler) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: h.secure(r)})
}

func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// clientIP is the peer address. X-Forwarded-For is not trusted: anyone can send it, and the
// login throttle counts by address.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
