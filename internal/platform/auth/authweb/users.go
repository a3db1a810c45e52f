package authweb

import (
	"net/http"
	"strings"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/errs"
	"kessai/internal/web"
)

// usersView is the ユーザー page. Error and Fields come from a refused form; Shown carries a
// generated password, shown once on this response and never again.
type usersView struct {
	Users  []*auth.User
	Roles  []auth.Role
	Form   map[string]string
	Error  string
	Fields map[string]string
	Shown  *shownPassword
	// Locks are the login locks in force now, by email.
	Locks map[string]auth.Lock
}

type shownPassword struct {
	Email    string
	Password string
}

func (h *Handler) renderUsers(w http.ResponseWriter, r *http.Request, status int, v usersView) {
	users, err := h.Auth.Users(r.Context())
	if err != nil {
		h.Render.Error(w, r, err)
		return
	}
	locks, err := h.Auth.LoginLocks(r.Context())
	if err != nil {
		h.Render.Error(w, r, err)
		return
	}
	v.Locks = map[string]auth.Lock{}
	for _, l := range locks {
		v.Locks[l.Email] = l
	}
	v.Users, v.Roles = users, auth.Roles
	h.Render.Render(w, r, status, "auth/users.html", web.View{Title: "ユーザー", Nav: "settings", Data: v})
}

func (h *Handler) users(w http.ResponseWriter, r *http.Request) {
	h.renderUsers(w, r, http.StatusOK, usersView{})
}

// refuse re-renders the page with err's message; internal errors get the error page.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, err error, v usersView) {
	e := errs.As(err)
	if e == nil || e.Kind == errs.KindInternal || e.Kind == errs.KindNotFound {
		h.Render.Error(w, r, err)
		return
	}
	v.Error, v.Fields = e.Message, e.Fields
	h.renderUsers(w, r, web.StatusOf(e.Kind), v)
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) {
	nu := auth.NewUser{
		Email:    r.PostFormValue("email"),
		Name:     r.PostFormValue("name"),
		Role:     auth.Role(r.PostFormValue("role")),
		Password: r.PostFormValue("password"),
	}
	generated := nu.Password == ""
	if generated {
		nu.Password = auth.GeneratePassword()
	}
	u, err := h.Auth.CreateUser(r.Context(), nu)
	if err != nil {
		h.refuse(w, r, err, usersView{Form: map[string]string{"email": nu.Email, "name": nu.Name, "role": string(nu.Role)}})
		return
	}
	if generated {
		h.renderUsers(w, r, http.StatusOK, usersView{Shown: &shownPassword{Email: u.Email, Password: nu.Password}})
		return
	}
	web.SetFlash(w, u.Email+" を作成しました")
	http.Redirect(w, r, "/settings/users", http.StatusSeeOther)
}

func (h *Handler) changeRole(w http.ResponseWriter, r *http.Request) {
	role, err := auth.ParseRole(r.PostFormValue("role"))
	if err == nil {
		var u *auth.User
		u, err = h.Auth.SetRole(r.Context(), r.PathValue("id"), role)
		if err == nil {
			web.SetFlash(w, u.Email+" のロールを「"+role.Label()+"」にしました")
		}
	}
	if err != nil {
		h.refuse(w, r, err, usersView{})
		return
	}
	http.Redirect(w, r, "/settings/users", http.StatusSeeOther)
}

func (h *Handler) setDisabled(disabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, err := h.Auth.SetDisabled(r.Context(), r.PathValue("id"), disabled)
		if err != nil {
			h.refuse(w, r, err, usersView{})
			return
		}
		if disabled {
			web.SetFlash(w, u.Email+" を無効にしました（ログイン中の画面もすぐに使えなくなります）")
		} else {
			web.SetFlash(w, u.Email+" を有効にしました")
		}
		http.Redirect(w, r, "/settings/users", http.StatusSeeOther)
	}
}

func (h *Handler) resetPassword(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	password := r.PostFormValue("password")
	generated := strings.TrimSpace(password) == ""
	if generated {
		password = auth.GeneratePassword()
	}
	if err := h.Auth.ResetPassword(r.Context(), id, password); err != nil {
		h.refuse(w, r, err, usersView{})
		return
	}
	u, err := h.Auth.User(r.Context(), h.Auth.DB, id)
	if err != nil {
		h.Render.Error(w, r, err)
		return
	}
	if generated {
		h.renderUsers(w, r, http.StatusOK, usersView{Shown: &shownPassword{Email: u.Email, Password: password}})
		return
	}
	web.SetFlash(w, u.Email+" のパスワードを再設定しました（ログイン中の画面はログアウトされます）")
	http.Redirect(w, r, "/settings/users", http.StatusSeeOther)
}

// unlock lifts the login locks of a user's email.
func (h *Handler) unlock(w http.ResponseWriter, r *http.Request) {
	u, err := h.Auth.User(r.Context(), h.Auth.DB, r.PathValue("id"))
	if err != nil {
		h.Render.Error(w, r, err)
		return
	}
	if err := h.Auth.UnlockLogin(r.Context(), u.Email); err != nil {
		h.refuse(w, r, err, usersView{})
		return
	}
	web.SetFlash(w, u.Email+" のログインのロックを解除しました")
	http.Redirect(w, r, "/settings/users", http.StatusSeeOther)
}
