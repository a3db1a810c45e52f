package payout

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"kessai/internal/commerce"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/kana"
	"kessai/internal/platform/zengin"
)

// Limits of GMO あおぞらネット銀行's /transfer/request.
const (
	nameMax   = 48 // beneficiaryName and remitterName, half-width
	memoMax   = 200
	amountMax = 9_999_999_999
)

// Input is what a person (or an API client) gives for a transfer. Empty bank fields and an
// absent amount are filled from the case's customer and purchase amount; an amount given as 0
// is an error like any other amount under 1 yen, never "the purchase amount".
type Input struct {
	RemitterName  string `json:"remitter_name"`
	Memo          string `json:"memo"`
	BankCode      string `json:"bank_code"`
	BranchCode    string `json:"branch_code"`
	AccountType   string `json:"account_type"`
	AccountNumber string `json:"account_number"`
	HolderName    string `json:"holder_name"` // any kana; converted to 全銀 kana
	Amount        *int64 `json:"amount,omitempty" doc:"振込金額（円）。省略すると買取金額。0は不可"`
}

// Yen is an Input amount of n yen.
func Yen(n int64) *int64 { return &n }

// Yen is the amount given, 0 when absent (for the form).
func (in Input) Yen() int64 {
	if in.Amount == nil {
		return 0
	}
	return *in.Amount
}

// fillFrom completes empty fields from the customer's registered account and the case.
func (in Input) fillFrom(b commerce.BankAccount, purchaseAmount int64) Input {
	if in.BankCode == "" && in.BranchCode == "" && in.AccountNumber == "" {
		in.BankCode, in.BranchCode, in.AccountNumber = b.BankCode, b.BranchCode, b.AccountNumber
		if in.AccountType == "" {
			in.AccountType = b.AccountType
		}
	}
	if in.HolderName == "" {
		in.HolderName = b.HolderKana
	}
	if in.AccountType == "" {
		in.AccountType = "1"
	}
	if in.Amount == nil {
		in.Amount = Yen(purchaseAmount)
	}
	return in
}

// beneficiary is a checked, normalised destination.
type beneficiary struct {
	BankCode, BankName, BranchCode, BranchName string
	AccountType, AccountNumber, HolderKana     string
	RemitterName, Memo                         string
	Amount                                     int64
}

// check validates in against the bank master and the bank's rules and returns the normalised
// values, or field errors in Japanese naming what to fix.
func check(m *zengin.Master, in Input) (beneficiary, errs.Fields) {
	f := errs.Fields{}
	b := beneficiary{Memo: strings.TrimSpace(in.Memo), AccountType: in.AccountType}
	if in.Amount != nil {
		b.Amount = *in.Amount
	}
	b.BankCode = narrowDigits(strings.TrimSpace(in.BankCode))
	b.BranchCode = narrowDigits(strings.TrimSpace(in.BranchCode))
	switch {
	case b.BankCode == "":
		f.Add("bank_code", "振込先銀行を選んでください")
	case len(b.BankCode) != 4 || !allDigits(b.BankCode):
		f.Add("bank_code", "銀行コードは数字4桁です")
	default:
		if bk, ok := m.Bank(b.BankCode); ok {
			b.BankName = bk.Name
		} else {
			f.Add("bank_code", "銀行コード "+b.BankCode+" は金融機関マスタにありません")
		}
	}
	switch {
	case b.BranchCode == "":
		f.Add("branch_code", "振込先支店を選んでください")
	case len(b.BranchCode) != 3 || !allDigits(b.BranchCode):
		f.Add("branch_code", "支店コードは数字3桁です")
	case b.BankName != "":
		if br, ok := m.Branch(b.BankCode, b.BranchCode); ok {
			b.BranchName = br.Name
		} else {
			f.Add("branch_code", fmt.Sprintf("支店コード %s は %s にありません", b.BranchCode, b.BankName))
		}
	}
	if !commerce.AccountTypes.Valid(b.AccountType) {
		f.Add("account_type", "預金種目は 普通（1）・当座（2）・貯蓄（4）から選んでください")
	}
	num := narrowDigits(strings.TrimSpace(in.AccountNumber))
	switch {
	case num == "":
		f.Add("account_number", "口座番号を入力してください")
	case !allDigits(num) || len(num) != 7:
		// No silent zero-padding: a dropped digit would send the money to another account.
		f.Add("account_number", "口座番号は数字7桁で入力してください（7桁に満たない口座番号は先頭に0を付けます。例: 123456 → 0123456）")
	default:
		b.AccountNumber = num
	}
	holder := strings.TrimSpace(in.HolderName)
	if holder == "" {
		f.Add("holder_name", "振込先名義を入力してください")
	} else if z, err := kana.ToZenginMax(holder, nameMax); err != nil {
		f.Add("holder_name", kanaMessage(err))
	} else {
		b.HolderKana = z
	}
	if r := strings.TrimSpace(in.RemitterName); r != "" {
		if z, err := kana.ToZenginMax(r, nameMax); err != nil {
			f.Add("remitter_name", strings.ReplaceAll(kanaMessage(err), "振込先名義", "振込元名義"))
		} else {
			b.RemitterName = z
		}
	}
	if n := utf8.RuneCountInString(b.Memo); n > memoMax {
		f.Add("memo", fmt.Sprintf("メモは%d文字以内にしてください（今は%d文字）", memoMax, n))
	}
	switch {
	case b.Amount <= 0:
		f.Add("amount", "振込金額は1円以上にしてください")
	case b.Amount > amountMax:
		f.Add("amount", "振込金額が大きすぎます")
	}
	return b, f
}

// kanaMessage is the person-facing text of a kana conversion error (it names each bad
// character).
func kanaMessage(err error) string {
	var ce kana.Errors
	var le *kana.LengthError
	if errors.As(err, &ce) || errors.As(err, &le) {
		return err.Error()
	}
	return "振込先名義を全銀カナに変換できません: " + err.Error()
}

// firstMessage joins field errors into one line for the bulk result ("口座番号…、振込先名義…").
func firstMessage(f errs.Fields) string {
	order := []string{"bank_code", "branch_code", "account_type", "account_number", "holder_name", "remitter_name", "amount", "memo"}
	var parts []string
	for _, k := range order {
		if m, ok := f[k]; ok {
			parts = append(parts, m)
		}
	}
	return strings.Join(parts, "／")
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// narrowDigits turns full-width digits into ASCII, as people type either.
func narrowDigits(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r >= '０' && r <= '９' }) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return r - '０' + '0'
		}
		return r
	}, s)
}
