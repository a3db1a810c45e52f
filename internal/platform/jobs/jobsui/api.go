package jobsui

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"kessai/internal/api"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/jobs"
	"kessai/internal/web"
)

// JobJSON is a job as GET /api/v1/jobs answers it.
type JobJSON struct {
	ID         int64        `json:"id"`
	Kind       string       `json:"kind"`
	Name       string       `json:"name"` // the label ジョブ管理 shows (「GMO 洗替結果取得」)
	State      string       `json:"state"`
	StateLabel string       `json:"state_label"`
	Attempt    int          `json:"attempt"`
	CreatedAt  time.Time    `json:"created_at"`
	StartedAt  time.Time    `json:"started_at,omitzero"`
	FinishedAt time.Time    `json:"finished_at,omitzero"`
	Note       string       `json:"note,omitempty"`
	Error      string       `json:"error,omitempty"`
	Counts     []jobs.Count `json:"counts"`
	// ResultCSV is the download's path when the job left one (CSVName, CSVSize bytes).
	ResultCSV string `json:"result_csv,omitempty"`
	CSVName   string `json:"csv_name,omitempty"`
	CSVSize   int    `json:"csv_size,omitempty"`
}

// RegisterAPI adds the jobs to the JSON API: the list (by name, kind, state) and a job's
// result CSV, the bytes the ジョブ管理 page offers (already encoded, CP932 for the rooms' jobs).
func RegisterAPI(v1 *api.API, q *jobs.Queue) {
	const tag = "ジョブ"
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/jobs", Perm: auth.PermView, ID: "listJobs", Tag: tag,
		Summary: "ジョブの一覧（新しい順）", Paged: true, Response: JobJSON{},
		Query: []api.Param{
			{Name: "name", Description: "ジョブ名（ジョブ管理に出る名前。例: GMO 洗替結果取得）"},
			{Name: "kind", Description: "ジョブの種類（例: cardupdate.fetch）"},
			{Name: "state", Description: "状態（waiting 待機中, running 実行中, retryable 再試行待ち, completed 完了, failed 失敗, cancelled 取消）", Enum: jobs.States.Codes()},
		}}, func(w http.ResponseWriter, r *http.Request) {
		qv := r.URL.Query()
		p := web.PagingFrom(qv, perPage)
		f := jobs.Filter{Kind: qv.Get("kind"), State: qv.Get("state")}
		if f.State != "" && !jobs.States.Valid(f.State) {
			web.WriteError(w, r, errs.Invalid("状態の指定が正しくありません: "+f.State).Field("state", "waiting, running, retryable, completed, failed, cancelled のいずれかです"))
			return
		}
		if name := qv.Get("name"); name != "" {
			kind, err := kindOfName(q, name)
			if err != nil {
				web.WriteError(w, r, err)
				return
			}
			if f.Kind != "" && f.Kind != kind {
				web.WriteJSON(w, http.StatusOK, web.ListBody[JobJSON]{Items: []JobJSON{}, Page: p.Page, PerPage: p.PerPage})
				return
			}
			f.Kind = kind
		}
		list, total, err := q.List(r.Context(), f, (p.Page-1)*p.PerPage, p.PerPage)
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		items := make([]JobJSON, len(list))
		for i, j := range list {
			items[i] = jobJSON(q, j)
		}
		web.WriteJSON(w, http.StatusOK, web.ListBody[JobJSON]{Items: items, Page: p.Page, PerPage: p.PerPage, Total: total})
	})
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/jobs/{id}/result.csv", Perm: auth.PermView, ID: "getJobResultCSV", Tag: tag,
		Summary: "ジョブの結果CSV（ジョブ管理のダウンロードと同じもの）", PathParams: map[string]string{"id": "ジョブID"},
		ResponseMedia: "text/csv", Response: ""}, func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil || id <= 0 {
			web.WriteError(w, r, errs.Invalid("ジョブIDは正の整数です: "+r.PathValue("id")).Field("id", "数字で指定してください"))
			return
		}
		name, data, err := q.ResultCSV(r.Context(), id)
		if errors.Is(err, db.ErrNotFound) {
			err = errs.NotFound(fmt.Sprintf("ジョブ %d には結果CSVがありません", id))
		}
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/csv")
		w.Header().Set("Content-Disposition", contentDisposition(name, id))
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		_, _ = w.Write(data)
	})
}

// kindOfName finds the kind people call name; an unknown name is refused with the names there are.
func kindOfName(q *jobs.Queue, name string) (string, error) {
	var names []string
	for _, k := range q.Kinds() {
		l := q.KindLabel(k)
		if l == name || k == name {
			return k, nil
		}
		names = append(names, l)
	}
	return "", errs.Invalid("そのジョブ名はありません: "+name).Field("name", "次のいずれかです: "+strings.Join(names, "、"))
}

func jobJSON(q *jobs.Queue, j jobs.Job) JobJSON {
	out := JobJSON{ID: j.ID, Kind: j.Kind, Name: q.KindLabel(j.Kind), State: j.State, StateLabel: jobs.States.Label(j.State),
		Attempt: j.Attempt, CreatedAt: q.OnRecordsClock(j.CreatedAt).UTC(), Note: j.Run.Note, Error: j.Run.Error, Counts: j.Run.Counts,
		CSVName: j.Run.CSVName, CSVSize: j.Run.CSVSize}
	if !j.StartedAt.IsZero() {
		out.StartedAt = q.OnRecordsClock(j.StartedAt).UTC()
	}
	if !j.FinishedAt.IsZero() {
		out.FinishedAt = q.OnRecordsClock(j.FinishedAt).UTC()
	}
	if out.Counts == nil {
		out.Counts = []jobs.Count{}
	}
	if j.Run.CSVSize > 0 {
		out.ResultCSV = fmt.Sprintf("/api/v1/jobs/%d/result.csv", j.ID)
	}
	return out
}
