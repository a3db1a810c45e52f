package jobsui

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/riverqueue/river/rivertype"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/jobs"
	"kessai/internal/platform/status"
	"kessai/internal/web"
)

const perPage = 50

type listData struct {
	Rows   []listRow
	Total  int64
	Page   int
	Pages  int
	Filter jobs.Filter
	Kinds  []kindOption
	States []status.Status
}

// kindOption is a kind in the filter menu: its label, and its code for the query.
type kindOption struct{ Code, Label string }

type listRow struct {
	jobs.Job
	Status    status.Status
	KindLabel string
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := jobs.Filter{Kind: q.Get("kind"), State: q.Get("state")}
	if f.State != "" && !jobs.States.Valid(f.State) {
		h.Render.Error(w, r, errs.Invalid("状態の指定が正しくありません").Field("state", "一覧から選んでください"))
		return
	}
	p := web.PagingFrom(q, perPage)
	list, total, err := h.Queue.List(r.Context(), f, p.Offset(), p.PerPage)
	if err != nil {
		h.Render.Error(w, r, err)
		return
	}
	rows := make([]listRow, len(list))
	for i, j := range list {
		j.CreatedAt, j.ScheduledAt = h.Queue.OnRecordsClock(j.CreatedAt), h.Queue.OnRecordsClock(j.ScheduledAt)
		j.StartedAt, j.FinishedAt = h.Queue.OnRecordsClock(j.StartedAt), h.Queue.OnRecordsClock(j.FinishedAt)
		rows[i].Job = j
		rows[i].Status, _ = jobs.States.Get(j.State)
		rows[i].KindLabel = h.Queue.KindLabel(j.Kind)
	}
	var kinds []kindOption
	for _, k := range h.Queue.Kinds() {
		kinds = append(kinds, kindOption{Code: k, Label: h.Queue.KindLabel(k)})
	}
	h.Render.Render(w, r, http.StatusOK, "jobs/list.html", web.View{Title: "ジョブ管理", Nav: "jobs", Data: listData{
		Rows: rows, Total: int64(total), Page: p.Page, Pages: max(1, (total+p.PerPage-1)/p.PerPage), Filter: f,
		Kinds: kinds, States: jobs.States.All(),
	}})
}

type detailData struct {
	Job        *rivertype.JobRow // nil when River no longer keeps the job
	State      status.Status
	Run        *jobs.Run // nil when the job reported nothing
	Args       string
	Errors     []rivertype.AttemptError
	CanRetry   bool
	CanCancel  bool
	ID         int64
	Kind       string
	KindLabel  string
	Link       string // the page of what the job works on, e.g. a bulk run's result
	Refreshing bool
}

func jobID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.NotFound("ジョブが見つかりません（IDが正しくありません）")
	}
	return id, nil
}

