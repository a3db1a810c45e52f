package clock_test

import (
	"testing"
	"time"

	"kessai/internal/platform/clock"
)

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{30 * time.Minute, "30分"},
		{90 * time.Minute, "1時間30分"},
		{time.Hour, "1時間"},
		{24 * time.Hour, "1日"},
		{51*time.Hour + 5*time.Second, "2日3時間5秒"},
		{45 * time.Second, "45秒"},
		{1500 * time.Millisecond, "2秒"},
		{0, "0秒"},
		{-10 * time.Minute, "-10分"},
	}
	for _, tt := range tests {
		if got := clock.FormatDuration(tt.d); got != tt.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
