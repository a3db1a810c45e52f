package aozora

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// ErrNoIdempotencyKey is returned for a money-moving request without a key: without one, a
// timeout could only be resolved by guessing.
var ErrNoIdempotencyKey = errors.New("aozora: an Idempotency-Key is required")

// Accounts lists the merchant's accounts (口座一覧照会), with each account's transfer limit.
func (c *Client) Accounts(ctx context.Context) (AccountsResponse, error) {
	var out AccountsResponse
	err := c.do(ctx, call{method: http.MethodGet, path: "/accounts"}, &out)
	return out, err
}

// TransferRequest asks the bank for a transfer (振込依頼). The answer is normally ResultIncomplete
// with an applyNo: the transfer waits for the approver's mail token. Send the same key on every
// retry of the same transfer (the bank keeps it for 24 hours).
func (c *Client) TransferRequest(ctx context.Context, req TransferRequest, idempotencyKey string) (TransferRequestResponse, error) {
	var out TransferRequestResponse
	if idempotencyKey == "" {
		return out, ErrNoIdempotencyKey
	}
	err := c.do(ctx, call{method: http.MethodPost, path: "/transfer/request", body: fillTransfer(req),
		idemKey: idempotencyKey, moneyMoving: true}, &out)
	return out, err
}

// BulkTransferRequest asks the bank for a bulk transfer (総合振込依頼, up to 9,999 items).
func (c *Client) BulkTransferRequest(ctx context.Context, req BulkTransferRequest, idempotencyKey string) (TransferRequestResponse, error) {
	var out TransferRequestResponse
	if idempotencyKey == "" {
		return out, ErrNoIdempotencyKey
	}
	err := c.do(ctx, call{method: http.MethodPost, path: "/bulktransfer/request", body: fillBulk(req),
		idemKey: idempotencyKey, moneyMoving: true}, &out)
	return out, err
}

// TransferRequestResult asks for the result of a transfer request or of its latest cancel
// (振込依頼結果照会): 1 完了, 2 未完了, 8 期限切.
func (c *Client) TransferRequestResult(ctx context.Context, accountID, applyNo string) (RequestResultResponse, error) {
	return c.requestResult(ctx, "/transfer/request-result", accountID, applyNo)
}

// BulkTransferRequestResult is TransferRequestResult for bulk transfers.
func (c *Client) BulkTransferRequestResult(ctx context.Context, accountID, applyNo string) (RequestResultResponse, error) {
	return c.requestResult(ctx, "/bulktransfer/request-result", accountID, applyNo)
}

func (c *Client) requestResult(ctx context.Context, path, accountID, applyNo string) (RequestResultResponse, error) {
	var out RequestResultResponse
	q := url.Values{"accountId": {accountID}, "applyNo": {applyNo}}
	err := c.do(ctx, call{method: http.MethodGet, path: path, query: q}, &out)
	return out, err
}

// TransferStatus asks for the status of transfers (振込状況照会). Only requests at 申請中 or later
// are found.
func (c *Client) TransferStatus(ctx context.Context, q StatusQuery) (TransferStatusResponse, error) {
	var out TransferStatusResponse
	err := c.do(ctx, call{method: http.MethodGet, path: "/transfer/status", query: q.values(false)}, &out)
	return out, err
}

// BulkTransferStatus asks for the status of bulk transfers (総合振込状況照会).
func (c *Client) BulkTransferStatus(ctx context.Context, q StatusQuery) (BulkTransferStatusResponse, error) {
	var out BulkTransferStatusResponse
	err := c.do(ctx, call{method: http.MethodGet, path: "/bulktransfer/status", query: q.values(true)}, &out)
	return out, err
}

// TransferCancel asks the bank to cancel a transfer (振込取消依頼); without ビジネスID管理 use
// CancelAccepted. A second cancel of the same applyNo is refused until the first one expired.
func (c *Client) TransferCancel(ctx context.Context, req CancelRequest) (CancelResponse, error) {
	var out CancelResponse
	err := c.do(ctx, call{method: http.MethodPost, path: "/transfer/cancel", body: req, moneyMoving: true}, &out)
	return out, err
}

