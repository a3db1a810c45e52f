// Package yamatosim plays Yamato's クロネコ代金後払いサービス over real HTTP, so kessai and its
// tests run the deferred-payment workflow without the provider: the API (form POST, `<return>`
// XML answers) with the provider's field rules and error codes, the transaction state machine,
// and the 加盟店管理画面 of the CSV mode.
//
// Mount it with http.StripPrefix(prefix, sim), or list Spec in a room's Simulators (the sandbox home
// mounts it at /sandbox/yamato/). Below the prefix:
//
//	/kuroneko-atobarai-api/{API}APIAction_execute.action   the API; BaseURL gives the client's base
//	/                                   admin screen: buyer CSV upload, credit results, result
//	/admin/...                          file download, shipment CSV upload, order list (Japanese)
//	/_sim/{status,orders,batches,buyer-csv,shipment-csv,settings,faults,reset}   JSON API
//
// Merchant 12345678901, password sandbox1. Field rules run first (yamato.Validate, the client's
// own table, so both sides answer the same code); then the credentials; then the rules that
// need records: a used orderNo (kaara009E), the state machine, the registered totals.
//
// State machine (KAAST0010 result) and the operations each state allows (yamato.Status's Can…):
//
//	1 承認済      → shipment (3), cancel (2), reduction
//	3 送り状番号登録済, 5 配送要調査 → shipment change/cancel (9 → back to 1), cancel, reduction
//	10 売上確定    ← 3 after DeliveryDelay; cancel, reduction, reissue
//	11 請求書発行済 ← 10 after InvoiceDelay; cancel, reduction, reissue
//	12 入金済      ← set from the admin screen or /_sim; nothing
//	2 取消済       ← cancel, or the provider withdrawing the credit; KAARS0010 then answers kaars008E
//
// Test data (also on the admin screen): a name containing 不可 → 1 ご利用不可; 限度 or a total
// above Options.CreditLimit → 2 限度額超過; 審査 → 3 審査中, resolving on the Sim's clock after
// Options.ReviewDelay to 0 (to 1 when the name also has 不可); sendDiv 3/4 → 3 審査中 until
// KAASA0020 with code 1234. Postal code 9999999 does not exist. Tracking numbers: the 12-digit
// ヤマト number with its mod-7 check digit; one starting 9999 ends in 配送要調査, 0000 is refused
// (kaasl015E).
//
// Repeated orders: the RepeatLimit-th credit (3) to one address within RepeatWindow (1 hour) is
// NG, and the earlier approved, unshipped orders there flip OK → NG (取消済 in KAAST0010).
//
// Follow-up window: for FollowUpWindow (5 seconds) after a credit, the other endpoints answer
// their 存在しない受注番号 code for that order (kaars008E, kaast008E, kaasl008E, kaacl008E,
// kaakk008E, kaarr008E), as the provider does before an order is registered everywhere.
//
// Faults (SetFault or POST /_sim/faults {"mode","count"}) hit the money-moving endpoints:
// http_503_before, system_error_after (processed, then err0001), hang_after (processed, then no
// answer until the caller gives up), drop_after (processed, then
// the connection closes).
package yamatosim
