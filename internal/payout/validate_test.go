package payout_test

import (
	"strings"
	"testing"

	"kessai/internal/payout"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr string
	}{
		{"25000", 25000, ""},
		{"２５０００", 25000, ""},
		{"25,000", 25000, ""},
		{"¥25,000円", 25000, ""},
		{"", 0, ""},
		{"-5", 0, "1円以上"},
		{"25000.5", 0, "整数"},
		{"abc", 0, "数字で"},
		{"1e5", 0, "数字で"},
	}
	for _, tt := range tests {
		got, msg := payout.ParseAmount(tt.in)
		if got != tt.want || (tt.wantErr == "") != (msg == "") || !strings.Contains(msg, tt.wantErr) {
			t.Errorf("ParseAmount(%q) = %d, %q; want %d, …%s…", tt.in, got, msg, tt.want, tt.wantErr)
		}
	}
}
