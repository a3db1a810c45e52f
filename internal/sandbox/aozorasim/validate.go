package aozorasim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"kessai/internal/provider/aozora"
)

// rawRequest is a transfer request as the bank reads it: every field a string, so that a number
// sent as a JSON number, or "1,000", is refused like the bank refuses it.
type rawRequest struct {
	AccountID               string    `json:"accountId"`
	RemitterName            string    `json:"remitterName"`
	TransferDesignatedDate  string    `json:"transferDesignatedDate"`
	TransferDateHolidayCode string    `json:"transferDateHolidayCode"`
	TransferDataName        string    `json:"transferDataName"`
	TotalCount              string    `json:"totalCount"`
	TotalAmount             string    `json:"totalAmount"`
	ApplyComment            string    `json:"applyComment"`
	Transfers               []rawItem `json:"transfers"`
	BulkTransfers           []rawItem `json:"bulkTransfers"`
}

type rawItem struct {
	ItemID                 string `json:"itemId"`
	TransferAmount         string `json:"transferAmount"`
	EDIInfo                string `json:"ediInfo"`
	BeneficiaryBankCode    string `json:"beneficiaryBankCode"`
	BeneficiaryBankName    string `json:"beneficiaryBankName"`
	BeneficiaryBranchCode  string `json:"beneficiaryBranchCode"`
	BeneficiaryBranchName  string `json:"beneficiaryBranchName"`
	ClearingHouseName      string `json:"clearingHouseName"`
	AccountTypeCode        string `json:"accountTypeCode"`
	AccountNumber          string `json:"accountNumber"`
	BeneficiaryName        string `json:"beneficiaryName"`
	NewCode                string `json:"newCode"`
	TransferDesignatedType string `json:"transferDesignatedType"`
	Identification         string `json:"identification"`
}

// Limits from the spec.
const (
	maxItems          = 99
	maxBulkItems      = 9999
	maxTotalAmount    = 999_999_999_999
	maxBulkItemAmount = 9_999_999_999
	bulkNameKeep      = 30 // the bank keeps 30 characters of a bulk beneficiary name
	bulkRemitterKeep  = 40
)

func isDigits(s string, n int) bool {
	if n > 0 && len(s) != n {
		return false
	}
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// amount parses a positive integer without sign, comma or leading zeros' tricks.
func amount(s string) (int64, bool) {
	if !isDigits(s, 0) || len(s) > 20 {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil && v >= 1
}

// zenginName converts what the bank converts (lower case to upper case, small kana to full
// size, the long vowel mark to a hyphen) and reports whether the rest is 振込許容文字:
// half-width digits, capitals, katakana, ﾞ ﾟ, space and ( ) - . / , ｢ ｣ \.
func zenginName(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		case r >= 'ｧ' && r <= 'ｫ': // ｧｨｩｪｫ → ｱｲｳｴｵ
			r = 'ｱ' + (r - 'ｧ')
		case r >= 'ｬ' && r <= 'ｮ': // ｬｭｮ → ﾔﾕﾖ
			r = 'ﾔ' + (r - 'ｬ')
		case r == 'ｯ':
			r = 'ﾂ'
		case r == 'ｰ':
			r = '-'
		}
		switch {
		case r >= '0' && r <= '9', r >= 'A' && r <= 'Z', r >= 'ｦ' && r <= 'ﾟ':
		case strings.ContainsRune(" ()-./,｢｣\\", r):
		default:
			return "", false
		}
		b.WriteRune(r)
	}
	return b.String(), true
}

