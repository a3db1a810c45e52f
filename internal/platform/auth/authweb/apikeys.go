package authweb

import (
	"net/http"
	"strings"
	"time"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/errs"
	"kessai/internal/web"
)

type apiKeysView struct {
	Keys   []*auth.APIKey
	Now    time.Time
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
	v.Keys, v.Roles, v.Now = keys, auth.Roles, h.Auth.Clock.Now()
	h.Render.Render(w, r, status, "auth/apikeys.html", web.View{Title: "APIキー", Nav: "settings", Data: v})
}

func (h *Handler) apiKeys(w http.ResponseWriter, r *http.Request) {
	h.renderKeys(w, r, http.StatusOK, apiKeysView{})
}

func (h *Handler) createAPIKey(w http.ResponseWriter, r *http.Request) {
	name, role, exp := r.PostFormValue("name"), auth.Role(r.PostFormValue("role")), strings.TrimSpace(r.PostFormValue("expires"))
	var expires time.Time
	var err error
	if exp != "" {
		// The key works through the whole of the day given (JST).
		var day time.Time
		if day, err = time.ParseInLocation("2006-01-02", exp, clock.JST); err == nil {
			expires = day.AddDate(0, 0, 1)
		} else {
			err = errs.Invalid("入力内容を確認してください").Field("expires", "有効期限は YYYY-MM-DD の日付で入力してください")
		}
	}
	var key string
	var k *auth.APIKey
	if err == nil {
		key, k, err = h.Auth.CreateAPIKeyUntil(r.Context(), name, role, expires)
	}
	if err != nil {
		e := errs.As(err)
		if e == nil || e.Kind == errs.KindInternal {
			h.Render.Error(w, r, err)
			return
		}
		h.renderKeys(w, r, web.StatusOf(e.Kind), apiKeysView{Error: e.Message, Fields: e.Fields,
			Form: map[string]string{"name": name, "role": string(role), "expires": exp}})
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
