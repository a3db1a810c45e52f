// Package jobsui is the ジョブ管理 page: the job list with filters and paging, a job's detail
// with each attempt's error, the result CSV download, and retry/cancel for administrators.
package jobsui

import (
	"embed"
	"net/http"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/db"
	"kessai/internal/platform/jobs"
	"kessai/internal/web"
)

//go:embed templates
var templatesFS embed.FS

// Handler serves the pages.
type Handler struct {
	Queue  *jobs.Queue
	Render *web.Renderer
	// Audit records retries and cancellations; DB is where it writes them.
	Audit *audit.Log
	DB    *db.DB
}

// Routes adds the ジョブ管理 pages to sh.
func (h *Handler) Routes(sh *web.Shell) error {
	if err := h.Render.Add("jobs", templatesFS, "templates"); err != nil {
		return err
	}
	sh.HandleFunc(http.MethodGet, "/jobs", auth.PermView, "ジョブ一覧", h.list)
	sh.HandleFunc(http.MethodGet, "/jobs/{id}", auth.PermView, "ジョブ詳細", h.detail)
	sh.HandleFunc(http.MethodGet, "/jobs/{id}/progress", auth.PermView, "ジョブの進捗（JSON、画面の自動更新用）", h.progress)
	sh.HandleFunc(http.MethodGet, "/jobs/{id}/result.csv", auth.PermView, "ジョブの結果CSVダウンロード", h.resultCSV)
	sh.HandleFunc(http.MethodPost, "/jobs/{id}/retry", auth.PermAdmin, "ジョブの再実行", h.retry)
	sh.HandleFunc(http.MethodPost, "/jobs/{id}/cancel", auth.PermAdmin, "ジョブの取消", h.cancel)
	return nil
}
