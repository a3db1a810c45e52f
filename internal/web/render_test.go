package web

import (
	"html/template"
	"strings"
	"testing"
)

func TestCommaInTemplates(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{int(1234567), "1,234,567"},
		{int64(-9876543210), "-9,876,543,210"},
		{int(0), "0"},
		{int64(999), "999"},
	}
	tpl := template.Must(template.New("t").Funcs(Funcs()).Parse(`{{comma .}}`))
	for _, tt := range tests {
		var b strings.Builder
		if err := tpl.Execute(&b, tt.v); err != nil || b.String() != tt.want {
			t.Errorf("comma %v = %q, %v; want %q", tt.v, b.String(), err, tt.want)
		}
	}
	if Yen(-1500) != "-¥1,500" || Yen(300000) != "¥300,000" {
		t.Errorf("Yen = %q, %q", Yen(-1500), Yen(300000))
	}
}
