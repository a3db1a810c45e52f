package yamato

// API names one endpoint: the path is {base}{API}APIAction_execute.action.
type API string

// The endpoints kessai uses.
const (
	APICredit    API = "KAARA0010" // 後払い決済依頼（リアルタイム与信）
	APIResult    API = "KAARS0010" // 与信結果取得
	APIStatus    API = "KAAST0010" // 取引状況取得
	APIShipment  API = "KAASL0010" // 出荷情報登録
	APICancel    API = "KAACL0010" // 与信取消依頼
	APIReduce    API = "KAAKK0010" // 金額変更（減額）
	APIReissue   API = "KAARR0010" // 請求書再発行
	APISMSVerify API = "KAASA0020" // SMS認証番号判定
)

// APIs lists every endpoint, in the order of the workflow.
var APIs = []API{APICredit, APIResult, APIStatus, APIShipment, APICancel, APIReduce, APIReissue, APISMSVerify}

// Label is the endpoint's Japanese name.
func (a API) Label() string {
	switch a {
	case APICredit:
		return "決済依頼（与信）"
	case APIResult:
		return "与信結果取得"
	case APIStatus:
		return "取引状況取得"
	case APIShipment:
		return "出荷情報登録"
	case APICancel:
		return "与信取消"
	case APIReduce:
		return "金額変更（減額）"
	case APIReissue:
		return "請求書再発行"
	case APISMSVerify:
		return "SMS認証番号判定"
	}
	return string(a)
}

