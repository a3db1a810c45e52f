package errs_test

import (
	"errors"
	"fmt"
	"testing"

	"kessai/internal/platform/errs"
)

func TestText(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"kessai error: its message, not kind or cause", errs.E(errs.KindUnavailable, "接続できません").Wrap(errors.New("dial tcp: refused")), "接続できません"},
		{"wrapped kessai error", fmt.Errorf("save: %w", errs.Invalid("ショップIDを入力してください")), "ショップIDを入力してください"},
		{"other error: its own text", errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), "dial tcp 127.0.0.1:1: connect: connection refused"},
		{"kessai error without a message", &errs.Error{Kind: errs.KindInternal, Cause: errors.New("boom")}, "internal: : boom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := errs.Text(tc.err); got != tc.want {
				t.Errorf("Text = %q, want %q", got, tc.want)
			}
		})
	}
}
