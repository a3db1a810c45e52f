// Package rakuten is a client for Rakuten RMS WEB SERVICE's RakutenPayOrderAPI (楽天ペイ受注API):
// searchOrder, getOrder (version 10), getPayment, confirmOrder, updateOrderShipping, cancelOrder and
// cancelOrderAfterShipping, JSON over HTTPS with ESA authentication.
//
// Rakuten's states are mapped to the order slip's fields in one table, status.go: orderProgress
// and paymentStatus codes with their Japanese labels, settlement method codes (matched on
// settlementMethodCode, never on the name, which Rakuten renames), and SlipInputs, which says what
// a slip's 入金状況, 承認状況 and 承認日 should be for a Rakuten order.
//
// Answers keep every MessageModelList item as a typed Message (INFO, WARNING, ERROR with its
// messageCode); an order Rakuten does not know is an INFO, not an error. Validation failures are
// *APIError, refusals by Rakuten's gateway before the API (ES01-01 …) are *GatewayError.
//
// The package keeps no state apart from a Throttle (one per shop, shared by the clients of that
// shop), never logs, and imports nothing of kessai's but platform helpers, so it works the same
// against Rakuten and against the sandbox in internal/sandbox/rakutensim. Rakuten has no sandbox
// of its own; what the simulator assumes where the documentation is silent is listed there.
//
// cancelOrder is a money-moving request: it is sent at most once (net/http may not replay it) and
// an IsOutcomeUnknown error is settled by reading the order (getOrder: 800/900), never by sending
// it again blindly.
package rakuten
