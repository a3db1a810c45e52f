package commerce_test

import (
	"context"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"kessai/internal/commerce"
	"kessai/internal/platform/errs"
)

func ptr[T any](v T) *T { return &v }

func TestSearchCases(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	fx := newFixture(t, s)
	other, err := s.CreateShop(ctx, commerce.Shop{Code: "outlet", Name: "アウトレット"})
	if err != nil {
		t.Fatal(err)
	}
	nobank, err := s.CreateCustomer(ctx, commerce.Customer{Name: "鈴木 一郎", NameKana: "スズキ イチロウ", Email: "ichiro@example.com", Phone: "090-1111-2222"})
	if err != nil {
		t.Fatal(err)
	}
	cases, err := s.CreateCases(ctx, []commerce.PurchaseCase{
		{Kind: "takuhai", Status: "stocked", ShopID: fx.shop.ID, CustomerID: fx.customer.ID, ReceivedOn: "2026-03-01", ConfirmedOn: "2026-03-05", PurchaseAmount: 12000},
		{Kind: "takuhai", Status: "stocked", ShopID: fx.shop.ID, CustomerID: nobank.ID, ReceivedOn: "2026-03-10", ConfirmedOn: "2026-03-20", PurchaseAmount: 0},
		{Kind: "ippan", Status: "appraising", ShopID: other.ID, CustomerID: nobank.ID, ReceivedOn: "2026-04-01", PurchaseAmount: 300000},
		{Kind: "takuhai", Status: "cancelled", ShopID: fx.shop.ID, CustomerID: fx.customer.ID, ReceivedOn: "2026-04-02", PurchaseAmount: 500},
	})
	if err != nil {
		t.Fatal(err)
	}
	codes := func(rows []commerce.CaseRow) string {
		var out []string
		for _, r := range rows {
			out = append(out, r.Code)
		}
		return strings.Join(out, " ")
	}
	tests := []struct {
		name string
		f    commerce.CaseFilter
		want string
	}{
		{"all, newest first", commerce.CaseFilter{Sort: "code"}, "IP000001 TK000001 TK000002 TK000003"},
		{"kind", commerce.CaseFilter{Kind: "ippan"}, "IP000001"},
		{"statuses", commerce.CaseFilter{Statuses: []string{"stocked", "cancelled"}, Sort: "code"}, "TK000001 TK000002 TK000003"},
		{"code part", commerce.CaseFilter{Code: "tk00000"}, "TK000003 TK000002 TK000001"},
		{"customer kana in hiragana", commerce.CaseFilter{Customer: "すずき", Sort: "code"}, "IP000001 TK000002"},
		{"customer code", commerce.CaseFilter{Customer: "c000001", Sort: "code"}, "TK000001 TK000003"},
		{"customer phone without hyphens", commerce.CaseFilter{Customer: "09011112222", Sort: "code"}, "IP000001 TK000002"},
		{"customer id", commerce.CaseFilter{CustomerID: nobank.ID, Sort: "code"}, "IP000001 TK000002"},
		{"shop", commerce.CaseFilter{ShopID: other.ID}, "IP000001"},
		{"confirmed range", commerce.CaseFilter{ConfirmedFrom: "2026-03-01", ConfirmedTo: "2026-03-10"}, "TK000001"},
		{"confirmed from skips empty dates", commerce.CaseFilter{ConfirmedTo: "2026-12-31", Sort: "confirmed_on"}, "TK000001 TK000002"},
		{"received range", commerce.CaseFilter{ReceivedFrom: "2026-03-10", ReceivedTo: "2026-04-01", Sort: "received_on"}, "TK000002 IP000001"},
		{"amount zero", commerce.CaseFilter{AmountMax: ptr[int64](0)}, "TK000002"},
		{"amount range", commerce.CaseFilter{AmountMin: ptr[int64](500), AmountMax: ptr[int64](12000), Sort: "-amount"}, "TK000001 TK000003"},
		{"has bank", commerce.CaseFilter{HasBank: ptr(true), Sort: "code"}, "TK000001 TK000003"},
		{"no bank", commerce.CaseFilter{HasBank: ptr(false), Sort: "code"}, "IP000001 TK000002"},
		{"ids", commerce.CaseFilter{IDs: []string{cases[0].ID, cases[2].ID}, Sort: "code"}, "IP000001 TK000001"},
		{"nothing", commerce.CaseFilter{Code: "100%"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, total, err := s.SearchCases(ctx, tt.f, 1, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got := codes(rows); got != tt.want || total != len(rows) {
				t.Errorf("got %q (total %d), want %q", got, total, tt.want)
			}
			ids, err := s.CaseIDs(ctx, tt.f)
			if err != nil || len(ids) != len(rows) {
				t.Errorf("CaseIDs = %d %v", len(ids), err)
			}
			// The filter survives a trip through a URL.
			back, err := commerce.CaseFilterFromQuery(tt.f.Query())
			if err != nil || !reflect.DeepEqual(back, tt.f) {
				t.Errorf("round trip: %+v %v\nwant %+v", back, err, tt.f)
			}
		})
	}

	rows, total, err := s.SearchCases(ctx, commerce.CaseFilter{Sort: "code"}, 2, 3)
	if err != nil || total != 4 || codes(rows) != "TK000003" {
		t.Errorf("page 2: %q total %d %v", codes(rows), total, err)
	}
	r := rows[0]
	if r.CustomerName != "山田 太郎" || r.ShopName != "本店" || r.Bank.AccountNumber != "0123456" {
		t.Errorf("row = %+v", r)
	}
}

func TestCaseFilterFromQueryErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		query  string
		fields []string
	}{
		{"status=stocked&status=received,arrived&kind=takuhai", nil},
		{"status=lost", []string{"status"}},
		{"kind=gift", []string{"kind"}},
		{"confirmed_from=2026-13-01&received_to=20260401", []string{"confirmed_from", "received_to"}},
		{"confirmed_from=2026-04-02&confirmed_to=2026-04-01", []string{"confirmed_to"}},
		{"amount_min=-1&amount_max=abc", []string{"amount_max", "amount_min"}},
		{"amount_min=500&amount_max=100", []string{"amount_max"}},
		{"has_bank=maybe&sort=random", []string{"has_bank", "sort"}},
	}
	for _, tt := range tests {
		v, _ := url.ParseQuery(tt.query)
		_, err := commerce.CaseFilterFromQuery(v)
		var got []string
		for k := range fieldsOf(err) {
			got = append(got, k)
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.fields) || (tt.fields != nil) != (errs.KindOf(err) == errs.KindInvalid) {
			t.Errorf("%s: fields %v (%v), want %v", tt.query, got, err, tt.fields)
		}
	}
}

