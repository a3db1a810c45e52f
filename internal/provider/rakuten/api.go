package rakuten

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Limits Rakuten documents.
const (
	MaxWindow         = 63 * 24 * time.Hour // endDatetime at most 63 days after startDatetime
	MaxPageSize       = 1000                // requestRecordsAmount
	MaxSearchHits     = 15000               // only the first 15,000 hits of a search can be read
	MaxGetOrder       = 100                 // orderNumberList of getOrder and confirmOrder
	MaxShippingRows   = 20                  // ShippingModelList of one basket
	OrderVersion      = 10                  // getOrder version (ソーシャルギフト); Rakuten says use the newest
	PaymentVersion    = 4                   // getPayment version, as the one public client sends
	MaxPastSearchDays = 730
)

// SearchOrder runs one searchOrder call (one page). Most callers want SearchAll.
func (c *Client) SearchOrder(ctx context.Context, req SearchRequest) (*SearchResult, error) {
	var out SearchResult
	if err := c.call(ctx, "searchOrder", req, &out, false); err != nil {
		return &out, err
	}
	return &out, nil
}

// GetOrderResult is one getOrder answer.
type GetOrderResult struct {
	Orders   []Order  `json:"OrderModelList"`
	Messages Messages `json:"MessageModelList"`
	Version  *int     `json:"version"`
}

// NotFound lists the requested orders Rakuten answered it does not know (INFO_102).
func (r *GetOrderResult) NotFound() []string {
	var out []string
	for _, m := range r.Messages {
		if m.Code == CodeGetOrderNotFound && m.OrderNumber != "" {
			out = append(out, m.OrderNumber)
		}
	}
	return out
}

type getOrderRequest struct {
	OrderNumberList []string `json:"orderNumberList"`
	Version         int      `json:"version"`
}

// GetOrder reads up to MaxGetOrder orders in one call (version 10).
func (c *Client) GetOrder(ctx context.Context, orderNumbers []string) (*GetOrderResult, error) {
	if len(orderNumbers) > MaxGetOrder {
		return nil, fmt.Errorf("rakuten: getOrder: %d orders, at most %d per call (use GetOrders)", len(orderNumbers), MaxGetOrder)
	}
	var out GetOrderResult
	err := c.call(ctx, "getOrder", getOrderRequest{OrderNumberList: orderNumbers, Version: OrderVersion}, &out, false)
	return &out, err
}

// GetOrders reads any number of orders, MaxGetOrder per call, and merges the answers: every
// order found, every message (unknown orders are INFO_102 items, see NotFound). It stops at the
// first failed call, returning what was read before it.
func (c *Client) GetOrders(ctx context.Context, orderNumbers []string) (*GetOrderResult, error) {
	all := &GetOrderResult{}
	for i := 0; i < len(orderNumbers); i += MaxGetOrder {
		batch := orderNumbers[i:min(i+MaxGetOrder, len(orderNumbers))]
		r, err := c.GetOrder(ctx, batch)
		if r != nil {
			all.Orders = append(all.Orders, r.Orders...)
			all.Messages = append(all.Messages, r.Messages...)
			all.Version = r.Version
		}
		if err != nil {
			return all, fmt.Errorf("getOrder batch %d–%d: %w", i+1, i+len(batch), err)
		}
	}
	return all, nil
}

type getPaymentRequest struct {
	OrderNumber string `json:"orderNumber"`
	Version     int    `json:"version"`
}

// GetPaymentResult is getPayment's answer.
type GetPaymentResult struct {
	Messages Messages      `json:"MessageModelList"`
	Order    *OrderPayment `json:"OrderModel"`
}

