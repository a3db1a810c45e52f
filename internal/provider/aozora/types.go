package aozora

import (
	"encoding/json"
	"fmt"
	"kessai/internal/platform/clock"
	"time"
)

// Every number on the wire is a JSON string: the struct tags below use encoding/json's ",string"
// option, so Go code sees int64 yen and counts while the bank sees "1000". Empty answers are
// omitted by the bank, which is why most fields are omitempty/omitzero. Answers are read
// leniently (lenient.go): a number field may also come as a JSON number or "".

// Date is a calendar date as the bank writes it (YYYY-MM-DD, a JST date).
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the JST calendar date of t.
func DateOf(t time.Time) Date {
	y, m, d := t.In(clock.JST).Date()
	return Date{y, m, d}
}

// ParseDate parses YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.ParseInLocation(time.DateOnly, s, clock.JST)
	if err != nil {
		return Date{}, fmt.Errorf("aozora: date %q: %w", s, err)
	}
	return DateOf(t), nil
}

// Time returns 00:00 JST of the date.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, clock.JST) }

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// AddDays returns the date n days later (earlier for negative n).
func (d Date) AddDays(n int) Date { return DateOf(d.Time().AddDate(0, 0, n)) }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Time().Before(e.Time()) }

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// MarshalJSON writes "YYYY-MM-DD".
func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads "YYYY-MM-DD"; an empty string is the zero Date.
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("aozora: date: %w", err)
	}
	if s == "" {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// DateTime is a timestamp as the bank writes it (YYYY-MM-DDTHH:MM:SS+09:00).
type DateTime struct{ time.Time }

const dateTimeLayout = "2006-01-02T15:04:05-07:00"

// MarshalJSON writes the time in JST to the second.
func (t DateTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.In(clock.JST).Format(dateTimeLayout))
}

// UnmarshalJSON reads an RFC 3339 timestamp; an empty string is the zero time.
func (t *DateTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("aozora: datetime: %w", err)
	}
	if s == "" {
		*t = DateTime{}
		return nil
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("aozora: datetime %q: %w", s, err)
	}
	*t = DateTime{v}
	return nil
}

// FormatBaseTime writes the HH:MM:SS+09:00 form of the bank's baseTime fields.
func FormatBaseTime(t time.Time) string { return t.In(clock.JST).Format("15:04:05-07:00") }

// AccountsResponse answers GET /accounts.
type AccountsResponse struct {
	BaseDate Date      `json:"baseDate"`
	BaseTime string    `json:"baseTime"` // HH:MM:SS+09:00
	Accounts []Account `json:"accounts"`
}

// Account is one of the merchant's own accounts. Branch, number, names and the transfer limit
// are only set for ordinary deposits (subject codes 01 and 02).
type Account struct {
	AccountID              string `json:"accountId"`
	BranchCode             string `json:"branchCode,omitempty"`
	BranchName             string `json:"branchName,omitempty"`
	AccountTypeCode        string `json:"accountTypeCode"` // subject code, see Subject* constants
	AccountTypeName        string `json:"accountTypeName"`
	AccountNumber          string `json:"accountNumber,omitempty"`
	PrimaryAccountCode     string `json:"primaryAccountCode,omitempty"` // 1 代表口座, 2 追加口座
	PrimaryAccountCodeName string `json:"primaryAccountCodeName,omitempty"`
	AccountName            string `json:"accountName,omitempty"`
	AccountNameKana        string `json:"accountNameKana,omitempty"`
	CurrencyCode           string `json:"currencyCode"`
	CurrencyName           string `json:"currencyName"`
	// TransferLimitAmount is the per-request limit in yen; 0 when the bank does not say.
	TransferLimitAmount int64 `json:"transferLimitAmount,string,omitempty"`
}

// TransferRequest is the body of /transfer/request and /transfer/transferfee (1–99 items; two or
// more are handled by the bank as 一括振込). TotalCount and TotalAmount may stay zero: the client
// fills them in when there is more than one item, as the bank then requires.
type TransferRequest struct {
	AccountID               string      `json:"accountId"`
	RemitterName            string      `json:"remitterName,omitempty"`
	TransferDesignatedDate  Date        `json:"transferDesignatedDate"`
	TransferDateHolidayCode HolidayCode `json:"transferDateHolidayCode,omitempty"`
	TotalCount              int         `json:"totalCount,string,omitempty"`
	TotalAmount             int64       `json:"totalAmount,string,omitempty"`
	ApplyComment            string      `json:"applyComment,omitempty"`
	Transfers               []Transfer  `json:"transfers"`
}