// parseRequest validates a single (bulk false) or bulk transfer request against the spec's
// rules and the sandbox account. It returns the transfer to record, or the error answer.
func (s *Sim) parseRequest(raw rawRequest, bulk bool, now time.Time) (*transfer, *apiError) {
	var p problems
	field := func(name, v string, min, max int, required bool) {
		n := utf8.RuneCountInString(v)
		switch {
		case v == "" && required:
			p.add(detailRequired, name+": 必須項目です。")
		case v != "" && (n < min || n > max):
			p.add(detailFormat, fmt.Sprintf("%s: %d〜%d文字で指定してください。", name, min, max))
		}
	}
	field("accountId", raw.AccountID, 12, 29, true)
	field("transferDesignatedDate", raw.TransferDesignatedDate, 10, 10, true)
	field("remitterName", raw.RemitterName, 1, 48, false)
	field("applyComment", raw.ApplyComment, 1, 20, false)
	if bulk {
		field("transferDataName", raw.TransferDataName, 1, 10, false)
	}

	t := &transfer{Bulk: bulk, AccountID: raw.AccountID, ApplyComment: raw.ApplyComment, DataName: raw.TransferDataName, CreatedAt: now}
	acct, ok := accountByID(raw.AccountID)
	if raw.AccountID != "" && !ok {
		p.add(detailAccount, "accountId: 口座が存在しません。")
	}
	t.RemitterName = acct.AccountNameKana
	if raw.RemitterName != "" {
		name, ok := zenginName(raw.RemitterName)
		if !ok {
			p.add(detailChars, "remitterName: 振込許容文字以外が含まれています。")
		}
		if bulk && utf8.RuneCountInString(name) > bulkRemitterKeep {
			name = string([]rune(name)[:bulkRemitterKeep])
		}
		t.RemitterName = name
	}
	if raw.TransferDesignatedDate != "" {
		d, err := aozora.ParseDate(raw.TransferDesignatedDate)
		switch {
		case err != nil || d.String() != raw.TransferDesignatedDate:
			p.add(detailFormat, "transferDesignatedDate: YYYY-MM-DD形式で指定してください。")
		case d.Before(aozora.DateOf(now)):
			p.add(detailRange, "transferDesignatedDate: 過去の日付は指定できません。")
		default:
			t.DesignatedDate, t.ExecDate = d, d
		}
	}
	switch raw.TransferDateHolidayCode {
	case "", "1", "2", "3":
	default:
		p.add(detailRange, "transferDateHolidayCode: 1、2、3のいずれかを指定してください。")
	}

	items := raw.Transfers
	listName, limit := "transfers", maxItems
	if bulk {
		items, listName, limit = raw.BulkTransfers, "bulkTransfers", maxBulkItems
	}
	switch {
	case len(items) == 0:
		p.add(detailRequired, listName+": 振込明細を1件以上指定してください。")
	case len(items) > limit:
		p.add(detailRange, fmt.Sprintf("%s: 明細は%d件までです。", listName, limit))
	}

	seen := map[int]bool{}
	var sum int64
	for i, ri := range items {
		it, id := s.parseItem(&p, ri, i, len(items), bulk, seen)
		sum += it.Amount
		it.ItemID = id
		t.Items = append(t.Items, it)
	}
	t.TotalAmount = sum

	// Totals: required for bulk and for two or more items, and they must add up.
	needTotals := bulk || len(items) > 1
	if raw.TotalCount == "" && needTotals {
		p.add(detailRequired, "totalCount: 必須項目です。")
	} else if raw.TotalCount != "" {
		if n, err := strconv.Atoi(raw.TotalCount); !isDigits(raw.TotalCount, 0) || err != nil || n != len(items) {
			p.add(detailTotals, "totalCount: 明細の件数と一致しません。")
		}
	}
	if raw.TotalAmount == "" && needTotals {
		p.add(detailRequired, "totalAmount: 必須項目です。")
	} else if raw.TotalAmount != "" {
		if v, ok := amount(raw.TotalAmount); !ok || v > maxTotalAmount {
			p.add(detailFormat, "totalAmount: 1以上999,999,999,999以下の半角数字で指定してください。")
		} else if v != sum {
			p.add(detailTotals, "totalAmount: 明細の金額の合計と一致しません。")
		}
	}
	if !p.empty() {
		e := p.err(codeInvalid, "入力内容に誤りがあります。")
		return nil, &e
	}

	// Business rules, once the request is well formed.
	if lim := acct.TransferLimitAmount; lim > 0 && sum > lim {
		p.add(detailLimit, fmt.Sprintf("振込限度額（%d円）を超えています。", lim))
	}
	for _, it := range t.Items {
		if it.AccountNumber == ScenarioRejected {
			p.addItem(it.ItemID, detailPayee, "受取人口座が存在しません。")
		}
	}
	if err := applyHolidayRule(t, raw.TransferDateHolidayCode, now); err != "" {
		p.add(detailHoliday, err)
	}
	if !p.empty() {
		e := p.err(codeRejected, "エラーが発生しました。")
		return nil, &e
	}
	return t, nil
}

