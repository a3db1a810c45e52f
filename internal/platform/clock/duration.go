package clock

import (
	"strconv"
	"strings"
	"time"
)

// FormatDuration writes d as people read it on a Japanese screen: 30分, 1時間30分, 2日3時間,
// 45秒 (never Go's 30m0s). It is rounded to the second; zero is 0秒.
func FormatDuration(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	d = d.Round(time.Second)
	if d == 0 {
		return "0秒"
	}
	var b strings.Builder
	if neg {
		b.WriteString("-")
	}
	for _, u := range []struct {
		size  time.Duration
		label string
	}{{24 * time.Hour, "日"}, {time.Hour, "時間"}, {time.Minute, "分"}, {time.Second, "秒"}} {
		if n := d / u.size; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10))
			b.WriteString(u.label)
			d -= n * u.size
		}
	}
	return b.String()
}
