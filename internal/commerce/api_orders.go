package commerce

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"kessai/internal/api"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/status"
)

func orderQuery() []api.Param {
	return []api.Param{
		{Name: "shop", Description: "店舗ID"},
		{Name: "number", Description: "受注番号の一部"},
		{Name: "customer", Description: "顧客の氏名・フリガナ・顧客番号・メール・電話番号の一部"},
		{Name: "customer_id", Description: "顧客ID"},
		api.StatusParam("order_status", OrderStatuses),
		api.StatusParam("payment_status", PaymentStatuses),
		api.StatusParam("authorization_status", AuthorizationStatuses),
		{Name: "deposit_status", Description: "入金状況（payment_status と同じ。番号 0 未入金・1 一部入金・2 入金済み も可）"},
		{Name: "approval_status", Description: "承認状況（authorization_status と同じ。番号 0 承認不要・10 未承認・30 承認済 も可）"},
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

// registerOrderAPI routes and describes the order operations.
func registerOrderAPI(v1 *api.API, h apiHandlers) {
	const tOrder = "受注"
	idParam := map[string]string{"id": "ID"}
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/orders", Perm: auth.PermView, ID: "listOrders", Tag: tOrder,
		Summary: "受注の一覧・検索（一覧画面と同じ条件）", Paged: true, Response: OrderRowJSON{}, Query: append(orderQuery(),
			api.Param{Name: "lines", Type: "boolean", Description: "true で明細も返す"})}, listJSON(h.orderListFromQuery, h.searchOrders, orderRowJSON))
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/orders/{id}", Perm: auth.PermView, ID: "getOrder", Tag: tOrder,
		Summary: "受注を明細つきで取得", PathParams: idParam, Response: OrderJSON{}}, getJSON(h.s.GetOrder, orderJSON))
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/orders", Perm: auth.PermOperate, ID: "createOrder", Tag: tOrder,
		Summary: "受注を登録（受注番号は店舗ごとに自動採番、小計・合計は明細から計算）", Request: OrderInput{}, Response: OrderJSON{}}, createJSON("/api/v1/orders/", h.createOrder, createdOrderJSON))
	v1.Handle(api.Operation{Method: http.MethodPatch, Path: "/api/v1/orders/{id}", Perm: auth.PermOperate, ID: "updateOrder", Tag: tOrder,
		Summary: "受注を更新（送った項目だけ。明細は送ると全体を置き換え）", PathParams: idParam, Request: OrderInput{}, Response: OrderJSON{}}, decodeThen(h.updateOrder, orderJSON))
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/orders/{id}/cancel", Perm: auth.PermOperate, ID: "cancelOrder", Tag: tOrder,
		Summary: "受注をキャンセル", PathParams: idParam, Request: VersionInput{}, Response: OrderJSON{}, Status: http.StatusOK}, decodeThen(h.cancelOrder, orderJSON))
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/orders/{id}/ship", Perm: auth.PermOperate, ID: "shipOrder", Tag: tOrder,
		Summary: "出荷確定（送り状番号つき）", PathParams: idParam, Request: ShipInput{}, Response: OrderJSON{}, Status: http.StatusOK}, decodeThen(h.shipOrder, orderJSON))
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
	// Payment is what the room owning the payment method answers on create (e.g. start_url,
	// access_id, token: what the buyer's browser posts to the payment provider).
	Payment map[string]any `json:"payment,omitempty" doc:"登録時のみ: 支払方法の担当が返す決済の開始情報（例: start_url, access_id, token）"`
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

// orderList is the order list's query: the filter, and whether to answer each order's lines.
type orderList struct {
	OrderFilter
	lines bool
}

func (h apiHandlers) orderListFromQuery(q url.Values) (orderList, error) {
	f, err := h.s.OrderFilterFromQuery(q)
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

func orderJSON(o Order) OrderJSON { return OrderJSON{Order: o, OrderLabels: orderLabels(o)} }

// createdOrder is a new order with what its payment handler answered.
type createdOrder struct {
	Order
	payment map[string]any
}

func createdOrderJSON(c createdOrder) OrderJSON {
	j := orderJSON(c.Order)
	j.Payment = c.payment
	return j
}

func orderRowJSON(o OrderRow) OrderRowJSON {
	return OrderRowJSON{OrderRow: o, OrderLabels: orderLabels(o.Order), Lines: o.Lines}
}

func (h apiHandlers) createOrder(ctx context.Context, in OrderInput) (createdOrder, error) {
	o := Order{Source: "api"}
	set(&o.ShopID, in.ShopID)
	in.apply(&o)
	o, payment, err := h.s.CreateOrderPayment(ctx, o)
	return createdOrder{o, payment}, err
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
