package rakutenpay

import (
	"context"
	"net/http"
	"time"

	"kessai/internal/api"
	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/errs"
	"kessai/internal/room"
	"kessai/internal/web"
)

// VersionBody is the version of the slip read (optimistic lock).
type VersionBody struct {
	Version int `json:"version" doc:"読み込んだときの version（違えば409）" required:"true"`
}

// CancelBody is a cancel request's reason (changeReasonDetailApply).
type CancelBody struct {
	Reason int `json:"reason" doc:"1 キャンセル・2 受取後の返品・3 長期不在による受取拒否・4 未入金・5 代引決済の受取拒否・6 お客様都合その他・8 欠品・10 店舗様都合その他・13 発送遅延・14 顧客・配送対応注意表示・15 返品（破損・品間違い）" required:"true"`
}

// OrderSync is a slip's Rakuten side: the link and the sync history.
type OrderSync struct {
	Link
	ProgressLabel      string                `json:"order_progress_label"`
	PaymentStatusLabel string                `json:"payment_status_label"`
	CancelStateLabel   string                `json:"cancel_state_label"`
	History            []commerce.OrderEvent `json:"history"`
}

// ShopSync is a shop's import state.
type ShopSync struct {
	PollState
	Import      bool   `json:"import"`
	AutoConfirm bool   `json:"auto_confirm"`
	ExpiresOn   string `json:"license_key_expires_on,omitempty"`
	Mapped      int    `json:"mapped_settlement_methods"`
}

// ShippableBody is the 出荷可能 setting.
type ShippableBody struct {
	Shippable []string `json:"shippable" doc:"出荷可能とする入金状況（unpaid, partially_paid, paid, refunded, not_required）"`
}

func registerAPI(h *room.Host, s *Service) {
	const tag = "楽天ペイ"
	v1 := h.API
	idParam := map[string]string{"id": "受注ID"}
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/orders/{id}/revert-to-awaiting-payment", Perm: auth.PermOperate, ID: "revertOrderToAwaitingPayment", Tag: tag,
		Summary:     "【入金待ちに戻す】入金状況 未入金・承認状況 未承認・承認日 空（分割した伝票も）",
		Description: "金額を変更したときに使います。楽天から取り込んだ伝票は、楽天の再与信が受注日から15日以内なら自動で入金済にし、過ぎていれば手動入金確認の一覧（x_rakuten=manual）に出します。",
		PathParams:  idParam, Request: VersionBody{}, Response: commerce.Order{}, Status: http.StatusOK}, func(w http.ResponseWriter, r *http.Request) {
		var b VersionBody
		if err := web.DecodeJSON(r, &b); err != nil {
			web.WriteError(w, r, err)
			return
		}
		o, err := s.RevertToAwaitingPayment(r.Context(), r.PathValue("id"), b.Version)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, o)
	})
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/orders/{id}/rakuten-cancel", Perm: auth.PermMoney, ID: "requestRakutenCancel", Tag: tag,
		Summary:     "kessai でキャンセルした伝票を楽天へキャンセル申請（cancelOrder）",
		Description: "楽天が受け付けると cancel_state は requested（キャンセル申請中）、楽天が確定（900）すると confirmed。結果が分からないときは再送せず楽天の注文を読んで確定させます。",
		PathParams:  idParam, Request: CancelBody{}, Response: Link{}, Status: http.StatusOK}, func(w http.ResponseWriter, r *http.Request) {
		var b CancelBody
		if err := web.DecodeJSON(r, &b); err != nil {
			web.WriteError(w, r, err)
			return
		}
		l, err := s.RequestCancel(r.Context(), r.PathValue("id"), b.Reason)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, l)
	})
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/orders/{id}/rakuten", Perm: auth.PermView, ID: "getOrderRakutenSync", Tag: tag,
		Summary: "伝票の楽天連携（楽天の注文番号・最後に読んだ状態・同期履歴）", PathParams: idParam, Response: OrderSync{}}, func(w http.ResponseWriter, r *http.Request) {
		l, err := s.LinkOf(r.Context(), s.db, r.PathValue("id"))
		if err == ErrNotLinked {
			err = errs.NotFound("この受注は楽天から取り込んだ伝票ではありません")
		}
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		hist, err := s.store.OrderHistory(r.Context(), l.OrderID)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		out := OrderSync{Link: l, ProgressLabel: l.Progress.Label(), PaymentStatusLabel: l.PaymentStatus.Label(), CancelStateLabel: CancelStates.Label(l.CancelState), History: []commerce.OrderEvent{}}
		for _, e := range hist {
			if e.Room == Room {
				out.History = append(out.History, e)
			}
		}
		web.WriteJSON(w, http.StatusOK, out)
	})
	shopParam := map[string]string{"id": "店舗ID"}
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/rakuten/shops/{id}/sync", Perm: auth.PermOperate, ID: "syncRakutenShop", Tag: tag,
		Summary: "楽天の受注取込・入金確認を今すぐ実行（1店舗）", PathParams: shopParam, Response: Report{}, Status: http.StatusOK}, func(w http.ResponseWriter, r *http.Request) {
		// A first import may outlast the request deadline: the poll finishes anyway.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 10*time.Minute)
		defer cancel()
		rep, err := s.Poll(ctx, r.PathValue("id"))
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, rep)
	})
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/rakuten/shops/{id}", Perm: auth.PermView, ID: "getRakutenShop", Tag: tag,
		Summary: "店舗の楽天受注取込の状態", PathParams: shopParam, Response: ShopSync{}}, func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if _, err := s.store.GetShop(r.Context(), id); err != nil {
			web.WriteError(w, r, err)
			return
		}
		st, err := s.PollState(r.Context(), id)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		cfg, err := s.Config(r.Context(), id)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, ShopSync{PollState: st, Import: cfg.Import, AutoConfirm: cfg.AutoConfirm, ExpiresOn: cfg.ExpiresOn, Mapped: len(cfg.Mapping)})
	})
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/rakuten/unmapped", Perm: auth.PermView, ID: "listRakutenUnmapped", Tag: tag,
		Summary: "決済方法が未設定のため取り込んでいない楽天の注文", Query: []api.Param{{Name: "shop", Description: "店舗ID"}},
		Response: []Unmapped{}}, func(w http.ResponseWriter, r *http.Request) {
		list, err := s.UnmappedOrders(r.Context(), r.URL.Query().Get("shop"), 1000)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		if list == nil {
			list = []Unmapped{}
		}
		web.WriteJSON(w, http.StatusOK, list)
	})
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/rakuten/settings/shippable", Perm: auth.PermView, ID: "getRakutenShippable", Tag: tag,
		Summary: "出荷可能とする入金状況", Response: ShippableBody{}}, func(w http.ResponseWriter, r *http.Request) {
		sh, err := s.Shippable(r.Context())
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, ShippableBody{Shippable: sh})
	})
	v1.Handle(api.Operation{Method: http.MethodPut, Path: "/api/v1/rakuten/settings/shippable", Perm: auth.PermAdmin, ID: "setRakutenShippable", Tag: tag,
		Summary: "出荷可能とする入金状況を保存", Request: ShippableBody{}, Response: ShippableBody{}, Status: http.StatusOK}, func(w http.ResponseWriter, r *http.Request) {
		var b ShippableBody
		if err := web.DecodeJSON(r, &b); err != nil {
			web.WriteError(w, r, err)
			return
		}
		if err := s.SetShippable(r.Context(), b.Shippable); err != nil {
			web.WriteError(w, r, err)
			return
		}
		web.WriteJSON(w, http.StatusOK, b)
	})
}
