package aozorasim

import (
	"encoding/json"
	"errors"
	"net/http"
)

// The sandbox JSON API under /_sim drives a whole run without a browser. It has no
// authentication: it only exists in the sandbox, and kessai mounts it behind its own login.

func decodeAdmin(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "JSONを読めません: " + err.Error()})
		return false
	}
	return true
}

func adminResult(w http.ResponseWriter, err error) {
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	case errors.Is(err, ErrUnknownToken), errors.Is(err, ErrUnknownApply):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
	case errors.Is(err, ErrWrongPassword):
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": err.Error()})
	default:
		writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
	}
}

func (s *Sim) adminApprove(w http.ResponseWriter, r *http.Request) {
	var req struct{ Token, Password string }
	if decodeAdmin(w, r, &req) {
		if req.Password == "" {
			req.Password = TransactionPassword
		}
		adminResult(w, s.Approve(req.Token, req.Password))
	}
}

func (s *Sim) adminReject(w http.ResponseWriter, r *http.Request) {
	var req struct{ Token string }
	if decodeAdmin(w, r, &req) {
		adminResult(w, s.Reject(req.Token))
	}
}

func (s *Sim) adminExpire(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ApplyNo string `json:"apply_no"`
	}
	if decodeAdmin(w, r, &req) {
		adminResult(w, s.Expire(req.ApplyNo))
	}
}

func (s *Sim) adminSetFault(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Mode  FaultMode `json:"mode"`
		Count int       `json:"count"`
	}
	if !decodeAdmin(w, r, &req) {
		return
	}
	if err := s.SetFault(req.Mode, req.Count); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, s.Faults())
}

func (s *Sim) adminRegister(w http.ResponseWriter, r *http.Request) {
	var c ClientReg
	if !decodeAdmin(w, r, &c) {
		return
	}
	if err := s.RegisterClient(c); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// routes lists every path the Sim serves, below the mount prefix.
func (s *Sim) routes() *http.ServeMux {
	m := http.NewServeMux()
	api := func(pattern, scope string, h func(http.ResponseWriter, *http.Request, string)) {
		m.Handle(pattern, s.api(scope, h))
	}
	moving := func(pattern, scope string, h func(http.ResponseWriter, *http.Request, string)) {
		m.Handle(pattern, s.moving(s.api(scope, h)))
	}
	const (
		acct = "private:account"
		tr   = "private:transfer"
		bulk = "private:bulk-transfer"
	)

	// The bank.
	m.HandleFunc("GET "+AuthPath+"/authorization", s.handleAuthorize)
	m.HandleFunc("POST "+AuthPath+"/authorization", s.handleLogin)
	m.HandleFunc("POST "+AuthPath+"/token", s.handleToken)
	api("GET "+APIPath+"/accounts", acct, s.handleAccounts)
	moving("POST "+APIPath+"/transfer/request", tr, s.handleRequest(false))
	api("GET "+APIPath+"/transfer/request-result", tr, s.handleResult(false))
	api("GET "+APIPath+"/transfer/status", tr, s.handleStatus)
	moving("POST "+APIPath+"/transfer/cancel", tr, s.handleCancel(false))
	api("POST "+APIPath+"/transfer/transferfee", tr, s.handleFee(false))
	moving("POST "+APIPath+"/bulktransfer/request", bulk, s.handleRequest(true))
	api("GET "+APIPath+"/bulktransfer/request-result", bulk, s.handleResult(true))
	api("GET "+APIPath+"/bulktransfer/status", bulk, s.handleBulkStatus)
	moving("POST "+APIPath+"/bulktransfer/cancel", bulk, s.handleCancel(true))
	api("POST "+APIPath+"/bulktransfer/transferfee", bulk, s.handleFee(true))
	m.HandleFunc(APIPath+"/", notFound)

	// The sandbox pages.
	m.HandleFunc("GET /{$}", s.handleIndex)
	m.HandleFunc("GET /mailbox", s.handleMailbox)
	m.HandleFunc("GET /approve", s.handleApprovePage)
	m.HandleFunc("POST /approve", s.handleApproveForm)

	// The sandbox JSON API.
	m.HandleFunc("GET /_sim/status", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Status()) })
	m.HandleFunc("GET /_sim/mails", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Mails()) })
	m.HandleFunc("GET /_sim/transfers", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Transfers()) })
	m.HandleFunc("POST /_sim/approve", s.adminApprove)
	m.HandleFunc("POST /_sim/reject", s.adminReject)
	m.HandleFunc("POST /_sim/expire", s.adminExpire)
	m.HandleFunc("POST /_sim/reset", func(w http.ResponseWriter, _ *http.Request) { s.Reset(); adminResult(w, nil) })
	m.HandleFunc("GET /_sim/faults", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Faults()) })
	m.HandleFunc("POST /_sim/faults", s.adminSetFault)
	m.HandleFunc("DELETE /_sim/faults", func(w http.ResponseWriter, _ *http.Request) { s.ClearFaults(); adminResult(w, nil) })
	m.HandleFunc("POST /_sim/clients", s.adminRegister)
	return m
}
