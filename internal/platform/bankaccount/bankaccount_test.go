package bankaccount_test

import (
	"strings"
	"testing"

	"kessai/internal/platform/bankaccount"
	"kessai/internal/platform/zengin"
)

func TestCheck(t *testing.T) {
	m, err := zengin.Load()
	if err != nil {
		t.Fatal(err)
	}
	good := bankaccount.Account{BankCode: "0001", BranchCode: "001", AccountType: "1", AccountNumber: "0123456", Holder: "やまだ たろう"}
	tests := []struct {
		name   string
		edit   func(*bankaccount.Account)
		max    int
		field  func(bankaccount.Problems) string
		wantIn string // "" = no problem at all
	}{
		{"good", func(*bankaccount.Account) {}, bankaccount.HolderMaxSingle, nil, ""},
		{"full-width digits", func(a *bankaccount.Account) { a.BankCode, a.AccountNumber = "０００１", "０１２３４５６" }, bankaccount.HolderMaxSingle, nil, ""},
		{"5 digits refused, not padded", func(a *bankaccount.Account) { a.AccountNumber = "12345" }, bankaccount.HolderMaxSingle,
			func(p bankaccount.Problems) string { return p.Number }, "数字7桁"},
		{"6 digits refused, not padded", func(a *bankaccount.Account) { a.AccountNumber = "123456" }, bankaccount.HolderMaxSingle,
			func(p bankaccount.Problems) string { return p.Number }, "123456 → 0123456"},
		{"8 digits", func(a *bankaccount.Account) { a.AccountNumber = "12345678" }, bankaccount.HolderMaxSingle,
			func(p bankaccount.Problems) string { return p.Number }, "数字7桁"},
		{"letters", func(a *bankaccount.Account) { a.AccountNumber = "12a4567" }, bankaccount.HolderMaxSingle,
			func(p bankaccount.Problems) string { return p.Number }, "数字7桁"},
		{"unknown bank", func(a *bankaccount.Account) { a.BankCode = "9990" }, bankaccount.HolderMaxSingle,
			func(p bankaccount.Problems) string { return p.Bank }, "金融機関マスタにありません"},
		{"bank 3 digits", func(a *bankaccount.Account) { a.BankCode = "001" }, bankaccount.HolderMaxSingle,
			func(p bankaccount.Problems) string { return p.Bank }, "数字4桁"},
		{"unknown branch", func(a *bankaccount.Account) { a.BranchCode = "999" }, bankaccount.HolderMaxSingle,
			func(p bankaccount.Problems) string { return p.Branch }, "支店コード 999 は"},
		{"type 9", func(a *bankaccount.Account) { a.AccountType = "9" }, bankaccount.HolderMaxSingle,
			func(p bankaccount.Problems) string { return p.Type }, "預金種目"},
		{"holder kanji", func(a *bankaccount.Account) { a.Holder = "山田" }, bankaccount.HolderMaxSingle,
			func(p bankaccount.Problems) string { return p.Holder }, "振込先名義に使えません"},
		{"holder empty", func(a *bankaccount.Account) { a.Holder = " " }, bankaccount.HolderMaxSingle,
			func(p bankaccount.Problems) string { return p.Holder }, "口座名義"},
		{"holder 31 fits single", func(a *bankaccount.Account) { a.Holder = strings.Repeat("ｱ", 31) }, bankaccount.HolderMaxSingle, nil, ""},
		{"holder 31 too long for bulk", func(a *bankaccount.Account) { a.Holder = strings.Repeat("ｱ", 31) }, bankaccount.HolderMaxBulk,
			func(p bankaccount.Problems) string { return p.Holder }, "上限は30文字"},
		{"holder 49 too long for single", func(a *bankaccount.Account) { a.Holder = strings.Repeat("ｱ", 49) }, bankaccount.HolderMaxSingle,
			func(p bankaccount.Problems) string { return p.Holder }, "上限は48文字"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := good
			tt.edit(&a)
			c, p := bankaccount.Check(m, a, tt.max)
			if tt.wantIn == "" {
				if !p.OK() {
					t.Fatalf("problems %v", p.List())
				}
				if c.BankName == "" || c.BranchName == "" || c.AccountNumber != "0123456" && c.AccountNumber != a.AccountNumber || c.HolderKana == "" {
					t.Fatalf("checked = %+v", c)
				}
				return
			}
			if got := tt.field(p); !strings.Contains(got, tt.wantIn) {
				t.Fatalf("message %q, want …%s… (all: %v)", got, tt.wantIn, p.List())
			}
			if len(p.List()) != 1 {
				t.Fatalf("want exactly one problem, got %v", p.List())
			}
		})
	}
}