// Transfer is one item of a TransferRequest.
type Transfer struct {
	ItemID                int         `json:"itemId,string,omitempty"` // 1.. in order; may be 0 for a single item
	TransferAmount        int64       `json:"transferAmount,string"`
	EDIInfo               string      `json:"ediInfo,omitempty"`
	BeneficiaryBankCode   string      `json:"beneficiaryBankCode"`
	BeneficiaryBankName   string      `json:"beneficiaryBankName,omitempty"` // informative only
	BeneficiaryBranchCode string      `json:"beneficiaryBranchCode"`
	BeneficiaryBranchName string      `json:"beneficiaryBranchName,omitempty"` // informative only
	AccountTypeCode       AccountType `json:"accountTypeCode"`
	AccountNumber         string      `json:"accountNumber"` // 7 digits, zero-padded
	BeneficiaryName       string      `json:"beneficiaryName"`
}

// TransferRequestResponse answers /transfer/request and /bulktransfer/request.
type TransferRequestResponse struct {
	AccountID        string     `json:"accountId"`
	ResultCode       ResultCode `json:"resultCode"`
	ApplyNo          string     `json:"applyNo"`
	ApplyEndDatetime DateTime   `json:"applyEndDatetime,omitzero"` // only with ResultCompleted
}

// RequestResultResponse answers /transfer/request-result and /bulktransfer/request-result. After
// a cancel it reports the latest request on the applyNo.
type RequestResultResponse = TransferRequestResponse

// BulkTransferRequest is the body of /bulktransfer/request and /bulktransfer/transferfee (1–9,999
// items, itemId required). The client fills TotalCount, TotalAmount and missing itemIds.
type BulkTransferRequest struct {
	AccountID               string         `json:"accountId"`
	RemitterName            string         `json:"remitterName,omitempty"` // the bank keeps 40 characters
	TransferDesignatedDate  Date           `json:"transferDesignatedDate"`
	TransferDateHolidayCode HolidayCode    `json:"transferDateHolidayCode,omitempty"`
	TransferDataName        string         `json:"transferDataName,omitempty"` // ≤10, a memo
	TotalCount              int            `json:"totalCount,string"`
	TotalAmount             int64          `json:"totalAmount,string"`
	ApplyComment            string         `json:"applyComment,omitempty"`
	BulkTransfers           []BulkTransfer `json:"bulkTransfers"`
}

// BulkTransfer is one item of a BulkTransferRequest. The bank keeps 30 characters of the name.
type BulkTransfer struct {
	ItemID                 int         `json:"itemId,string"`
	BeneficiaryBankCode    string      `json:"beneficiaryBankCode"`
	BeneficiaryBankName    string      `json:"beneficiaryBankName,omitempty"`
	BeneficiaryBranchCode  string      `json:"beneficiaryBranchCode"`
	BeneficiaryBranchName  string      `json:"beneficiaryBranchName,omitempty"`
	ClearingHouseName      string      `json:"clearingHouseName,omitempty"`
	AccountTypeCode        AccountType `json:"accountTypeCode"`
	AccountNumber          string      `json:"accountNumber"`
	BeneficiaryName        string      `json:"beneficiaryName"`
	TransferAmount         int64       `json:"transferAmount,string"`
	NewCode                string      `json:"newCode,omitempty"`
	EDIInfo                string      `json:"ediInfo,omitempty"`
	TransferDesignatedType string      `json:"transferDesignatedType,omitempty"`
	Identification         string      `json:"identification,omitempty"` // "Y": tell the beneficiary the EDI info
}

// CancelRequest is the body of /transfer/cancel and /bulktransfer/cancel.
type CancelRequest struct {
	AccountID            string       `json:"accountId"`
	CancelTargetKeyClass CancelTarget `json:"cancelTargetKeyClass"`
	ApplyNo              string       `json:"applyNo"`
}

