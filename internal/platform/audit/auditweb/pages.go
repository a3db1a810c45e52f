// Package auditweb is the 操作履歴 page. It is apart from package audit because the web shell's
// shared parts (bulk actions) write audit entries themselves.
package auditweb

import (
	"embed"
	"net/http"
	"strings"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/db"
	"kessai/internal/web"
)

//go:embed templates
var templatesFS embed.FS

// Routes adds the 操作履歴 page (経理 and 管理者: it shows money operations and who did them).
func Routes(sh *web.Shell, d *db.DB) error {
	if err := sh.Render.Add("audit", templatesFS, "templates"); err != nil {
		return err
	}
	sh.HandleFunc(http.MethodGet, "/audit", auth.PermMoney, "操作履歴", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		paging := web.PagingFrom(q, 50)
		f := audit.Filter{
			Actor:      strings.TrimSpace(q.Get("actor")),
			Action:     strings.TrimSpace(q.Get("action")),
			RecordType: strings.TrimSpace(q.Get("record_type")),
			RecordID:   strings.TrimSpace(q.Get("record_id")),
			From:       strings.TrimSpace(q.Get("from")),
			To:         strings.TrimSpace(q.Get("to")),
			Limit:      paging.PerPage,
			Offset:     paging.Offset(),
		}
		items, total, err := audit.List(r.Context(), d, f)
		if err != nil {
			sh.Render.Error(w, r, err)
			return
		}
		pages := (total + paging.PerPage - 1) / paging.PerPage
		sh.Render.Render(w, r, http.StatusOK, "audit/list.html", web.View{Title: "操作履歴", Nav: "settings", Data: map[string]any{
			"Filter": f, "Items": items, "Total": int64(total), "Page": paging.Page, "Pages": pages,
			"Actions": audit.ActionChoices(), "RecordTypes": audit.RecordTypeChoices(),
			// A code typed into the URL (a prefix such as user.) stays selectable.
			"OtherAction":     unknown(f.Action, audit.ActionChoices()),
			"OtherRecordType": unknown(f.RecordType, audit.RecordTypeChoices()),
		}})
	})
	return nil
}

// unknown returns v when it is not one of the choices ("" when it is, or empty).
func unknown(v string, cs []audit.Choice) string {
	for _, c := range cs {
		if c.Code == v {
			return ""
		}
	}
	return v
}
