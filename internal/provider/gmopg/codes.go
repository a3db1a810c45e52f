package gmopg

// Error codes (ErrInfo) that kessai and the simulator act on. GMO-PG's table has well over a
// thousand rows and keeps growing; codes not listed here are kept verbatim and shown as they
// are. Messages are short Japanese summaries for people, not GMO-PG's own wording.
const (
	InfoPing = "E00000000" // 結果通知プログラムの疎通確認（処理不要）

	InfoShopIDMissing    = "E01010001"
	InfoShopPassMissing  = "E01020001"
	InfoShopNotFound     = "E01030002"
	InfoOrderIDMissing   = "E01040001"
	InfoOrderIDTooLong   = "E01040003"
	InfoOrderIDExists    = "E01040010"
	InfoOrderIDChars     = "E01040013"
	InfoJobCdMissing     = "E01050001"
	InfoJobCdUndefined   = "E01050002"
	InfoJobCdNotAllowed  = "E01050004"
	InfoAmountMissing    = "E01060001"
	InfoAmountNotNumeric = "E01060006"
	InfoAmountMismatch   = "E01060010"
	InfoAccessIDFormat   = "E01090008"
	InfoAccessPassFormat = "E01100008"
	InfoTranNotFound     = "E01110002"
	InfoCardNoMissing    = "E01170001"
	InfoCardNoNotDigits  = "E01170006"
	InfoCardNoLength     = "E01170011"
	InfoExpireMissing    = "E01180001"
	InfoExpireFormat     = "E01180003"
	InfoExpireNotDigits  = "E01180006"
	InfoSiteIDFormat     = "E01190008"
	InfoSiteNotFound     = "E01210002"
	InfoTooManyCards     = "E01230009"
	InfoCardNotFound     = "E01240002"
	InfoDuplicateInFile  = "E01240012" // 会員IDがファイル内で重複（洗替）
	InfoMemberNotFound   = "E01390002"
	InfoMemberExists     = "E01390010"
	InfoAuthPeriodOver   = "E01420010" // 仮売上の有効期間を過ぎている
	InfoTranLocked       = "E01410010"
	InfoDefaultFlag      = "E01440008"
	InfoAlreadySettled   = "E11010001"
	InfoNotSettled       = "E11010002"
	InfoJobCdForbidden   = "E11010003"
	InfoTooOld           = "E11010017" // 180日を超えた取引
	InfoDoubleSubmission = "E90010001"
	InfoSystemError      = "E91099996"
	InfoRateLimited      = "E92000001"
	InfoRateLimited2     = "E92000002"

	// Multi-payment (M01) checks, among them Recruit かんたん支払い's amount and period rules.
	InfoMultiOrderIDFormat   = "M01051005"
	InfoMultiPayTypeInvalid  = "M01051011"
	InfoMultiOrderNotFound   = "M01004002"
	InfoItemNameMissing      = "M01232001"
	InfoItemNameTooLong      = "M01232005"
	InfoAfterCaptureDeadline = "M01233011" // 実売上後の操作期限を過ぎている
	InfoChangeAmountInvalid  = "M01234010" // 変更後の金額が不正（増額など）
	InfoChangePeriod         = "M01235010" // この期間は金額変更できない
	InfoExtendNoTarget       = "M01236002" // 延長対象の決済がない
	InfoExtendDeadline       = "M01237011" // 延長の期限を過ぎている

	InfoPointsOnly = "RC1000111" // 全額ポイント払い
)

