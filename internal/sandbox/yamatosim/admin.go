package yamatosim

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"kessai/internal/provider/yamato"
)

// The /_sim JSON API drives a whole run without a browser. It has no authentication of its
// own: it exists only in the sandbox, and kessai mounts it behind its own login.

func (s *Sim) routes() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc(APIPath+"{file}", s.handleAPI)

	m.HandleFunc("GET /{$}", s.pageIndex)
	m.HandleFunc("POST /admin/buyer-csv", s.pageBuyerUpload)
	m.HandleFunc("GET /admin/batches/{id}", s.pageBatch)
	m.HandleFunc("GET /admin/batches/{id}/result.csv", s.downloadResults)
	m.HandleFunc("POST /admin/shipment-csv", s.pageShipmentUpload)
	m.HandleFunc("POST /admin/orders/{no}/status", s.pageSetStatus)

	m.HandleFunc("GET /_sim/status", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Status()) })
	m.HandleFunc("GET /_sim/orders", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Orders()) })
	m.HandleFunc("GET /_sim/orders/{no}", s.adminOrder)
	m.HandleFunc("POST /_sim/orders/{no}/status", s.adminSetStatus)
	m.HandleFunc("POST /_sim/orders/{no}/result", s.adminSetResult)
	m.HandleFunc("GET /_sim/batches", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Batches()) })
	m.HandleFunc("POST /_sim/buyer-csv", s.adminBuyerCSV)
	m.HandleFunc("GET /_sim/batches/{id}/result.csv", s.downloadResults)
	m.HandleFunc("POST /_sim/shipment-csv", s.adminShipmentCSV)
	m.HandleFunc("POST /_sim/settings", s.adminSettings)
	m.HandleFunc("POST /_sim/faults", s.adminFault)
	m.HandleFunc("POST /_sim/reset", func(w http.ResponseWriter, _ *http.Request) { s.Reset(); writeJSON(w, http.StatusOK, okBody) })
	return m
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

func adminResult(w http.ResponseWriter, err error) {
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, okBody)
	case errors.Is(err, ErrUnknownOrder), errors.Is(err, ErrUnknownBatch):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	}
}

func (s *Sim) adminOrder(w http.ResponseWriter, r *http.Request) {
	o, ok := s.Order(r.PathValue("no"))
	if !ok {
		adminResult(w, ErrUnknownOrder)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func (s *Sim) adminSetStatus(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Status yamato.Status `json:"status"`
	}
	if decodeAdmin(w, r, &req) {
		adminResult(w, s.SetStatus(r.PathValue("no"), req.Status))
	}
}

func (s *Sim) adminSetResult(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Result yamato.CreditResult `json:"result"`
	}
	if decodeAdmin(w, r, &req) {
		adminResult(w, s.SetResult(r.PathValue("no"), req.Result))
	}
}

func (s *Sim) adminSettings(w http.ResponseWriter, r *http.Request) {
	var req struct {
		FollowUpWindow string `json:"follow_up_window"`
	}
	if !decodeAdmin(w, r, &req) {
		return
	}
	d, err := time.ParseDuration(req.FollowUpWindow)
	if err != nil {
		adminResult(w, errors.New("follow_up_window は 5s のような期間で指定してください"))
		return
	}
	if d == 0 {
		d = -1 // zero in Options means the default; a set zero means no window
	}
	s.SetFollowUpWindow(d)
	adminResult(w, nil)
}

func (s *Sim) adminFault(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Mode  FaultMode `json:"mode"`
		Count int       `json:"count"`
	}
	if decodeAdmin(w, r, &req) {
		adminResult(w, s.SetFault(req.Mode, req.Count))
	}
}

// rowErrorsJSON is how the JSON API reports a refused file.
type rowErrorsJSON struct {
	Error string         `json:"error"`
	Rows  []rowErrorJSON `json:"rows,omitempty"`
}

type rowErrorJSON struct {
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"`
	Value   string `json:"value,omitempty"`
	Message string `json:"message"`
}

func fileErrorJSON(w http.ResponseWriter, err error) {
	out := rowErrorsJSON{Error: err.Error()}
	var es yamato.RowErrors
	var re yamato.RowError
	switch {
	case errors.As(err, &es):
	case errors.As(err, &re):
		es = yamato.RowErrors{re}
	}
	for _, e := range es {
		out.Rows = append(out.Rows, rowErrorJSON{Row: e.Row, Column: e.Column, Value: e.Value, Message: e.Message})
	}
	writeJSON(w, http.StatusUnprocessableEntity, out)
}

// adminBuyerCSV takes the CSV as the request body.
func (s *Sim) adminBuyerCSV(w http.ResponseWriter, r *http.Request) {
	b, err := s.ImportBuyerCSV(http.MaxBytesReader(w, r.Body, maxUpload), r.URL.Query().Get("name"))
	if err != nil {
		fileErrorJSON(w, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

func (s *Sim) adminShipmentCSV(w http.ResponseWriter, r *http.Request) {
	n, err := s.ImportShipmentCSV(http.MaxBytesReader(w, r.Body, maxUpload))
	if err != nil {
		fileErrorJSON(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"applied": n})
}

// maxUpload bounds an uploaded CSV: 100,000 buyer rows are about 40 MB.
const maxUpload = 64 << 20

func (s *Sim) downloadResults(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	w.Header().Set("Content-Type", "text/csv; charset=Shift_JIS")
	w.Header().Set("Content-Disposition", `attachment; filename="yoshin_kekka_`+id+`.csv"`)
	if err := s.WriteCreditResults(w, id); err != nil {
		w.Header().Del("Content-Disposition")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		status := http.StatusInternalServerError
		if errors.Is(err, ErrUnknownBatch) {
			status = http.StatusNotFound
		}
		http.Error(w, err.Error(), status)
	}
}
