package authweb

import (
	"net/http"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/errs"
	"kessai/internal/web"
)

type apiKeysView struct {
	Keys   []*auth.APIKey
	Roles  []auth.Role
	Form   map[string]string
	Error  string
	Fields map[string]string
	// NewKey is the key just created, shown on this response only.
	NewKey     string
	NewKeyName string
}

func (h *Handler) renderKeys(w http.ResponseWriter, r *http.Request, status int, v apiKeysView) {
	keys, err := h.Auth.APIKeys(r.Context())
	if err != nil {
		h.Render.Error(w, r, err)
		return
	}
	v.Keys, v.Roles = keys, auth.Roles
	h.Render.Render(w, r, status, "auth/apikeys.html", web.View{Title: "APIキー", Nav: "settings", Data: v})
}

func (h *Handler) apiKeys(w http.ResponseWriter, r *http.Request) {
	h.renderKeys(w, r, http.StatusOK, apiKeysView{})
}

func (h *Handler) createAPIKey(w http.ResponseWriter, r *http.Request) {
	name, role := r.PostFormValue("name"), auth.Role(r.PostFormValue("role"))
	key, k, err := h.Auth.CreateAPIKey(r.Context(), name, role)
	if err != nil {
		e := errs.As(err)
		if e == nil || e.Kind == errs.KindInternal {
			h.Render.Error(w, r, err)
			return
		}
		h.renderKeys(w, r, web.StatusOf(e.Kind), apiKeysView{Error: e.Message, Fields: e.Fields,
			Form: map[string]string{"name": name, "role": string(role)}})
		return
	}
	h.renderKeys(w, r, http.StatusOK, apiKeysView{NewKey: key, NewKeyName: k.Name})
}

func (h *Handler) revokeAPIKey(w http.ResponseWriter, r *http.Request) {
	if err := h.Auth.RevokeAPIKey(r.Context(), r.PathValue("id")); err != nil {
		if errs.KindOf(err) == errs.KindConflict {
			h.renderKeys(w, r, http.StatusConflict, apiKeysView{Error: errs.As(err).Message})
			return
		}
		h.Render.Error(w, r, err)
		return
	}
	web.SetFlash(w, "APIキーを失効させました。このキーを使うリクエストはすぐに拒否されます")
	http.Redirect(w, r, "/settings/apikeys", http.StatusSeeOther)
}