func TestSearchCustomers(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	newFixture(t, s)
	for _, c := range []commerce.Customer{
		{Name: "佐藤 花子", NameKana: "サトウ ハナコ", Email: "Hanako@Example.jp", Prefecture: "大阪府"},
		{Name: "田中 100%", Prefecture: "大阪府"},
	} {
		if _, err := s.CreateCustomer(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		f    commerce.CustomerFilter
		want string
	}{
		{"all", commerce.CustomerFilter{Sort: "code"}, "C000001 C000002 C000003"},
		{"email any case", commerce.CustomerFilter{Text: "hanako@EXAMPLE"}, "C000002"},
		{"kana", commerce.CustomerFilter{Text: "はなこ"}, "C000002"},
		{"percent is literal", commerce.CustomerFilter{Text: "100%"}, "C000003"},
		{"prefecture", commerce.CustomerFilter{Prefecture: "大阪府", Sort: "code"}, "C000002 C000003"},
		{"has bank", commerce.CustomerFilter{HasBank: ptr(true)}, "C000001"},
		{"no bank", commerce.CustomerFilter{HasBank: ptr(false), Sort: "code"}, "C000002 C000003"},
	}
	for _, tt := range tests {
		rows, total, err := s.SearchCustomers(ctx, tt.f, 1, 10)
		var got []string
		for _, r := range rows {
			got = append(got, r.Code)
		}
		if err != nil || strings.Join(got, " ") != tt.want || total != len(rows) {
			t.Errorf("%s: %v total %d %v, want %s", tt.name, got, total, err, tt.want)
		}
		back, err := commerce.CustomerFilterFromQuery(tt.f.Query())
		if err != nil || !reflect.DeepEqual(back, tt.f) {
			t.Errorf("%s: round trip %+v %v", tt.name, back, err)
		}
	}
}
