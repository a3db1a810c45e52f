package gmopgsim

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"kessai/internal/provider/gmopg"
)

// routes lists every path below the mount prefix.
func (s *Sim) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/payment/", s.serveAPI)
	mux.HandleFunc(StartPath, s.serveStart)
	mux.HandleFunc("/recruit/pay", s.servePay)
	mux.HandleFunc("POST /token", s.serveToken)
	mux.HandleFunc("GET /{$}", s.serveHome)

	mux.HandleFunc("GET /_sim/status", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, s.Status()) })
	mux.HandleFunc("POST /_sim/reset", func(w http.ResponseWriter, r *http.Request) { s.Reset(); writeJSON(w, http.StatusOK, okBody) })
	mux.HandleFunc("GET /_sim/faults", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, s.Faults()) })
	mux.HandleFunc("POST /_sim/faults", s.adminSetFault)
	mux.HandleFunc("DELETE /_sim/faults", func(w http.ResponseWriter, r *http.Request) { s.ClearFaults(); writeJSON(w, http.StatusOK, okBody) })
	mux.HandleFunc("POST /_sim/token", s.adminToken)
	mux.HandleFunc("POST /_sim/buyer", s.adminBuyer)
	mux.HandleFunc("GET /_sim/trades", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, s.Trades()) })
	mux.HandleFunc("GET /_sim/notifications", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, s.Notices()) })
	mux.HandleFunc("POST /_sim/notifications/deliver", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]int{"delivered": s.DeliverNotifications(r.Context())})
	})
	mux.HandleFunc("POST /_sim/notifications/ping", func(w http.ResponseWriter, r *http.Request) {
		s.QueuePing()
		writeJSON(w, http.StatusOK, map[string]int{"delivered": s.DeliverNotifications(r.Context())})
	})
	mux.HandleFunc("POST /_sim/config", s.adminConfig)
	mux.HandleFunc("POST /_sim/cardupdate/process", s.adminProcess)
	mux.HandleFunc("GET /_sim/cardupdate", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, s.Uploads()) })
	return mux
}

var okBody = map[string]bool{"ok": true}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func decodeAdmin(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "JSONを読めません: " + err.Error()})
		return false
	}
	return true
}

func (s *Sim) adminSetFault(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Mode  FaultMode `json:"mode"`
		Count int       `json:"count"`
		API   string    `json:"api"`
	}
	if !decodeAdmin(w, r, &req) {
		return
	}
	if err := s.SetFault(req.Mode, req.Count, req.API); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, s.Faults())
}

func (s *Sim) adminToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		CardNo       string `json:"card_no"`
		Expire       string `json:"expire"`
		SecurityCode string `json:"security_code"`
		Holder       string `json:"holder"`
	}
	if !decodeAdmin(w, r, &req) {
		return
	}
	tok, err := s.Tokenize(req.CardNo, req.Expire, req.SecurityCode, req.Holder)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": tok})
}

// serveToken is the card form's tokenizer (what GMO-PG's token script does in the browser):
// a form with cardNo, expire (YYMM), securityCode and holderName answers {"token": ...}.
// The card number never reaches kessai.
func (s *Sim) serveToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	tok, err := s.Tokenize(r.FormValue("cardNo"), r.FormValue("expire"), r.FormValue("securityCode"), r.FormValue("holderName"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": tok})
}

func (s *Sim) adminBuyer(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AccessID string      `json:"access_id"`
		Token    string      `json:"token"`
		Action   BuyerAction `json:"action"`
	}
	if !decodeAdmin(w, r, &req) {
		return
	}
	if req.Token == "" { // scripts may skip the token: look it up
		s.mu.Lock()
		for _, t := range s.st.Trans {
			if t.AccessID == req.AccessID {
				req.Token = t.Token
			}
		}
		s.mu.Unlock()
	}
	ret, back, err := s.Buy(req.AccessID, req.Token, req.Action)
	if err != nil {
		writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
		return
	}
	m := map[string]string{}
	for _, p := range back {
		m[p.Key] = p.Value
	}
	writeJSON(w, http.StatusOK, map[string]any{"ret_url": ret, "values": m})
}

func (s *Sim) adminConfig(w http.ResponseWriter, r *http.Request) {
	var req struct {
		NotifyURL *string `json:"notify_url"`
	}
	if !decodeAdmin(w, r, &req) {
		return
	}
	if req.NotifyURL != nil {
		s.SetNotifyURL(*req.NotifyURL)
	}
	writeJSON(w, http.StatusOK, s.Status())
}

func (s *Sim) adminProcess(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Month string `json:"month"`
	}
	if !decodeAdmin(w, r, &req) {
		return
	}
	if err := s.ProcessNow(req.Month); err != nil {
		writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, s.Uploads())
}