// CancelResponse answers a cancel.
type CancelResponse struct {
	AccountID            string       `json:"accountId"`
	CancelTargetKeyClass CancelTarget `json:"cancelTargetKeyClass"`
	ResultCode           ResultCode   `json:"resultCode"`
	ApplyNo              string       `json:"applyNo"`
	ApplyEndDatetime     DateTime     `json:"applyEndDatetime,omitzero"`
}

// TransferFeeResponse answers the transferfee calls. Free-transfer counts and points are not
// taken into account by the bank.
type TransferFeeResponse struct {
	AccountID          string              `json:"accountId"`
	BaseDate           Date                `json:"baseDate"`
	BaseTime           string              `json:"baseTime"`
	TotalFee           int64               `json:"totalFee,string"`
	TransferFeeDetails []TransferFeeDetail `json:"transferFeeDetails"`
}

// TransferFeeDetail is the fee of one item.
type TransferFeeDetail struct {
	ItemID      int   `json:"itemId,string"`
	TransferFee int64 `json:"transferFee,string"`
}

// StatusQuery asks /transfer/status or /bulktransfer/status. With QueryByApplyNo only ApplyNo
// (and, for bulk, the detail fields) may be set; with QueryByPeriod only the period fields: the
// bank answers 400 to a parameter of the other class.
type StatusQuery struct {
	AccountID     string
	QueryKeyClass QueryKeyClass
	ApplyNo       string
	DateFrom      Date
	DateTo        Date
	NextItemKey   string
	Statuses      []TransferStatus // requestTransferStatus, OR-ed; none means all
	TransferClass string           // requestTransferClass, only with ビジネスID管理
	TransferTerm  string           // requestTransferTerm: 1 申請受付日, 2 振込指定日
	// Bulk only: DetailInfoNecessity asks for the items of one bulk transfer, starting at
	// BulkTransferItemKey (1, 501, 1001, ...).
	DetailInfoNecessity bool
	BulkTransferItemKey int
}

// TransferStatusResponse answers /transfer/status.
type TransferStatusResponse struct {
	AcceptanceKeyClass         QueryKeyClass               `json:"acceptanceKeyClass"`
	BaseDate                   Date                        `json:"baseDate"`
	BaseTime                   string                      `json:"baseTime"`
	Count                      int                         `json:"count,string"`
	TransferQueryBulkResponses []TransferQueryBulkResponse `json:"transferQueryBulkResponses,omitempty"`
	TransferDetails            []TransferDetail            `json:"transferDetails"`
}

// TransferQueryBulkResponse echoes a period query and says whether more pages follow.
type TransferQueryBulkResponse struct {
	DateFrom                Date                    `json:"dateFrom,omitzero"`
	DateTo                  Date                    `json:"dateTo,omitzero"`
	RequestNextItemKey      string                  `json:"requestNextItemKey,omitempty"`
	RequestTransferStatuses []RequestTransferStatus `json:"requestTransferStatuses,omitempty"`
	RequestTransferClass    string                  `json:"requestTransferClass,omitempty"`
	RequestTransferTerm     string                  `json:"requestTransferTerm,omitempty"`
	HasNext                 bool                    `json:"hasNext"`
	NextItemKey             string                  `json:"nextItemKey,omitempty"`
}

// RequestTransferStatus echoes one requested status.
type RequestTransferStatus struct {
	RequestTransferStatus TransferStatus `json:"requestTransferStatus"`
}

// TransferDetail is one transfer request in a status answer.
type TransferDetail struct {
	TransferStatus     TransferStatus     `json:"transferStatus"`
	TransferStatusName string             `json:"transferStatusName"`
	TransferTypeName   string             `json:"transferTypeName"`
	IsFeeFreeUse       bool               `json:"isFeeFreeUse"`
	IsFeePointUse      bool               `json:"isFeePointUse"`
	PointName          string             `json:"pointName,omitempty"`
	FeeLaterPaymentFlg bool               `json:"feeLaterPaymentFlg,omitempty"`
	TransferDetailFee  int64              `json:"transferDetailFee,string"`
	TotalDebitAmount   int64              `json:"totalDebitAmount,string"`
	TransferApplies    []TransferApply    `json:"transferApplies"`
	TransferAccepts    []TransferAccept   `json:"transferAccepts"`
	TransferResponses  []TransferResponse `json:"transferResponses"`
}

