package commerce_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/platform/audit"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/platform/errs"
)

// testNow is a fixed instant: 2026-04-10 10:00 JST.
var testNow = time.Date(2026, 4, 10, 1, 0, 0, 0, time.UTC)

func newStore(t testing.TB) (*commerce.Store, *db.DB) {
	t.Helper()
	d := dbtest.Open(t, audit.Migrations, commerce.Migrations)
	c := clock.NewFrozen(testNow)
	return commerce.NewStore(d, c, &audit.Log{Now: c.Now}), d
}

// fixture is a shop and a customer with a bank account.
type fixture struct {
	shop     commerce.Shop
	customer commerce.Customer
}

func newFixture(t testing.TB, s *commerce.Store) fixture {
	t.Helper()
	ctx := context.Background()
	sh, err := s.CreateShop(ctx, commerce.Shop{Code: "main", Name: "本店"})
	if err != nil {
		t.Fatal(err)
	}
	cu, err := s.CreateCustomer(ctx, goodCustomer())
	if err != nil {
		t.Fatal(err)
	}
	return fixture{shop: sh, customer: cu}
}

func goodCustomer() commerce.Customer {
	return commerce.Customer{
		Name: "山田 太郎", NameKana: "やまだ たろう", Email: "taro@example.jp", Phone: "０３-1234-5678",
		PostalCode: "1000001", Prefecture: "東京都", Address1: "千代田区千代田1-1",
		Bank: commerce.BankAccount{BankCode: "0001", BranchCode: "001", AccountType: "1", AccountNumber: "０１２３４５６", HolderKana: "ヤマダ タロウ"},
	}
}