// errPrefix is the API's error-code prefix: kaara001E belongs to KAARA0010.
func (a API) errPrefix() string {
	if len(a) < 5 {
		return ""
	}
	return "ka" + lower(string(a[2:5]))
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// ReturnCode is the answer's returnCode: 0 processed, 1 refused with errorCode.
const (
	ReturnOK    = "0"
	ReturnError = "1"
)

// CreditResult is the 審査結果 of KAARA0010 and KAARS0010. Values outside the list are kept
// verbatim.
type CreditResult string

const (
	CreditOK       CreditResult = "0" // ご利用可
	CreditNG       CreditResult = "1" // ご利用不可
	CreditOverMax  CreditResult = "2" // 限度額超過
	CreditReviewed CreditResult = "3" // 審査中 (SMS 認証待ちなど)
)

// Label is the Japanese name of the result.
func (r CreditResult) Label() string {
	switch r {
	case CreditOK:
		return "ご利用可"
	case CreditNG:
		return "ご利用不可"
	case CreditOverMax:
		return "限度額超過"
	case CreditReviewed:
		return "審査中"
	}
	return "不明な審査結果（" + string(r) + "）"
}

// Known reports whether r is one of the documented results.
func (r CreditResult) Known() bool {
	switch r {
	case CreditOK, CreditNG, CreditOverMax, CreditReviewed:
		return true
	}
	return false
}

// Status is the 取引状況 of KAAST0010. Values outside the list are kept verbatim.
type Status string

const (
	StatusApproved      Status = "1"  // 承認済み
	StatusCancelled     Status = "2"  // 取消済み
	StatusShipped       Status = "3"  // 送り状番号登録済み
	StatusInvestigating Status = "5"  // 配送要調査
	StatusSold          Status = "10" // 売上確定
	StatusInvoiced      Status = "11" // 請求書発行済み
	StatusPaid          Status = "12" // 入金済み
)

// Statuses lists the documented statuses in their usual order.
var Statuses = []Status{StatusApproved, StatusShipped, StatusInvestigating, StatusSold, StatusInvoiced, StatusPaid, StatusCancelled}

// Label is the Japanese name of the status.
func (s Status) Label() string {
	switch s {
	case StatusApproved:
		return "承認済み"
	case StatusCancelled:
		return "取消済み"
	case StatusShipped:
		return "送り状番号登録済み"
	case StatusInvestigating:
		return "配送要調査"
	case StatusSold:
		return "売上確定"
	case StatusInvoiced:
		return "請求書発行済み"
	case StatusPaid:
		return "入金済み"
	}
	return "不明な取引状況（" + string(s) + "）"
}

// Known reports whether s is one of the documented statuses.
func (s Status) Known() bool {
	switch s {
	case StatusApproved, StatusCancelled, StatusShipped, StatusInvestigating, StatusSold, StatusInvoiced, StatusPaid:
		return true
	}
	return false
}

// The operations each status allows, from the provider's error table (kaacl009E/015E,
// kaasl020E/022E, kaakk011E). The simulator's state machine reads these; a room can show them.

// CanCancel reports whether KAACL0010 is allowed in s.
func (s Status) CanCancel() bool {
	switch s {
	case StatusApproved, StatusShipped, StatusInvestigating, StatusSold, StatusInvoiced:
		return true
	}
	return false
}

// CanRegisterShipment reports whether KAASL0010 with 処理区分 0 (new or replace) is allowed.
func (s Status) CanRegisterShipment() bool {
	return s == StatusApproved || s == StatusShipped || s == StatusInvestigating
}

// CanChangeShipment reports whether KAASL0010 with 処理区分 1 (change) or 9 (cancel) is allowed.
func (s Status) CanChangeShipment() bool {
	return s == StatusShipped || s == StatusInvestigating
}

// CanReduce reports whether KAAKK0010 is allowed in s.
func (s Status) CanReduce() bool {
	return s.Known() && s != StatusCancelled && s != StatusPaid
}

// CanReissue reports whether KAARR0010 (請求内容変更・再発行) is allowed: only once an invoice
// exists. The provider's exact table is not public; this is the sandbox's reading.
func (s Status) CanReissue() bool {
	return s == StatusSold || s == StatusInvoiced
}

// Warning is the warning of KAAST0010.
type Warning string

const (
	WarningNone          Warning = "0" // 警報なし
	WarningNoTracking    Warning = "1" // 送り状番号未登録
	WarningUndelivered   Warning = "2" // 商品配達未完了
	WarningInvestigate   Warning = "3" // 商品配達状況要調査
	WarningPrintDataNoDL Warning = "4" // 請求書印字データ未DL
)

// Label is the Japanese name of the warning.
func (w Warning) Label() string {
	switch w {
	case WarningNone, "":
		return "警報なし"
	case WarningNoTracking:
		return "送り状番号未登録"
	case WarningUndelivered:
		return "商品配達未完了"
	case WarningInvestigate:
		return "商品配達状況要調査"
	case WarningPrintDataNoDL:
		return "請求書印字データ未DL"
	}
	return "不明な警報（" + string(w) + "）"
}

// SendDiv is 送り先区分: where the invoice goes.
type SendDiv string

const (
	SendSelf        SendDiv = "0" // 別送・本人送り
	SendOther       SendDiv = "1" // 別送・本人以外（ギフト）: 送り先 required
	SendEnclosed    SendDiv = "2" // 同梱 (contract option)
	SendSMS         SendDiv = "3" // SMS認証
	SendSMSValidity SendDiv = "4" // SMS有効性
)

// ProcessDiv is 処理区分 of KAASL0010.
type ProcessDiv string

const (
	ProcessRegister ProcessDiv = "0" // 新規登録または変更登録
	ProcessChange   ProcessDiv = "1" // 変更登録 (needs beforePaymentNo and shipYmd)
	ProcessOther    ProcessDiv = "2" // 他社配送 (unconfirmed reading; the merchant's own number)
	ProcessCancel   ProcessDiv = "9" // 取消
)

// SMSResult is the result of KAASA0020.
type SMSResult string

const (
	SMSOK       SMSResult = "1" // 判定OK
	SMSMismatch SMSResult = "2" // コード不一致
	SMSExpired  SMSResult = "3" // 有効期限切れ
	SMSSendNG   SMSResult = "4" // 認証SMS送信NG
	SMSInvalid  SMSResult = "5" // 認証結果の不正
)

// Label is the Japanese name of the SMS result.
func (r SMSResult) Label() string {
	switch r {
	case SMSOK:
		return "判定OK"
	case SMSMismatch:
		return "コード不一致"
	case SMSExpired:
		return "有効期限切れ"
	case SMSSendNG:
		return "認証SMS送信NG"
	case SMSInvalid:
		return "認証結果の不正"
	}
	return "不明な判定結果（" + string(r) + "）"
}

// ReissueContents is ご依頼内容 of KAARR0010.
type ReissueContents string

const (
	ReissueChange   ReissueContents = "1" // 請求内容変更・請求書再発行
	ReissueWithdraw ReissueContents = "3" // 請求書再発行取下げ
)

// ReissueReason is 不備事由 of KAARR0010.
type ReissueReason string

const (
	ReasonAddress ReissueReason = "1" // 宛先不備
	ReasonLost    ReissueReason = "2" // 紛失
	ReasonDamaged ReissueReason = "3" // 破損・汚損
	ReasonMoved   ReissueReason = "4" // 転居
	ReasonTypo    ReissueReason = "5" // 入力間違い
	ReasonOther   ReissueReason = "6" // その他 (needs reasonReissueEtc)
)
