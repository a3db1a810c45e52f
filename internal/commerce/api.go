package commerce

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"time"

	"kessai/internal/api"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/jpcsv"
	"kessai/internal/platform/status"
	"kessai/internal/web"
)

// The /api/v1 operations on the shared records. Answers carry the Japanese label beside each
// status code; inputs use pointer fields so a PATCH changes only the fields it sends. An update
// may send "version" (the version it read) to refuse to overwrite a newer change (409); without
// it the fields are applied to the record as it is now.

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

// APIFieldSets names the status sets of the code fields for the OpenAPI document.
func (BankAccount) APIFieldSets() map[string]*status.Set {
	return map[string]*status.Set{"account_type": AccountTypes}
}

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

// ShopInput creates a shop (code and name) or renames one (name).
type ShopInput struct {
	Code    *string `json:"code,omitempty" doc:"店舗コード（登録時のみ）"`
	Name    *string `json:"name,omitempty"`
	Version *int    `json:"version,omitempty"`
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// checkPatchVersion refuses a PATCH based on an old version; a PATCH without one applies to
// the current record.
func checkPatchVersion(what, id string, v *int, have int) error {
	if v == nil {
		return nil
	}
	return checkVersion(what, id, *v, have)
}

func noVersionOnCreate(v *int) error {
	if v != nil {
		return errs.Invalid("入力内容を確認してください").Field("version", "version は更新のときだけ指定してください")
	}
	return nil
}

// RegisterAPI routes and describes the commerce operations on v1.
func RegisterAPI(v1 *api.API, s *Store) {
	h := apiHandlers{s: s}
	const tShop, tCustomer, tCase = "店舗", "顧客", "買取ケース"
	idParam := map[string]string{"id": "ID"}

	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/shops", Perm: auth.PermView, ID: "listShops", Tag: tShop,
		Summary: "店舗の一覧", Paged: true, Response: Shop{}}, listJSON(noFilter, h.shopPage, asIs[Shop]))
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/shops/{id}", Perm: auth.PermView, ID: "getShop", Tag: tShop,
		Summary: "店舗を取得", PathParams: idParam, Response: Shop{}}, getJSON(s.GetShop, asIs[Shop]))
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/shops", Perm: auth.PermAdmin, ID: "createShop", Tag: tShop,
		Summary: "店舗を登録", Request: ShopInput{}, Response: Shop{}}, createJSON("/api/v1/shops/", h.createShop, asIs[Shop]))
	v1.Handle(api.Operation{Method: http.MethodPatch, Path: "/api/v1/shops/{id}", Perm: auth.PermAdmin, ID: "updateShop", Tag: tShop,
		Summary: "店舗名を変更", PathParams: idParam, Request: ShopInput{}, Response: Shop{}}, decodeThen(h.updateShop, asIs[Shop]))

	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/customers", Perm: auth.PermView, ID: "listCustomers", Tag: tCustomer,
		Summary: "顧客の一覧・検索", Paged: true, Response: Customer{}, Query: customerQuery()}, listJSON(CustomerFilterFromQuery, s.SearchCustomers, asIs[Customer]))
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/customers/{id}", Perm: auth.PermView, ID: "getCustomer", Tag: tCustomer,
		Summary: "顧客を取得", PathParams: idParam, Response: Customer{}}, getJSON(s.GetCustomer, asIs[Customer]))
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/customers", Perm: auth.PermOperate, ID: "createCustomer", Tag: tCustomer,
		Summary: "顧客を登録（顧客番号は自動採番）", Request: CustomerInput{}, Response: Customer{}}, createJSON("/api/v1/customers/", h.createCustomer, asIs[Customer]))
	v1.Handle(api.Operation{Method: http.MethodPatch, Path: "/api/v1/customers/{id}", Perm: auth.PermOperate, ID: "updateCustomer", Tag: tCustomer,
		Summary: "顧客を更新（送った項目だけ）", PathParams: idParam, Request: CustomerInput{}, Response: Customer{}}, decodeThen(h.updateCustomer, asIs[Customer]))
	v1.Handle(api.Operation{Method: http.MethodDelete, Path: "/api/v1/customers/{id}", Perm: auth.PermOperate, ID: "deleteCustomer", Tag: tCustomer,
		Summary: "誤って登録した顧客を削除（取引の記録がある顧客は409）", PathParams: idParam,
		Query: []api.Param{{Name: "version", Type: "integer", Description: "読み込んだときの version（省略時は現在の版）"}}}, h.deleteCustomer)

	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/cases", Perm: auth.PermView, ID: "listCases", Tag: tCase,
		Summary: "買取ケースの一覧・検索（一覧画面と同じ条件）", Paged: true, Response: CaseRowJSON{}, Query: caseQuery()}, listJSON(CaseFilterFromQuery, s.SearchCases, caseRowJSON))
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/cases/{id}", Perm: auth.PermView, ID: "getCase", Tag: tCase,
		Summary: "買取ケースを取得", PathParams: idParam, Response: CaseJSON{}}, getJSON(s.GetCase, caseJSON))
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/cases", Perm: auth.PermOperate, ID: "createCase", Tag: tCase,
		Summary: "買取ケースを登録（ケース番号は種別ごとに自動採番）", Request: CaseInput{}, Response: CaseJSON{}}, createJSON("/api/v1/cases/", h.createCase, caseJSON))
	v1.Handle(api.Operation{Method: http.MethodPatch, Path: "/api/v1/cases/{id}", Perm: auth.PermOperate, ID: "updateCase", Tag: tCase,
		Summary: "買取ケースを更新（送った項目だけ。状態の変更は状態表に従う）", PathParams: idParam, Request: CaseInput{}, Response: CaseJSON{}}, decodeThen(h.updateCase, caseJSON))
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/cases/{id}/cancel", Perm: auth.PermOperate, ID: "cancelCase", Tag: tCase,
		Summary: "買取ケースをキャンセル（入庫完了まで）", PathParams: idParam, Request: CancelInput{}, Response: CaseJSON{}, Status: http.StatusOK}, decodeThen(h.cancelCase, caseJSON))

	registerOrderAPI(v1, h)
	registerCSVAPI(v1, h)
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

