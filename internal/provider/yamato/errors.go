package yamato

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// APIError is an answer with returnCode 1 (or any returnCode other than 0): the provider refused
// the request. Code is the provider's errorCode, kept verbatim.
type APIError struct {
	API        API
	OrderNo    string
	ReturnCode string
	Code       string
	Answer     Answer
}

func (e *APIError) Error() string {
	msg := Describe(e.Code)
	if msg == "" {
		msg = "（コードの説明なし）"
	}
	return fmt.Sprintf("yamato: %s %s: returnCode %s errorCode %s: %s", e.API, e.OrderNo, e.ReturnCode, e.Code, msg)
}

// IsNotFound reports whether the provider answered that it has no such order (受注番号が存在
// しない). Right after a credit call this is the provider's registration delay: retry later.
func IsNotFound(err error) bool {
	ae, ok := errors.AsType[*APIError](err)
	if !ok {
		return false
	}
	return notFoundCodes[ae.Code]
}

var notFoundCodes = map[string]bool{
	"kaars008E": true, "kaast008E": true, "kaasl008E": true, "kaacl008E": true,
	"kaakk008E": true, "kaarr008E": true,
}

// IsSystemError reports whether the provider answered one of its exception codes (err0001–
// err0003): whether it processed the request is unknown.
func IsSystemError(err error) bool {
	ae, ok := errors.AsType[*APIError](err)
	return ok && (ae.Code == "err0001" || ae.Code == "err0002" || ae.Code == "err0003")
}

// TransportError is a call that got no usable answer: a connection error, a timeout, an HTTP
// status other than 200, an empty or unreadable body. Sent says whether the request may have
// reached the provider.
type TransportError struct {
	API         API
	Sent        bool
	MoneyMoving bool
	HTTPStatus  int // 0 when there was no answer
	Err         error
}

func (e *TransportError) Error() string {
	sent := "not sent"
	if e.Sent {
		sent = "may have been sent"
	}
	return fmt.Sprintf("yamato: %s (%s): %v", e.API, sent, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// Timeout reports whether the call timed out.
func (e *TransportError) Timeout() bool {
	if errors.Is(e.Err, context.DeadlineExceeded) {
		return true
	}
	ne, ok := errors.AsType[net.Error](e.Err)
	return ok && ne.Timeout()
}

// IsOutcomeUnknown reports whether err leaves it open whether the provider acted on a
// money-moving call (credit, shipment, cancel, reduction, reissue, SMS check): the request may
// have been sent and no readable answer came back, or the provider answered a system exception.
// Settle it by asking (KAARS0010 / KAAST0010 with the same orderNo); never send it again on a
// guess. Errors of the read-only calls are never unknown.
func IsOutcomeUnknown(err error) bool {
	if te, ok := errors.AsType[*TransportError](err); ok {
		return te.MoneyMoving && te.Sent
	}
	if ae, ok := errors.AsType[*APIError](err); ok {
		return moneyMoving[ae.API] && IsSystemError(err)
	}
	return false
}

// Describe returns a short Japanese explanation of a provider error code, or "" for a code this
// package does not know (it is still shown verbatim).
func Describe(code string) string {
	if s, ok := codeText[code]; ok {
		return s
	}
	if len(code) == 9 && code[8] == 'E' {
		switch code[2:5] {
		case "ara", "ars", "ast", "asl", "acl", "akk", "arr", "asa", "asd":
			return "入力項目の誤りです（項目と規則はヤマトのエラーコード表のとおり）"
		}
	}
	return ""
}

// codeText explains the codes that are not about one field's format: the ones a person has to
// act on. Written for kessai; the provider's own texts are in its specification.
var codeText = map[string]string{
	"err0001":   "ヤマト側のシステムで例外エラーが発生しました（処理されたかは不明）",
	"err0002":   "ヤマト側のシステムで例外エラーが発生しました（処理されたかは不明）",
	"err0003":   "ヤマト側のシステムで例外エラーが発生しました（処理されたかは不明）",
	"kaara009E": "この受注番号はすでに使われています（受注番号は加盟店で一意）",
	"kaara029E": "郵便番号が実在しません",
	"kaara092E": "加盟店コードまたはパスワードが一致しません",
	"kaara101E": "決済金額総計と購入商品小計の合計が一致しません",
	"kaara102E": "本人以外への送付には送り先名称・郵便番号・住所１が必要です",
	"kaara103E": "住所に番地がありません",
	"kaara053E": "同梱は契約されていません",
	"kaars008E": "受注番号が存在しないか、取り消されています",
	"kaars012E": "パスワードが一致しません",
	"kaast008E": "受注番号が存在しません",
	"kaast012E": "パスワードが一致しません",
	"kaast015E": "利用できない加盟店コードです",
	"kaasl008E": "受注番号が存在しません",
	"kaasl014E": "送り状番号のチェックデジットが合いません",
	"kaasl015E": "後払いに使えない送り状番号です",
	"kaasl020E": "いまの取引状況では出荷情報を登録できません",
	"kaasl022E": "いまの取引状況では出荷情報の変更・取消はできません",
	"kaasl027E": "出荷日は受注日以降にしてください",
	"kaasl036E": "パスワードが一致しません",
	"kaasl041E": "加盟店コードが存在しません",
	"kaasl045E": "同じ送り状番号に登録できる受注は3件までです",
	"kaacl008E": "受注番号が存在しません",
	"kaacl009E": "いまの取引状況では取り消せません",
	"kaacl013E": "パスワードが一致しません",
	"kaacl015E": "入金済みの取引は取り消せません",
	"kaacl017E": "利用できない加盟店コードです",
	"kaakk004E": "加盟店コードが登録されていません",
	"kaakk008E": "受注番号が存在しません",
	"kaakk009E": "減額できる審査結果ではないか、明細の合計が金額と一致しません",
	"kaakk011E": "いまの取引状況では金額を変更できません",
	"kaakk016E": "出荷予定日は受注日以降にしてください",
	"kaakk022E": "郵便番号が実在しません",
	"kaakk049E": "金額が変更前と同じです。金額を変えずに内容だけを変えることはできません",
	"kaakk050E": "最初の金額より少ない金額にしてください（増額はできません）",
	"kaakk051E": "決済金額総計と購入商品小計の合計が一致しません",
	"kaakk055E": "同梱は契約されていません",
	"kaakk061E": "パスワードが一致しません",
	"kaarr004E": "加盟店コードが登録されていません",
	"kaarr008E": "受注番号が存在しません",
	"kaarr009E": "請求書の再発行は7回までです",
	"kaarr012E": "パスワードが一致しません",
	"kaarr016E": "いまの取引状況では請求書を再発行できません",
	"kaarr017E": "取り下げる再発行依頼がありません",
	"kaarr029E": "出荷予定日は受注日以降にしてください",
	"kaarr033E": "同梱は契約されていません",
	"kaarr038E": "郵便番号が実在しません",
	"kaarr067E": "登録済みの請求金額合計と購入商品小計の合計が一致しません",
	"kaasa004E": "加盟店コードが登録されていません",
	"kaasa020E": "SMS認証を待っている与信がありません",
	"kaasa021E": "認証コードの入力回数が上限を超えました",
	"kaasa022E": "有効期限切れの処理中です",
	"kaasa024E": "パスワードが一致しません",
}