func (h *Handler) load(r *http.Request) (*detailData, error) {
	id, err := jobID(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	d := &detailData{ID: id}
	row, err := h.Queue.Get(ctx, id)
	switch {
	case errors.Is(err, db.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		// Times on the records' clock (River stamps the wall clock).
		shown := *row
		shown.CreatedAt, shown.ScheduledAt = h.Queue.OnRecordsClock(row.CreatedAt), h.Queue.OnRecordsClock(row.ScheduledAt)
		if row.AttemptedAt != nil {
			t := h.Queue.OnRecordsClock(*row.AttemptedAt)
			shown.AttemptedAt = &t
		}
		if row.FinalizedAt != nil {
			t := h.Queue.OnRecordsClock(*row.FinalizedAt)
			shown.FinalizedAt = &t
		}
		row = &shown
		d.Job, d.Kind = row, row.Kind
		d.State, _ = jobs.States.Get(jobs.StateOf(row.State))
		d.Args = prettyJSON(row.EncodedArgs)
		d.Link = h.Queue.Link(row.Kind, row.EncodedArgs)
		// Newest attempt first.
		for i := len(row.Errors) - 1; i >= 0; i-- {
			e := row.Errors[i]
			e.At = h.Queue.OnRecordsClock(e.At)
			d.Errors = append(d.Errors, e)
		}
		d.CanRetry = jobs.States.Allows(d.State.Code, "retry")
		d.CanCancel = jobs.States.Allows(d.State.Code, "cancel")
		d.Refreshing = d.State.Code == "waiting" || d.State.Code == "running"
	}
	run, err := h.Queue.GetRun(ctx, id)
	switch {
	case errors.Is(err, db.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		d.Run = run
		if d.Kind == "" {
			d.Kind = run.Kind
		}
	}
	d.KindLabel = h.Queue.KindLabel(d.Kind)
	if d.Job == nil && d.Run == nil {
		return nil, errs.NotFound(fmt.Sprintf("ジョブ %d が見つかりません（保存期間を過ぎて削除された可能性があります）", id))
	}
	return d, nil
}

func (h *Handler) detail(w http.ResponseWriter, r *http.Request) {
	d, err := h.load(r)
	if err != nil {
		h.Render.Error(w, r, err)
		return
	}
	h.Render.Render(w, r, http.StatusOK, "jobs/detail.html", web.View{Title: fmt.Sprintf("ジョブ %d", d.ID), Nav: "jobs", Data: d})
}

// progressBody is what a page polls while a job runs (bulk actions show it as a bar).
type progressBody struct {
	ID         int64        `json:"id"`
	Kind       string       `json:"kind"`
	State      string       `json:"state"`
	StateLabel string       `json:"state_label"`
	Done       int          `json:"done"`
	Total      int          `json:"total"`
	Counts     []jobs.Count `json:"counts"`
	Error      string       `json:"error,omitempty"`
	ResultURL  string       `json:"result_url,omitempty"`
}

func (h *Handler) progress(w http.ResponseWriter, r *http.Request) {
	d, err := h.load(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	b := progressBody{ID: d.ID, Kind: d.Kind, State: d.State.Code, StateLabel: d.State.Label, Counts: []jobs.Count{}}
	if d.Job == nil {
		b.State, b.StateLabel = "unknown", "不明（削除済み）"
	}
	if d.Run != nil {
		b.Done, b.Total = d.Run.Done, d.Run.Total
		if d.Run.Counts != nil {
			b.Counts = d.Run.Counts
		}
		if d.State.Code != "completed" {
			b.Error = d.Run.Error
		}
		if d.Run.CSVSize > 0 {
			b.ResultURL = fmt.Sprintf("/jobs/%d/result.csv", d.ID)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, b)
}

func (h *Handler) resultCSV(w http.ResponseWriter, r *http.Request) {
	id, err := jobID(r)
	if err != nil {
		h.Render.Error(w, r, err)
		return
	}
	name, data, err := h.Queue.ResultCSV(r.Context(), id)
	if errors.Is(err, db.ErrNotFound) {
		err = errs.NotFound("このジョブには結果CSVがありません")
	}
	if err != nil {
		h.Render.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv")
	w.Header().Set("Content-Disposition", contentDisposition(name, id))
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(data)
}

// contentDisposition names the download: an ASCII fallback for old clients and the real
// (possibly Japanese) name in RFC 5987 form.
func contentDisposition(name string, id int64) string {
	ascii := fmt.Sprintf("job-%d.csv", id)
	if isSafeASCII(name) {
		ascii = name
	}
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, strings.ReplaceAll(url.QueryEscape(name), "+", "%20"))
}

func isSafeASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return s != ""
}

func (h *Handler) retry(w http.ResponseWriter, r *http.Request) {
	h.act(w, r, "retry", "job.retry", "ジョブを再実行待ちにしました", "この状態のジョブは再実行できません")
}

func (h *Handler) cancel(w http.ResponseWriter, r *http.Request) {
	h.act(w, r, "cancel", "job.cancel", "ジョブを取り消しました（実行中の場合は処理の中断を依頼しました）", "この状態のジョブは取り消せません")
}

func (h *Handler) act(w http.ResponseWriter, r *http.Request, action, auditAction, done, refused string) {
	d, err := h.load(r)
	if err != nil {
		h.Render.Error(w, r, err)
		return
	}
	if d.Job == nil || !jobs.States.Allows(d.State.Code, action) {
		h.Render.Error(w, r, errs.Conflict(refused+"（"+d.State.Label+"）"))
		return
	}
	ctx := r.Context()
	var row *rivertype.JobRow
	if action == "retry" {
		row, err = h.Queue.Retry(ctx, d.ID)
	} else {
		row, err = h.Queue.Cancel(ctx, d.ID)
	}
	if err != nil {
		h.Render.Error(w, r, fmt.Errorf("%s job %d: %w", action, d.ID, err))
		return
	}
	// River changes its row outside our transactions, so the entry follows the change.
	if h.Audit != nil {
		err := h.Audit.Record(ctx, h.DB, audit.Entry{Action: auditAction, RecordType: "job", RecordID: strconv.FormatInt(d.ID, 10),
			Before: map[string]any{"kind": d.Kind, "state": string(d.Job.State)}, After: map[string]any{"kind": d.Kind, "state": string(row.State)}})
		if err != nil {
			h.Render.Error(w, r, err)
			return
		}
	}
	web.SetFlash(w, done)
	http.Redirect(w, r, fmt.Sprintf("/jobs/%d", d.ID), http.StatusSeeOther)
}

func prettyJSON(b []byte) string {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return string(b)
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return string(b)
	}
	return string(out)
}
