package aozorasim

import (
	"fmt"
	"net/http"
	"slices"
	"time"
)

// FaultMode is a failure the Sim can inject, to test that kessai never moves money twice.
type FaultMode string

const (
	// FaultTimeoutAfterAccept records the request (the transfer exists, the key is stored),
	// then holds the connection open without answering until the client gives up (or
	// Options.HangTimeout), and drops it.
	FaultTimeoutAfterAccept FaultMode = "timeout_after_accept"
	// FaultCloseAfterAccept records the request, then closes the connection without an answer.
	FaultCloseAfterAccept FaultMode = "close_after_accept"
	// FaultHTTP500 records the request, then answers 500: the transfer exists although the
	// client was told the bank failed.
	FaultHTTP500 FaultMode = "http_500"
	// FaultHTTP500Before answers 500 without recording anything.
	FaultHTTP500Before FaultMode = "http_500_before"
	// FaultMaintenance answers 503 WG_ERR_300 to every API and token call, before processing.
	FaultMaintenance FaultMode = "maintenance"
)

// FaultModes lists every fault.
var FaultModes = []FaultMode{FaultTimeoutAfterAccept, FaultCloseAfterAccept, FaultHTTP500, FaultHTTP500Before, FaultMaintenance}

// movingFaults apply to the money-moving calls: transfer and bulk transfer request and cancel.
var movingFaults = []FaultMode{FaultHTTP500Before, FaultHTTP500, FaultTimeoutAfterAccept, FaultCloseAfterAccept}

// FaultState is an armed fault. Remaining is -1 for a fault armed until cleared.
type FaultState struct {
	Mode      FaultMode `json:"mode"`
	Remaining int       `json:"remaining"`
}

// SetFault arms mode for the next count matching calls (count ≤ 0: until cleared).
func (s *Sim) SetFault(mode FaultMode, count int) error {
	if !slices.Contains(FaultModes, mode) {
		return fmt.Errorf("aozorasim: unknown fault %q", mode)
	}
	if count <= 0 {
		count = -1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[mode] = count
	return nil
}

// ClearFaults disarms every fault.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = map[FaultMode]int{}
}

// Faults lists the armed faults in FaultModes order.
func (s *Sim) Faults() []FaultState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faultsLocked()
}

func (s *Sim) faultsLocked() []FaultState {
	var out []FaultState
	for _, m := range FaultModes {
		if n, ok := s.faults[m]; ok {
			out = append(out, FaultState{Mode: m, Remaining: n})
		}
	}
	return out
}

// takeFault consumes one use of the first armed fault among modes.
func (s *Sim) takeFault(modes ...FaultMode) FaultMode {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range modes {
		n, ok := s.faults[m]
		if !ok {
			continue
		}
		if n > 0 {
			n--
			if n == 0 {
				delete(s.faults, m)
			} else {
				s.faults[m] = n
			}
		}
		return m
	}
	return ""
}

// maintenance answers WG_ERR_300 when that fault is armed, and reports whether it did.
func (s *Sim) maintenance(w http.ResponseWriter) bool {
	if s.takeFault(FaultMaintenance) == "" {
		return false
	}
	writeError(w, http.StatusServiceUnavailable, apiError{Code: "WG_ERR_300", Message: "現在サービス時間外またはメンテナンス中です。"})
	return true
}

// moving wraps a money-moving handler with the faults that hit it.
func (s *Sim) moving(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		mode := s.takeFault(movingFaults...)
		switch mode {
		case "":
			h(w, r)
			return
		case FaultHTTP500Before:
			writeError(w, http.StatusInternalServerError, apiError{Code: codeInternal, Message: "システムエラーが発生しました。"})
			return
		}
		// The request is processed for real; only its answer is lost.
		h(&discardWriter{h: http.Header{}}, r)
		switch mode {
		case FaultHTTP500:
			writeError(w, http.StatusInternalServerError, apiError{Code: codeInternal, Message: "システムエラーが発生しました。"})
		case FaultTimeoutAfterAccept:
			t := time.NewTimer(s.opts.HangTimeout)
			defer t.Stop()
			select {
			case <-r.Context().Done():
			case <-t.C:
			}
			panic(http.ErrAbortHandler) // drop the connection without an answer
		case FaultCloseAfterAccept:
			panic(http.ErrAbortHandler)
		}
	}
}

// discardWriter swallows an answer that a fault replaces.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}
