package aozora

// The bank writes every code as a short numeric string. Each code type below has a Label with the
// bank's Japanese name, so that pages, logs and tests all read one table.

// ResultCode is the resultCode of a request, cancel or request-result answer.
type ResultCode string

const (
	ResultCompleted  ResultCode = "1" // 完了: the request was approved (or needed no approval)
	ResultIncomplete ResultCode = "2" // 未完了: waiting, typically for the approver's mail token
	ResultExpired    ResultCode = "8" // 期限切: not approved in time; nothing will be sent
)

// Label returns the bank's Japanese name of the code, or "" for an unknown code.
func (c ResultCode) Label() string {
	switch c {
	case ResultCompleted:
		return "完了"
	case ResultIncomplete:
		return "未完了"
	case ResultExpired:
		return "期限切"
	}
	return ""
}

// TransferStatus is the transferStatus of a transfer (振込ステータス).
type TransferStatus string

const (
	StatusApplying      TransferStatus = "2"  // 申請中
	StatusSentBack      TransferStatus = "3"  // 差戻
	StatusWithdrawn     TransferStatus = "4"  // 取下げ
	StatusExpired       TransferStatus = "5"  // 期限切れ
	StatusCancelled     TransferStatus = "8"  // 承認取消/予約取消
	StatusReserved      TransferStatus = "11" // 予約中
	StatusProcessing    TransferStatus = "12" // 手続中
	StatusRetrying      TransferStatus = "13" // リトライ中
	StatusCompleted     TransferStatus = "20" // 手続済
	StatusFundsReturned TransferStatus = "22" // 資金返却
	StatusRecallRunning TransferStatus = "24" // 組戻手続中
	StatusRecalled      TransferStatus = "25" // 組戻済
	StatusRecallFailed  TransferStatus = "26" // 組戻不成立
	StatusPartlyUnable  TransferStatus = "30" // 不能・組戻あり (bulk transfers only)
	StatusUnable        TransferStatus = "40" // 手続不成立
)

// TransferStatuses lists every status in the bank's order.
var TransferStatuses = []TransferStatus{
	StatusApplying, StatusSentBack, StatusWithdrawn, StatusExpired, StatusCancelled,
	StatusReserved, StatusProcessing, StatusRetrying, StatusCompleted, StatusFundsReturned,
	StatusRecallRunning, StatusRecalled, StatusRecallFailed, StatusPartlyUnable, StatusUnable,
}

// Label returns the bank's Japanese name of the status, or "" for an unknown status.
func (s TransferStatus) Label() string {
	switch s {
	case StatusApplying:
		return "申請中"
	case StatusSentBack:
		return "差戻"
	case StatusWithdrawn:
		return "取下げ"
	case StatusExpired:
		return "期限切れ"
	case StatusCancelled:
		return "承認取消/予約取消"
	case StatusReserved:
		return "予約中"
	case StatusProcessing:
		return "手続中"
	case StatusRetrying:
		return "リトライ中"
	case StatusCompleted:
		return "手続済"
	case StatusFundsReturned:
		return "資金返却"
	case StatusRecallRunning:
		return "組戻手続中"
	case StatusRecalled:
		return "組戻済"
	case StatusRecallFailed:
		return "組戻不成立"
	case StatusPartlyUnable:
		return "不能・組戻あり"
	case StatusUnable:
		return "手続不成立"
	}
	return ""
}

// Outcome is what a transfer status means for the money: the classification a payout record
// needs, independent of the bank's finer steps.
type Outcome int

const (
	OutcomeUnknown   Outcome = iota // a status this package does not know
	OutcomePending                  // the money may still move: ask again later
	OutcomeCompleted                // the money reached the beneficiary's bank
	OutcomeFailed                   // the money did not arrive or came back
	OutcomePartial                  // a bulk transfer where some items failed
	OutcomeCancelled                // the request ended before any money moved
)

