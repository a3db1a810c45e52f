package commerce

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"kessai/internal/platform/bankaccount"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/kana"
	"kessai/internal/platform/status"
	"kessai/internal/platform/zengin"
)

const dateLayout = "2006-01-02"

// Maximum lengths of free text, in characters (runes), checked by every Validate*: long enough
// for real data, short enough that a pasted document can't become a name or an address.
// Names (people, products, shops, ship-to) 100; an address line or a whole ship-to address 200;
// notes 2,000; email 254 (RFC 5321); SKU, carrier, tracking number and external refs 100.
const (
	maxName    = 100
	maxAddress = 200
	maxNote    = 2000
	maxEmail   = 254
	maxCode    = 100
)

// validDate reports whether s is a real calendar date written YYYY-MM-DD.
func validDate(s string) bool {
	if len(s) != 10 {
		return false
	}
	_, err := time.Parse(dateLayout, s)
	return err == nil
}

func checkDate(f errs.Fields, field, label, v string, required bool) {
	switch {
	case v == "" && required:
		f.Add(field, label+"を入力してください（YYYY-MM-DD）")
	case v != "" && !validDate(v):
		f.Add(field, label+"はYYYY-MM-DDの形の実在する日付で入力してください（例: 2026-04-01）")
	}
}

func checkStatus(f errs.Fields, field string, set *status.Set, v string) {
	if !set.Valid(v) {
		f.Add(field, fmt.Sprintf("%sは %s のいずれかにしてください", set.Name(), codesAndLabels(set)))
	}
}

// codesAndLabels lists "code（label）" for messages that name what is allowed.
func codesAndLabels(set *status.Set) string {
	var parts []string
	for _, st := range set.All() {
		parts = append(parts, st.Code+"（"+st.Label+"）")
	}
	return strings.Join(parts, "、")
}

func checkAmount(f errs.Fields, field, label string, v int64) {
	if v < 0 {
		f.Add(field, label+"は0円以上にしてください")
	}
}

func checkRequired(f errs.Fields, field, label, v string) {
	if strings.TrimSpace(v) == "" {
		f.Add(field, label+"を入力してください")
	}
}

func checkMaxLen(f errs.Fields, field, label, v string, max int) {
	if n := len([]rune(v)); n > max {
		f.Add(field, fmt.Sprintf("%sは%d文字以内にしてください（今は%d文字）", label, max, n))
	}
}

// checkEmail accepts a bare address (no display name) with a dotted domain.
func checkEmail(f errs.Fields, field, v string) {
	if v == "" {
		return
	}
	a, err := mail.ParseAddress(v)
	_, domain, _ := strings.Cut(v, "@")
	if err != nil || a.Address != v || !strings.Contains(domain, ".") {
		f.Add(field, "メールアドレスは name@example.jp の形で入力してください")
	}
}

// normalizePhone keeps digits and hyphens (full-width ones become half-width).
func normalizePhone(v string) string { return strings.TrimSpace(norm.NFKC.String(v)) }

func checkPhone(f errs.Fields, field, v string) {
	if v == "" {
		return
	}
	digits := strings.ReplaceAll(v, "-", "")
	if !bankaccount.AllDigits(digits) || len(digits) < 10 || len(digits) > 11 {
		f.Add(field, "電話番号は数字10〜11桁で入力してください（ハイフンは可。例: 03-1234-5678）")
	}
}

// normalizePostal turns 1000001 or １００－０００１ into 100-0001; other input is left for the check.
func normalizePostal(v string) string {
	v = strings.TrimSpace(norm.NFKC.String(v))
	v = strings.ReplaceAll(v, "－", "-")
	if len(v) == 7 && bankaccount.AllDigits(v) {
		return v[:3] + "-" + v[3:]
	}
	return v
}

func checkPostal(f errs.Fields, field, v string) {
	if v == "" {
		return
	}
	if len(v) != 8 || v[3] != '-' || !bankaccount.AllDigits(v[:3]) || !bankaccount.AllDigits(v[4:]) {
		f.Add(field, "郵便番号は7桁の数字で入力してください（例: 100-0001）")
	}
}

// normalizeKanaName makes フリガナ full-width katakana: half-width kana widen (NFKC) and
// hiragana shift to katakana.
func normalizeKanaName(v string) string {
	v = strings.TrimSpace(norm.NFKC.String(v))
	var b strings.Builder
	for _, r := range v {
		if r >= 'ぁ' && r <= 'ゖ' {
			r += 0x60
		}
		b.WriteRune(r)
	}
	return b.String()
}

func checkKanaName(f errs.Fields, field, v string) {
	for _, r := range v {
		if !unicode.Is(unicode.Katakana, r) && r != 'ー' && r != '・' && r != ' ' && r != '　' {
			f.Add(field, "フリガナは全角カタカナで入力してください（ひらがなは自動でカタカナにします）")
			return
		}
	}
}

// normalizeBank fills bank and branch names from the master and converts the holder to 全銀
// kana. Nothing is padded: a short account number is left for checkBank to refuse.
func normalizeBank(b BankAccount) BankAccount {
	b.BankCode = bankaccount.Digits(b.BankCode)
	b.BranchCode = bankaccount.Digits(b.BranchCode)
	b.AccountNumber = bankaccount.Digits(b.AccountNumber)
	b.AccountType = strings.TrimSpace(b.AccountType)
	if b.AccountType == "" && b.AccountNumber != "" {
		b.AccountType = "1" // 普通
	}
	if z, err := kana.ToZengin(strings.TrimSpace(b.HolderKana)); err == nil {
		b.HolderKana = z
	}
	if m, err := zengin.Load(); err == nil {
		if bk, ok := m.Bank(b.BankCode); ok && b.BankName == "" {
			b.BankName = bk.Name
		}
		if br, ok := m.Branch(b.BankCode, b.BranchCode); ok && b.BranchName == "" {
			b.BranchName = br.Name
		}
	}
	return b
}

// checkBank validates a payout account with the one rule of package bankaccount: all of it
// or none of it. A registered account must fit every way of paying it (HolderMaxRegistered).
func checkBank(f errs.Fields, b BankAccount) {
	if b.IsZero() {
		return
	}
	m, err := zengin.Load()
	if err != nil {
		f.Add("bank_code", "金融機関マスタを読めません: "+err.Error())
		return
	}
	_, p := bankaccount.Check(m, bankaccount.Account{BankCode: b.BankCode, BranchCode: b.BranchCode,
		AccountType: b.AccountType, AccountNumber: b.AccountNumber, Holder: b.HolderKana}, bankaccount.HolderMaxRegistered)
	for field, msg := range map[string]string{"bank_code": p.Bank, "branch_code": p.Branch, "account_type": p.Type,
		"account_number": p.Number, "account_holder_kana": p.Holder} {
		if msg != "" {
			f.Add(field, msg)
		}
	}
}