func orderQuery() []api.Param {
	return []api.Param{
		{Name: "shop", Description: "店舗ID"},
		{Name: "number", Description: "受注番号の一部"},
		{Name: "customer", Description: "顧客の氏名・フリガナ・顧客番号・メール・電話番号の一部"},
		{Name: "customer_id", Description: "顧客ID"},
		api.StatusParam("order_status", OrderStatuses),
		api.StatusParam("payment_status", PaymentStatuses),
		api.StatusParam("authorization_status", AuthorizationStatuses),
		api.StatusParam("payment_method", PaymentMethods),
		api.StatusParam("source", OrderSources),
		api.DateParam("ordered_from", "受注日（から、JST）"),
		api.DateParam("ordered_to", "受注日（まで、JST）"),
		{Name: "tracking_number", Description: "送り状番号（完全一致）"},
		{Name: "external_ref", Description: "モールの受注番号（完全一致）"},
		{Name: "id", Description: "受注ID（複数指定・カンマ区切り可）"},
		sortParam(OrderSorts),
	}
}

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

func sortParam(sorts []Sort) api.Param {
	p := api.Param{Name: "sort", Description: "並び順"}
	for _, s := range sorts {
		p.Enum = append(p.Enum, s.Key)
		p.Description += "、" + s.Key + "=" + s.Label
	}
	return p
}

type apiHandlers struct{ s *Store }

func noFilter(url.Values) (struct{}, error) { return struct{}{}, nil }

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

