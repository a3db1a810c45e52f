package authweb

import (
	"embed"
	"net/http"

	"kessai/internal/platform/auth"
	"kessai/internal/web"
)

// MaxLoginBody caps the login form's body.
const MaxLoginBody = 8 << 10

//go:embed templates
var templatesFS embed.FS

// Routes adds the login, user and API key pages.
func (h *Handler) Routes(sh *web.Shell) error {
	if err := h.Render.Add("auth", templatesFS, "templates"); err != nil {
		return err
	}
	sh.HandleFunc(http.MethodGet, "/login", auth.PermPublic, "ログイン画面", h.loginPage)
	sh.HandleFunc(http.MethodPost, "/login", auth.PermPublic, "ログイン", h.login)
	sh.HandleFunc(http.MethodPost, "/logout", auth.PermPublic, "ログアウト", h.logout)
	// Email, password and two tokens: nothing a login needs comes near this.
	sh.LimitBody(http.MethodPost, "/login", MaxLoginBody)
	sh.LimitBody(http.MethodPost, "/logout", MaxLoginBody)

	sh.HandleFunc(http.MethodGet, "/settings/users", auth.PermAdmin, "ユーザー一覧", h.users)
	sh.HandleFunc(http.MethodPost, "/settings/users", auth.PermAdmin, "ユーザー作成", h.createUser)
	sh.HandleFunc(http.MethodPost, "/settings/users/{id}/role", auth.PermAdmin, "ユーザーのロール変更", h.changeRole)
	sh.HandleFunc(http.MethodPost, "/settings/users/{id}/disable", auth.PermAdmin, "ユーザーの無効化", h.setDisabled(true))
	sh.HandleFunc(http.MethodPost, "/settings/users/{id}/enable", auth.PermAdmin, "ユーザーの有効化", h.setDisabled(false))
	sh.HandleFunc(http.MethodPost, "/settings/users/{id}/password", auth.PermAdmin, "ユーザーのパスワード再設定", h.resetPassword)
	sh.HandleFunc(http.MethodPost, "/settings/users/{id}/unlock", auth.PermAdmin, "ユーザーのログインのロック解除", h.unlock)

	sh.HandleFunc(http.MethodGet, "/settings/apikeys", auth.PermAdmin, "APIキー一覧", h.apiKeys)
	sh.HandleFunc(http.MethodPost, "/settings/apikeys", auth.PermAdmin, "APIキー発行", h.createAPIKey)
	sh.HandleFunc(http.MethodPost, "/settings/apikeys/{id}/revoke", auth.PermAdmin, "APIキーの失効", h.revokeAPIKey)
	return nil
}
