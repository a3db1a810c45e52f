package payout

import (
	"net/http"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/errs"
	"kessai/internal/web"
)

const settingsPath = "/settings/integrations/aozora"

func (p *Pages) settings(w http.ResponseWriter, r *http.Request) {
	p.renderSettings(w, r, http.StatusOK, nil, SettingsInput{})
}

func (p *Pages) renderSettings(w http.ResponseWriter, r *http.Request, status int, fields map[string]string, in SettingsInput) {
	st, err := p.conn.State(r.Context())
	if err != nil {
		p.render.Error(w, r, err)
		return
	}
	if fields == nil {
		in = SettingsInput{ClientID: st.EffectiveClientID, AuthMethod: st.AuthMethod, AuthBaseURL: st.AuthBaseURL, APIBaseURL: st.APIBaseURL}
		if st.Manual {
			in.TokenAPIBaseURL = st.APIBaseURL
		}
	}
	if in.TokenAPIBaseURL == "" {
		in.TokenAPIBaseURL = SunabarAPIBaseURL
	}
	in.ClientSecret = "" // never sent back, not even what was just typed
	mode, err := p.svc.ExecuteMode(r.Context())
	if err != nil {
		p.render.Error(w, r, err)
		return
	}
	p.render.Render(w, r, status, "payout/settings.html", web.View{Title: "GMOあおぞらネット銀行", Nav: "settings",
		Data: map[string]any{"S": st, "In": in, "Errors": fields, "RedirectURI": p.conn.RedirectURI, "Mode": mode,
			"Advanced": in.AuthBaseURL != "" || in.APIBaseURL != "" || fields["auth_base_url"] != "" || fields["api_base_url"] != ""}})
}

func settingsInput(r *http.Request) SettingsInput {
	_ = r.ParseForm()
	f := r.PostForm
	return SettingsInput{ClientID: f.Get("client_id"), ClientSecret: f.Get("client_secret"), AuthMethod: f.Get("auth_method"),
		AuthBaseURL: f.Get("auth_base_url"), APIBaseURL: f.Get("api_base_url")}
}

// saveFrom saves the form; false when the form was shown again with its errors.
func (p *Pages) saveFrom(w http.ResponseWriter, r *http.Request) bool {
	in := settingsInput(r)
	err := p.conn.Save(r.Context(), in)
	if e := errs.As(err); e != nil && e.Kind == errs.KindInvalid {
		p.renderSettings(w, r, http.StatusUnprocessableEntity, e.Fields, in)
		return false
	}
	if err != nil {
		p.render.Error(w, r, err)
		return false
	}
	return true
}

// saveSettings is 保存. With a refresh token still valid for the saved settings it also makes a
// token call, so 『有効』 always means the bank answered.
func (p *Pages) saveSettings(w http.ResponseWriter, r *http.Request) {
	if !p.saveFrom(w, r) {
		return
	}
	st, err := p.conn.State(r.Context())
	switch {
	case err != nil:
		p.render.Error(w, r, err)
		return
	case !st.HasRefreshToken:
		web.SetFlash(w, "保存しました。【リフレッシュトークンを取得】で銀行にログインすると連携が『有効』になります")
	default:
		if err := p.conn.Verify(r.Context()); err != nil {
			web.SetFlashError(w, "保存しましたが、連携を確認できませんでした: "+errMessage(err))
		} else {
			web.SetFlash(w, "保存し、銀行との連携を確認しました。連携は『有効』です")
		}
	}
	http.Redirect(w, r, settingsPath, http.StatusSeeOther)
}

// authorize is 【リフレッシュトークンを取得】: it saves what the form holds, then sends the browser
// to the bank's login page with a state bound to this session.
func (p *Pages) authorize(w http.ResponseWriter, r *http.Request) {
	if r.ParseForm() == nil && r.PostForm.Has("client_id") && !p.saveFrom(w, r) {
		return
	}
	pr := auth.FromContext(r.Context())
	sessionID := ""
	if pr != nil {
		sessionID = pr.SessionID
	}
	state, cookie, err := p.conn.NewAuthState(sessionID)
	if err != nil {
		p.render.Error(w, r, err)
		return
	}
	u, err := p.conn.AuthURL(r.Context(), state)
	if err != nil {
		p.render.Error(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: cookie, Path: settingsPath, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: int(stateTTL.Seconds()), Secure: r.TLS != nil})
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// callback is where the bank's login page sends the browser back: the state must match the
// one made for this session; then the code is exchanged and the accounts read.
func (p *Pages) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cookie := ""
	if c, err := r.Cookie(stateCookie); err == nil {
		cookie = c.Value
	}
	pr := auth.FromContext(r.Context())
	sessionID := ""
	if pr != nil {
		sessionID = pr.SessionID
	}
	if err := p.conn.CheckAuthState(sessionID, q.Get("state"), cookie); err != nil {
		p.render.Error(w, r, err) // the cookie stays: a forged callback must not end the real one
		return
	}
	// One use only.
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Path: settingsPath, MaxAge: -1, HttpOnly: true})
	if e := q.Get("error"); e != "" {
		msg := oauthMessages[e]
		if msg == "" {
			msg = "銀行が認可を拒否しました"
		}
		web.SetFlashError(w, "銀行でのログインが完了しませんでした。銀行のエラーコード "+e+": "+msg)
		http.Redirect(w, r, settingsPath, http.StatusSeeOther)
		return
	}
	if q.Get("code") == "" {
		p.render.Error(w, r, errs.Invalid("銀行からの戻りに認可コードがありません。もう一度【リフレッシュトークンを取得】を押してください"))
		return
	}
	if err := p.conn.Complete(r.Context(), q.Get("code")); err != nil {
		web.SetFlashError(w, errMessage(err))
	} else {
		web.SetFlash(w, "リフレッシュトークンを取得しました。連携は『有効』です")
	}
	http.Redirect(w, r, settingsPath, http.StatusSeeOther)
}

// verify is 連携を確認: a token call and the accounts again.
func (p *Pages) verify(w http.ResponseWriter, r *http.Request) {
	if err := p.conn.Verify(r.Context()); err != nil {
		web.SetFlashError(w, errMessage(err))
	} else {
		web.SetFlash(w, "トークンの更新と口座照会に成功しました。連携は『有効』です")
	}
	http.Redirect(w, r, settingsPath, http.StatusSeeOther)
}

// saveToken is 【アクセストークンで連携】: sunabar issues access tokens by hand on its portal.
func (p *Pages) saveToken(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	err := p.conn.SaveAccessToken(r.Context(), r.PostForm.Get("token_api_base_url"), r.PostForm.Get("access_token"))
	if e := errs.As(err); e != nil && e.Kind == errs.KindInvalid {
		p.renderSettings(w, r, http.StatusUnprocessableEntity, e.Fields, SettingsInput{TokenAPIBaseURL: r.PostForm.Get("token_api_base_url")})
		return
	}
	if err != nil {
		web.SetFlashError(w, errMessage(err))
	} else {
		web.SetFlash(w, "アクセストークンで口座照会に成功しました。連携は『有効』です（このトークンは自動更新されません。期限が切れたら発行し直して入力してください）")
	}
	http.Redirect(w, r, settingsPath, http.StatusSeeOther)
}