// OrderLabels are the Japanese labels beside an order's codes.
type OrderLabels struct {
	SourceLabel              string `json:"source_label"`
	PaymentMethodLabel       string `json:"payment_method_label"`
	OrderStatusLabel         string `json:"order_status_label"`
	PaymentStatusLabel       string `json:"payment_status_label"`
	AuthorizationStatusLabel string `json:"authorization_status_label"`
	CancelTypeLabel          string `json:"cancel_type_label"`
}

func orderLabels(o Order) OrderLabels {
	return OrderLabels{
		SourceLabel:              api.Label(OrderSources, o.Source),
		PaymentMethodLabel:       api.Label(PaymentMethods, o.PaymentMethod),
		OrderStatusLabel:         api.Label(OrderStatuses, o.OrderStatus),
		PaymentStatusLabel:       api.Label(PaymentStatuses, o.PaymentStatus),
		AuthorizationStatusLabel: api.Label(AuthorizationStatuses, o.AuthorizationStatus),
		CancelTypeLabel:          api.Label(CancelTypes, o.CancelType),
	}
}

var orderSets = map[string]*status.Set{
	"source": OrderSources, "payment_method": PaymentMethods, "order_status": OrderStatuses,
	"payment_status": PaymentStatuses, "authorization_status": AuthorizationStatuses, "cancel_type": CancelTypes,
}

// OrderJSON is an order with its lines as the API answers it.
type OrderJSON struct {
	Order
	OrderLabels
}

// OrderRowJSON is an order in a list: with customer and shop, without lines.
type OrderRowJSON struct {
	OrderRow
	OrderLabels
	Lines []OrderLine `json:"lines,omitempty"`
}

// APIFieldSets names the status sets of the code fields for the OpenAPI document.
func (OrderJSON) APIFieldSets() map[string]*status.Set { return orderSets }

// APIFieldSets names the status sets of the code fields for the OpenAPI document.
func (OrderRowJSON) APIFieldSets() map[string]*status.Set { return orderSets }

// APIFieldSets names the status sets of the code fields for the OpenAPI document.
func (OrderInput) APIFieldSets() map[string]*status.Set { return orderSets }

// OrderLineInput is one line of an order; amount is unit_price × quantity when left out.
type OrderLineInput struct {
	SKU       string `json:"sku,omitempty"`
	Name      string `json:"name" required:"true"`
	UnitPrice int64  `json:"unit_price" doc:"単価（円）" required:"true"`
	Quantity  int    `json:"quantity" required:"true"`
	TaxRate   *int   `json:"tax_rate,omitempty" doc:"税率（%）: 10（省略時）・8（軽減）・0（非課税）"`
	Amount    int64  `json:"amount,omitempty" doc:"金額（円）。省略時は単価×数量"`
}

// OrderInput creates or changes an order. Lines are replaced as a whole when sent. subtotal
// and total are computed unless sent (sent figures are checked against the lines).
type OrderInput struct {
	ShopID              *string           `json:"shop_id,omitempty" doc:"登録時のみ"`
	CustomerID          *string           `json:"customer_id,omitempty"`
	Source              *string           `json:"source,omitempty" doc:"省略時 api"`
	OrderedAt           *time.Time        `json:"ordered_at,omitempty" doc:"受注日時（省略時は現在）"`
	Subtotal            *int64            `json:"subtotal,omitempty"`
	Tax                 *int64            `json:"tax,omitempty"`
	ShippingFee         *int64            `json:"shipping_fee,omitempty"`
	Total               *int64            `json:"total,omitempty"`
	PaymentMethod       *string           `json:"payment_method,omitempty"`
	OrderStatus         *string           `json:"order_status,omitempty"`
	PaymentStatus       *string           `json:"payment_status,omitempty"`
	AuthorizationStatus *string           `json:"authorization_status,omitempty"`
	AuthorizedOn        *string           `json:"authorized_on,omitempty"`
	Carrier             *string           `json:"carrier,omitempty"`
	TrackingNumber      *string           `json:"tracking_number,omitempty"`
	ShippedOn           *string           `json:"shipped_on,omitempty"`
	DeliveryNotePrintOn *string           `json:"delivery_note_print_on,omitempty"`
	ParentOrderID       *string           `json:"parent_order_id,omitempty"`
	CancelType          *string           `json:"cancel_type,omitempty"`
	MergedIntoOrderID   *string           `json:"merged_into_order_id,omitempty"`
	ExternalRef         *string           `json:"external_ref,omitempty"`
	ShipName            *string           `json:"ship_name,omitempty"`
	ShipPostalCode      *string           `json:"ship_postal_code,omitempty"`
	ShipAddress         *string           `json:"ship_address,omitempty"`
	ShipPhone           *string           `json:"ship_phone,omitempty"`
	Note                *string           `json:"note,omitempty"`
	Lines               *[]OrderLineInput `json:"lines,omitempty"`
	Version             *int              `json:"version,omitempty" doc:"更新時: 読み込んだときの version（違えば409）"`
}

