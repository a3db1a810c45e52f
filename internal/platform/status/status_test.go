package status

import "testing"

func TestSet(t *testing.T) {
	s := NewSet("テスト",
		Status{Code: "a", Label: "エー", Actions: []string{"edit"}},
		Status{Code: "b", Label: "ビー", Final: true},
	)
	tests := []struct {
		code, action string
		valid, allow bool
		label        string
	}{
		{"a", "edit", true, true, "エー"},
		{"a", "delete", true, false, "エー"},
		{"b", "edit", true, false, "ビー"},
		{"zz", "edit", false, false, "zz"},
	}
	for _, tt := range tests {
		if got := s.Valid(tt.code); got != tt.valid {
			t.Errorf("Valid(%q) = %v", tt.code, got)
		}
		if got := s.Allows(tt.code, tt.action); got != tt.allow {
			t.Errorf("Allows(%q, %q) = %v", tt.code, tt.action, got)
		}
		if got := s.Label(tt.code); got != tt.label {
			t.Errorf("Label(%q) = %q", tt.code, got)
		}
	}
	if got := s.Codes(); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("Codes = %v", got)
	}
}

func TestNewSetRejectsDuplicates(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("NewSet accepted a duplicate code")
		}
	}()
	NewSet("dup", Status{Code: "x"}, Status{Code: "x"})
}

func TestLookup(t *testing.T) {
	s := NewSet("テスト", Status{Code: "ok", Label: "完了", Level: "ok"})
	if got := s.Lookup("ok"); got.Label != "完了" || got.Level != "ok" {
		t.Errorf("Lookup(ok) = %+v", got)
	}
	if got := s.Lookup("future_code"); got.Code != "future_code" || got.Label != "future_code" {
		t.Errorf("an undeclared code: %+v, want it shown as itself", got)
	}
}
