package commerce

import (
	"context"
	"net/http"

	"kessai/internal/api"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/status"
)

func subscriptionQuery() []api.Param {
	return []api.Param{
		api.StatusParam("status", SubscriptionStatuses),
		{Name: "code", Description: "定期番号の一部"},
		{Name: "customer", Description: "顧客の氏名・フリガナ・顧客番号・メール・電話番号の一部"},
		{Name: "customer_id", Description: "顧客ID"},
		{Name: "shop", Description: "店舗ID"},
		{Name: "card_id", Description: "カードID"},
		api.DateParam("next_from", "次回請求日（から）"),
		api.DateParam("next_to", "次回請求日（まで）"),
		{Name: "card_status", Description: "カードの状態", Enum: CardStatuses.Codes()},
		{Name: "product", Description: "商品名の一部"},
		{Name: "id", Description: "定期受注ID（複数指定・カンマ区切り可）"},
		sortParam(SubscriptionSorts),
	}
}

// registerSubscriptionAPI routes and describes the subscription operations.
func registerSubscriptionAPI(v1 *api.API, h apiHandlers) {
	const tSub = "定期受注"
	idParam := map[string]string{"id": "ID"}
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/subscriptions", Perm: auth.PermView, ID: "listSubscriptions", Tag: tSub,
		Summary: "定期受注の一覧・検索（一覧画面と同じ条件）", Paged: true, Response: SubscriptionRowJSON{}, Query: subscriptionQuery()}, listJSON(h.s.SubscriptionFilterFromQuery, h.s.SearchSubscriptions, subscriptionRowJSON))
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/subscriptions/{id}", Perm: auth.PermView, ID: "getSubscription", Tag: tSub,
		Summary: "定期受注を取得", PathParams: idParam, Response: SubscriptionJSON{}}, getJSON(h.s.GetSubscription, subscriptionJSON))
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/subscriptions", Perm: auth.PermOperate, ID: "createSubscription", Tag: tSub,
		Summary: "定期受注を登録（定期番号は自動採番）", Request: SubscriptionInput{}, Response: SubscriptionJSON{}}, createJSON("/api/v1/subscriptions/", h.createSubscription, subscriptionJSON))
	v1.Handle(api.Operation{Method: http.MethodPatch, Path: "/api/v1/subscriptions/{id}", Perm: auth.PermOperate, ID: "updateSubscription", Tag: tSub,
		Summary: "定期受注を更新（送った項目だけ。休止・再開・解約は status で）", PathParams: idParam, Request: SubscriptionInput{}, Response: SubscriptionJSON{}}, decodeThen(h.updateSubscription, subscriptionJSON))
}

// SubscriptionJSON is a subscription as the API answers it.
type SubscriptionJSON struct {
	Subscription
	StatusLabel string `json:"status_label"`
}

// SubscriptionRowJSON is a subscription in a list: with customer, shop and card.
type SubscriptionRowJSON struct {
	SubscriptionRow
	StatusLabel     string `json:"status_label"`
	CardStatusLabel string `json:"card_status_label"`
}

var subscriptionSets = map[string]*status.Set{"status": SubscriptionStatuses, "card_status": CardStatuses}

// APIFieldSets names the status sets of the code fields for the OpenAPI document.
func (SubscriptionJSON) APIFieldSets() map[string]*status.Set { return subscriptionSets }

// APIFieldSets names the status sets of the code fields for the OpenAPI document.
func (SubscriptionRowJSON) APIFieldSets() map[string]*status.Set { return subscriptionSets }

// APIFieldSets names the status sets of the code fields for the OpenAPI document.
func (SubscriptionInput) APIFieldSets() map[string]*status.Set { return subscriptionSets }

// SubscriptionInput creates or changes a subscription. A status change follows the status
// table (pause, resume, cancel; 解約 is final).
type SubscriptionInput struct {
	ShopID        *string `json:"shop_id,omitempty"`
	CustomerID    *string `json:"customer_id,omitempty"`
	CardID        *string `json:"card_id,omitempty" doc:"請求するカード（継続中には必須）"`
	ProductName   *string `json:"product_name,omitempty"`
	Amount        *int64  `json:"amount,omitempty" doc:"金額（円）"`
	CycleMonths   *int    `json:"cycle_months,omitempty" doc:"お届け周期（か月、1〜12。省略時1）"`
	NextBillingOn *string `json:"next_billing_on,omitempty" doc:"次回請求日（継続中には必須）"`
	Status        *string `json:"status,omitempty" doc:"省略時 active"`
	Note          *string `json:"note,omitempty"`
	Version       *int    `json:"version,omitempty" doc:"更新時: 読み込んだときの version（違えば409）"`
}

func (in SubscriptionInput) apply(sb *Subscription) {
	set(&sb.ShopID, in.ShopID)
	set(&sb.CustomerID, in.CustomerID)
	set(&sb.CardID, in.CardID)
	set(&sb.ProductName, in.ProductName)
	set(&sb.Amount, in.Amount)
	set(&sb.CycleMonths, in.CycleMonths)
	set(&sb.NextBillingOn, in.NextBillingOn)
	set(&sb.Status, in.Status)
	set(&sb.Note, in.Note)
}

func subscriptionJSON(sb Subscription) SubscriptionJSON {
	return SubscriptionJSON{sb, api.Label(SubscriptionStatuses, sb.Status)}
}

func subscriptionRowJSON(sb SubscriptionRow) SubscriptionRowJSON {
	return SubscriptionRowJSON{sb, api.Label(SubscriptionStatuses, sb.Status), api.Label(CardStatuses, sb.CardStatus)}
}

func (h apiHandlers) createSubscription(ctx context.Context, in SubscriptionInput) (Subscription, error) {
	var sb Subscription
	in.apply(&sb)
	return h.s.CreateSubscription(ctx, sb)
}

func (h apiHandlers) updateSubscription(r *http.Request, in SubscriptionInput) (Subscription, error) {
	id := r.PathValue("id")
	return h.s.ModifySubscription(r.Context(), id, func(sb *Subscription) error {
		if err := checkPatchVersion("定期受注", id, in.Version, sb.Version); err != nil {
			return err
		}
		in.apply(sb)
		return nil
	})
}