// UnmarshalJSON reads the documented wrapper {MessageModelList, OrderModel:{orderNumber,
// PaymentModelList}} and, because no real answer is public, also an OrderModelList of one or a
// PaymentModelList at the top.
func (r *GetPaymentResult) UnmarshalJSON(b []byte) error {
	var w struct {
		Messages Messages       `json:"MessageModelList"`
		Order    *OrderPayment  `json:"OrderModel"`
		Orders   []OrderPayment `json:"OrderModelList"`
		Number   string         `json:"orderNumber"`
		Payments []Payment      `json:"PaymentModelList"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	r.Messages, r.Order = w.Messages, w.Order
	switch {
	case r.Order != nil:
	case len(w.Orders) > 0:
		r.Order = &w.Orders[0]
	case len(w.Payments) > 0:
		r.Order = &OrderPayment{OrderNumber: w.Number, Payments: w.Payments}
	}
	return nil
}

// GetPayment reads an order's 支払明細 (PaymentModelList with paymentStatus and its datetimes).
// An unknown order gives a result with Order nil and an INFO, not an error.
func (c *Client) GetPayment(ctx context.Context, orderNumber string) (*GetPaymentResult, error) {
	var out GetPaymentResult
	if err := c.call(ctx, "getPayment", getPaymentRequest{OrderNumber: orderNumber, Version: PaymentVersion}, &out, false); err != nil {
		return &out, err
	}
	if out.Messages.HasErrors() {
		return &out, &APIError{Op: "getPayment", HTTPStatus: 200, Messages: out.Messages}
	}
	return &out, nil
}

type orderListRequest struct {
	OrderNumberList []string `json:"orderNumberList"`
}

// ConfirmResult is confirmOrder's answer: one message per order (INFO_101 confirmed, or an
// ERROR saying why not).
type ConfirmResult struct {
	Messages Messages `json:"MessageModelList"`
}

// Confirmed lists the orders confirmed (INFO_101).
func (r *ConfirmResult) Confirmed() []string {
	var out []string
	for _, m := range r.Messages {
		if m.Code == CodeConfirmOK {
			out = append(out, m.OrderNumber)
		}
	}
	return out
}

// ConfirmOrder confirms orders (注文確認: 100 → 200), MaxGetOrder per call. Per-order refusals
// are ERROR items of the result, not an error; a refused call stops the batching.
func (c *Client) ConfirmOrder(ctx context.Context, orderNumbers []string) (*ConfirmResult, error) {
	all := &ConfirmResult{}
	for i := 0; i < len(orderNumbers); i += MaxGetOrder {
		batch := orderNumbers[i:min(i+MaxGetOrder, len(orderNumbers))]
		var out ConfirmResult
		err := c.call(ctx, "confirmOrder", orderListRequest{OrderNumberList: batch}, &out, false)
		all.Messages = append(all.Messages, out.Messages...)
		if err != nil {
			return all, err
		}
	}
	return all, nil
}

// ShippingResult is updateOrderShipping's answer.
type ShippingResult struct {
	Messages Messages `json:"MessageModelList"`
}

// ShippingRow is the outcome of one ShippingModel of the request.
type ShippingRow struct {
	DataNumber int    // 1-based position in the request
	Code       string // INFO_101 added, INFO_102 updated, INFO_103 deleted, or an ERROR
	// ShippingDetailID is Rakuten's id of the row; Rakuten may leave it null for an added row,
	// and then the id is read with getOrder.
	ShippingDetailID *int64
}

// Rows returns one ShippingRow per message that carries a dataNumber.
func (r *ShippingResult) Rows() []ShippingRow {
	var out []ShippingRow
	for _, m := range r.Messages {
		if m.DataNumber == nil {
			continue
		}
		out = append(out, ShippingRow{DataNumber: *m.DataNumber, Code: m.Code, ShippingDetailID: m.ShippingDetailID})
	}
	return out
}

// UpdateOrderShipping adds, updates or deletes 発送明細 (tracking numbers).
func (c *Client) UpdateOrderShipping(ctx context.Context, u ShippingUpdate) (*ShippingResult, error) {
	var out ShippingResult
	if err := c.call(ctx, "updateOrderShipping", u, &out, false); err != nil {
		return &out, err
	}
	if out.Messages.HasErrors() {
		return &out, &APIError{Op: "updateOrderShipping", HTTPStatus: 200, Messages: out.Messages}
	}
	return &out, nil
}

// CancelResult is cancelOrder's answer. Success is a cancel *request* (INFO_101
// キャンセル申請に成功しました。): the order goes to 800 and Rakuten confirms it later as 900.
type CancelResult struct {
	Messages Messages `json:"MessageModelList"`
}

// CancelOrder requests the cancellation of an order in 100, 200 or 300. It is sent at most once;
// on IsOutcomeUnknown read the order (800/900) instead of sending it again.
func (c *Client) CancelOrder(ctx context.Context, req CancelRequest) (*CancelResult, error) {
	return c.cancel(ctx, "cancelOrder", req)
}

// CancelOrderAfterShipping requests the cancellation of a shipped order (500 and later).
func (c *Client) CancelOrderAfterShipping(ctx context.Context, req CancelRequest) (*CancelResult, error) {
	return c.cancel(ctx, "cancelOrderAfterShipping", req)
}

func (c *Client) cancel(ctx context.Context, method string, req CancelRequest) (*CancelResult, error) {
	var out CancelResult
	if err := c.call(ctx, method, req, &out, true); err != nil {
		return &out, err
	}
	if out.Messages.HasErrors() {
		return &out, &APIError{Op: method, HTTPStatus: 200, Messages: out.Messages, MoneyMoving: true}
	}
	return &out, nil
}

// Call posts body to any method of the order API and decodes the answer into out, with the same
// authentication, throttle and error handling as the typed calls. It is for methods this package
// does not wrap (updateOrderMemo, getSubStatusList, …) and for checking Rakuten's validation.
func (c *Client) Call(ctx context.Context, method string, body, out any) error {
	return c.call(ctx, method, body, out, false)
}
