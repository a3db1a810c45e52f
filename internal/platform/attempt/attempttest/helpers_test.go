package attempttest_test

import (
	"testing"
	"time"

	"kessai/internal/platform/attempt"
	"kessai/internal/platform/attempt/attempttest"
)

func TestConcluded(t *testing.T) {
	a := func(s attempt.State) attempt.Attempt { return attempt.Attempt{ID: "att_" + string(s), State: s} }
	tests := []struct {
		name string
		atts []attempt.Attempt
		ok   bool
	}{
		{"none", nil, false},
		{"one succeeded", []attempt.Attempt{a(attempt.Succeeded)}, true},
		{"failed then succeeded", []attempt.Attempt{a(attempt.Failed), a(attempt.Succeeded)}, true},
		{"last failed", []attempt.Attempt{a(attempt.Succeeded), a(attempt.Failed)}, false},
		{"one left unknown", []attempt.Attempt{a(attempt.Unknown), a(attempt.Succeeded)}, false},
	}
	for _, tt := range tests {
		if err := attempttest.Concluded(tt.atts); (err == nil) != tt.ok {
			t.Errorf("%s: %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

func TestOptionsApply(t *testing.T) {
	r := &attempt.Runner{CallTimeout: 7 * time.Second}
	restore := attempttest.Options{Step: func(attempt.Step) error { return nil }, CallTimeout: time.Second}.Apply(r)
	if r.StepHook == nil || r.CallTimeout != time.Second {
		t.Fatalf("applied: hook %v timeout %s", r.StepHook != nil, r.CallTimeout)
	}
	restore()
	if r.StepHook != nil || r.CallTimeout != 7*time.Second {
		t.Errorf("restored: hook %v timeout %s", r.StepHook != nil, r.CallTimeout)
	}
}