func (in OrderInput) apply(o *Order) {
	set(&o.CustomerID, in.CustomerID)
	set(&o.Source, in.Source)
	set(&o.OrderedAt, in.OrderedAt)
	set(&o.Tax, in.Tax)
	set(&o.ShippingFee, in.ShippingFee)
	set(&o.PaymentMethod, in.PaymentMethod)
	set(&o.OrderStatus, in.OrderStatus)
	set(&o.PaymentStatus, in.PaymentStatus)
	set(&o.AuthorizationStatus, in.AuthorizationStatus)
	set(&o.AuthorizedOn, in.AuthorizedOn)
	set(&o.Carrier, in.Carrier)
	set(&o.TrackingNumber, in.TrackingNumber)
	set(&o.ShippedOn, in.ShippedOn)
	set(&o.DeliveryNotePrintOn, in.DeliveryNotePrintOn)
	set(&o.ParentOrderID, in.ParentOrderID)
	set(&o.CancelType, in.CancelType)
	set(&o.MergedIntoOrderID, in.MergedIntoOrderID)
	set(&o.ExternalRef, in.ExternalRef)
	set(&o.ShipName, in.ShipName)
	set(&o.ShipPostalCode, in.ShipPostalCode)
	set(&o.ShipAddress, in.ShipAddress)
	set(&o.ShipPhone, in.ShipPhone)
	set(&o.Note, in.Note)
	if in.Lines != nil {
		o.Lines = make([]OrderLine, len(*in.Lines))
		for i, l := range *in.Lines {
			rate := 10
			set(&rate, l.TaxRate)
			o.Lines[i] = OrderLine{SKU: l.SKU, Name: l.Name, UnitPrice: l.UnitPrice, Quantity: l.Quantity, TaxRate: rate, Amount: l.Amount}
		}
	}
	// Figures not sent are computed again from the lines, tax and shipping.
	o.Subtotal, o.Total = 0, 0
	set(&o.Subtotal, in.Subtotal)
	set(&o.Total, in.Total)
}

// ShipInput confirms an order's shipment (出荷確定).
type ShipInput struct {
	Version        *int   `json:"version,omitempty"`
	Carrier        string `json:"carrier,omitempty" doc:"配送業者"`
	TrackingNumber string `json:"tracking_number" doc:"送り状番号" required:"true"`
	ShippedOn      string `json:"shipped_on,omitempty" doc:"出荷日（省略時は今日）"`
}

