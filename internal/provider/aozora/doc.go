// Package aozora is a client for the GMO あおぞらネット銀行 corporate API (法人 API, spec v1.1.12):
// the OAuth2 authorization-code flow, the account list, and single (振込) and bulk (総合振込)
// transfers with their result, status, fee and cancel calls.
//
// The wire format writes every number as a JSON string; the Go types here are typed (int64 yen,
// Date, DateTime, code enums) and convert at the wire. The package keeps no state apart from an
// optional TokenHolder, never logs, and imports nothing of kessai's but platform helpers, so it
// works the same against the real bank and against the sandbox in internal/sandbox/aozorasim.
//
// Money-moving calls (TransferRequest, BulkTransferRequest and the cancels) send an
// Idempotency-Key. When one of them fails with IsOutcomeUnknown(err) the bank may have executed
// it: ask the bank (request-result or status, or re-send with the same key) and never send it
// again with a new key.
package aozora
