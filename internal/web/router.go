// Package web is kessai's shell: the route table, middleware, the page layout and templates, and
// the JSON API conventions. Workflow rooms plug their routes and templates into it; they don't
// rebuild any of it.
package web

import (
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
}

// NewRouter returns an empty router that renders error pages with r.
func NewRouter(r *Renderer) *Router {
	return &Router{mux: http.NewServeMux(), render: r}
}

// Handle registers h for method and path, refusing principals without perm. A path ending in
// "/" matches its subtree (net/http rules).
func (rt *Router) Handle(method, path string, perm auth.Perm, summary string, h http.Handler) {
	rt.routes = append(rt.routes, Route{Method: method, Pattern: path, Perm: perm, Summary: summary})
	pattern := path
	if method != "" {
		pattern = method + " " + path
	}
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

// ServeHTTP serves the request through the route table.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) { rt.mux.ServeHTTP(w, r) }

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