// VersionInput carries the version an action was based on (optional).
type VersionInput struct {
	Version *int `json:"version,omitempty"`
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

func registerOrderAPI(v1 *api.API, h apiHandlers) {
	const tOrder, tSub = "受注", "定期受注"
	idParam := map[string]string{"id": "ID"}
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/orders", Perm: auth.PermView, ID: "listOrders", Tag: tOrder,
		Summary: "受注の一覧・検索（一覧画面と同じ条件）", Paged: true, Response: OrderRowJSON{}, Query: append(orderQuery(),
			api.Param{Name: "lines", Type: "boolean", Description: "true で明細も返す"})}, listJSON(orderListFromQuery, h.searchOrders, orderRowJSON))
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/orders/{id}", Perm: auth.PermView, ID: "getOrder", Tag: tOrder,
		Summary: "受注を明細つきで取得", PathParams: idParam, Response: OrderJSON{}}, getJSON(h.s.GetOrder, orderJSON))
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/orders", Perm: auth.PermOperate, ID: "createOrder", Tag: tOrder,
		Summary: "受注を登録（受注番号は店舗ごとに自動採番、小計・合計は明細から計算）", Request: OrderInput{}, Response: OrderJSON{}}, createJSON("/api/v1/orders/", h.createOrder, orderJSON))
	v1.Handle(api.Operation{Method: http.MethodPatch, Path: "/api/v1/orders/{id}", Perm: auth.PermOperate, ID: "updateOrder", Tag: tOrder,
		Summary: "受注を更新（送った項目だけ。明細は送ると全体を置き換え）", PathParams: idParam, Request: OrderInput{}, Response: OrderJSON{}}, decodeThen(h.updateOrder, orderJSON))
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/orders/{id}/cancel", Perm: auth.PermOperate, ID: "cancelOrder", Tag: tOrder,
		Summary: "受注をキャンセル", PathParams: idParam, Request: VersionInput{}, Response: OrderJSON{}, Status: http.StatusOK}, decodeThen(h.cancelOrder, orderJSON))
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/orders/{id}/ship", Perm: auth.PermOperate, ID: "shipOrder", Tag: tOrder,
		Summary: "出荷確定（送り状番号つき）", PathParams: idParam, Request: ShipInput{}, Response: OrderJSON{}, Status: http.StatusOK}, decodeThen(h.shipOrder, orderJSON))

	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/subscriptions", Perm: auth.PermView, ID: "listSubscriptions", Tag: tSub,
		Summary: "定期受注の一覧・検索（一覧画面と同じ条件）", Paged: true, Response: SubscriptionRowJSON{}, Query: subscriptionQuery()}, listJSON(SubscriptionFilterFromQuery, h.s.SearchSubscriptions, subscriptionRowJSON))
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/subscriptions/{id}", Perm: auth.PermView, ID: "getSubscription", Tag: tSub,
		Summary: "定期受注を取得", PathParams: idParam, Response: SubscriptionJSON{}}, getJSON(h.s.GetSubscription, subscriptionJSON))
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/subscriptions", Perm: auth.PermOperate, ID: "createSubscription", Tag: tSub,
		Summary: "定期受注を登録（定期番号は自動採番）", Request: SubscriptionInput{}, Response: SubscriptionJSON{}}, createJSON("/api/v1/subscriptions/", h.createSubscription, subscriptionJSON))
	v1.Handle(api.Operation{Method: http.MethodPatch, Path: "/api/v1/subscriptions/{id}", Perm: auth.PermOperate, ID: "updateSubscription", Tag: tSub,
		Summary: "定期受注を更新（送った項目だけ。休止・再開・解約は status で）", PathParams: idParam, Request: SubscriptionInput{}, Response: SubscriptionJSON{}}, decodeThen(h.updateSubscription, subscriptionJSON))
}

// orderList is the order list's query: the filter, and whether to answer each order's lines.
type orderList struct {
	OrderFilter
	lines bool
}

func orderListFromQuery(q url.Values) (orderList, error) {
	f, err := OrderFilterFromQuery(q)
	withLines, _ := strconv.ParseBool(q.Get("lines"))
	return orderList{f, withLines}, err
}

