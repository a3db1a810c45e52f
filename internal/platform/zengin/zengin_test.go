package zengin

import (
	"strings"
	"testing"
)

func load(tb testing.TB) *Master {
	tb.Helper()
	m, err := Load()
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func TestCounts(t *testing.T) {
	t.Parallel()
	m := load(t)
	banks, branches := m.Counts()
	// zengin-code 1.0.0-p20260824 has 1,146 banks and 28,944 branches; allow for later releases.
	if banks < 1100 || banks > 1200 {
		t.Errorf("banks = %d, want about 1,146", banks)
	}
	if branches < 28000 || branches > 30000 {
		t.Errorf("branches = %d, want about 28,944", branches)
	}
	if m.Version() == "" {
		t.Error("Version is empty")
	}
}

func TestBank(t *testing.T) {
	t.Parallel()
	m := load(t)
	tests := []struct{ code, name, kana string }{
		{"0001", "みずほ", "ミズホ"},
		{"0005", "三菱ＵＦＪ", "ミツビシユ－エフジエイ"},
		{"0009", "三井住友", "ミツイスミトモ"},
		{"0310", "ＧＭＯあおぞらネット", "ジ－エムオ－アオゾラネツト"},
		{"9900", "ゆうちょ", "ユウチヨ"},
	}
	for _, tt := range tests {
		b, ok := m.Bank(tt.code)
		if !ok || b.Name != tt.name || b.Kana != tt.kana || b.Code != tt.code {
			t.Errorf("Bank(%s) = %+v, %v; want name %s kana %s", tt.code, b, ok, tt.name, tt.kana)
		}
	}
	if b, ok := m.Bank("0000"); ok {
		t.Errorf("Bank(0000) = %+v, want not found", b)
	}
}

func TestBranch(t *testing.T) {
	t.Parallel()
	m := load(t)
	tests := []struct{ bank, code, name string }{
		{"0001", "001", "東京営業部"},
		{"0310", "101", "法人営業部"},
		{"9900", "018", "〇一八"},
	}
	for _, tt := range tests {
		b, ok := m.Branch(tt.bank, tt.code)
		if !ok || b.Name != tt.name || b.BankCode != tt.bank {
			t.Errorf("Branch(%s, %s) = %+v, %v; want %s", tt.bank, tt.code, b, ok, tt.name)
		}
	}
	if _, ok := m.Branch("0001", "999"); ok {
		t.Error("Branch(0001, 999) found")
	}
	if _, ok := m.Branch("9999", "001"); ok {
		t.Error("Branch(9999, 001) found")
	}
	if n := len(m.Branches("0310")); n < 10 {
		t.Errorf("Branches(0310) has %d entries", n)
	}
}

func codes[T any](xs []T, code func(T) string) string {
	var s []string
	for _, x := range xs {
		s = append(s, code(x))
	}
	return strings.Join(s, ",")
}

func TestSearchBanks(t *testing.T) {
	t.Parallel()
	m := load(t)
	bankCode := func(b Bank) string { return b.Code }
	tests := []struct {
		q     string
		first string // code of the first result
	}{
		{"0001", "0001"},
		{"０００５", "0005"},
		{"みずほ", "0001"},
		{"ミズホ", "0001"},
		{"ﾐｽﾞﾎ", "0001"},
		{"mizuho", "0001"},
		{"三菱", "0005"},
		{"ufj", "0005"},
		{"ＵＦＪ", "0005"},
		{"じーえむおー", "0310"},
		{"ｼﾞｰｴﾑｵｰ", "0310"},
		{"GMOあおぞら", "0310"},
		{"ゆうちょ", "9900"},
		{"ユウチョ", "9900"}, // small ョ folds to ヨ as in the data
	}
	for _, tt := range tests {
		got := m.SearchBanks(tt.q, 10)
		if len(got) == 0 || got[0].Code != tt.first {
			t.Errorf("SearchBanks(%q) = [%s], want %s first", tt.q, codes(got, bankCode), tt.first)
		}
	}

	// A code prefix lists banks in code order, limited.
	got := m.SearchBanks("000", 3)
	if c := codes(got, bankCode); c != "0001,0005,0009" {
		t.Errorf("SearchBanks(000, 3) = [%s]", c)
	}
	if got := m.SearchBanks("", 10); got != nil {
		t.Errorf("empty query returned %d banks", len(got))
	}
	if got := m.SearchBanks("みずほ", 0); got != nil {
		t.Errorf("limit 0 returned %d banks", len(got))
	}
	if got := m.SearchBanks("存在しない銀行名", 10); len(got) != 0 {
		t.Errorf("nonsense query returned [%s]", codes(got, bankCode))
	}
}

func TestSearchBranches(t *testing.T) {
	t.Parallel()
	m := load(t)
	branchCode := func(b Branch) string { return b.Code }
	tests := []struct {
		bank, q, first string
	}{
		{"0001", "001", "001"},
		{"0001", "とうきょう", "001"},
		{"0001", "ﾄｳｷｮｳ", "001"},
		{"0001", "東京営業部", "001"},
		{"0310", "ほうじん", "101"},
		{"9900", "〇一八", "018"},
		{"9900", "ぜろいちはち", "018"},
	}
	for _, tt := range tests {
		got := m.SearchBranches(tt.bank, tt.q, 20)
		if len(got) == 0 || got[0].Code != tt.first {
			t.Errorf("SearchBranches(%s, %q) = [%s], want %s first", tt.bank, tt.q, codes(got, branchCode), tt.first)
		}
		for _, b := range got {
			if b.BankCode != tt.bank {
				t.Errorf("SearchBranches(%s, %q) returned a branch of bank %s", tt.bank, tt.q, b.BankCode)
			}
		}
	}
	// Exact name beats a prefix: 本店 before 本店第十一 etc.
	got := m.SearchBranches("0310", "ほんてん", 5)
	if len(got) == 0 || got[0].Name != "本店" {
		t.Errorf("SearchBranches(0310, ほんてん) = %+v", got)
	}
	if got := m.SearchBranches("9999", "本店", 5); len(got) != 0 {
		t.Errorf("unknown bank returned %d branches", len(got))
	}
}

func TestParseRejectsBadData(t *testing.T) {
	t.Parallel()
	for _, data := range []string{
		"\t001\tx\tx\tx\tx\n",
		"B\t0001\tx\tx\n",
		"X\t0001\tx\tx\tx\tx\n",
		"B\t0001\tx\tx\tx\tx\nB\t0001\tx\tx\tx\tx\n",
	} {
		if _, err := Parse(strings.NewReader(data)); err == nil {
			t.Errorf("Parse(%q) succeeded", data)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := loadUncached(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSearchBanks(b *testing.B) {
	m := load(b)
	for b.Loop() {
		m.SearchBanks("みずほ", 20)
	}
}

func BenchmarkSearchBranches(b *testing.B) {
	m := load(b)
	for b.Loop() {
		m.SearchBranches("9900", "ぜろいち", 20)
	}
}