func auditCount(t testing.TB, d *db.DB, action, id string) int {
	t.Helper()
	var n int
	if err := d.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = ? AND record_id = ?`, action, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func fieldsOf(err error) map[string]string {
	if e := errs.As(err); e != nil {
		return e.Fields
	}
	return nil
}

func TestCreateCustomerNormalisesAndAudits(t *testing.T) {
	t.Parallel()
	s, d := newStore(t)
	ctx := context.Background()
	c1, err := s.CreateCustomer(ctx, goodCustomer())
	if err != nil {
		t.Fatal(err)
	}
	c2, err := s.CreateCustomer(ctx, commerce.Customer{Name: "佐藤 花子"})
	if err != nil {
		t.Fatal(err)
	}
	if c1.Code != "C000001" || c2.Code != "C000002" {
		t.Errorf("codes = %s, %s", c1.Code, c2.Code)
	}
	want := commerce.BankAccount{BankCode: "0001", BankName: "みずほ", BranchCode: "001", BranchName: "東京営業部",
		AccountType: "1", AccountNumber: "0123456", HolderKana: "ﾔﾏﾀﾞ ﾀﾛｳ"}
	if c1.Bank != want {
		t.Errorf("bank = %+v\nwant   %+v", c1.Bank, want)
	}
	if c1.NameKana != "ヤマダ タロウ" || c1.Phone != "03-1234-5678" || c1.PostalCode != "100-0001" {
		t.Errorf("normalised = %q %q %q", c1.NameKana, c1.Phone, c1.PostalCode)
	}
	got, err := s.GetCustomer(ctx, c1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got != c1 {
		t.Errorf("read back\n%+v\nwant\n%+v", got, c1)
	}
	if n := auditCount(t, d, "customer.create", c1.ID); n != 1 {
		t.Errorf("audit entries = %d", n)
	}
}

func TestValidateCustomer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		edit  func(c *commerce.Customer)
		field string // "" = valid
		want  string
	}{
		{"good", func(c *commerce.Customer) {}, "", ""},
		{"no bank is fine", func(c *commerce.Customer) { c.Bank = commerce.BankAccount{} }, "", ""},
		{"name", func(c *commerce.Customer) { c.Name = " " }, "name", "氏名を入力"},
		{"email", func(c *commerce.Customer) { c.Email = "taro@" }, "email", "name@example.jp"},
		{"email display name", func(c *commerce.Customer) { c.Email = "Taro <taro@example.jp>" }, "email", "name@example.jp"},
		{"phone", func(c *commerce.Customer) { c.Phone = "03-1234" }, "phone", "10〜11桁"},
		{"postal", func(c *commerce.Customer) { c.PostalCode = "100-001" }, "postal_code", "7桁"},
		{"prefecture", func(c *commerce.Customer) { c.Prefecture = "東京" }, "prefecture", "47都道府県"},
		{"kana", func(c *commerce.Customer) { c.NameKana = "山田" }, "name_kana", "全角カタカナ"},
		{"bank code", func(c *commerce.Customer) { c.Bank.BankCode = "01" }, "bank_code", "4桁"},
		{"unknown bank", func(c *commerce.Customer) { c.Bank.BankCode = "0002" }, "bank_code", "金融機関マスタにありません"},
		{"branch code", func(c *commerce.Customer) { c.Bank.BranchCode = "1" }, "branch_code", "3桁"},
		{"unknown branch", func(c *commerce.Customer) { c.Bank.BranchCode = "998" }, "branch_code", "ありません"},
		{"account number", func(c *commerce.Customer) { c.Bank.AccountNumber = "12345678" }, "account_number", "7桁"},
		{"account number short", func(c *commerce.Customer) { c.Bank.AccountNumber = "123456" }, "account_number", "7桁"},
		{"account type", func(c *commerce.Customer) { c.Bank.AccountType = "3" }, "account_type", "1（普通）"},
		{"holder kanji", func(c *commerce.Customer) { c.Bank.HolderKana = "山田" }, "account_holder_kana", "振込先名義に使えません"},
		{"holder missing", func(c *commerce.Customer) { c.Bank.HolderKana = "" }, "account_holder_kana", "口座名義"},
		{"holder too long", func(c *commerce.Customer) { c.Bank.HolderKana = strings.Repeat("ア", 31) }, "account_holder_kana", "長すぎます"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := goodCustomer()
			tt.edit(&c)
			_, err := commerce.ValidateCustomer(c)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				return
			}
			if errs.KindOf(err) != errs.KindInvalid || !strings.Contains(fieldsOf(err)[tt.field], tt.want) {
				t.Fatalf("error %v fields %v; want %s containing %q", err, fieldsOf(err), tt.field, tt.want)
			}
		})
	}
}

func TestUpdateCustomerVersion(t *testing.T) {
	t.Parallel()
	s, d := newStore(t)
	ctx := context.Background()
	c, err := s.CreateCustomer(ctx, goodCustomer())
	if err != nil {
		t.Fatal(err)
	}
	a, b := c, c
	a.Note = "first editor"
	b.Note = "second editor"
	a2, err := s.UpdateCustomer(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if a2.Version != 2 || a2.Note != "first editor" || a2.Code != c.Code {
		t.Errorf("updated = %+v", a2)
	}
	if _, err := s.UpdateCustomer(ctx, b); errs.KindOf(err) != errs.KindConflict {
		t.Fatalf("stale update: %v, want conflict", err)
	}
	b.Version = 0
	if _, err := s.UpdateCustomer(ctx, b); errs.KindOf(err) != errs.KindInvalid {
		t.Fatalf("versionless update: %v, want invalid", err)
	}
	got, _ := s.GetCustomer(ctx, c.ID)
	if got.Note != "first editor" {
		t.Errorf("note = %q: the stale edit overwrote the first", got.Note)
	}
	if n := auditCount(t, d, "customer.update", c.ID); n != 1 {
		t.Errorf("audit updates = %d", n)
	}
	if _, err := s.GetCustomer(ctx, "cus_missing"); !commerce.IsNotFound(err) || errs.KindOf(err) != errs.KindNotFound {
		t.Errorf("missing: %v", err)
	}
}

func TestDeleteCustomer(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	fx := newFixture(t, s)
	if _, err := s.CreateCase(ctx, commerce.PurchaseCase{Kind: "takuhai", ShopID: fx.shop.ID, CustomerID: fx.customer.ID}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCustomer(ctx, fx.customer.ID, fx.customer.Version); errs.KindOf(err) != errs.KindConflict {
		t.Fatalf("delete of a customer with a case: %v, want conflict", err)
	}
	lone, err := s.CreateCustomer(ctx, commerce.Customer{Name: "誤登録"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCustomer(ctx, lone.ID, lone.Version); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetCustomer(ctx, lone.ID); !commerce.IsNotFound(err) {
		t.Errorf("after delete: %v", err)
	}
}

func TestCaseCodesAndTransitions(t *testing.T) {
	t.Parallel()
	s, d := newStore(t)
	ctx := context.Background()
	fx := newFixture(t, s)
	base := commerce.PurchaseCase{ShopID: fx.shop.ID, CustomerID: fx.customer.ID, PurchaseAmount: 1000}
	var codes []string
	for _, kind := range []string{"takuhai", "ippan", "takuhai"} {
		c := base
		c.Kind = kind
		got, err := s.CreateCase(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, got.Code)
		if got.Status != "received" || got.ReceivedOn != "2026-04-10" {
			t.Errorf("defaults: status %s received %s", got.Status, got.ReceivedOn)
		}
	}
	if strings.Join(codes, " ") != "TK000001 IP000001 TK000002" {
		t.Errorf("codes = %v", codes)
	}

	tests := []struct {
		name  string
		from  string
		to    string
		kind  errs.Kind // "" = allowed
		field string
	}{
		{"advance", "received", "appraising", "", ""},
		{"stock with date", "consented", "stocked", "", ""},
		{"cancel early", "arrived", "cancelled", "", ""},
		{"cancel stocked", "stocked", "cancelled", errs.KindConflict, ""},
		{"edit cancelled", "cancelled", "received", errs.KindConflict, ""},
		{"unknown status", "received", "lost", errs.KindInvalid, "status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			c.Kind, c.Status, c.ConfirmedOn = "takuhai", tt.from, "2026-04-01"
			c, err := s.CreateCase(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			c.Status = tt.to
			got, err := s.UpdateCase(ctx, c)
			if errs.KindOf(err) != tt.kind && !(tt.kind == "" && err == nil) {
				t.Fatalf("update %s→%s: %v, want %q", tt.from, tt.to, err, tt.kind)
			}
			if tt.field != "" && fieldsOf(err)[tt.field] == "" {
				t.Errorf("no message for %s: %v", tt.field, err)
			}
			if err == nil && (got.Status != tt.to || got.Version != 2 || auditCount(t, d, "case.update", c.ID)+auditCount(t, d, "case.cancel", c.ID) != 1) {
				t.Errorf("after update: %+v", got)
			}
		})
	}
}

func TestValidateCase(t *testing.T) {
	t.Parallel()
	good := commerce.PurchaseCase{Kind: "ippan", Status: "stocked", ShopID: "s", CustomerID: "c", ReceivedOn: "2026-03-01", ConfirmedOn: "2026-03-02"}
	tests := []struct {
		name  string
		edit  func(c *commerce.PurchaseCase)
		field string
	}{
		{"good", func(c *commerce.PurchaseCase) {}, ""},
		{"kind", func(c *commerce.PurchaseCase) { c.Kind = "x" }, "kind"},
		{"date", func(c *commerce.PurchaseCase) { c.ReceivedOn = "2026-02-30" }, "received_on"},
		{"stocked needs date", func(c *commerce.PurchaseCase) { c.ConfirmedOn = "" }, "confirmed_on"},
		{"amount", func(c *commerce.PurchaseCase) { c.PurchaseAmount = -1 }, "purchase_amount"},
		{"items", func(c *commerce.PurchaseCase) { c.ItemCount = -1 }, "item_count"},
	}
	for _, tt := range tests {
		c := good
		tt.edit(&c)
		_, err := commerce.ValidateCase(c)
		if (tt.field == "") != (err == nil) || tt.field != "" && fieldsOf(err)[tt.field] == "" {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

func TestCreateCasesUnknownCustomer(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	fx := newFixture(t, s)
	_, err := s.CreateCases(ctx, []commerce.PurchaseCase{
		{Kind: "takuhai", ShopID: fx.shop.ID, CustomerID: fx.customer.ID},
		{Kind: "takuhai", ShopID: fx.shop.ID, CustomerID: "cus_nobody"},
	})
	if fieldsOf(err)["customer_id"] == "" {
		t.Fatalf("error %v", err)
	}
	n, _ := s.CaseIDs(ctx, commerce.CaseFilter{})
	if len(n) != 0 {
		t.Errorf("%d cases written despite the error", len(n))
	}
	// The failed batch gave its numbers back.
	c, err := s.CreateCase(ctx, commerce.PurchaseCase{Kind: "takuhai", ShopID: fx.shop.ID, CustomerID: fx.customer.ID})
	if err != nil || c.Code != "TK000001" {
		t.Errorf("next case %s %v", c.Code, err)
	}
	if errors.Is(err, db.ErrNotFound) {
		t.Fatal("unreachable")
	}
}