// searchOrders is a page of orders, with their lines when asked: one more query for the
// page's lines, not one per order.
func (h apiHandlers) searchOrders(ctx context.Context, l orderList, page, perPage int) ([]OrderRow, int, error) {
	rows, total, err := h.s.SearchOrders(ctx, l.OrderFilter, page, perPage)
	if err != nil || !l.lines || len(rows) == 0 {
		return rows, total, err
	}
	ids := make([]string, len(rows))
	for i, o := range rows {
		ids[i] = o.ID
	}
	full, err := h.s.ListOrders(ctx, OrderFilter{IDs: ids}, true)
	if err != nil {
		return nil, 0, err
	}
	lines := map[string][]OrderLine{}
	for _, o := range full {
		lines[o.ID] = o.Lines
	}
	for i := range rows {
		rows[i].Lines = lines[rows[i].ID]
	}
	return rows, total, nil
}

func orderJSON(o Order) OrderJSON { return OrderJSON{o, orderLabels(o)} }

func orderRowJSON(o OrderRow) OrderRowJSON {
	return OrderRowJSON{OrderRow: o, OrderLabels: orderLabels(o.Order), Lines: o.Lines}
}

func (h apiHandlers) createOrder(ctx context.Context, in OrderInput) (Order, error) {
	o := Order{Source: "api"}
	set(&o.ShopID, in.ShopID)
	in.apply(&o)
	return h.s.CreateOrder(ctx, o)
}

func (h apiHandlers) updateOrder(r *http.Request, in OrderInput) (Order, error) {
	id := r.PathValue("id")
	return h.s.ModifyOrder(r.Context(), id, func(o *Order) error {
		if err := checkPatchVersion("受注", id, in.Version, o.Version); err != nil {
			return err
		}
		if in.ShopID != nil && *in.ShopID != o.ShopID {
			return errs.Invalid("入力内容を確認してください").Field("shop_id", "店舗は登録後に変更できません")
		}
		in.apply(o)
		return nil
	})
}

// versionOr returns *v, or the record's current version read by get when v is nil.
func versionOr(v *int, get func() (int, error)) (int, error) {
	if v != nil {
		return *v, nil
	}
	return get()
}

func (h apiHandlers) orderVersion(r *http.Request, v *int) (int, error) {
	return versionOr(v, func() (int, error) {
		o, err := h.s.GetOrder(r.Context(), r.PathValue("id"))
		return o.Version, err
	})
}

func (h apiHandlers) cancelOrder(r *http.Request, in VersionInput) (Order, error) {
	v, err := h.orderVersion(r, in.Version)
	if err != nil {
		return Order{}, err
	}
	return h.s.CancelOrder(r.Context(), r.PathValue("id"), v)
}

