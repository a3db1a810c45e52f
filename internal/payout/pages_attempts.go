package payout

import (
	"encoding/json"
	"fmt"
	"time"

	"kessai/internal/platform/attempt"
	"kessai/internal/provider/aozora"
	"kessai/internal/web"
)

// AttemptView is one row of 銀行への送信履歴, said plainly: when, what was sent, what the bank
// did with it and what became of it.
type AttemptView struct {
	At      time.Time
	Sent    string // "みずほ 0001-001 普通 1234567 ﾔﾏﾀﾞ ﾀﾛｳ ¥12,000（指定日 2026/03/02）"
	Answer  string // what the bank answered to this call
	Outcome string // what became of this request (only for the transfer's current request)
	Level   string // "ok", "warn", "error" or ""
	Current bool   // this attempt's request is the transfer's current one
}

// AttemptViews explains t's attempts, oldest first.
func AttemptViews(t Transfer, atts []attempt.Attempt) []AttemptView {
	return attemptViews(t, atts, nil)
}

// attemptViews is AttemptViews; items gives t's itemId in each 総合振込 attempt.
func attemptViews(t Transfer, atts []attempt.Attempt, items map[string]int) []AttemptView {
	out := make([]AttemptView, 0, len(atts))
	for _, a := range atts {
		v := AttemptView{At: a.CreatedAt}
		var req aozora.TransferRequest
		var bulk aozora.BulkTransferRequest
		if a.Operation == OpBulkRequest && json.Unmarshal([]byte(a.RequestSummary), &bulk) == nil {
			v.Sent = fmt.Sprintf("総合振込 %d件・合計 %s", bulk.TotalCount, web.Yen(bulk.TotalAmount))
			for _, it := range bulk.BulkTransfers {
				if it.ItemID == items[a.ID] {
					v.Sent = fmt.Sprintf("%s-%s %s %s %s %s（総合振込 %d件・合計 %s の明細%d）", it.BeneficiaryBankCode, it.BeneficiaryBranchCode,
						Transfer{AccountType: string(it.AccountTypeCode)}.AccountTypeLabel(), it.AccountNumber, it.BeneficiaryName,
						web.Yen(it.TransferAmount), bulk.TotalCount, web.Yen(bulk.TotalAmount), it.ItemID)
				}
			}
			if !bulk.TransferDesignatedDate.IsZero() {
				v.Sent += "（振込指定日 " + web.FormatDate(bulk.TransferDesignatedDate.String()) + "）"
			}
		} else if json.Unmarshal([]byte(a.RequestSummary), &req) == nil && len(req.Transfers) == 1 {
			it := req.Transfers[0]
			v.Sent = fmt.Sprintf("%s-%s %s %s %s %s", it.BeneficiaryBankCode, it.BeneficiaryBranchCode, Transfer{AccountType: string(it.AccountTypeCode)}.AccountTypeLabel(),
				it.AccountNumber, it.BeneficiaryName, web.Yen(it.TransferAmount))
			if !req.TransferDesignatedDate.IsZero() {
				v.Sent += "（振込指定日 " + web.FormatDate(req.TransferDesignatedDate.String()) + "）"
			}
		}
		var ans bankAnswer
		_ = json.Unmarshal([]byte(a.ResponseSummary), &ans)
		switch a.State {
		case attempt.Pending:
			v.Answer, v.Level = "送信の準備中です（まだ銀行に送っていません）", "warn"
		case attempt.Sending:
			v.Answer, v.Level = "銀行へ送信中です", "warn"
		case attempt.Unknown:
			v.Answer, v.Level = "銀行の応答が届かず、受け付けられたか分かりません。再送はせず、銀行に照会して確かめています", "warn"
			if a.ProviderMessage != "" {
				v.Answer += "（" + a.ProviderMessage + "）"
			}
		case attempt.Failed:
			v.Level = "error"
			switch {
			case a.ProviderCode == CodeNotFound:
				v.Answer = "応答が届かなかったため銀行に照会しましたが、この依頼は見つかりませんでした"
			case a.ProviderCode != "":
				v.Answer = "銀行が受け付けませんでした（銀行のエラーコード " + a.ProviderCode + "）"
			default:
				v.Answer = "銀行に届きませんでした"
			}
			if a.ProviderMessage != "" {
				v.Answer += "：" + a.ProviderMessage
			}
		case attempt.Succeeded:
			v.Answer = "銀行が受け付けました"
			if ans.ApplyNo != "" {
				v.Answer += "（受付番号 " + ans.ApplyNo + "）"
			}
		}
		v.Current = a.State == attempt.Succeeded && ans.ApplyNo != "" && ans.ApplyNo == t.ApplyNo && t.Status != StatusAwaitingExecution &&
			a.ID == t.AttemptID
		switch {
		case v.Current:
			v.Outcome, v.Level = outcomeText(t)
		case a.State == attempt.Succeeded && ans.ApplyNo != "":
			v.Outcome, v.Level = "この依頼のあと振込は修正・再実行されました（この受付番号の依頼はもう使われていません）", ""
		}
		out = append(out, v)
	}
	return out
}

// outcomeText says what became of the transfer's current request.
func outcomeText(t Transfer) (string, string) {
	switch t.Status {
	case StatusAwaitingApproval:
		return "銀行の承認者の承認を待っています（承認されると振込完了になります）", "warn"
	case StatusCompleted:
		s := "承認され、振込が完了しました"
		if t.CompletedAt != nil {
			s += "（" + web.FormatJST(*t.CompletedAt, "2006/01/02 15:04") + "）"
		}
		return s, "ok"
	case StatusCancelled:
		return "キャンセルになりました：" + t.Warning(), "error"
	case StatusFailed:
		return "振込できませんでした：" + t.Warning(), "error"
	case StatusSending:
		return "送信中です", "warn"
	}
	return "", ""
}