// ApplyNo returns the first applyNo of the detail, or "".
func (d TransferDetail) ApplyNo() string {
	if len(d.TransferApplies) == 0 {
		return ""
	}
	return d.TransferApplies[0].ApplyNo
}

// TransferApply is an application (振込申請) and its history.
type TransferApply struct {
	ApplyNo              string                `json:"applyNo"`
	TransferApplyDetails []TransferApplyDetail `json:"transferApplyDetails"`
}

// TransferApplyDetail is one step of an application. ApplyStatus: 0 未申請, 1 申請中, 2 差戻,
// 3 取下げ, 4 期限切れ, 5 承認済, 6 承認取消, 7 自動承認.
type TransferApplyDetail struct {
	ApplyDatetime   DateTime `json:"applyDatetime,omitzero"`
	ApplyStatus     string   `json:"applyStatus,omitempty"`
	ApplyUser       string   `json:"applyUser,omitempty"`
	ApplyComment    string   `json:"applyComment,omitempty"`
	ApprovalUser    string   `json:"approvalUser,omitempty"`
	ApprovalComment string   `json:"approvalComment,omitempty"`
}

// TransferAccept is the bank's acceptance (振込受付), numbered once the transfer is executed or
// reserved.
type TransferAccept struct {
	AcceptNo       string   `json:"acceptNo"`
	AcceptDatetime DateTime `json:"acceptDatetime"`
}

// TransferResponse is the content of a single transfer request.
type TransferResponse struct {
	AccountID              string         `json:"accountId"`
	RemitterName           string         `json:"remitterName"`
	TransferDesignatedDate Date           `json:"transferDesignatedDate"`
	TransferInfos          []TransferInfo `json:"transferInfos"`
}

// TransferInfo is one item with its result.
type TransferInfo struct {
	TransferAmount          int64                    `json:"transferAmount,string"`
	EDIInfo                 string                   `json:"ediInfo,omitempty"`
	BeneficiaryBankCode     string                   `json:"beneficiaryBankCode"`
	BeneficiaryBankName     string                   `json:"beneficiaryBankName,omitempty"`
	BeneficiaryBranchCode   string                   `json:"beneficiaryBranchCode"`
	BeneficiaryBranchName   string                   `json:"beneficiaryBranchName,omitempty"`
	AccountTypeCode         AccountType              `json:"accountTypeCode"`
	AccountNumber           string                   `json:"accountNumber"`
	BeneficiaryName         string                   `json:"beneficiaryName,omitempty"`
	TransferDetailResponses []TransferDetailResponse `json:"transferDetailResponses"`
	UnableDetailInfos       []UnableDetailInfo       `json:"unableDetailInfos,omitempty"`
}

// TransferDetailResponse is the bank's view of one executed item.
type TransferDetailResponse struct {
	BeneficiaryBankNameKanji   string `json:"beneficiaryBankNameKanji,omitempty"`
	BeneficiaryBranchNameKanji string `json:"beneficiaryBranchNameKanji,omitempty"`
	UsedPoint                  int64  `json:"usedPoint,string,omitempty"`
	IsFeeFreeUsed              bool   `json:"isFeeFreeUsed"`
	TransferFee                int64  `json:"transferFee,string,omitempty"`
}

// UnableDetailInfo says why an item did not complete.
type UnableDetailInfo struct {
	TransferDetailStatus DetailStatus `json:"transferDetailStatus,omitempty"`
	RefundStatus         string       `json:"refundStatus,omitempty"` // 1 組戻手続中, 2 組戻済, 3 組戻不成立
	IsRepayment          bool         `json:"isRepayment,omitempty"`
	RepaymentDate        Date         `json:"repaymentDate,omitzero"` // bulk only
	// UnableReason is not in spec v1.1.12: the sandbox sets it (e.g. "受取人口座なし") so the
	// reason can be shown; the real bank may leave it empty.
	UnableReason string `json:"unableReason,omitempty"`
}