// Outcome classifies the status. 組戻不成立 (a recall that failed) counts as completed: the money
// stayed with the beneficiary.
func (s TransferStatus) Outcome() Outcome {
	switch s {
	case StatusApplying, StatusReserved, StatusProcessing, StatusRetrying, StatusRecallRunning:
		return OutcomePending
	case StatusCompleted, StatusRecallFailed:
		return OutcomeCompleted
	case StatusFundsReturned, StatusRecalled, StatusUnable:
		return OutcomeFailed
	case StatusPartlyUnable:
		return OutcomePartial
	case StatusSentBack, StatusWithdrawn, StatusExpired, StatusCancelled:
		return OutcomeCancelled
	}
	return OutcomeUnknown
}

// AccountType is a beneficiary's deposit type (科目コード・預金種別コード).
type AccountType string

const (
	AccountOrdinary AccountType = "1" // 普通
	AccountChecking AccountType = "2" // 当座
	AccountSavings  AccountType = "4" // 貯蓄
	AccountOther    AccountType = "9" // その他
)

// Label returns the Japanese name of the deposit type, or "" for an unknown code.
func (t AccountType) Label() string {
	switch t {
	case AccountOrdinary:
		return "普通"
	case AccountChecking:
		return "当座"
	case AccountSavings:
		return "貯蓄"
	case AccountOther:
		return "その他"
	}
	return ""
}

// HolidayCode says what the bank does when the designated date is not a business day
// (振込指定日休日コード). Empty means HolidayNextBusinessDay.
type HolidayCode string

const (
	HolidayNextBusinessDay HolidayCode = "1" // 翌営業日
	HolidayPrevBusinessDay HolidayCode = "2" // 前営業日
	HolidayReject          HolidayCode = "3" // エラー返却 (400)
)

// CancelTarget is the cancelTargetKeyClass of a cancel request (取消対象キー区分). Without
// ビジネスID管理, single transfers are cancelled with CancelAccepted and bulk transfers with
// CancelBulkAccepted.
type CancelTarget string

const (
	CancelApplication     CancelTarget = "1" // 振込申請取消
	CancelAccepted        CancelTarget = "2" // 振込受付取消
	CancelBulkApplication CancelTarget = "3" // 総合振込申請取消
	CancelBulkAccepted    CancelTarget = "4" // 総合振込受付取消
)

// QueryKeyClass selects how a status query finds transfers (照会対象キー区分).
type QueryKeyClass string

const (
	QueryByApplyNo QueryKeyClass = "1" // one request by applyNo
	QueryByPeriod  QueryKeyClass = "2" // every request in a period, paged
)

// DetailStatus is an unableDetailInfos item's transferDetailStatus (振込詳細ステータス).
type DetailStatus string

const (
	DetailCompleted DetailStatus = "1" // 手続済
	DetailUnable    DetailStatus = "2" // 手続不成立
)

// Label returns the Japanese name of the detail status.
func (s DetailStatus) Label() string {
	switch s {
	case DetailCompleted:
		return "手続済"
	case DetailUnable:
		return "手続不成立"
	}
	return ""
}

// Account subject codes (科目コード) of the merchant's own accounts in the account list.
const (
	SubjectOrdinaryInterest = "01" // 普通預金（有利息）
	SubjectOrdinarySettle   = "02" // 普通預金（決済用）
	SubjectTimeDeposit      = "11" // 円定期預金
	SubjectForeignOrdinary  = "51" // 外貨普通預金
	SubjectSecuritiesLink   = "81" // 証券コネクト口座
)

// Error codes the client recognises. The bank publishes no complete list; these are the codes
// seen in its documents and in the field.
const (
	CodeMaintenance       = "WG_ERR_300" // サービス時間外・メンテナンス中
	CodeOperationNotFound = "WG_ERR_019" // the API is not enabled for this contract (HTTP 405)
	CodeTransferRejected  = "220011"     // generic business error on a transfer request (HTTP 400)
)
