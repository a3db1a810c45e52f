package commerce

import (
	"context"
	"net/http"

	"kessai/internal/api"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/status"
)

// CaseJSON is a purchase case as the API answers it.
type CaseJSON struct {
	PurchaseCase
	KindLabel   string `json:"kind_label" doc:"買取種別の表示名"`
	StatusLabel string `json:"status_label" doc:"状態の表示名"`
}

// CaseRowJSON is a case in a list: with its customer and shop.
type CaseRowJSON struct {
	CaseRow
	KindLabel   string `json:"kind_label" doc:"買取種別の表示名"`
	StatusLabel string `json:"status_label" doc:"状態の表示名"`
}

var caseSets = map[string]*status.Set{"kind": CaseKinds, "status": CaseStatuses}

// APIFieldSets names the status sets of the code fields for the OpenAPI document.
func (CaseJSON) APIFieldSets() map[string]*status.Set { return caseSets }

// APIFieldSets names the status sets of the code fields for the OpenAPI document.
func (CaseRowJSON) APIFieldSets() map[string]*status.Set { return caseSets }

// APIFieldSets names the status sets of the code fields for the OpenAPI document.
func (CaseInput) APIFieldSets() map[string]*status.Set { return caseSets }

func caseJSON(c PurchaseCase) CaseJSON {
	return CaseJSON{c, api.Label(CaseKinds, c.Kind), api.Label(CaseStatuses, c.Status)}
}

// CaseInput creates (POST) or changes (PATCH) a purchase case; absent fields are left alone.
type CaseInput struct {
	Kind           *string `json:"kind,omitempty" doc:"登録時のみ"`
	ShopID         *string `json:"shop_id,omitempty"`
	CustomerID     *string `json:"customer_id,omitempty"`
	Status         *string `json:"status,omitempty" doc:"省略時 received"`
	ReceivedOn     *string `json:"received_on,omitempty" doc:"受付日（省略時は今日）"`
	ConfirmedOn    *string `json:"confirmed_on,omitempty" doc:"買取確定日（入庫完了には必須）"`
	PurchaseAmount *int64  `json:"purchase_amount,omitempty" doc:"買取金額（円）"`
	ItemCount      *int    `json:"item_count,omitempty"`
	Note           *string `json:"note,omitempty"`
	Version        *int    `json:"version,omitempty" doc:"更新時: 読み込んだときの version（違えば409）"`
}

func (in CaseInput) apply(c *PurchaseCase) {
	set(&c.ShopID, in.ShopID)
	set(&c.CustomerID, in.CustomerID)
	set(&c.Status, in.Status)
	set(&c.ReceivedOn, in.ReceivedOn)
	set(&c.ConfirmedOn, in.ConfirmedOn)
	set(&c.PurchaseAmount, in.PurchaseAmount)
	set(&c.ItemCount, in.ItemCount)
	set(&c.Note, in.Note)
}

// CancelInput cancels a case.
type CancelInput struct {
	Version *int   `json:"version,omitempty"`
	Reason  string `json:"reason,omitempty" doc:"キャンセル理由（備考に追記）"`
}

func caseQuery() []api.Param {
	return []api.Param{
		{Name: "kind", Description: "買取種別", Enum: CaseKinds.Codes()},
		api.StatusParam("status", CaseStatuses),
		{Name: "code", Description: "ケース番号の一部"},
		{Name: "customer", Description: "顧客の氏名・フリガナ・顧客番号・メール・電話番号の一部"},
		{Name: "customer_id", Description: "顧客ID"},
		{Name: "shop", Description: "店舗ID"},
		api.DateParam("confirmed_from", "買取確定日（から）"),
		api.DateParam("confirmed_to", "買取確定日（まで）"),
		api.DateParam("received_from", "受付日（から）"),
		api.DateParam("received_to", "受付日（まで）"),
		{Name: "amount_min", Type: "integer", Description: "買取金額の下限（円）"},
		{Name: "amount_max", Type: "integer", Description: "買取金額の上限（円）"},
		{Name: "has_bank", Type: "boolean", Description: "顧客の振込先口座の有無"},
		{Name: "id", Description: "ケースID（複数指定・カンマ区切り可）"},
		sortParam(CaseSorts),
	}
}

func caseRowJSON(c CaseRow) CaseRowJSON {
	return CaseRowJSON{c, api.Label(CaseKinds, c.Kind), api.Label(CaseStatuses, c.Status)}
}

func (h apiHandlers) createCase(ctx context.Context, in CaseInput) (PurchaseCase, error) {
	var c PurchaseCase
	set(&c.Kind, in.Kind)
	in.apply(&c)
	return h.s.CreateCase(ctx, c)
}

func (h apiHandlers) updateCase(r *http.Request, in CaseInput) (PurchaseCase, error) {
	id := r.PathValue("id")
	return h.s.ModifyCase(r.Context(), id, func(c *PurchaseCase) error {
		if err := checkPatchVersion("買取ケース", id, in.Version, c.Version); err != nil {
			return err
		}
		if in.Kind != nil && *in.Kind != c.Kind {
			return errs.Invalid("入力内容を確認してください").Field("kind", "買取種別は登録後に変更できません")
		}
		in.apply(c)
		return nil
	})
}

func (h apiHandlers) cancelCase(r *http.Request, in CancelInput) (PurchaseCase, error) {
	id := r.PathValue("id")
	version, err := versionOr(in.Version, func() (int, error) {
		c, err := h.s.GetCase(r.Context(), id)
		return c.Version, err
	})
	if err != nil {
		return PurchaseCase{}, err
	}
	return h.s.CancelCase(r.Context(), id, version, in.Reason)
}

// registerCaseAPI routes and describes the purchase case operations.
func registerCaseAPI(v1 *api.API, h apiHandlers) {
	const tCase = "買取ケース"
	idParam := map[string]string{"id": "ID"}
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/cases", Perm: auth.PermView, ID: "listCases", Tag: tCase,
		Summary: "買取ケースの一覧・検索（一覧画面と同じ条件）", Paged: true, Response: CaseRowJSON{}, Query: caseQuery()}, listJSON(h.s.CaseFilterFromQuery, h.s.SearchCases, caseRowJSON))
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/cases/{id}", Perm: auth.PermView, ID: "getCase", Tag: tCase,
		Summary: "買取ケースを取得", PathParams: idParam, Response: CaseJSON{}}, getJSON(h.s.GetCase, caseJSON))
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/cases", Perm: auth.PermOperate, ID: "createCase", Tag: tCase,
		Summary: "買取ケースを登録（ケース番号は種別ごとに自動採番）", Request: CaseInput{}, Response: CaseJSON{}}, createJSON("/api/v1/cases/", h.createCase, caseJSON))
	v1.Handle(api.Operation{Method: http.MethodPatch, Path: "/api/v1/cases/{id}", Perm: auth.PermOperate, ID: "updateCase", Tag: tCase,
		Summary: "買取ケースを更新（送った項目だけ。状態の変更は状態表に従う）", PathParams: idParam, Request: CaseInput{}, Response: CaseJSON{}}, decodeThen(h.updateCase, caseJSON))
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/cases/{id}/cancel", Perm: auth.PermOperate, ID: "cancelCase", Tag: tCase,
		Summary: "買取ケースをキャンセル（入庫完了まで）", PathParams: idParam, Request: CancelInput{}, Response: CaseJSON{}, Status: http.StatusOK}, decodeThen(h.cancelCase, caseJSON))
}
