// Package gmopg is a client for GMO Payment Gateway (GMO-PG): the multi-payment protocol for
// members and stored cards (SaveMember, SearchMember, SaveCard, SearchCard, DeleteCard), card
// transactions (EntryTran, ExecTran, AlterTran, ChangeTran, SearchTrade) and Recruit かんたん支払い
// (EntryTranRecruit, ExecTranRecruit, RecruitSales, RecruitCancel, RecruitChange,
// RecruitUpdateAuth, SearchTradeMulti); the result notification (結果通知) GMO-PG posts to the
// merchant; and the SFTP file exchange of monthly card update (自動洗替) with its file layouts
// (cardupdatefile.go, the one place they are defined).
//
// The wire: requests are POSTed to /payment/<API>.idPass as a form whose values are encoded in
// Shift_JIS (CP932) and then percent-encoded. Answers are raw Windows-31J bytes, not
// percent-encoded: ParseAnswer splits on "&", then on the first "=", decodes CP932 and never
// URL-decodes (a Token holds raw "+", a StartURL raw "/" and ":"). Errors come with HTTP 200 as
// ErrCode=E01|E01&ErrInfo=E01050002|E01060006; every pair is kept in an *APIError, unknown codes
// verbatim.
//
// Retries: a call GMO-PG refused unprocessed (E92 rate limit, 42C card-company trouble) is tried
// again with backoff (RetryPolicy). Nothing else is: E90010001 (double submission) means the
// first request is still running, so the caller reads the state back with SearchTrade or
// SearchTradeMulti. Writes are sent with req.GetBody = nil so net/http never replays them, and
// every attempt is bounded by Config.Timeout. IsOutcomeUnknown tells a caller when a money call
// may have happened and must be settled by asking GMO-PG.
//
// The 接続テスト is CheckShop, CheckSite and CheckSFTP: calls that create nothing and whose "not
// found" answer proves the credentials. CheckResultFile reads a card update result whole and
// reports every bad row before anything is applied.
//
// The package keeps no state, never logs, and imports nothing of kessai's but platform/clock, so
// it works the same against GMO-PG and against the simulator in internal/sandbox/gmopgsim.
package gmopg
