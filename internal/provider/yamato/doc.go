// Package yamato is a client for Yamato's クロネコ代金後払いサービス API (「API方式」システム接続
// 仕様書 v5.5 as far as public carts show it): credit (KAARA0010), credit result (KAARS0010),
// status (KAAST0010), shipment (KAASL0010), cancel (KAACL0010), amount reduction (KAAKK0010),
// invoice reissue (KAARR0010) and SMS code check (KAASA0020), plus the CSV files of the CSV mode.
//
// Every request is an HTTPS form POST in UTF-8 with ycfStrCode, password and requestDate in the
// body; every answer is a UTF-8 `<return>` XML document. The client converts names and addresses
// to 全角, splits addresses 25/25, normalises telephone and postal codes, then checks every field
// rule of the provider's error table (Validate) and refuses to send a request that breaks one,
// naming the field and the code the provider would answer. Answers keep returnCode, result,
// warning, errorCode and requestDate verbatim (requestDate falls back to returnDate); unknown
// codes are kept as they came.
//
// Yamato has no idempotency key: the merchant's orderNo is the key, and a credit with a used
// orderNo is refused (kaara009E). So money-moving calls are sent at most once (the transport may
// not replay them), and IsOutcomeUnknown says when the caller must settle the outcome by asking
// (CreditResult, Status) instead of sending again.
//
// The package imports nothing of kessai's but platform helpers (clock, jpcsv); the sandbox in
// internal/sandbox/yamatosim plays the provider's side over real HTTP with the same rules.
package yamato
