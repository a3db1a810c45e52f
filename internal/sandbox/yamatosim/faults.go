package yamatosim

import (
	"fmt"
	"net/http"

	"kessai/internal/provider/yamato"
)

// FaultMode is a failure the Sim plays on the money-moving endpoints (credit, shipment, cancel,
// reduction, reissue, SMS), for crash and timeout tests.
type FaultMode string

const (
	// FaultHTTP503Before answers 503 before anything is processed.
	FaultHTTP503Before FaultMode = "http_503_before"
	// FaultSystemErrorAfter processes the request, then answers returnCode 1 err0001.
	FaultSystemErrorAfter FaultMode = "system_error_after"
	// FaultDropAfter processes the request, then closes the connection without an answer.
	FaultDropAfter FaultMode = "drop_after"
	// FaultHangAfter processes the request, then never answers (until the caller gives up).
	FaultHangAfter FaultMode = "hang_after"
)

type faultState struct {
	mode  FaultMode
	count int // remaining; -1 until cleared
}

var moneyMoving = map[yamato.API]bool{
	yamato.APICredit: true, yamato.APIShipment: true, yamato.APICancel: true,
	yamato.APIReduce: true, yamato.APIReissue: true, yamato.APISMSVerify: true,
}

// SetFault arms mode for the next count money-moving calls (0: until cleared). An empty mode
// clears it.
func (s *Sim) SetFault(mode FaultMode, count int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch mode {
	case "":
		s.fault = nil
		return nil
	case FaultHTTP503Before, FaultSystemErrorAfter, FaultDropAfter, FaultHangAfter:
	default:
		return fmt.Errorf("yamatosim: unknown fault %q (http_503_before, system_error_after, drop_after, hang_after)", mode)
	}
	if count <= 0 {
		count = -1
	}
	s.fault = &faultState{mode: mode, count: count}
	return nil
}

// take reports whether mode is armed for api and uses one count.
func (s *Sim) take(api yamato.API, mode FaultMode) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.fault
	if f == nil || f.mode != mode || !moneyMoving[api] {
		return false
	}
	if f.count > 0 {
		f.count--
		if f.count == 0 {
			s.fault = nil
		}
	}
	return true
}

func (s *Sim) faultBefore(w http.ResponseWriter, api yamato.API) bool {
	if !s.take(api, FaultHTTP503Before) {
		return false
	}
	http.Error(w, "Service Temporarily Unavailable", http.StatusServiceUnavailable)
	return true
}

func (s *Sim) faultAfter(w http.ResponseWriter, r *http.Request, api yamato.API, a *yamato.Answer) bool {
	if s.take(api, FaultSystemErrorAfter) {
		a.ReturnCode, a.ErrorCode, a.Result = yamato.ReturnError, "err0001", ""
		return false // the changed answer is written by the caller
	}
	if s.take(api, FaultHangAfter) {
		<-r.Context().Done()
		return true
	}
	if !s.take(api, FaultDropAfter) {
		return false
	}
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return true
		}
	}
	panic(http.ErrAbortHandler) // HTTP/2 or a recorder: abort the stream without an answer
}
