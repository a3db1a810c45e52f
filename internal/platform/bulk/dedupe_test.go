package bulk_test

import (
	"slices"
	"testing"

	"kessai/internal/platform/bulk"
)

func TestDedupe(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []string
		want []string
	}{
		{"nil", nil, []string{}},
		{"kept in order", []string{"b", "a", "c"}, []string{"b", "a", "c"}},
		{"repeat keeps the first", []string{"a", "b", "a", "b"}, []string{"a", "b"}},
		{"blank and space dropped", []string{"", "  ", "a", ""}, []string{"a"}},
		{"trimmed before compared", []string{" a", "a ", "\ta\n"}, []string{"a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := bulk.Dedupe(tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("Dedupe(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
