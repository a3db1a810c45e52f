package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/bulk"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/web"
)

// thingsApp is a minimal room: a things table with a list page built on web.List and one
// bulk action, served with a fixed principal.
func thingsApp(t *testing.T, n int, role auth.Role) (*httptest.Server, *bulk.Service) {
	t.Helper()
	d := dbtest.Open(t, audit.Migrations, bulk.Migrations)
	ctx := context.Background()
	if _, err := d.ExecContext(ctx, `CREATE TABLE things (id TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		st := "new"
		if i%3 == 0 {
			st = "done"
		}
		if _, err := d.ExecContext(ctx, `INSERT INTO things VALUES (?, ?, ?)`, fmt.Sprintf("th%03d", i), fmt.Sprintf("もの%03d", i), st); err != nil {
			t.Fatal(err)
		}
	}
	c := clock.NewFrozen(time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC))
	render, err := web.NewRenderer(c, false)
	if err != nil {
		t.Fatal(err)
	}
	shell := web.NewShell(render)
	svc := bulk.New(d, c, &audit.Log{Now: c.Now})
	pages := web.MountBulk(shell, svc)
	selectIDs := func(ctx context.Context, q url.Values) ([]string, error) {
		query, args := `SELECT id FROM things WHERE (? = '' OR status = ?)`, []any{q.Get("status"), q.Get("status")}
		if f := bulk.ItemFilterFrom(q); !f.IsZero() {
			cond, a := f.SQL("id")
			query, args = query+" AND "+cond, append(args, a...)
		}
		return ids(ctx, d, query+" ORDER BY id", args...)
	}
	svc.RegisterSource(bulk.Source{RecordType: "thing", Label: "もの", ListPath: "/things", Select: selectIDs})
	svc.Register(bulk.Action{Name: "thing_done", Label: "完了にする", RecordType: "thing", Perm: auth.PermOperate,
		Outcomes: []bulk.Outcome{{Code: "done", Label: "完了", Level: "ok"}, {Code: "skipped", Label: "スキップ", Level: "warn"}},
		Do: func(ctx context.Context, tx *db.Tx, id string) (string, string, error) {
			res, err := tx.ExecContext(ctx, `UPDATE things SET status = 'done' WHERE id = ? AND status <> 'done'`, id)
			if err != nil {
				return "", "", err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return "skipped", "すでに完了しています", nil
			}
			return "done", "", nil
		}})
	shell.HandleFunc(http.MethodGet, "/things", auth.PermView, "もの一覧", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		all, err := selectIDs(r.Context(), q)
		if err != nil {
			render.Error(w, r, err)
			return
		}
		l := &web.List{Path: "/things", Query: q, Paging: web.PagingFrom(q, 20), Total: len(all), RecordType: "thing",
			Fields:  []web.Field{{Name: "status", Label: "状態", Type: "select", Options: []web.Option{{"new", "新規"}, {"done", "完了"}}}},
			Columns: []web.Column{{Label: "ID", Sort: "id"}, {Label: "名前"}},
			Actions: pages.Actions(r, "thing"), Exports: []web.Export{{"std", "標準"}}, ExportPath: "/things.csv"}
		if rf, err := pages.ResultFilter(r); err != nil {
			render.Error(w, r, err)
			return
		} else if rf.Active {
			l.Notice, l.NoticeClear = rf.Notice, rf.Clear
		}
		end := min(l.Paging.Offset()+l.Paging.PerPage, len(all))
		for _, id := range all[min(l.Paging.Offset(), end):end] {
			l.Rows = append(l.Rows, web.Row{ID: id, Cells: []web.Cell{web.LinkCell(id, "/things/"+id), web.Text("x")}})
		}
		render.Render(w, r, http.StatusOK, "web/list.html", web.View{Title: "もの", Data: l})
	})
	p := &auth.Principal{Kind: auth.KindUser, ID: "usr_1", Name: "staff@example.com", Role: role}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		shell.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(svc.Runner().(*bulk.GoRunner).Wait)
	return srv, svc
}

func ids(ctx context.Context, d *db.DB, q string, args ...any) ([]string, error) {
	rows, err := d.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	res, err := noRedirect.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestListPage(t *testing.T) {
	t.Parallel()
	srv, _ := thingsApp(t, 45, auth.RoleStaff)
	tests := []struct {
		name, query string
		want        []string
		not         []string
	}{
		{"first page", "", []string{"全<strong>45</strong>件（1〜20件目）", `value="th001"`, `value="th020"`, `rel="next"`,
			"全45件を一括操作", "完了にする", `data-select-all="id"`, "CSV出力", `<details class="search" >`}, []string{`value="th021"`, `rel="prev"`}},
		{"last page", "?page=3", []string{"（41〜45件目）", `value="th045"`, `rel="prev"`}, []string{`rel="next"`}},
		{"per page", "?per_page=50", []string{"（1〜45件目）", `<option value="50" selected>`}, []string{`rel="next"`}},
		{"filter opens panel", "?status=done", []string{"全<strong>15</strong>件", `<details class="search" open>`, `<option value="done" selected>`,
			`name="filter" value="status=done"`}, nil},
		{"sort link toggles", "?sort=id", []string{`href="/things?sort=-id"`, "▲"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := get(t, srv.URL+"/things"+tt.query)
			if code != 200 {
				t.Fatalf("status %d: %s", code, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(body, w) {
					t.Errorf("page has %q", w)
				}
			}
		})
	}
}

func TestListHidesBulkMenusFromViewer(t *testing.T) {
	t.Parallel()
	srv, _ := thingsApp(t, 3, auth.RoleViewer)
	_, body := get(t, srv.URL+"/things")
	if strings.Contains(body, "一括操作") || strings.Contains(body, `name="id"`) {
		t.Error("viewer sees bulk menus or checkboxes")
	}
	res, err := noRedirect.PostForm(srv.URL+"/bulk/confirm", url.Values{"bulk": {"all:thing_done"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("viewer confirm status = %d, want 403", res.StatusCode)
	}
}

var tokenRE = regexp.MustCompile(`name="token" value="([0-9a-f]+)"`)

func TestBulkFlow(t *testing.T) {
	t.Parallel()
	srv, svc := thingsApp(t, 9, auth.RoleStaff)
	// Confirm 「全N件」 for status=new (6 things), then submit the confirmation twice.
	form := url.Values{"bulk": {"all:thing_done"}, "record_type": {"thing"}, "filter": {"status=new"}, "return_to": {"/things?status=new"}}
	res, err := noRedirect.PostForm(srv.URL+"/bulk/confirm", form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	body := string(b)
	if res.StatusCode != 200 || !strings.Contains(body, `data-count="6"`) || !strings.Contains(body, "完了にする") {
		t.Fatalf("confirm %d: %s", res.StatusCode, body)
	}
	m := tokenRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no token on the confirmation page")
	}
	run := url.Values{"action": {"thing_done"}, "scope": {"all"}, "token": {m[1]}, "filter": {"status=new"}, "record_type": {"thing"}}
	var locs []string
	for range 2 {
		res, err := noRedirect.PostForm(srv.URL+"/bulk/runs", run)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("start status %d", res.StatusCode)
		}
		locs = append(locs, res.Header.Get("Location"))
	}
	if locs[0] != locs[1] || !strings.HasPrefix(locs[0], "/bulk/runs/blk") {
		t.Fatalf("double submit gave %v", locs)
	}
	svc.Runner().(*bulk.GoRunner).Wait()
	runID := strings.TrimPrefix(locs[0], "/bulk/runs/")
	code, body := get(t, srv.URL+"/bulk/runs/"+runID+"/progress")
	var p struct {
		Done     int  `json:"done"`
		Finished bool `json:"finished"`
	}
	if err := json.Unmarshal([]byte(body), &p); code != 200 || err != nil || !p.Finished || p.Done != 6 {
		t.Fatalf("progress %d %s", code, body)
	}
	_, body = get(t, srv.URL+locs[0])
	link := `/things?bulk_run=` + runID + `&amp;outcome=done`
	if !strings.Contains(body, link) || !strings.Contains(body, ">6件</a>") {
		t.Fatalf("result page lacks the count link %s: %s", link, body)
	}
	// The link shows exactly those records, with a notice.
	_, body = get(t, srv.URL+"/things?bulk_run="+runID+"&outcome=done")
	if !strings.Contains(body, "全<strong>6</strong>件") || !strings.Contains(body, "完了 の6件を表示しています") {
		t.Errorf("filtered list: %s", body)
	}
	// Selecting rows: one already done is skipped with its reason on the result page.
	res, err = noRedirect.PostForm(srv.URL+"/bulk/runs", url.Values{"action": {"thing_done"}, "scope": {"selected"}, "token": {"t2"}, "id": {"th001", "th003"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	svc.Runner().(*bulk.GoRunner).Wait()
	_, body = get(t, srv.URL+res.Header.Get("Location"))
	if !strings.Contains(body, "すでに完了しています") || !strings.Contains(body, "outcome=skipped") {
		t.Errorf("selected run result: %s", body)
	}
}

func TestConfirmWithoutSelectionGoesBack(t *testing.T) {
	t.Parallel()
	srv, _ := thingsApp(t, 3, auth.RoleStaff)
	res, err := noRedirect.PostForm(srv.URL+"/bulk/confirm", url.Values{"bulk": {"selected:thing_done"}, "return_to": {"/things?status=new"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/things?status=new" {
		t.Errorf("status %d location %q", res.StatusCode, res.Header.Get("Location"))
	}
}
