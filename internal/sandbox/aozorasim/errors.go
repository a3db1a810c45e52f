package aozorasim

import (
	"net/http"

	"kessai/internal/provider/aozora"
)

// Error codes. The bank publishes no full list: WG_ERR_019, WG_ERR_300 and 220011 are codes seen
// from the real bank; the others are the sandbox's own, in the same shape (≤10 characters).
const (
	codeTokenInvalid = "WG_ERR_001" // 401: x-access-token missing or unknown
	codeTokenExpired = "WG_ERR_002" // 401: access token expired
	codeScope        = "WG_ERR_003" // 403: the token's scope does not cover the API
	codeNotFound     = "WG_ERR_019" // 405: no such operation
	codeInvalid      = "WG_ERR_101" // 400: a parameter is missing or malformed
	codeIdemReuse    = "WG_ERR_102" // 400: Idempotency-Key reused with a different body
	codeState        = "WG_ERR_103" // 400: the request does not fit the transfer's state
	codeNoApply      = "WG_ERR_104" // 404: no such applyNo for this account
	codeMediaType    = "WG_ERR_105" // 415: the body is not JSON
	codeMaintenance  = "WG_ERR_300" // 503: maintenance (fault switch)
	codeInternal     = "WG_ERR_500" // 500: system error (fault switch)
	codeRejected     = "220011"     // 400: the bank refuses the transfer (scenario, limit)
)

// Detail codes in errorDetails.
const (
	detailRequired = "W101001" // 必須項目なし
	detailFormat   = "W101002" // 桁数・形式誤り
	detailChars    = "W101003" // 使用できない文字
	detailRange    = "W101004" // 範囲外
	detailTotals   = "W101005" // 合計件数・合計金額の不一致
	detailPayee    = "E220011" // 受取人口座なし (scenario 9999998)
	detailLimit    = "E220012" // 振込限度額超過
	detailAccount  = "E220013" // 口座IDなし
	detailHoliday  = "E220014" // 振込指定日が非営業日
)

// apiError is the bank's error body.
type apiError struct {
	Code    string                       `json:"errorCode"`
	Message string                       `json:"errorMessage"`
	Details []aozora.ErrorDetail         `json:"errorDetails,omitempty"`
	Items   []aozora.TransferErrorDetail `json:"transferErrorDetails,omitempty"`
}

func writeError(w http.ResponseWriter, status int, e apiError) { writeJSON(w, status, e) }

// problems collects validation failures, top-level and per item.
type problems struct {
	top   []aozora.ErrorDetail
	items []aozora.TransferErrorDetail
}

func (p *problems) add(code, msg string) {
	p.top = append(p.top, aozora.ErrorDetail{Code: code, Message: msg})
}

func (p *problems) addItem(itemID int, code, msg string) {
	for i := range p.items {
		if p.items[i].ItemID == itemID {
			p.items[i].ErrorDetails = append(p.items[i].ErrorDetails, aozora.ErrorDetail{Code: code, Message: msg})
			return
		}
	}
	p.items = append(p.items, aozora.TransferErrorDetail{ItemID: itemID, ErrorDetails: []aozora.ErrorDetail{{Code: code, Message: msg}}})
}

func (p *problems) empty() bool { return len(p.top) == 0 && len(p.items) == 0 }

func (p *problems) err(code, msg string) apiError {
	return apiError{Code: code, Message: msg, Details: p.top, Items: p.items}
}