func (h apiHandlers) shipOrder(r *http.Request, in ShipInput) (Order, error) {
	v, err := h.orderVersion(r, in.Version)
	if err != nil {
		return Order{}, err
	}
	return h.s.ShipOrder(r.Context(), r.PathValue("id"), v, in.Carrier, in.TrackingNumber, in.ShippedOn)
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

// ImportJSON is what a CSV import did: every record is created, or none.
type ImportJSON struct {
	Encoding string   `json:"encoding" doc:"判定した文字コード（utf-8 または cp932）"`
	Rows     int      `json:"rows" doc:"読んだデータ行数"`
	Created  int      `json:"created" doc:"登録した件数（受注は受注キーごとに1件）"`
	IDs      []string `json:"ids"`
	Codes    []string `json:"codes" doc:"登録した番号（ファイルの順）"`
}

// exportParams are the export's own query parameters.
func exportParams(templates []ExportTemplate) []api.Param {
	t := api.Param{Name: "template", Description: "出力テンプレート（省略時 standard）"}
	for _, et := range templates {
		t.Enum = append(t.Enum, et.ID)
		t.Description += "、" + et.ID + "=" + et.Name
	}
	return []api.Param{t, {Name: "encoding", Description: "文字コード（省略時 cp932、CRLF）", Enum: []string{"cp932", "utf-8"}}}
}

func registerCSVAPI(v1 *api.API, h apiHandlers) {
	const csvMedia = "text/csv"
	exports := []struct {
		path, id, tag, summary string
		query                  []api.Param
		templates              []ExportTemplate
		write                  func(r *http.Request, w io.Writer, tmpl string, enc jpcsv.Encoding) error
	}{
		{"/api/v1/cases/export.csv", "exportCases", "買取ケース", "買取ケースをCSVで出力（一覧と同じ条件）", caseQuery(), CaseExportTemplates(),
			exportFiltered(CaseFilterFromQuery, h.s.ExportCases)},
		{"/api/v1/customers/export.csv", "exportCustomers", "顧客", "顧客をCSVで出力（一覧と同じ条件）", customerQuery(), CustomerExportTemplates(),
			exportFiltered(CustomerFilterFromQuery, h.s.ExportCustomers)},
		{"/api/v1/orders/export.csv", "exportOrders", "受注", "受注をCSVで出力（一覧と同じ条件、1行が明細1行）", orderQuery(), OrderExportTemplates(),
			exportFiltered(OrderFilterFromQuery, h.s.ExportOrders)},
		{"/api/v1/subscriptions/export.csv", "exportSubscriptions", "定期受注", "定期受注をCSVで出力（一覧と同じ条件）", subscriptionQuery(), SubscriptionExportTemplates(),
			exportFiltered(SubscriptionFilterFromQuery, h.s.ExportSubscriptions)},
	}
	for _, e := range exports {
		v1.Handle(api.Operation{Method: http.MethodGet, Path: e.path, Perm: auth.PermView, ID: e.id, Tag: e.tag,
			Summary: e.summary, Query: append(e.query, exportParams(e.templates)...), ResponseMedia: csvMedia},
			exportCSV(e.write))
	}
	imports := []struct {
		path, id, tag, summary string
		run                    func(r *http.Request) (ImportResult, error)
	}{
		{"/api/v1/cases/import", "importCases", "買取ケース", "買取ケースをCSVで一括登録（全件か0件）",
			func(r *http.Request) (ImportResult, error) { return h.s.ImportCases(r.Context(), r.Body) }},
		{"/api/v1/customers/import", "importCustomers", "顧客", "顧客をCSVで一括登録（全件か0件）",
			func(r *http.Request) (ImportResult, error) { return h.s.ImportCustomers(r.Context(), r.Body) }},
		{"/api/v1/orders/import", "importOrders", "受注", "受注をCSVで一括登録（同じ受注キーの行が1伝票。全件か0件）",
			func(r *http.Request) (ImportResult, error) { return h.s.ImportOrders(r.Context(), r.Body) }},
	}
	for _, im := range imports {
		v1.Handle(api.Operation{Method: http.MethodPost, Path: im.path, Perm: auth.PermOperate, ID: im.id, Tag: im.tag,
			Summary: im.summary, Upload: true, Description: "本文はCSVファイルそのもの（CP932 または UTF-8、既定で1GBまで: KESSAI_MAX_IMPORT_BYTES）、または multipart/form-data の file 欄。" +
				"エラーがあれば何も登録せず422を返し、fields に「rows.行番号.列名」ごとの理由を入れます（行番号はExcelと同じく見出しが1行目）。",
			RequestMedia: csvMedia, Response: ImportJSON{}}, importCSV(im.run))
	}
}

// exportFiltered is the write of an export of the records the query's list filter selects.
func exportFiltered[F any](fromQuery func(url.Values) (F, error),
	export func(ctx context.Context, w io.Writer, f F, tmpl string, enc ...jpcsv.Encoding) error) func(*http.Request, io.Writer, string, jpcsv.Encoding) error {
	return func(r *http.Request, w io.Writer, tmpl string, enc jpcsv.Encoding) error {
		f, err := fromQuery(r.URL.Query())
		if err != nil {
			return err
		}
		return export(r.Context(), w, f, tmpl, enc)
	}
}

func exportCSV(write func(r *http.Request, w io.Writer, tmpl string, enc jpcsv.Encoding) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		enc := jpcsv.CP932
		if v := r.URL.Query().Get("encoding"); v != "" {
			e, err := jpcsv.ParseEncoding(v)
			if err != nil {
				web.WriteError(w, r, errs.Invalid("入力内容を確認してください").Field("encoding", "cp932 か utf-8 を指定してください"))
				return
			}
			enc = e
		}
		f, size, err := spool(func(out io.Writer) error { return write(r, out, r.URL.Query().Get("template"), enc) })
		if err != nil {
			web.WriteError(w, r, rowErrors(err))
			return
		}
		defer closeSpool(f)
		charset := "Shift_JIS"
		if enc == jpcsv.UTF8 {
			charset = "UTF-8"
		}
		w.Header().Set("Content-Type", "text/csv; charset="+charset)
		w.Header().Set("Content-Disposition", `attachment; filename="`+path.Base(r.URL.Path)+`"`)
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		_, _ = io.Copy(w, f)
	}
}

