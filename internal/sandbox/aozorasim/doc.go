// Package aozorasim plays GMO あおぞらネット銀行's corporate API over real HTTP, so kessai and its
// tests run every transfer workflow without the bank: the OAuth2 login page and token endpoint,
// the account list, single and bulk transfers with the spec's validation and error bodies, and
// the approval by mail token that real transfers wait for.
//
// Mount it with http.StripPrefix(prefix, sim). Below the prefix:
//
//	/ganb/api/auth/v1/{authorization,token}       the authorization server
//	/ganb/api/corporation/v1/...                  the corporate API (spec v1.1.12)
//	/  /mailbox  /approve                         sandbox pages (Japanese)
//	/_sim/{status,mails,transfers,approve,reject,expire,reset,faults,clients}   sandbox JSON API
//
// The client kessai-sandbox (secret sandbox-secret, login password sandbox, either client
// authentication method, any redirect URI) is registered from the start.
//
// A transfer request answers resultCode 2 with a 16-digit applyNo and mails the approver. Approving
// with the mail token and the transaction password "sandbox" completes the request (resultCode 1)
// and runs the transfer: 手続済 (20) at once, or 予約中 (11) until a future designated date. A
// request not approved within Options.ApprovalWindow (30 minutes on the Sim's clock) is 期限切:
// resultCode 8, transferStatus 5.
//
// Scenarios, chosen by the beneficiary's account number:
//
//	9999999  approved, then 手続不成立 (40); unableDetailInfos carries the reason
//	9999998  refused at request time: HTTP 400, errorCode 220011, transferErrorDetails for the item
//	9999997  approved, then 手続中 (12) for an hour, then 手続済 (20)
//
// A request above the account's transferLimitAmount is refused with 220011 too.
//
// Idempotency-Key (per client and endpoint, kept 24 hours): the same key with the same body
// replays the first answer and creates nothing; the same key with another body is a 400
// (WG_ERR_102).
//
// Fault switches (SetFault, or POST /_sim/faults {"mode": ..., "count": n}; count 0 means until
// cleared) hit the money-moving calls (request and cancel, single and bulk):
//
//	http_500_before       500 before anything is recorded
//	http_500              the request is recorded (transfer created, key stored), then 500
//	timeout_after_accept  recorded, then no answer until the client gives up; the connection drops
//	close_after_accept    recorded, then the connection is closed without an answer
//	maintenance           503 WG_ERR_300 on every API and token call (not only money-moving ones)
package aozorasim
