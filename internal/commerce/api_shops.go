package commerce

import (
	"context"
	"net/http"

	"kessai/internal/api"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/errs"
	"kessai/internal/web"
)

// ShopInput creates a shop (code and name) or renames one (name).
type ShopInput struct {
	Code    *string `json:"code,omitempty" doc:"店舗コード（登録時のみ）"`
	Name    *string `json:"name,omitempty"`
	Version *int    `json:"version,omitempty"`
}

// shopPage is a page of the shops: there are few, so the store lists them all.
func (h apiHandlers) shopPage(ctx context.Context, _ struct{}, page, perPage int) ([]Shop, int, error) {
	shops, err := h.s.ListShops(ctx)
	if err != nil {
		return nil, 0, err
	}
	items := []Shop{}
	if off := (web.Paging{Page: page, PerPage: perPage}).Offset(); off < len(shops) {
		items = shops[off:min(len(shops), off+perPage)]
	}
	return items, len(shops), nil
}

func (h apiHandlers) createShop(ctx context.Context, in ShopInput) (Shop, error) {
	var sh Shop
	set(&sh.Code, in.Code)
	set(&sh.Name, in.Name)
	return h.s.CreateShop(ctx, sh)
}

func (h apiHandlers) updateShop(r *http.Request, in ShopInput) (Shop, error) {
	cur, err := h.s.GetShop(r.Context(), r.PathValue("id"))
	if err != nil {
		return Shop{}, err
	}
	if in.Code != nil && *in.Code != cur.Code {
		return Shop{}, errs.Invalid("入力内容を確認してください").Field("code", "店舗コードは変更できません")
	}
	// UpdateShop checks the version under lock; without one the version just read is used.
	sh := cur
	set(&sh.Name, in.Name)
	set(&sh.Version, in.Version)
	return h.s.UpdateShop(r.Context(), sh)
}

// registerShopAPI routes and describes the shop operations.
func registerShopAPI(v1 *api.API, h apiHandlers) {
	const tShop = "店舗"
	idParam := map[string]string{"id": "ID"}
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/shops", Perm: auth.PermView, ID: "listShops", Tag: tShop,
		Summary: "店舗の一覧", Paged: true, Response: Shop{}}, listJSON(noFilter, h.shopPage, asIs[Shop]))
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/shops/{id}", Perm: auth.PermView, ID: "getShop", Tag: tShop,
		Summary: "店舗を取得", PathParams: idParam, Response: Shop{}}, getJSON(h.s.GetShop, asIs[Shop]))
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/shops", Perm: auth.PermAdmin, ID: "createShop", Tag: tShop,
		Summary: "店舗を登録", Request: ShopInput{}, Response: Shop{}}, createJSON("/api/v1/shops/", h.createShop, asIs[Shop]))
	v1.Handle(api.Operation{Method: http.MethodPatch, Path: "/api/v1/shops/{id}", Perm: auth.PermAdmin, ID: "updateShop", Tag: tShop,
		Summary: "店舗名を変更", PathParams: idParam, Request: ShopInput{}, Response: Shop{}}, decodeThen(h.updateShop, asIs[Shop]))
}
