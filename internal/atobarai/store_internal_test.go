package atobarai

import (
	"regexp"
	"testing"
)

// TestNewOrderNoUnique: numbers made back to back (many in one millisecond) never repeat and
// fit Yamato's rule.
func TestNewOrderNoUnique(t *testing.T) {
	rule := regexp.MustCompile(`^[0-9A-Za-z_-]{1,20}$`)
	seen := map[string]bool{}
	for range 5000 {
		n := NewOrderNo()
		if !rule.MatchString(n) {
			t.Fatalf("%q breaks Yamato's 受注番号 rule", n)
		}
		if seen[n] {
			t.Fatalf("%q made twice", n)
		}
		seen[n] = true
	}
}
