package commerce

import (
	"net/http"
	"strconv"
	"strings"

	"kessai/internal/platform/errs"
	"kessai/internal/web"
)

// Shops are configuration (店舗 under 設定): only administrators change them. A shop's code
// starts its order numbers, so it is fixed once created; only the name can be edited.

func (p *Pages) listShops(w http.ResponseWriter, r *http.Request) {
	shops, err := p.store.ListShops(r.Context())
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.render.Render(w, r, http.StatusOK, "commerce/shops.html", web.View{Title: "店舗", Nav: "settings", Data: shops})
}

type shopForm struct {
	Shop     Shop
	New      bool
	Errors   map[string]string
	Conflict string
}

func (p *Pages) renderShopForm(w http.ResponseWriter, r *http.Request, status int, f shopForm) {
	title := "店舗の登録"
	if !f.New {
		title = "店舗 " + f.Shop.Code + " の編集"
	}
	p.render.Render(w, r, status, "commerce/shop_form.html", web.View{Title: title, Nav: "settings", Data: f})
}

func (p *Pages) newShop(w http.ResponseWriter, r *http.Request) {
	p.renderShopForm(w, r, http.StatusOK, shopForm{New: true})
}

func readShop(r *http.Request, sh *Shop) error {
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("フォームを読み取れません").Wrap(err)
	}
	if sh.ID == "" {
		sh.Code = strings.TrimSpace(r.PostForm.Get("code"))
	}
	sh.Name = strings.TrimSpace(r.PostForm.Get("name"))
	if n, err := strconv.Atoi(r.PostForm.Get("version")); err == nil {
		sh.Version = n
	}
	_, err := ValidateShop(*sh)
	return err
}

// shopSaveFailed shows the form again for a validation error or a stale version.
func (p *Pages) shopSaveFailed(w http.ResponseWriter, r *http.Request, f shopForm, err error) bool {
	if fe := saveErrors(err); fe != nil {
		f.Errors = fe
		p.renderShopForm(w, r, http.StatusUnprocessableEntity, f)
		return true
	}
	if errs.KindOf(err) == errs.KindConflict {
		f.Conflict = errs.As(err).Message
		p.renderShopForm(w, r, http.StatusConflict, f)
		return true
	}
	return false
}

func (p *Pages) createShop(w http.ResponseWriter, r *http.Request) {
	once := p.forms.Once(r)
	if once.Seen(w, r) {
		return
	}
	var sh Shop
	err := readShop(r, &sh)
	if err == nil {
		sh, err = p.store.CreateShop(r.Context(), sh, claim(once, "/settings/shops"))
	}
	if once.Repeat(w, r, err) {
		return
	}
	if err != nil {
		if !p.shopSaveFailed(w, r, shopForm{New: true, Shop: sh}, err) {
			p.fail(w, r, err)
		}
		return
	}
	web.SetFlash(w, "店舗 "+sh.Name+"（"+sh.Code+"）を登録しました")
	http.Redirect(w, r, "/settings/shops", http.StatusSeeOther)
}

func (p *Pages) editShop(w http.ResponseWriter, r *http.Request) {
	sh, err := p.store.GetShop(r.Context(), r.PathValue("id"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.renderShopForm(w, r, http.StatusOK, shopForm{Shop: sh})
}

func (p *Pages) updateShop(w http.ResponseWriter, r *http.Request) {
	sh, err := p.store.GetShop(r.Context(), r.PathValue("id"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	err = readShop(r, &sh)
	if err == nil {
		sh, err = p.store.UpdateShop(r.Context(), sh)
	}
	if err != nil {
		if !p.shopSaveFailed(w, r, shopForm{Shop: sh}, err) {
			p.fail(w, r, err)
		}
		return
	}
	web.SetFlash(w, "店舗 "+sh.Name+"（"+sh.Code+"）を保存しました")
	http.Redirect(w, r, "/settings/shops", http.StatusSeeOther)
}
