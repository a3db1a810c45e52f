// Package connectionweb serves the settings pages of declared provider connections: the form a
// provider declares, its state, and the 接続テスト button. (A provider whose room owns its page,
// like the bank's OAuth dance, is only listed.)
package connectionweb

import (
	"context"
	"embed"
	"net/http"
	"net/url"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/connection"
	"kessai/internal/platform/errs"
	"kessai/internal/web"
)

//go:embed templates
var templatesFS embed.FS

// Pages are the connection settings pages.
type Pages struct {
	reg    *connection.Registry
	render *web.Renderer
}

// Routes routes the pages under /settings/connections/ (admins only, like every setting).
func Routes(sh *web.Shell, reg *connection.Registry) (*Pages, error) {
	if err := sh.Render.Add("connection", templatesFS, "templates"); err != nil {
		return nil, err
	}
	p := &Pages{reg: reg, render: sh.Render}
	sh.HandleFunc(http.MethodGet, "/settings/connections/{provider}", auth.PermAdmin, "外部連携の設定（?shop= で店舗ごと）", p.show)
	sh.HandleFunc(http.MethodPost, "/settings/connections/{provider}", auth.PermAdmin, "外部連携の設定を保存", p.save)
	sh.HandleFunc(http.MethodPost, "/settings/connections/{provider}/test", auth.PermAdmin, "外部連携の接続テスト", p.test)
	return p, nil
}

// Link is the settings page of provider for shopID.
func Link(provider, shopID string) string {
	u := "/settings/connections/" + url.PathEscape(provider)
	if shopID != "" {
		u += "?shop=" + url.QueryEscape(shopID)
	}
	return u
}

type fieldView struct {
	connection.Field
	Value    string // public value as saved (or typed, when shown again)
	Effect   string // an endpoint's effective URL
	HasValue bool   // a secret is stored
	Masked   string
	Error    string
}

func (p *Pages) provider(r *http.Request) (*connection.Provider, string, error) {
	pr, ok := p.reg.Provider(r.PathValue("provider"))
	if !ok || pr.Page != "" {
		return nil, "", errs.NotFound("この外部連携はありません: " + r.PathValue("provider"))
	}
	shop := r.URL.Query().Get("shop")
	if r.Method == http.MethodPost {
		shop = r.PostFormValue("shop")
	}
	if shop != "" && !pr.PerShop {
		return nil, "", errs.Invalid(pr.Label + "は店舗ごとの設定ではありません（shop を指定しないでください）")
	}
	return pr, shop, nil
}

func (p *Pages) show(w http.ResponseWriter, r *http.Request) {
	pr, shop, err := p.provider(r)
	if err != nil {
		p.render.Error(w, r, err)
		return
	}
	p.renderForm(w, r, http.StatusOK, pr, shop, nil, nil)
}

func (p *Pages) renderForm(w http.ResponseWriter, r *http.Request, status int, pr *connection.Provider, shop string, typed url.Values, fields map[string]string) {
	c, err := p.reg.Get(r.Context(), pr.Key, shop)
	if err != nil {
		p.render.Error(w, r, err)
		return
	}
	masked := c.Masked()
	var views []fieldView
	for _, f := range pr.Fields {
		v := fieldView{Field: f, Error: fields[f.Name]}
		switch {
		case f.Secret:
			v.HasValue, v.Masked = c.HasSecret(f.Name), masked[f.Name]
		case typed != nil:
			v.Value = typed.Get(f.Name)
		default:
			v.Value = c.Values[f.Name]
		}
		if f.Endpoint {
			v.Effect = c.Endpoint(f.Name)
		}
		views = append(views, v)
	}
	env := "sandbox"
	if !c.Sandbox {
		env = "production"
	}
	if typed != nil && typed.Get("_environment") != "" {
		env = typed.Get("_environment")
	}
	p.render.Render(w, r, status, "connection/settings.html", web.View{Title: pr.Label, Nav: "settings",
		Data: map[string]any{"P": pr, "C": c, "Shop": shop, "Fields": views, "Env": env, "Errors": fields,
			"Action": Link(pr.Key, "")}})
}

func (p *Pages) save(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	pr, shop, err := p.provider(r)
	if err != nil {
		p.render.Error(w, r, err)
		return
	}
	in := map[string]string{"_environment": r.PostForm.Get("_environment")}
	for _, f := range pr.Fields {
		in[f.Name] = r.PostForm.Get(f.Name)
	}
	err = p.reg.Save(r.Context(), pr.Key, shop, in)
	if e := errs.As(err); e != nil && e.Kind == errs.KindInvalid {
		p.renderForm(w, r, http.StatusUnprocessableEntity, pr, shop, r.PostForm, e.Fields)
		return
	}
	if err != nil {
		p.render.Error(w, r, err)
		return
	}
	msg := "保存しました。"
	if pr.Test != nil {
		msg += "【接続テスト】で接続を確認すると『有効』になります"
	}
	web.SetFlash(w, msg)
	http.Redirect(w, r, Link(pr.Key, shop), http.StatusSeeOther)
}

func (p *Pages) test(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	pr, shop, err := p.provider(r)
	if err != nil {
		p.render.Error(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), connection.DefaultTimeout)
	defer cancel()
	if err := p.reg.Test(ctx, pr.Key, shop); err != nil {
		msg := err.Error()
		if e := errs.As(err); e != nil && e.Message != "" {
			msg = e.Message
		}
		web.SetFlashError(w, "接続テストに失敗しました: "+msg)
	} else {
		web.SetFlash(w, "接続テストに成功しました。連携は『有効』です")
	}
	http.Redirect(w, r, Link(pr.Key, shop), http.StatusSeeOther)
}
