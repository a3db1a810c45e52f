package commerce_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/bulk"
)

// runBulk goes through the shell's pattern as a person does: the list's menu posts to the
// confirmation page, which must show count; its form starts the run. It returns the run's ID
// once the run is processed. ids empty is 「全N件を一括操作」 on filter, else 「選択したN件」.
func (e *pagesEnv) runBulk(t *testing.T, action, recordType, filter string, ids []string, count int) string {
	t.Helper()
	scope := "all"
	if len(ids) > 0 {
		scope = "selected"
	}
	form := url.Values{"bulk": {scope + ":" + action}, "record_type": {recordType}, "filter": {filter}, "id": ids}
	_, body := e.post(t, "/bulk/confirm", form)
	m := tokenRE.FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, `data-count="`+strconv.Itoa(count)+`"`) {
		t.Fatalf("confirmation of %s (want %d records): %s", action, count, body)
	}
	start := url.Values{"action": {action}, "scope": {scope}, "token": {m[1]}, "filter": {filter}, "record_type": {recordType}, "id": ids}
	res, _ := e.post(t, "/bulk/runs", start)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/bulk/runs/") {
		t.Fatalf("start %s: %d %q", action, res.StatusCode, loc)
	}
	e.bulk.Runner().(*bulk.GoRunner).Wait()
	return strings.TrimPrefix(loc, "/bulk/runs/")
}

// resultHas checks the result page of run for each string.
func (e *pagesEnv) resultHas(t *testing.T, run string, want ...string) {
	t.Helper()
	code, body := e.get(t, "/bulk/runs/"+run)
	if code != 200 {
		t.Fatalf("result page: %d", code)
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("result page lacks %q", w)
		}
	}
}

// listShowsExactly opens list?bulk_run=run&outcome=outcome (the result count's link) and
// checks that it shows exactly the records named in want (by code or number) and none of not.
func (e *pagesEnv) listShowsExactly(t *testing.T, list, run, outcome string, want, not []string) {
	t.Helper()
	code, body := e.get(t, list+"?bulk_run="+run+"&outcome="+outcome)
	if code != 200 || !strings.Contains(body, "全<strong>"+strconv.Itoa(len(want))+"</strong>件") || !strings.Contains(body, "の結果: ") {
		t.Fatalf("%s outcome %s: %d, count %s", list, outcome, code, countRE.FindString(body))
	}
	for _, w := range want {
		if !strings.Contains(body, ">"+w+"</a>") {
			t.Errorf("%s outcome %s lacks %s", list, outcome, w)
		}
	}
	for _, n := range not {
		if strings.Contains(body, ">"+n+"</a>") {
			t.Errorf("%s outcome %s shows %s", list, outcome, n)
		}
	}
}

// TestBulkMenusOnLists: every list has the checkbox column, select-all and both menus with
// its action for staff, and none of them for 閲覧 (who may run no bulk action).
func TestBulkMenusOnLists(t *testing.T) {
	t.Parallel()
	lists := []struct{ path, action string }{
		{"/orders", "一括ステータス変更：出荷待ちにする"},
		{"/subscriptions", "一括休止"},
		{"/customers", "振込先口座の確認（変更はしません）"},
		{"/cases?kind=takuhai", "一括ステータス変更：入庫完了にする"},
	}
	for _, role := range []auth.Role{auth.RoleStaff, auth.RoleViewer} {
		e := newPages(t, role)
		e.cases(t, "takuhai", 1)
		e.orders(t, "new")
		e.subscriptions(t, "active")
		for _, l := range lists {
			t.Run(string(role)+l.path, func(t *testing.T) {
				code, body := e.get(t, l.path)
				if code != 200 {
					t.Fatalf("status %d", code)
				}
				parts := []string{`data-select-all="id"`, `<input type="checkbox" name="id" value="`, "全1件を一括操作",
					"選択した<span data-selected-count>0</span>件を操作", `value="all:`, `value="selected:`, l.action}
				for _, p := range parts {
					if got := strings.Contains(body, p); got != (role == auth.RoleStaff) {
						t.Errorf("%q shown: %v", p, got)
					}
				}
			})
		}
	}
}
