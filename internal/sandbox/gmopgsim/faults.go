package gmopgsim

import (
	"fmt"
	"slices"
)

// FaultMode is a failure the Sim can inject, to show that kessai never moves money twice and
// retries only what GMO-PG asks it to.
type FaultMode string

const (
	// FaultTimeoutAfterAccept processes the call, then holds the connection without answering
	// until the client gives up (or Options.HangTimeout) and drops it.
	FaultTimeoutAfterAccept FaultMode = "timeout_after_accept"
	// FaultCloseAfterAccept processes the call, then closes the connection without an answer.
	FaultCloseAfterAccept FaultMode = "close_after_accept"
	// FaultDoubleSubmission processes the call and answers E90010001, as GMO-PG answers the
	// second of two identical requests while the first is still running.
	FaultDoubleSubmission FaultMode = "e90010001"
	// FaultRateLimit answers E92000001 without processing anything.
	FaultRateLimit FaultMode = "e92"
	// FaultCardCompany answers 42C010000 (card company unreachable) without processing anything.
	FaultCardCompany FaultMode = "42c"
)

// FaultModes lists every fault.
var FaultModes = []FaultMode{FaultTimeoutAfterAccept, FaultCloseAfterAccept, FaultDoubleSubmission, FaultRateLimit, FaultCardCompany}

// FaultState is an armed fault. Remaining is -1 for a fault armed until cleared; API is the one
// API it hits ("" for every API).
type FaultState struct {
	Mode      FaultMode `json:"mode"`
	API       string    `json:"api,omitempty"`
	Remaining int       `json:"remaining"`
}

type armedFault = FaultState

// SetFault arms mode for the next count calls of api ("" for any API; count ≤ 0: until
// cleared). Arming a mode again for the same API replaces it.
func (s *Sim) SetFault(mode FaultMode, count int, api string) error {
	if !slices.Contains(FaultModes, mode) {
		return fmt.Errorf("gmopgsim: unknown fault %q (use one of %v)", mode, FaultModes)
	}
	if api != "" && apis[api] == nil {
		return fmt.Errorf("gmopgsim: unknown API %q", api)
	}
	if count <= 0 {
		count = -1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = slices.DeleteFunc(s.faults, func(f armedFault) bool { return f.Mode == mode && f.API == api })
	s.faults = append(s.faults, armedFault{Mode: mode, API: api, Remaining: count})
	return nil
}

// ClearFaults disarms every fault.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Faults lists the armed faults.
func (s *Sim) Faults() []FaultState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.faults)
}

// takeFault consumes one use of the first fault armed for api.
func (s *Sim) takeFault(api string) FaultMode {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.faults {
		f := &s.faults[i]
		if f.API != "" && f.API != api {
			continue
		}
		mode := f.Mode
		if f.Remaining > 0 {
			f.Remaining--
			if f.Remaining == 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
		}
		return mode
	}
	return ""
}
