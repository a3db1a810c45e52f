package commerce

import (
	"context"
	"net/http"
	"strconv"

	"kessai/internal/api"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/status"
	"kessai/internal/web"
)

// APIFieldSets names the status sets of the code fields for the OpenAPI document.
func (BankAccount) APIFieldSets() map[string]*status.Set {
	return map[string]*status.Set{"account_type": AccountTypes}
}

// CustomerInput creates or changes a customer. bank_account is replaced as a whole when sent
// (send {} to remove it).
type CustomerInput struct {
	Name       *string      `json:"name,omitempty" doc:"氏名（登録時必須）"`
	NameKana   *string      `json:"name_kana,omitempty" doc:"フリガナ"`
	Email      *string      `json:"email,omitempty"`
	Phone      *string      `json:"phone,omitempty"`
	PostalCode *string      `json:"postal_code,omitempty"`
	Prefecture *string      `json:"prefecture,omitempty" doc:"都道府県名（例: 東京都）"`
	Address1   *string      `json:"address1,omitempty"`
	Address2   *string      `json:"address2,omitempty"`
	Bank       *BankAccount `json:"bank_account,omitempty" doc:"振込先口座（送ると全体を置き換え）"`
	Note       *string      `json:"note,omitempty"`
	Version    *int         `json:"version,omitempty" doc:"更新時: 読み込んだときの version（違えば409）"`
}

func (in CustomerInput) apply(c *Customer) {
	set(&c.Name, in.Name)
	set(&c.NameKana, in.NameKana)
	set(&c.Email, in.Email)
	set(&c.Phone, in.Phone)
	set(&c.PostalCode, in.PostalCode)
	set(&c.Prefecture, in.Prefecture)
	set(&c.Address1, in.Address1)
	set(&c.Address2, in.Address2)
	set(&c.Bank, in.Bank)
	set(&c.Note, in.Note)
}

func customerQuery() []api.Param {
	return []api.Param{
		{Name: "q", Description: "氏名・フリガナ・顧客番号・メール・電話番号の一部"},
		{Name: "prefecture", Description: "都道府県名（例: 東京都）"},
		{Name: "has_bank", Type: "boolean", Description: "振込先口座の有無"},
		{Name: "id", Description: "顧客ID（複数指定・カンマ区切り可）"},
		sortParam(CustomerSorts),
	}
}

func (h apiHandlers) createCustomer(ctx context.Context, in CustomerInput) (Customer, error) {
	var c Customer
	in.apply(&c)
	return h.s.CreateCustomer(ctx, c)
}

func (h apiHandlers) updateCustomer(r *http.Request, in CustomerInput) (Customer, error) {
	id := r.PathValue("id")
	return h.s.ModifyCustomer(r.Context(), id, func(c *Customer) error {
		if err := checkPatchVersion("顧客", id, in.Version, c.Version); err != nil {
			return err
		}
		in.apply(c)
		return nil
	})
}

func (h apiHandlers) deleteCustomer(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var version int
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			web.WriteError(w, r, errs.Invalid("入力内容を確認してください").Field("version", "version は1以上の整数で指定してください"))
			return
		}
		version = n
	} else {
		cur, err := h.s.GetCustomer(r.Context(), id)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		version = cur.Version
	}
	if err := h.s.DeleteCustomer(r.Context(), id, version); err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// registerCustomerAPI routes and describes the customer operations.
func registerCustomerAPI(v1 *api.API, h apiHandlers) {
	const tCustomer = "顧客"
	idParam := map[string]string{"id": "ID"}
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/customers", Perm: auth.PermView, ID: "listCustomers", Tag: tCustomer,
		Summary: "顧客の一覧・検索", Paged: true, Response: Customer{}, Query: customerQuery()}, listJSON(CustomerFilterFromQuery, h.s.SearchCustomers, asIs[Customer]))
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/customers/{id}", Perm: auth.PermView, ID: "getCustomer", Tag: tCustomer,
		Summary: "顧客を取得", PathParams: idParam, Response: Customer{}}, getJSON(h.s.GetCustomer, asIs[Customer]))
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/customers", Perm: auth.PermOperate, ID: "createCustomer", Tag: tCustomer,
		Summary: "顧客を登録（顧客番号は自動採番）", Request: CustomerInput{}, Response: Customer{}}, createJSON("/api/v1/customers/", h.createCustomer, asIs[Customer]))
	v1.Handle(api.Operation{Method: http.MethodPatch, Path: "/api/v1/customers/{id}", Perm: auth.PermOperate, ID: "updateCustomer", Tag: tCustomer,
		Summary: "顧客を更新（送った項目だけ）", PathParams: idParam, Request: CustomerInput{}, Response: Customer{}}, decodeThen(h.updateCustomer, asIs[Customer]))
	v1.Handle(api.Operation{Method: http.MethodDelete, Path: "/api/v1/customers/{id}", Perm: auth.PermOperate, ID: "deleteCustomer", Tag: tCustomer,
		Summary: "誤って登録した顧客を削除（取引の記録がある顧客は409）", PathParams: idParam,
		Query: []api.Param{{Name: "version", Type: "integer", Description: "読み込んだときの version（省略時は現在の版）"}}}, h.deleteCustomer)
}