func importCSV(run func(r *http.Request) (ImportResult, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !csvBody(w, r) {
			return
		}
		res, err := run(r)
		if err != nil {
			web.WriteError(w, r, rowErrors(err))
			return
		}
		web.WriteJSON(w, http.StatusCreated, ImportJSON{Encoding: res.Encoding, Rows: res.Rows, Created: res.Created, IDs: res.IDs, Codes: res.Codes})
	}
}

// csvBody makes r.Body the CSV, received on disk (web.Uploaded): the body itself (text/csv, or
// no type), or the part "file" of a multipart/form-data upload (curl -F file=@cases.csv). Other
// types are refused with 415 and what to send instead; it reports whether the handler may go on.
func csvBody(w http.ResponseWriter, r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "", "text/csv", "text/plain", "application/csv", "application/vnd.ms-excel", "application/octet-stream", "multipart/form-data":
	default:
		web.WriteJSON(w, http.StatusUnsupportedMediaType, web.ErrorBody{Error: web.ErrorDetail{Code: "unsupported_media_type",
			Message:   "Content-Type " + mt + " は取り込めません。CSVファイルを本文そのまま（Content-Type: text/csv）か、multipart/form-data の file 欄で送ってください",
			RequestID: web.RequestID(r.Context())}})
		return false
	}
	up, err := web.Uploaded(r, nil)
	if errors.Is(err, web.ErrNoUpload) || (err == nil && mt == "multipart/form-data" && up.Field != "file") {
		web.WriteError(w, r, errs.Invalid("入力内容を確認してください").Field("file", "CSVファイルを本文そのままか、multipart の file という名前の欄に入れて送ってください"))
		return false
	}
	if err != nil {
		web.WriteError(w, r, err)
		return false
	}
	f, err := up.Open()
	if err != nil {
		web.WriteError(w, r, err)
		return false
	}
	context.AfterFunc(r.Context(), func() { f.Close() })
	r.Body = f
	return true
}

// rowErrors puts a CSV's row errors into the error body's fields as "rows.<row>.<column>", the
// way order lines are "lines.<i>.<field>", so the API keeps one error shape.
func rowErrors(err error) error {
	var es jpcsv.Errors
	if !errors.As(err, &es) {
		return err
	}
	msg := "CSVを確認してください"
	if e := errs.As(err); e != nil && e.Kind == errs.KindInvalid {
		msg = e.Message
	}
	out := errs.Invalid(msg).Wrap(err)
	for _, re := range es {
		key := "rows." + strconv.Itoa(re.Row)
		if re.Column != "" {
			key += "." + re.Column
		}
		m := re.Message
		if re.Value != "" {
			m += "（値: " + re.Value + "）"
		}
		if prev, ok := out.Fields[key]; ok {
			m = prev + " / " + m
		}
		out.Field(key, m)
	}
	return out
}
