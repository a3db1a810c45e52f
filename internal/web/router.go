// Package web is kessai's shell: the route table, middleware, the page layout and templates, and
// the JSON API conventions. Workflow rooms plug their routes and templates into it; they don't
// rebuild any of it.
package web

import (
	"context"
	"net/http"
	"sort"
	"strings"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/errs"
)

// Route is one entry of the route table. Every route declares the permission it needs, so the
// role-matrix test can walk the whole table and prove each one refuses the roles it must.
type Route struct {
	Method  string
	Pattern string // net/http pattern path, e.g. /cases/{id}
	Perm    auth.Perm
	// Summary is a one-line description (Japanese) used in docs and the OpenAPI document.
	Summary string
}

// IsAPI reports whether the route is part of the JSON API.
func (rt Route) IsAPI() bool { return strings.HasPrefix(rt.Pattern, "/api/") }

// IsStateChanging reports whether the route changes state (anything but GET/HEAD).
func (rt Route) IsStateChanging() bool {
	return rt.Method != http.MethodGet && rt.Method != http.MethodHead
}

// Router collects routes and serves them with each route's permission enforced.
type Router struct {
	mux    *http.ServeMux
	routes []Route
	render *Renderer
	perms  map[string]auth.Perm // mux pattern → permission (for PermFor)
	// bodyLimits and uploads are the routes' own body rules (limits.go), by mux pattern.
	bodyLimits map[string]int64
	uploads    map[string]bool
}

// NewRouter returns an empty router that renders error pages with r.
func NewRouter(r *Renderer) *Router {
	return &Router{mux: http.NewServeMux(), render: r, perms: map[string]auth.Perm{}}
}

// Handle registers h for method and path, refusing principals without perm. A path ending in
// "/" matches its subtree (net/http rules).
func (rt *Router) Handle(method, path string, perm auth.Perm, summary string, h http.Handler) {
	rt.routes = append(rt.routes, Route{Method: method, Pattern: path, Perm: perm, Summary: summary})
	pattern := path
	if method != "" {
		pattern = method + " " + path
	}
	rt.perms[pattern] = perm
	rt.mux.Handle(pattern, rt.guard(perm, strings.HasPrefix(path, "/api/"), h))
}

// HandleFunc is Handle for a function.
func (rt *Router) HandleFunc(method, path string, perm auth.Perm, summary string, h http.HandlerFunc) {
	rt.Handle(method, path, perm, summary, h)
}

// Routes returns a copy of the route table, sorted by path then method.
func (rt *Router) Routes() []Route {
	out := append([]Route(nil), rt.routes...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Pattern != out[j].Pattern {
			return out[i].Pattern < out[j].Pattern
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// ServeHTTP serves the request through the route table. An /api/ request that matches no route
// gets the API's JSON error body (not net/http's text/plain 「404 page not found」).
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if len(rt.uploads) > 0 && !IsUpload(r) {
		// Served without Bound in front (a package's own tests): uploads still go to disk.
		if _, pattern := rt.mux.Handler(r); rt.uploads[pattern] {
			st := &uploadState{limits: Limits{}.withDefaults(), rc: http.NewResponseController(w)}
			defer st.cleanup()
			r = r.WithContext(context.WithValue(r.Context(), uploadKey{}, st))
		}
	}
	if _, pattern := rt.mux.Handler(r); pattern == "" {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			rt.mux.ServeHTTP(&apiMiss{ResponseWriter: w, r: r}, r)
			return
		}
		if rt.render != nil {
			rt.mux.ServeHTTP(&pageMiss{ResponseWriter: w, r: r, render: rt.render}, r)
			return
		}
	}
	rt.mux.ServeHTTP(w, r)
}

// pageMiss turns the mux's own 404 and 405 answers to a page into kessai's Japanese error page
// (in the layout, with the way back), instead of net/http's English text.
type pageMiss struct {
	http.ResponseWriter
	r        *http.Request
	render   *Renderer
	wrote    bool
	replaced bool
}

func (m *pageMiss) WriteHeader(code int) {
	if m.wrote {
		return
	}
	m.wrote = true
	switch code {
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		m.replaced = true
		m.ResponseWriter.Header().Del("Content-Type")
		m.ResponseWriter.Header().Del("X-Content-Type-Options")
		msg := "ページが見つかりません（" + m.r.URL.Path + "）。URL を確かめるか、メニューから開いてください"
		if code == http.StatusMethodNotAllowed {
			msg = "この操作はこのページではできません（" + m.r.Method + " " + m.r.URL.Path + "）。画面のボタンから操作してください"
		}
		title := "ページが見つかりません"
		if code == http.StatusMethodNotAllowed {
			title = "この操作はできません"
		}
		m.render.Render(m.ResponseWriter, m.r, code, "web/error.html", View{Title: title, Data: map[string]any{"Message": msg, "Status": code}})
	default:
		m.ResponseWriter.WriteHeader(code)
	}
}

func (m *pageMiss) Write(b []byte) (int, error) {
	if !m.wrote {
		m.WriteHeader(http.StatusOK)
	}
	if m.replaced {
		return len(b), nil
	}
	return m.ResponseWriter.Write(b)
}

// apiMiss turns the mux's own 404 and 405 answers into JSON error bodies (the Allow header the
// mux sets on a 405 is kept) and drops the mux's text body.
type apiMiss struct {
	http.ResponseWriter
	r        *http.Request
	wrote    bool
	replaced bool
}

func (m *apiMiss) WriteHeader(code int) {
	if m.wrote {
		return
	}
	m.wrote = true
	h := m.ResponseWriter.Header()
	switch code {
	case http.StatusNotFound:
		m.replaced = true
		h.Del("Content-Type")
		WriteError(m.ResponseWriter, m.r, errs.NotFound("APIのパスが見つかりません: "+m.r.Method+" "+m.r.URL.Path+"（/api/v1/openapi.json に一覧があります）"))
	case http.StatusMethodNotAllowed:
		m.replaced = true
		h.Del("Content-Type")
		WriteJSON(m.ResponseWriter, code, ErrorBody{Error: ErrorDetail{Code: "method_not_allowed",
			Message: m.r.Method + " は " + m.r.URL.Path + " では使えません（使えるメソッド: " + h.Get("Allow") + "）", RequestID: RequestID(m.r.Context())}})
	default:
		m.ResponseWriter.WriteHeader(code)
	}
}

func (m *apiMiss) Write(b []byte) (int, error) {
	if !m.wrote {
		m.WriteHeader(http.StatusOK)
	}
	if m.replaced {
		return len(b), nil
	}
	return m.ResponseWriter.Write(b)
}

func (rt *Router) guard(perm auth.Perm, api bool, h http.Handler) http.Handler {
	if perm == auth.PermPublic {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.FromContext(r.Context())
		if p == nil {
			if api {
				WriteError(w, r, errs.E(errs.KindUnauthenticated, "APIキーが必要です（Authorization: Bearer KEY）"))
				return
			}
			target := "/login?next=" + urlQueryEscape(r.URL.RequestURI())
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		if !p.Can(perm) {
			e := errs.Forbidden("この操作を行う権限がありません（" + p.Role.Label() + "）")
			if api {
				WriteError(w, r, e)
			} else {
				rt.render.Error(w, r, e)
			}
			return
		}
		h.ServeHTTP(w, r)
	})
}