// Tokenize stores a card behind a one-use token, as GMO-PG's token script does. The token is
// standard base64, so it holds "+" and "/".
func (s *Sim) Tokenize(cardNo, expire, securityCode, holder string) (string, error) {
	c := &call{in: gmopg.Values{{Key: "CardNo", Value: cardNo}, {Key: "Expire", Value: expire}}}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cardSource(c)
	if c.failed() {
		return "", &gmopg.APIError{API: "token", Pairs: gmopg.ParseErrorPairs(errAnswer(c.errs...))}
	}
	tok := randomToken(48)
	s.st.Tokens[tok] = &token{CardNo: cardNo, Expire: expire, SecurityCode: securityCode, Holder: holder, CreatedAt: s.now()}
	s.saveLocked()
	return tok, nil
}

// Status is the Sim's state at a glance, for the サンドボックス page and _sim/status.
type Status struct {
	Now           time.Time            `json:"now"`
	Members       int                  `json:"members"`
	Cards         int                  `json:"cards"`
	Trades        map[gmopg.Status]int `json:"trades"`
	SFTPAddr      string               `json:"sftp_addr"`
	SFTPUser      string               `json:"sftp_user"`
	ResultDay     int                  `json:"result_day"`
	NotifyURL     string               `json:"notify_url"`
	NoticesQueued int                  `json:"notices_queued"`
	Uploads       []UploadState        `json:"uploads"`
	Faults        []FaultState         `json:"faults"`
	Warnings      []string             `json:"warnings"`
}

// Status reports the Sim's state.
func (s *Sim) Status() Status {
	addr := s.Addr()
	ups := s.Uploads()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{Now: s.now(), Trades: map[gmopg.Status]int{}, SFTPAddr: addr, SFTPUser: s.opts.SFTPUser,
		ResultDay: s.opts.ResultDay, NotifyURL: s.st.NotifyURL, Uploads: ups, Faults: slices.Clone(s.faults),
		Warnings: slices.Clone(s.warnings)}
	for _, m := range s.st.Members {
		if m.Deleted {
			continue
		}
		st.Members++
		for _, c := range m.Cards {
			if !c.Deleted {
				st.Cards++
			}
		}
	}
	for _, t := range s.st.Trans {
		t.settle(s.now())
		st.Trades[t.Status]++
	}
	for _, n := range s.st.Notices {
		if !n.Delivered && n.Attempts < maxNoticeAttempts {
			st.NoticesQueued++
		}
	}
	return st
}

// UploadState is one month's card update request as _sim/cardupdate reports it.
type UploadState struct {
	Month       string    `json:"month"`
	Name        string    `json:"name"`
	UploadedAt  time.Time `json:"uploaded_at"`
	ResultAt    time.Time `json:"result_at"`
	Processed   bool      `json:"processed"`
	Rows        int       `json:"rows"`
	Counts      [4]int    `json:"counts"`
	ResultFile  string    `json:"result_file,omitempty"`
	ErrorFile   string    `json:"error_file,omitempty"`
	Errors      []string  `json:"errors,omitempty"`
	ProcessedAt time.Time `json:"processed_at"`
}

// Uploads lists the card update requests, oldest month first.
func (s *Sim) Uploads() []UploadState {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []UploadState
	for _, u := range s.st.Uploads {
		if u.Pending {
			continue
		}
		out = append(out, UploadState{Month: u.Month, Name: u.Name, UploadedAt: u.UploadedAt, ResultAt: s.resultTime(u.Month),
			Processed: u.Processed, Rows: u.Rows, Counts: u.Counts, ResultFile: u.ResultFile, ErrorFile: u.ErrorFile,
			Errors: u.Errors, ProcessedAt: u.ProcessedAt})
	}
	slices.SortFunc(out, func(a, b UploadState) int { return compareStrings(a.Month, b.Month) })
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Trade is a transaction as _sim/trades reports it.
type Trade struct {
	OrderID      string         `json:"order_id"`
	AccessID     string         `json:"access_id"`
	PayType      gmopg.PayType  `json:"pay_type"`
	JobCd        gmopg.JobCd    `json:"job_cd"`
	Status       gmopg.Status   `json:"status"`
	Amount       int64          `json:"amount"`
	Tax          int64          `json:"tax"`
	AuthDeadline time.Time      `json:"auth_deadline"`
	CapturedAt   time.Time      `json:"captured_at"`
	PointsOnly   bool           `json:"points_only"`
	History      []historyEntry `json:"history"`
}

// Trades lists every transaction, by OrderID.
func (s *Sim) Trades() []Trade {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Trade, 0, len(s.st.Trans))
	for _, t := range s.st.Trans {
		t.settle(s.now())
		out = append(out, Trade{OrderID: t.OrderID, AccessID: t.AccessID, PayType: t.PayType, JobCd: t.JobCd, Status: t.Status,
			Amount: t.Amount, Tax: t.Tax, AuthDeadline: t.AuthDeadline, CapturedAt: t.CapturedAt, PointsOnly: t.PointsOnly,
			History: slices.Clone(t.History)})
	}
	slices.SortFunc(out, func(a, b Trade) int { return compareStrings(a.OrderID, b.OrderID) })
	return out
}

// Trade returns one transaction.
func (s *Sim) Trade(orderID string) (Trade, bool) {
	for _, t := range s.Trades() {
		if t.OrderID == orderID {
			return t, true
		}
	}
	return Trade{}, false
}