// parseItem validates one item; i is its position and n the number of items.
func (s *Sim) parseItem(p *problems, ri rawItem, i, n int, bulk bool, seen map[int]bool) (item, int) {
	id := i + 1
	addr := func(code, msg string) { p.addItem(id, code, msg) }
	switch {
	case ri.ItemID == "" && (bulk || n > 1):
		addr(detailRequired, "itemId: 必須項目です。")
	case ri.ItemID != "":
		v, err := strconv.Atoi(ri.ItemID)
		max := maxItems
		if bulk {
			max = maxBulkItems
		}
		switch {
		case !isDigits(ri.ItemID, 0) || err != nil || v < 1 || v > max:
			addr(detailRange, fmt.Sprintf("itemId: 1〜%dで指定してください。", max))
		case seen[v]:
			addr(detailRange, "itemId: 明細番号が重複しています。")
		case !bulk && v != i+1:
			addr(detailRange, "itemId: 1からの連番で指定してください。")
		default:
			id = v
		}
		seen[v] = true
	}
	it := item{BankCode: ri.BeneficiaryBankCode, BankName: ri.BeneficiaryBankName, BranchCode: ri.BeneficiaryBranchCode,
		BranchName: ri.BeneficiaryBranchName, AccountType: ri.AccountTypeCode, AccountNumber: ri.AccountNumber,
		EDI: ri.EDIInfo, Identification: ri.Identification}
	if ri.TransferAmount == "" {
		addr(detailRequired, "transferAmount: 必須項目です。")
	} else if v, ok := amount(ri.TransferAmount); !ok || (bulk && v > maxBulkItemAmount) {
		addr(detailFormat, "transferAmount: 1以上の整数を半角数字で指定してください（カンマ・マイナス不可）。")
	} else {
		it.Amount = v
	}
	digits := func(name, v string, k int) {
		if v == "" {
			addr(detailRequired, name+": 必須項目です。")
		} else if !isDigits(v, k) {
			addr(detailFormat, fmt.Sprintf("%s: %d桁の半角数字で指定してください。", name, k))
		}
	}
	digits("beneficiaryBankCode", ri.BeneficiaryBankCode, 4)
	digits("beneficiaryBranchCode", ri.BeneficiaryBranchCode, 3)
	digits("accountNumber", ri.AccountNumber, 7)
	switch ri.AccountTypeCode {
	case "1", "2", "4", "9":
	case "":
		addr(detailRequired, "accountTypeCode: 必須項目です。")
	default:
		addr(detailRange, "accountTypeCode: 1、2、4、9のいずれかを指定してください。")
	}
	if ri.BeneficiaryName == "" {
		addr(detailRequired, "beneficiaryName: 必須項目です。")
	} else if utf8.RuneCountInString(ri.BeneficiaryName) > 48 {
		addr(detailFormat, "beneficiaryName: 48文字以内で指定してください。")
	} else if name, ok := zenginName(ri.BeneficiaryName); !ok {
		addr(detailChars, "beneficiaryName: 振込許容文字（半角カナ・英大文字・数字・一部記号）で指定してください。")
	} else {
		if bulk && utf8.RuneCountInString(name) > bulkNameKeep {
			name = string([]rune(name)[:bulkNameKeep])
		}
		it.Name = name
	}
	if ri.EDIInfo != "" {
		if utf8.RuneCountInString(ri.EDIInfo) > 20 {
			addr(detailFormat, "ediInfo: 20文字以内で指定してください。")
		} else if _, ok := zenginName(ri.EDIInfo); !ok {
			addr(detailChars, "ediInfo: 振込許容文字以外が含まれています。")
		}
	}
	if utf8.RuneCountInString(ri.BeneficiaryBankName) > 30 || utf8.RuneCountInString(ri.BeneficiaryBranchName) > 15 {
		addr(detailFormat, "beneficiaryBankName/beneficiaryBranchName: 長すぎます。")
	}
	it.Fee = feeFor(ri.BeneficiaryBankCode)
	return it, id
}

// applyHolidayRule moves the execution date off a weekend when an item goes to another bank.
// The sandbox knows weekends only, not Japanese public holidays.
func applyHolidayRule(t *transfer, code string, now time.Time) string {
	d := t.ExecDate
	if d.IsZero() || !weekend(d) {
		return ""
	}
	other := false
	for _, it := range t.Items {
		other = other || it.BankCode != ownBank
	}
	if !other {
		return ""
	}
	switch code {
	case "3":
		return "振込指定日が非営業日です。"
	case "2":
		for weekend(d) {
			d = d.AddDays(-1)
		}
		if d.Before(aozora.DateOf(now)) {
			return "振込指定日の前営業日が過去日です。"
		}
	default:
		for weekend(d) {
			d = d.AddDays(1)
		}
	}
	t.ExecDate = d
	return ""
}

func weekend(d aozora.Date) bool {
	wd := d.Time().Weekday()
	return wd == time.Saturday || wd == time.Sunday
}
