package payout_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kessai/internal/platform/auth"
)

// The case lists have a 振込状態 column and filter (未依頼 or the transfer's status), and the
// filter also narrows the 全N件 bulk selection.
func TestCaseListTransferStatus(t *testing.T) {
	t.Parallel()
	inst := startKessai(t)
	staff := inst.Client(t, auth.RoleStaff)
	none := seedCase(t, inst, yamada, 1000)
	cs := registered(t, inst, staff, 2000, 3000)
	waiting, failed := cs[0], cs[1]
	if _, err := inst.App.DB.ExecContext(context.Background(), `UPDATE transfers SET status = 'failed', reason = '手続不成立' WHERE case_id = ?`, failed.ID); err != nil {
		t.Fatal(err)
	}
	list := staff.Get("/cases").Body
	if !strings.Contains(list, "<th>振込状態</th>") && !strings.Contains(list, ">振込状態<") {
		t.Fatalf("no 振込状態 column")
	}
	for _, tc := range []struct {
		value string
		want  string
		not   []string
	}{
		{"none", none.Code, []string{waiting.Code, failed.Code}},
		{"awaiting_execution", waiting.Code, []string{none.Code, failed.Code}},
		{"failed", failed.Code, []string{none.Code, waiting.Code}},
	} {
		body := staff.Get("/cases?x_transfer_status=" + tc.value).Body
		if !strings.Contains(body, ">"+tc.want+"<") {
			t.Errorf("%s: %s not listed", tc.value, tc.want)
		}
		for _, n := range tc.not {
			if strings.Contains(body, ">"+n+"<") {
				t.Errorf("%s: %s listed", tc.value, n)
			}
		}
	}
	body := staff.Get("/cases?x_transfer_status=failed").Body
	if !strings.Contains(body, "エラー") || !strings.Contains(body, "手続不成立") {
		t.Errorf("the 振込状態 cell lacks the status and reason")
	}
	if body := staff.Get("/cases").Body; !strings.Contains(body, "未依頼") || !strings.Contains(body, "振込実行待ち") {
		t.Errorf("the column lacks 未依頼 / 振込実行待ち")
	}
	if res := staff.Get("/cases?x_transfer_status=bogus"); res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "振込状態は") {
		t.Errorf("unknown 振込状態: %d", res.Status)
	}
	// 全N件 of a filtered list: the bulk confirm counts the filtered cases only.
	res := staff.PostForm("/bulk/confirm", url.Values{"record_type": {"purchase_case"}, "filter": {"x_transfer_status=none"},
		"return_to": {"/cases?x_transfer_status=none"}, "bulk": {"all:transfer_request"}})
	if res.Status != http.StatusOK || !strings.Contains(res.Body, `data-count="1"`) {
		t.Errorf("bulk confirm of 未依頼: %d %.400s", res.Status, res.Body)
	}
	// The confirm page says the search and the total of what a 一括振込依頼 would pay.
	res = staff.PostForm("/bulk/confirm", url.Values{"record_type": {"purchase_case"}, "filter": {"x_transfer_status=none&amount_min=500&amount_max=2000"},
		"return_to": {"/cases"}, "bulk": {"all:transfer_request"}})
	for _, want := range []string{"検索条件: 買取金額（円）: 500〜2000／振込状態: 未依頼", "合計件数 1件・買取金額の合計 ¥1,000"} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("bulk confirm lacks %q: %.3000s", want, res.Body[strings.Index(res.Body, "<main"):])
		}
	}
	res = staff.PostForm("/bulk/confirm", url.Values{"record_type": {"purchase_case"}, "id": {none.ID, waiting.ID},
		"return_to": {"/cases"}, "bulk": {"selected:transfer_request"}})
	if !strings.Contains(res.Body, "合計件数 2件・買取金額の合計 ¥3,000（うち 1件は振込を登録済みのためスキップされます）") || strings.Contains(res.Body, "検索条件:") {
		t.Errorf("bulk confirm of a selection: %.2000s", res.Body[strings.Index(res.Body, "<main"):])
	}
}