// messages holds the Japanese text for the codes above.
var messages = map[string]string{
	InfoPing:                 "結果通知の疎通確認です（処理は不要です）",
	InfoShopIDMissing:        "ショップIDが指定されていません",
	InfoShopPassMissing:      "ショップパスワードが指定されていません",
	InfoShopNotFound:         "ショップIDとパスワードに合うショップがありません",
	InfoOrderIDMissing:       "オーダーIDが指定されていません",
	InfoOrderIDTooLong:       "オーダーIDが27文字を超えています",
	InfoOrderIDExists:        "このオーダーIDは既に使われています",
	InfoOrderIDChars:         "オーダーIDに使えるのは半角英数字と「-」だけです",
	InfoJobCdMissing:         "処理区分が指定されていません",
	InfoJobCdUndefined:       "処理区分が定義されていない値です",
	InfoJobCdNotAllowed:      "この処理区分の処理は実行できません",
	InfoAmountMissing:        "利用金額が指定されていません",
	InfoAmountNotNumeric:     "利用金額に数字以外の文字があります",
	InfoAmountMismatch:       "取引の利用金額と指定した金額が一致しません",
	InfoAccessIDFormat:       "取引IDの書式が正しくありません",
	InfoAccessPassFormat:     "取引パスワードの書式が正しくありません",
	InfoTranNotFound:         "指定された取引がありません",
	InfoCardNoMissing:        "カード番号が指定されていません",
	InfoCardNoNotDigits:      "カード番号に数字以外の文字があります",
	InfoCardNoLength:         "カード番号の桁数が正しくありません",
	InfoExpireMissing:        "有効期限が指定されていません",
	InfoExpireFormat:         "有効期限は4桁（YYMM）で指定してください",
	InfoExpireNotDigits:      "有効期限に数字以外の文字があります",
	InfoSiteIDFormat:         "サイトIDの書式が正しくありません",
	InfoSiteNotFound:         "サイトIDとパスワードに合うサイトがありません",
	InfoTooManyCards:         "登録できるカードの枚数を超えています",
	InfoCardNotFound:         "指定されたカードがありません",
	InfoDuplicateInFile:      "会員IDがファイル内で重複しています（洗替）",
	InfoMemberNotFound:       "指定された会員がありません",
	InfoMemberExists:         "この会員IDは既に登録されています",
	InfoAuthPeriodOver:       "仮売上の有効期間を過ぎています",
	InfoTranLocked:           "取引が処理中のため操作できません",
	InfoDefaultFlag:          "洗替・継続課金フラグの値が正しくありません",
	InfoAlreadySettled:       "この取引は既に決済済みです",
	InfoNotSettled:           "この取引はまだ決済されていません",
	InfoJobCdForbidden:       "この取引にはこの処理区分を指定できません",
	InfoTooOld:               "取引から180日を過ぎているため操作できません",
	InfoDoubleSubmission:     "同じ要求が処理中です（二重送信）。状態を照会してください",
	InfoSystemError:          "GMO-PG のシステムエラーです",
	InfoRateLimited:          "GMO-PG が混み合っています。時間をおいて再度お試しください",
	InfoRateLimited2:         "GMO-PG が混み合っています。時間をおいて再度お試しください",
	InfoMultiOrderIDFormat:   "オーダーIDの書式が正しくありません",
	InfoMultiPayTypeInvalid:  "決済方法（PayType）が正しくありません",
	InfoMultiOrderNotFound:   "指定されたオーダーIDの取引がありません",
	InfoItemNameMissing:      "商品名が指定されていません",
	InfoItemNameTooLong:      "商品名が長すぎます",
	InfoAfterCaptureDeadline: "実売上後の操作期限（翌月末）を過ぎています",
	InfoChangeAmountInvalid:  "変更後の金額が正しくありません（実売上後・ポイントのみの支払いは増額できません）",
	InfoChangePeriod:         "この期間は金額を変更できません（実売上当日と翌日0時〜1時）",
	InfoExtendNoTarget:       "オーソリ延長の対象となる決済がありません",
	InfoExtendDeadline:       "オーソリ延長の期限を過ぎています",
	InfoPointsOnly:           "全額ポイントで支払われた取引です",
}

// Message returns the Japanese text for an ErrInfo code, or "" for a code this package does not
// know (show the code itself then).
func Message(info string) string { return messages[info] }
