package payout

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"kessai/internal/commerce"
	"kessai/internal/platform/bankaccount"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/kana"
	"kessai/internal/platform/zengin"
)

// Limits of GMO あおぞらネット銀行's /transfer/request.
const (
	nameMax   = bankaccount.HolderMaxSingle // beneficiaryName and remitterName, half-width
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
	b := beneficiary{Memo: strings.TrimSpace(in.Memo)}
	if in.Amount != nil {
		b.Amount = *in.Amount
	}
	acct, p := bankaccount.Check(m, bankaccount.Account{BankCode: in.BankCode, BranchCode: in.BranchCode,
		AccountType: in.AccountType, AccountNumber: in.AccountNumber, Holder: in.HolderName}, bankaccount.HolderMaxSingle)
	for field, msg := range map[string]string{"bank_code": p.Bank, "branch_code": p.Branch, "account_type": p.Type,
		"account_number": p.Number, "holder_name": p.Holder} {
		if msg != "" {
			f.Add(field, msg)
		}
	}
	b.BankCode, b.BankName, b.BranchCode, b.BranchName = acct.BankCode, acct.BankName, acct.BranchCode, acct.BranchName
	b.AccountType, b.AccountNumber, b.HolderKana = acct.AccountType, acct.AccountNumber, acct.HolderKana
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
