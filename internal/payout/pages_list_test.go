package payout_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kessai/internal/app/apptest"
	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/jpcsv"
)

// registered seeds cases and registers a transfer for each through the form, returning the
// cases in order.
func registered(t *testing.T, inst *apptest.Instance, staff *apptest.Client, amounts ...int64) []commerce.PurchaseCase {
	t.Helper()
	var out []commerce.PurchaseCase
	for _, a := range amounts {
		c := seedCase(t, inst, yamada, a)
		res := staff.PostForm("/cases/"+c.ID+"/transfer", url.Values{"bank_code": {"0001"}, "branch_code": {"001"}, "account_type": {"1"},
			"account_number": {"1234567"}, "holder_name": {"ﾔﾏﾀﾞ ﾀﾛｳ"}, "amount": {fmt.Sprint(a)}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("register %d: %d %.300s", a, res.Status, res.Body)
		}
		out = append(out, c)
	}
	return out
}

func transferIDs(t *testing.T, body string) map[string]string {
	t.Helper()
	ids := map[string]string{} // case code → transfer id
	for _, part := range strings.Split(body, `<tr data-id="`)[1:] {
		id, rest, _ := strings.Cut(part, `"`)
		_, rest, _ = strings.Cut(rest, `data-case="`)
		code, _, _ := strings.Cut(rest, `"`)
		ids[code] = id
	}
	return ids
}

func TestTransferListSearchTotalsAndExports(t *testing.T) {
	t.Parallel()
	inst := startKessai(t)
	staff := inst.Client(t, auth.RoleStaff)
	cs := registered(t, inst, staff, 1000, 2500, 40000)
	keiri := inst.Client(t, auth.RoleAccountant)

	list := keiri.Get("/accounting/transfers")
	all := transferIDs(t, list.Body)
	if !strings.Contains(list.Body, `data-total="3" data-amount="43500"`) || !strings.Contains(list.Body, "全<strong>3</strong>件・合計 <strong>¥43,500</strong>") {
		t.Fatalf("totals of the whole list missing: %.2000s", list.Body)
	}
	// The amount range is the search; the totals follow it and say what it is.
	q := "/accounting/transfers?amount_min=2000&amount_max=40000"
	list = keiri.Get(q)
	if ids := transferIDs(t, list.Body); len(ids) != 2 || ids[cs[0].Code] != "" || !strings.Contains(list.Body, `data-total="2" data-amount="42500"`) ||
		!strings.Contains(list.Body, "振込金額: ¥2,000〜¥40,000") {
		i := strings.Index(list.Body, `id="search-total"`)
		t.Fatalf("amount range: %.600s", list.Body[max(i, 0):])
	}
	if res := keiri.Get("/accounting/transfers?amount_min=5000&amount_max=100"); res.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(res.Body, "上限は下限以上") {
		t.Errorf("min > max: %d", res.Status)
	}
	if res := keiri.Get("/accounting/transfers?customer=" + url.QueryEscape("ヤマダ")); len(transferIDs(t, res.Body)) != 3 {
		t.Errorf("customer by kana: %d rows", len(transferIDs(t, res.Body)))
	}
	if res := keiri.Get("/accounting/transfers?customer=" + url.QueryEscape("佐藤")); len(transferIDs(t, res.Body)) != 0 {
		t.Errorf("unknown customer listed rows")
	}
	if res := keiri.Get("/accounting/transfers?completed_from=2026-01-01"); len(transferIDs(t, res.Body)) != 0 {
		t.Errorf("nothing is completed yet, but the 振込完了日 search listed rows")
	}
	if res := keiri.Get("/accounting/transfers?apply_no=abc"); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("bad 受付番号: %d", res.Status)
	}

	// CSV of the search (GET) and of a selection (POST), CP932.
	csvRows := func(res *apptest.Response) []jpcsv.Record {
		t.Helper()
		if res.Status != http.StatusOK || !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("csv: %d %v", res.Status, res.Header)
		}
		r, err := jpcsv.NewReader(bytes.NewReader([]byte(res.Body)))
		if err != nil || r.Encoding() != jpcsv.CP932 {
			t.Fatalf("csv: %v %v", err, r.Encoding())
		}
		var out []jpcsv.Record
		for {
			rec, err := r.Read()
			if err != nil {
				break
			}
			out = append(out, rec)
		}
		return out
	}
	rows := csvRows(keiri.Get("/accounting/transfers/export?amount_min=2000&amount_max=40000"))
	if len(rows) != 2 || rows[0].Get("振込金額") != "40000" || rows[1].Get("振込金額") != "2500" {
		t.Fatalf("search csv rows %d", len(rows))
	}
	rows = csvRows(keiri.PostForm("/accounting/transfers/export", url.Values{"id": {all[cs[1].Code]}}))
	if len(rows) != 1 || rows[0].Get("ケース番号") != cs[1].Code {
		t.Fatalf("selection csv: %d rows", len(rows))
	}
	// 全N件 with scope=all takes the search the form carries, not the checked rows.
	rows = csvRows(keiri.PostForm("/accounting/transfers/export", url.Values{"scope": {"all"}, "amount_max": {"2500"}, "id": {all[cs[2].Code]}}))
	if len(rows) != 2 {
		t.Fatalf("scope=all csv: %d rows, want the 2 of the search", len(rows))
	}

	// 全N件を振込実行 shows a confirm page with the count, the total and the search, and
	// carries exactly those transfers.
	conf := keiri.PostForm("/accounting/transfers/execute", url.Values{"scope": {"all"}, "amount_min": {"2000"}})
	if conf.Status != http.StatusOK || !strings.Contains(conf.Body, `data-count="2"`) || !strings.Contains(conf.Body, "¥42,500") ||
		!strings.Contains(conf.Body, "振込金額: ¥2,000〜") || strings.Count(conf.Body, `name="id"`) != 2 {
		t.Fatalf("execute confirm: %d %.3000s", conf.Status, conf.Body)
	}
	if strings.Contains(conf.Body, `value="`+all[cs[0].Code]+`"`) {
		t.Fatal("the confirm page carries a transfer outside the search")
	}

	// The 全銀 file: a form for the 振込依頼人, then the file of the selection.
	form := keiri.PostForm("/accounting/transfers/zengin", url.Values{"id": {all[cs[0].Code], all[cs[1].Code]}})
	if form.Status != http.StatusOK || !strings.Contains(form.Body, "対象 <strong>2</strong>件・合計 <strong>¥3,500</strong>") {
		t.Fatalf("zengin form: %d %.2000s", form.Status, form.Body)
	}
	file := keiri.PostForm("/accounting/transfers/zengin", url.Values{"id": {all[cs[0].Code], all[cs[1].Code]}, "download": {"1"},
		"requester_code": {"1"}, "requester_name": {"ｹｯｻｲ"}, "date": {"2026-03-03"}, "bank_code": {"0001"}, "branch_code": {"001"},
		"account_type": {"1"}, "account_number": {"0123456"}, "newline": {"none"}})
	if file.Status != http.StatusOK || len(file.Body) != 5*120 || !strings.HasPrefix(file.Body, "1210") {
		t.Fatalf("zengin file: %d, %d bytes: %.400s", file.Status, len(file.Body), file.Body)
	}
	if tr := file.Body[360:380]; tr[:7] != "8000002" || tr[7:19] != "000000003500" {
		t.Errorf("trailer %q", tr)
	}
	list = keiri.Get("/accounting/transfers")
	if strings.Count(list.Body, "全銀ファイル出力済</small>") != 2 {
		t.Errorf("the exported transfers are not marked on the list")
	}
	bad := keiri.PostForm("/accounting/transfers/zengin", url.Values{"id": {all[cs[0].Code]}, "download": {"1"}, "requester_code": {"1"},
		"requester_name": {"ｹｯｻｲ"}, "date": {"2026-03-03"}, "bank_code": {"0001"}, "branch_code": {"001"}, "account_type": {"1"}, "account_number": {"123"}})
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, "数字7桁") {
		t.Errorf("bad source account: %d", bad.Status)
	}
	if res := staff.PostForm("/accounting/transfers/zengin", url.Values{"id": {all[cs[0].Code]}}); res.Status != http.StatusForbidden {
		t.Errorf("staff making a 全銀 file: %d, want 403", res.Status)
	}
}