// BulkTransferStatusResponse answers /bulktransfer/status.
type BulkTransferStatusResponse struct {
	AcceptanceKeyClass         QueryKeyClass               `json:"acceptanceKeyClass"`
	DetailInfoNecessity        *bool                       `json:"detailInfoNecessity,omitempty"`
	BulkTransferItemKey        int                         `json:"bulktransferItemKey,string,omitempty"`
	BaseDate                   Date                        `json:"baseDate"`
	BaseTime                   string                      `json:"baseTime"`
	Count                      int                         `json:"count,string"`
	DetailInfoResult           *bool                       `json:"detailInfoResult,omitempty"`
	TransferQueryBulkResponses []TransferQueryBulkResponse `json:"transferQueryBulkResponses,omitempty"`
	BulkTransferDetails        []BulkTransferDetail        `json:"bulkTransferDetails"`
}

// BulkTransferDetail is one bulk transfer in a status answer.
type BulkTransferDetail struct {
	TransferStatus        TransferStatus         `json:"transferStatus"`
	TransferStatusName    string                 `json:"transferStatusName"`
	TransferTypeName      string                 `json:"transferTypeName"`
	RemitterCode          string                 `json:"remitterCode,omitempty"`
	IsFeeFreeUse          bool                   `json:"isFeeFreeUse"`
	IsFeePointUse         bool                   `json:"isFeePointUse"`
	PointName             string                 `json:"pointName,omitempty"`
	FeeLaterPaymentFlg    bool                   `json:"feeLaterPaymentFlg,omitempty"`
	TotalFee              int64                  `json:"totalFee,string"`
	TotalDebitAmount      int64                  `json:"totalDebitAmount,string"`
	TransferApplies       []TransferApply        `json:"transferApplies"`
	TransferAccepts       []TransferAccept       `json:"transferAccepts"`
	BulkTransferResponses []BulkTransferResponse `json:"bulktransferResponses"`
}

// ApplyNo returns the first applyNo of the detail, or "".
func (d BulkTransferDetail) ApplyNo() string {
	if len(d.TransferApplies) == 0 {
		return ""
	}
	return d.TransferApplies[0].ApplyNo
}

// BulkTransferResponse is the content of a bulk transfer request; its items are only present
// when DetailInfoNecessity was asked and the bank had them ready.
type BulkTransferResponse struct {
	AccountID              string             `json:"accountId"`
	RemitterName           string             `json:"remitterName"`
	TransferDesignatedDate Date               `json:"transferDesignatedDate"`
	TransferDataName       string             `json:"transferDataName,omitempty"`
	TotalCount             int                `json:"totalCount,string"`
	TotalAmount            int64              `json:"totalAmount,string"`
	BulkTransferInfos      []BulkTransferInfo `json:"bulkTransferInfos,omitempty"`
}

// BulkTransferInfo is one item of a bulk transfer with its result.
type BulkTransferInfo struct {
	ItemID                  int                      `json:"itemId,string"`
	BeneficiaryBankCode     string                   `json:"beneficiaryBankCode"`
	BeneficiaryBankName     string                   `json:"beneficiaryBankName,omitempty"`
	BeneficiaryBranchCode   string                   `json:"beneficiaryBranchCode"`
	BeneficiaryBranchName   string                   `json:"beneficiaryBranchName,omitempty"`
	ClearingHouseName       string                   `json:"clearingHouseName,omitempty"`
	AccountTypeCode         AccountType              `json:"accountTypeCode"`
	AccountNumber           string                   `json:"accountNumber"`
	BeneficiaryName         string                   `json:"beneficiaryName,omitempty"`
	TransferAmount          int64                    `json:"transferAmount,string"`
	NewCode                 string                   `json:"newCode,omitempty"`
	EDIInfo                 string                   `json:"ediInfo,omitempty"`
	TransferDesignatedType  string                   `json:"transferDesignatedType,omitempty"`
	Identification          string                   `json:"identification,omitempty"`
	TransferDetailResponses []TransferDetailResponse `json:"transferDetailResponses"`
	UnableDetailInfos       []UnableDetailInfo       `json:"unableDetailInfos,omitempty"`
}