// BulkTransferCancel cancels a bulk transfer (総合振込取消依頼); use CancelBulkAccepted.
func (c *Client) BulkTransferCancel(ctx context.Context, req CancelRequest) (CancelResponse, error) {
	var out CancelResponse
	err := c.do(ctx, call{method: http.MethodPost, path: "/bulktransfer/cancel", body: req, moneyMoving: true}, &out)
	return out, err
}

// TransferFee checks a transfer request without sending it and returns its fees
// (振込手数料事前照会).
func (c *Client) TransferFee(ctx context.Context, req TransferRequest) (TransferFeeResponse, error) {
	var out TransferFeeResponse
	err := c.do(ctx, call{method: http.MethodPost, path: "/transfer/transferfee", body: fillTransfer(req)}, &out)
	return out, err
}

// BulkTransferFee is TransferFee for a bulk transfer.
func (c *Client) BulkTransferFee(ctx context.Context, req BulkTransferRequest) (TransferFeeResponse, error) {
	var out TransferFeeResponse
	err := c.do(ctx, call{method: http.MethodPost, path: "/bulktransfer/transferfee", body: fillBulk(req)}, &out)
	return out, err
}

// fillTransfer fills the totals and item numbers the bank requires for two or more items,
// without touching the caller's slice.
func fillTransfer(r TransferRequest) TransferRequest {
	if len(r.Transfers) < 2 {
		return r
	}
	items := append([]Transfer(nil), r.Transfers...)
	numbered := true
	var sum int64
	for _, t := range items {
		numbered = numbered && t.ItemID != 0
		sum += t.TransferAmount
	}
	if !numbered {
		for i := range items {
			items[i].ItemID = i + 1
		}
	}
	if r.TotalCount == 0 {
		r.TotalCount = len(items)
	}
	if r.TotalAmount == 0 {
		r.TotalAmount = sum
	}
	r.Transfers = items
	return r
}

func fillBulk(r BulkTransferRequest) BulkTransferRequest {
	items := append([]BulkTransfer(nil), r.BulkTransfers...)
	numbered := true
	var sum int64
	for _, t := range items {
		numbered = numbered && t.ItemID != 0
		sum += t.TransferAmount
	}
	if !numbered {
		for i := range items {
			items[i].ItemID = i + 1
		}
	}
	if r.TotalCount == 0 {
		r.TotalCount = len(items)
	}
	if r.TotalAmount == 0 {
		r.TotalAmount = sum
	}
	r.BulkTransfers = items
	return r
}

// values encodes the query. Statuses are repeated parameters (collectionFormat multi).
func (q StatusQuery) values(bulk bool) url.Values {
	v := url.Values{"accountId": {q.AccountID}, "queryKeyClass": {string(q.QueryKeyClass)}}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("applyNo", q.ApplyNo)
	set("dateFrom", q.DateFrom.String())
	set("dateTo", q.DateTo.String())
	set("nextItemKey", q.NextItemKey)
	for _, s := range q.Statuses {
		v.Add("requestTransferStatus", string(s))
	}
	set("requestTransferClass", q.TransferClass)
	set("requestTransferTerm", q.TransferTerm)
	if bulk && q.DetailInfoNecessity {
		v.Set("detailInfoNecessity", "true")
		if q.BulkTransferItemKey > 0 {
			v.Set("bulktransferItemKey", strconv.Itoa(q.BulkTransferItemKey))
		}
	}
	return v
}

// String names the query in errors and logs.
func (q StatusQuery) String() string {
	if q.QueryKeyClass == QueryByApplyNo {
		return fmt.Sprintf("applyNo %s", q.ApplyNo)
	}
	return fmt.Sprintf("period %s..%s", q.DateFrom, q.DateTo)
}
