// Package gmopgsim plays GMO Payment Gateway over real HTTP and SFTP, so kessai's card update
// (cardupdate) and Recruit かんたん支払い (kantan) rooms and their tests run without GMO-PG:
//
//	/payment/<API>.idPass   the multi-payment API: members and cards, card transactions,
//	                        Recruit, SearchTrade(Multi). Answers are HTTP 200 with raw CP932
//	                        bodies, every error pair at once, empty keys present.
//	/recruit/start          the StartURL: the buyer's payment page (pay, points only, abandon,
//	                        fail), which posts the result back to the RetURL in Shift_JIS
//	/token                  the card form's tokenizer (POST cardNo, expire → {"token"})
//	/_sim/...               the sandbox control API (status, reset, faults, token, buyer,
//	                        trades, notifications, config, cardupdate)
//
// Mount it with http.StripPrefix(prefix, sim) (Handler). Start runs the SFTP server on
// 127.0.0.1 (Addr), with a host key kept in the state dir so a recorded key stays valid, password
// login (DefaultSFTPUser / DefaultSFTPPassword, optionally one public key), a write-once /upload
// and a read-only /download; Stop ends it.
//
// State machine: EntryTran* → UNPROCESSED; ExecTranRecruit → REQSUCCESS until the buyer pays
// (AUTH, or CAPTURE for JobCd CAPTURE) or fails (PAYFAIL); RecruitSales AUTH → SALES;
// RecruitCancel AUTH → VOID, SALES/CAPTURE → CANCEL (until the end of the following month); an
// authorization not captured within Options.RecruitAuthDays (60, on the Sim's clock) is EXPIRED.
// RecruitChange follows かんたん支払い's rules: while AUTH any amount but no increase when paid only
// with points (M01234010); after capture not on the capture day nor 0:00–1:00 JST the next day
// (M01235010), only until the end of the following month (M01233011), never an increase
// (M01234010). RecruitUpdateAuth extends an AUTH (M01236002 otherwise, M01237011 once expired).
// Card transactions: ExecTran → AUTH/CAPTURE/CHECK; AlterTran SALES (the authorized amount,
// E01060010 otherwise; E01420010 after the period), VOID, RETURN(X); ChangeTran.
//
// Result notifications (結果通知) of every state change are queued for the configured URL and
// posted by the background deliverer (Start) or DeliverNotifications; an answer other than "0"
// leaves them queued (up to five attempts). QueuePing sends the connectivity check E00000000.
//
// Card update: a request file uploaded to /upload for month YYYYMM (one per month; a second one
// is refused, an assumption) is processed at 0:00 JST on Options.ResultDay (27) of that month on
// the Sim's clock (an upload cut off before its trailer is discarded and leaves the month open;
// an accepted one stays visible in /upload): the result file appears in /download, outcomes chosen by the stored card's
// number (CardUpdate* constants), and the stored cards are updated. An unreadable request gets
// an error file instead. The layouts are gmopg's (cardupdatefile.go).
//
// Fault switches (SetFault or POST _sim/faults {"mode","count","api"}): timeout_after_accept,
// close_after_accept, e90010001 (processed, answered as a double submission), e92 and 42c
// (refused unprocessed). An SFTP upload is a call too: e92/42c refuse the file unaccepted,
// e90010001 accepts it and answers an error, close_after_accept accepts it and drops the
// connection, timeout_after_accept accepts it and answers nothing.
//
// State (members, cards, transactions, tokens, uploads, notifications) is saved to
// gmopgsim.json in Options.StateDir after every change and read at New.
package gmopgsim
