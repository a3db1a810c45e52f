// Package rakutensim plays Rakuten RMS's RakutenPayOrderAPI over real HTTP, so kessai and its
// tests can import Rakuten orders, their authorization (与信) and payment (入金) state and their
// cancellations without Rakuten. Rakuten offers no sandbox (its response samples were withdrawn
// in December 2025): this simulator is the only peer anyone can test against. It follows the
// published models; what it assumes where the documents are silent is listed below.
//
// Mount it with http.StripPrefix(prefix, sim) (or sim.Handler()). Below the prefix:
//
//	POST /es/2.0/order/{searchOrder,getOrder,getPayment,confirmOrder,updateOrderShipping,
//	                    cancelOrder,cancelOrderAfterShipping}/    Rakuten's API (slash optional)
//	/_sim/...                                                     the control API (JSON, below)
//	GET /controls, POST /controls/...                             the same controls as HTML forms
//	                                                              (a private page: kessai login)
//
// # Authentication
//
// Authorization: ESA base64(serviceSecret:licenseKey). The shop 100000 (serviceSecret
// SP100000_sandbox, licenseKey SL100000_sandbox, expiring 90 days after the Sim first started)
// exists from the start. A missing, wrong or expired key is refused by the "gateway" with HTTP
// 401 {"Results":{"errorCode":"ES01-01","message":"Un-Authorised"}}.
//
// # Requests and message codes
//
// Each method checks its request against one field → rule table (validate.go) and answers HTTP
// 400 with one ERROR per offending field: <PREFIX>_ERROR_009 "Xの項目を指定して下さい。" (missing),
// _010 "Xの値を指定して下さい。" (empty), _011 "Xの書式が不正です。" (wrong type or format, or not an
// allowed value). Datetimes must be YYYY-MM-DDThh:mm:ss+0900; numbers must be JSON numbers.
// Unknown keys are ignored. Limits: searchOrder 63 days per window, start ≤ 730 days ago,
// ≤ 1000 per page, only the first 15,000 hits; getOrder and confirmOrder ≤ 100 numbers;
// updateOrderShipping ≤ 20 rows per basket.
//
// An order the shop does not have is an INFO in getOrder (_INFO_102 per number, the others
// returned) and getPayment (_INFO_102, OrderModel null).
//
// # Order states
//
//	100 注文確認待ち  --confirmOrder-->  200 楽天処理中  --authorize ok-->  300 発送待ち (発送指示日時 = now)
//	200 --authorize ng--> 200 with paymentStatus 30400; after 7 days without a payment-method change → 900
//	300 --updateOrderShipping with a shippingDate--> 500 発送済
//	100/200/300 --cancelOrder--> 800 キャンセル確定待ち --10 minutes (or confirm-cancel)--> 900 キャンセル確定
//	500/600/700 --cancelOrderAfterShipping--> 800 --> 900
//	100 not confirmed within 14 days → 900
//
// getPayment's PaymentModelList[0].paymentStatus follows: 30100 決済手続き待ち at creation, 30200
// 決済手続き依頼 at confirmation, 30300 決済手続き完了 (paymentProcCmplDatetime) on authorize ok,
// 30400 決済手続きNG (paymentProcNgDatetime) on ng, 30500 決済依頼 when shipped, 30600 決済確定
// (paymentFixDatetime; settle control), 31100/31400 while a cancel is pending, 31200/31500 once
// cancelled. Orders without 楽天市場の共通決済 (rpaySettlementFlag 0: 代金引換, 後払い（選択制）,
// loans, lease, invoice) have 30000 決済なし and cannot be authorized NG.
//
// Card-like orders (1 クレジットカード, 12 Apple Pay) shipped more than 30 days after their
// authorization (a long-lead order, NewOrder.ShipBy) are re-authorized 7 days before ShipBy: ok
// → 発送指示日時 becomes the re-authorization time; ng → back to 200 with 30400 (and then the
// 7-day cancel). Every rule runs at its own due time on the Sim's clock, whenever the Sim is
// next called, so moving the sandbox clock 10 days runs a day-7 cancel at day 7.
//
// # Control API (/_sim/, JSON)
//
//	GET  /_sim/status                                 orders by state, shops (with credentials), settings
//	POST /_sim/reset                                  forget every order
//	POST /_sim/orders                                 create: {"method":1,"count":1,"all_methods":false,
//	                                                  "goods_price":3000,"postage":0,"ordered_at":RFC3339,
//	                                                  "confirmed":false,"authorize":""|"ok"|"ng",
//	                                                  "ship_by":RFC3339,"reauth_result":"ok"|"ng",
//	                                                  "rakuten_pay":bool,"shop":"100000"} → {"order_numbers":[…]}
//	GET  /_sim/orders/{number}                        the order's state
//	POST /_sim/orders/{number}/authorize              {"result":"ok"|"ng"}
//	POST /_sim/orders/{number}/payment-method         {"method":9}   the buyer changes it (order in 200)
//	POST /_sim/orders/{number}/amount                 {"goods_price":5000}   the shop changes it (re-authorization)
//	POST /_sim/orders/{number}/reauth-result          {"result":"ng"}   a long-lead order's coming re-authorization
//	POST /_sim/orders/{number}/settle                 決済確定 now
//	POST /_sim/orders/{number}/confirm-cancel         800 → 900 now
//	POST /_sim/shops                                  {"number","service_secret","license_key","expires_at"}
//	POST /_sim/shops/{shop}/expire-license-key        the key expires now
//	POST /_sim/settings                               {"null_shipping_detail_id":true}
//
// # State
//
// With Options.StatePath every order, shop and setting is kept in one JSON file (written
// atomically), so a restart of kessai keeps the sandbox. Spec (what kessai mounts) gathers
// changes for a second (SaveDelay) and backs off when writes get slow, so 100,000 orders
// do not mean a rewrite per call; a crash can lose that last second. An unreadable file is
// moved aside and reported in Status. POST /_sim/orders creates at most 100,000 orders a call.
//
// # Assumptions (Rakuten's documents are silent or unconfirmed)
//
//   - The gateway answers ES01-01 for an expired licenseKey just as for a wrong one; kessai
//     knows the expiry date from its settings. Rakuten publishes no rate limit: none is enforced.
//   - Message codes other than _009/_010/_011, INFO_101/102 and the confirm/cancel/shipping codes
//     seen in public answers are the Sim's: SEARCH_ORDER_ERROR_012 (end before start), _013
//     (window over 63 days), _014 (start over 730 days ago), _015 (subStatusIdList [-1] without
//     orderProgressList), _023 (a page beyond the first
//     15,000 hits; Rakuten's _023 exists but its meaning was not read); GET_ORDER/CONFIRM_ORDER
//     _ERROR_012 (over 100 numbers); CONFIRM_ORDER_ERROR_101, CANCEL_ORDER_ERROR_101 and
//     UPDATE_ORDERSHIPPING_ERROR_101 (unknown order); CANCEL_ORDER_ERROR_102 and
//     UPDATE_ORDERSHIPPING_ERROR_102 (state does not allow it).
//   - confirmOrder answers HTTP 200 with one message per order even when some are refused.
//   - getPayment's answer is {MessageModelList, OrderModel:{orderNumber, PaymentModelList}}
//     with one payment per order; its version is accepted from 1 to 10.
//   - Every sandbox order is orderType 1 without a sub-status: orderTypeList without 1, or
//     subStatusIdList without -1, finds nothing.
//   - searchOrder sorts by 注文日時 ascending unless SortModelList says descending; both ends
//     of the window are included; pages beyond the last are empty.
//   - A payment-method change and an amount change are ChangeReasonModel changeType 9
//     (再決済手続き) with changeTypeDetail 10 and 1; an amount change on a 300 order sends it
//     back to 200 until the new authorization's result.
//   - orderFixDatetime is set with the first authorization (equal to 発送指示日時, as in the two
//     public recordings); bank transfer and convenience-store prepayment are 決済確定 (30600) the
//     moment they are "authorized" (the money arrived).
//   - updateOrderShipping moves a 300 order to 500 once a row has a shippingDate; a refused
//     request changes nothing; added rows come back with their new shippingDetailId unless the
//     null_shipping_detail_id setting is on (as in 2018 answers).
//   - An unresolved NG is cancelled 7 days later for every method (shops report 14 days for
//     unpaid prepayment; not modelled).
package rakutensim
