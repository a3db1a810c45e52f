// Package bankaccount is the one rule for a bank account that money is sent to (振込先口座):
// bank and branch codes checked against the 全銀 master, the account type, a 7-digit account
// number and the holder's name in 全銀 half-width kana. Customers (commerce), transfers (payout)
// and every CSV import use it, so an account accepted in one place is accepted in all.
package bankaccount

import (
	"fmt"
	"strings"

	"golang.org/x/text/unicode/norm"

	"kessai/internal/platform/kana"
	"kessai/internal/platform/zengin"
)

// Holder name limits, in half-width characters after conversion (ｶﾞ counts as two), per use.
const (
	// HolderMaxSingle is beneficiaryName of GMO あおぞらネット銀行's /transfer/request (one
	// transfer at a time): at most 48.
	HolderMaxSingle = 48
	// HolderMaxBulk is the 受取人名 of a 全銀協規定 総合振込 data record (30 bytes) and the length
	// at which the bank's /bulktransfer/request cuts beneficiaryName: at most 30.
	HolderMaxBulk = 30
	// HolderMaxRegistered is a customer's registered account: it must fit every way of paying
	// it, so it takes the shorter, bulk limit.
	HolderMaxRegistered = HolderMaxBulk
)

// NumberLen is the length of an account number in 全銀 and at the bank. A shorter number is
// refused, never padded: a dropped digit would pay someone else's account.
const NumberLen = 7

// Types are the account types (預金種目) with their 全銀 codes, as the bank's API uses them.
var Types = []Type{{"1", "普通"}, {"2", "当座"}, {"4", "貯蓄"}}

// Type is one 預金種目.
type Type struct{ Code, Label string }

// TypeLabel is the Japanese name of code, or code itself if unknown.
func TypeLabel(code string) string {
	for _, t := range Types {
		if t.Code == code {
			return t.Label
		}
	}
	return code
}

// Account is what a person or a file gives.
type Account struct {
	BankCode, BranchCode, AccountType, AccountNumber string
	Holder                                           string // any kana; converted to 全銀 kana
}

// Checked is a valid, normalised account with the names from the master.
type Checked struct {
	BankCode, BankName, BranchCode, BranchName string
	AccountType, AccountNumber, HolderKana     string
}

// Problems holds one Japanese message per field that is wrong ("" = fine).
type Problems struct {
	Bank, Branch, Type, Number, Holder string
}

// OK reports whether there are no problems.
func (p Problems) OK() bool { return p == Problems{} }

// List returns the messages in field order.
func (p Problems) List() []string {
	var out []string
	for _, m := range []string{p.Bank, p.Branch, p.Type, p.Number, p.Holder} {
		if m != "" {
			out = append(out, m)
		}
	}
	return out
}

// Digits normalises a typed code: trims spaces and makes full-width digits half-width.
func Digits(s string) string { return strings.TrimSpace(norm.NFKC.String(s)) }

// Check validates a against m and the 全銀 rules, with the holder name limited to holderMax
// (one of the HolderMax constants). Codes and numbers are normalised with Digits first.
func Check(m *zengin.Master, a Account, holderMax int) (Checked, Problems) {
	var p Problems
	c := Checked{BankCode: Digits(a.BankCode), BranchCode: Digits(a.BranchCode),
		AccountType: strings.TrimSpace(a.AccountType), AccountNumber: Digits(a.AccountNumber)}
	switch {
	case c.BankCode == "":
		p.Bank = "銀行コードを入力してください（数字4桁。例: 0001）"
	case len(c.BankCode) != 4 || !AllDigits(c.BankCode):
		p.Bank = "銀行コードは数字4桁で入力してください（例: 0001）"
	default:
		if bk, ok := m.Bank(c.BankCode); ok {
			c.BankName = bk.Name
		} else {
			p.Bank = "銀行コード " + c.BankCode + " の金融機関は金融機関マスタにありません。銀行コードを確認してください"
		}
	}
	switch {
	case c.BranchCode == "":
		p.Branch = "支店コードを入力してください（数字3桁。例: 001）"
	case len(c.BranchCode) != 3 || !AllDigits(c.BranchCode):
		p.Branch = "支店コードは数字3桁で入力してください（例: 001）"
	case c.BankName != "":
		if br, ok := m.Branch(c.BankCode, c.BranchCode); ok {
			c.BranchName = br.Name
		} else {
			p.Branch = fmt.Sprintf("支店コード %s は %s にありません。支店コードを確認してください", c.BranchCode, c.BankName)
		}
	}
	if TypeLabel(c.AccountType) == c.AccountType {
		p.Type = "預金種目は 1（普通）・2（当座）・4（貯蓄）のいずれかにしてください"
	}
	switch {
	case c.AccountNumber == "":
		p.Number = "口座番号を入力してください（数字7桁）"
	case len(c.AccountNumber) != NumberLen || !AllDigits(c.AccountNumber):
		p.Number = fmt.Sprintf("口座番号は数字7桁で入力してください（今は「%s」）。7桁に満たない口座番号は通帳のとおり先頭に0を付けてください（例: 123456 → 0123456）。桁を補うことはしません", c.AccountNumber)
	}
	holder := strings.TrimSpace(a.Holder)
	if holder == "" {
		p.Holder = "口座名義（カナ）を入力してください"
	} else if z, err := kana.ToZenginMax(holder, holderMax); err != nil {
		p.Holder = err.Error()
	} else {
		c.HolderKana = z
	}
	return c, p
}

// AllDigits reports whether s is non-empty and only ASCII digits.
func AllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
