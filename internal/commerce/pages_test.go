package commerce_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"kessai/internal/commerce"
	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/bulk"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/web"
)

// pagesEnv is the commerce pages on a real database, served to a fixed principal.
type pagesEnv struct {
	srv   *httptest.Server
	store *commerce.Store
	pages *commerce.Pages
	bulk  *bulk.Service
	fx    fixture
}

func newPages(t *testing.T, role auth.Role) *pagesEnv {
	t.Helper()
	d := dbtest.Open(t, audit.Migrations, commerce.Migrations, bulk.Migrations, web.Migrations)
	c := clock.NewFrozen(testNow)
	log := &audit.Log{Now: c.Now}
	store := commerce.NewStore(d, c, log)
	render, err := web.NewRenderer(c, false)
	if err != nil {
		t.Fatal(err)
	}
	shell := web.NewShell(render)
	svc := bulk.New(d, c, log)
	pages, err := commerce.NewPages(shell, store, web.MountBulk(shell, svc), log)
	if err != nil {
		t.Fatal(err)
	}
	pages.AddCaseTab(commerce.CaseTab{Key: "transfer", Label: "銀行振込", Perm: auth.PermView,
		Render: func(r *http.Request, c commerce.CaseRow) (template.HTML, error) {
			return template.HTML("<p>振込タブ " + template.HTMLEscapeString(c.Code) + "</p>"), nil
		}})
	pages.Routes(shell)
	p := &auth.Principal{Kind: auth.KindUser, ID: "usr_1", Name: "staff@example.com", Role: role}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		shell.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(svc.Runner().(*bulk.GoRunner).Wait)
	return &pagesEnv{srv: srv, store: store, pages: pages, bulk: svc, fx: newFixture(t, store)}
}

// cases creates n cases of kind: every third stocked, the others consented with 買取確定日
// 2026-04-01 + i days, except every fifth without one.
func (e *pagesEnv) cases(t *testing.T, kind string, n int) []commerce.PurchaseCase {
	t.Helper()
	var cs []commerce.PurchaseCase
	for i := range n {
		c := commerce.PurchaseCase{Kind: kind, ShopID: e.fx.shop.ID, CustomerID: e.fx.customer.ID, Status: "consented",
			ConfirmedOn: fmt.Sprintf("2026-04-%02d", i%28+1), PurchaseAmount: int64(1000 * (i + 1)), ItemCount: 1}
		switch {
		case i%3 == 2:
			c.Status = "stocked"
		case i%5 == 4:
			c.ConfirmedOn = ""
		}
		cs = append(cs, c)
	}
	out, err := e.store.CreateCases(context.Background(), cs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (e *pagesEnv) get(t *testing.T, path string) (int, string) {
	t.Helper()
	res, err := noFollow.Get(e.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func (e *pagesEnv) post(t *testing.T, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	res, err := noFollow.PostForm(e.srv.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestCaseListFilterAndPaging(t *testing.T) {
	t.Parallel()
	e := newPages(t, auth.RoleStaff)
	e.cases(t, "takuhai", 30) // 10 stocked
	e.cases(t, "ippan", 4)
	tests := []struct {
		query  string
		status int
		want   []string
	}{
		{"?kind=takuhai", 200, []string{"全<strong>30</strong>件", "宅配買取一覧", "全30件を一括操作", "一括ステータス変更：入庫完了にする"}},
		{"?kind=ippan", 200, []string{"全<strong>4</strong>件", "一般仕入一覧"}},
		{"?kind=takuhai&status=stocked", 200, []string{"全<strong>10</strong>件", `value="stocked" checked`, "詳細検索（条件あり）"}},
		{"?kind=takuhai&confirmed_from=2026-04-01&confirmed_to=2026-04-03", 200, []string{"全<strong>5</strong>件"}},
		{"?kind=takuhai&amount_min=29000", 200, []string{"全<strong>2</strong>件", "¥30,000"}},
		{"?kind=takuhai&code=TK000007", 200, []string{"全<strong>1</strong>件", "TK000007"}},
		{"?kind=takuhai&customer=やまだ", 200, []string{"全<strong>30</strong>件"}},
		{"?kind=takuhai&per_page=20&page=2&sort=amount", 200, []string{"（21〜30件目）", "¥21,000", `rel="prev"`}},
		{"?kind=takuhai&confirmed_from=2026-13-01", 422, []string{"買取確定日（から）は"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			code, body := e.get(t, "/cases"+tt.query)
			if code != tt.status {
				t.Fatalf("status %d, want %d", code, tt.status)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q (count: %s)", w, countRE.FindString(body))
				}
			}
		})
	}
}

var countRE = regexp.MustCompile(`全<strong>[0-9,]*</strong>件`)

var tokenRE = regexp.MustCompile(`name="token" value="([0-9a-f]+)"`)

var formTokenRE = regexp.MustCompile(`name="form_token" value="([0-9a-f]+)"`)

func TestCaseBulkStock(t *testing.T) {
	t.Parallel()
	e := newPages(t, auth.RoleStaff)
	e.cases(t, "takuhai", 10) // stocked: #3,#6,#9 (skip); no 買取確定日: #5,#10 (error); 5 done
	e.cases(t, "ippan", 2)    // not selected by the filter
	filter := "kind=takuhai"
	_, body := e.post(t, "/bulk/confirm", url.Values{"bulk": {"all:case_stock"}, "record_type": {"purchase_case"}, "filter": {filter}, "return_to": {"/cases?kind=takuhai"}})
	m := tokenRE.FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, `data-count="10"`) {
		t.Fatalf("confirmation: %s", body)
	}
	form := url.Values{"action": {"case_stock"}, "scope": {"all"}, "token": {m[1]}, "filter": {filter}, "record_type": {"purchase_case"}}
	res1, _ := e.post(t, "/bulk/runs", form)
	res2, _ := e.post(t, "/bulk/runs", form) // double submit
	loc := res1.Header.Get("Location")
	if res1.StatusCode != http.StatusSeeOther || loc != res2.Header.Get("Location") {
		t.Fatalf("starts: %d %q %q", res1.StatusCode, loc, res2.Header.Get("Location"))
	}
	e.bulk.Runner().(*bulk.GoRunner).Wait()
	run := strings.TrimPrefix(loc, "/bulk/runs/")
	_, body = e.get(t, loc)
	for _, w := range []string{
		`/cases?bulk_run=` + run + `&amp;kind=takuhai&amp;outcome=done" data-outcome="done">5件`,
		`outcome=skipped" data-outcome="skipped">3件`,
		`outcome=error" data-outcome="error">2件`,
		"買取確定日が未入力です", "TK000005 山田 太郎",
	} {
		if !strings.Contains(body, w) {
			t.Errorf("result page lacks %q", w)
		}
	}
	// The error count's link lists exactly the two cases without 買取確定日.
	_, body = e.get(t, "/cases?bulk_run="+run+"&kind=takuhai&outcome=error")
	if !strings.Contains(body, "全<strong>2</strong>件") || !strings.Contains(body, "TK000005") || !strings.Contains(body, "TK000010") {
		t.Errorf("error list: %s", body)
	}
	ids, _ := e.store.CaseIDs(context.Background(), commerce.CaseFilter{Kind: "takuhai", Statuses: []string{"stocked"}})
	if len(ids) != 8 {
		t.Errorf("%d stocked takuhai cases, want 8", len(ids))
	}
	var n int
	_ = e.store.DB().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = 'case.update' AND note LIKE '一括操作%'`).Scan(&n)
	if n != 5 {
		t.Errorf("%d audit entries, want 5", n)
	}
}

func TestCaseDetailTabsAndForm(t *testing.T) {
	t.Parallel()
	e := newPages(t, auth.RoleStaff)
	c := e.cases(t, "takuhai", 1)[0]
	for tab, want := range map[string]string{"": "買取確定日", "customer": "ﾔﾏﾀﾞ ﾀﾛｳ", "transfer": "振込タブ TK000001"} {
		code, body := e.get(t, "/cases/"+c.ID+"?tab="+tab)
		if code != 200 || !strings.Contains(body, want) || !strings.Contains(body, ">銀行振込</a>") {
			t.Errorf("tab %q: %d, lacks %q", tab, code, want)
		}
	}
	if code, _ := e.get(t, "/cases/"+c.ID+"?tab=nope"); code != 404 {
		t.Errorf("unknown tab: %d", code)
	}
	// Create: errors are shown on the form; a good form redirects to the new case.
	res, body := e.post(t, "/cases", url.Values{"kind": {"ippan"}, "status": {"stocked"}, "shop_id": {e.fx.shop.ID}, "customer_code": {"C999999"}, "purchase_amount": {"-1"}})
	if res.StatusCode != 422 || !strings.Contains(body, "C999999 の顧客が見つかりません") || !strings.Contains(body, "買取確定日") {
		t.Errorf("bad create: %d %s", res.StatusCode, body)
	}
	res, _ = e.post(t, "/cases", url.Values{"kind": {"ippan"}, "status": {"received"}, "shop_id": {e.fx.shop.ID}, "customer_code": {e.fx.customer.Code},
		"received_on": {"2026-04-09"}, "purchase_amount": {"5000"}, "item_count": {"2"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", res.StatusCode)
	}
	got, err := e.store.GetCaseByCode(context.Background(), "IP000001")
	if err != nil || got.PurchaseAmount != 5000 || res.Header.Get("Location") != "/cases/"+got.ID {
		t.Errorf("created %+v %v", got, err)
	}
	// Edit with a stale version is refused.
	res, _ = e.post(t, "/cases/"+got.ID, url.Values{"status": {"arrived"}, "shop_id": {e.fx.shop.ID}, "customer_code": {e.fx.customer.Code}, "version": {"99"}})
	if res.StatusCode != http.StatusConflict {
		t.Errorf("stale edit: %d", res.StatusCode)
	}
}

func TestCaseImportShowsRowErrors(t *testing.T) {
	t.Parallel()
	e := newPages(t, auth.RoleStaff)
	token := ""
	upload := func(csv string) (int, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		if token != "" {
			mw.WriteField("form_token", token)
		}
		fw, _ := mw.CreateFormFile("file", "cases.csv")
		io.WriteString(fw, csv)
		mw.Close()
		res, err := noFollow.Post(e.srv.URL+"/cases/import", mw.FormDataContentType(), &buf)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	code, body := upload("買取種別,店舗コード,顧客番号,買取金額\r\n宅配買取,main,C000001,100\r\n宅配買取,main,C000099,100\r\n宅配買取,nope,C000001,-1\r\n")
	if code != 422 {
		t.Fatalf("status %d", code)
	}
	for _, w := range []string{`<td class="num">3</td><td>顧客番号</td>`, `<td class="num">4</td><td>店舗コード</td>`, "何も登録していません"} {
		if !strings.Contains(body, w) {
			t.Errorf("error page lacks %q", w)
		}
	}
	if ids, _ := e.store.CaseIDs(context.Background(), commerce.CaseFilter{}); len(ids) != 0 {
		t.Errorf("%d cases after a bad file", len(ids))
	}
	code, body = upload("買取種別,店舗コード,顧客番号\r\n一般仕入,main,C000001\r\n")
	if code != 200 || !strings.Contains(body, "1件を登録しました") || !strings.Contains(body, "IP000001") {
		t.Errorf("good file: %d %s", code, body)
	}
	if code, _ := upload(""); code != 422 {
		t.Errorf("empty file: %d", code)
	}
	// The same page sent twice (a double click, a resubmit after Back) imports the file once:
	// the second submit lands on the list instead.
	token = "import-form-token-1"
	good := "買取種別,店舗コード,顧客番号\r\n一般仕入,main,C000001\r\n"
	if code, body := upload(good); code != 200 || !strings.Contains(body, "1件を登録しました") || strings.Contains(body, `value="`+token+`"`) {
		t.Fatalf("first submit: %d (the page must offer a fresh token after a success)", code)
	}
	if code, _ := upload(good); code != http.StatusSeeOther {
		t.Errorf("second submit of the same form: %d, want 303 to the list", code)
	}
	if ids, _ := e.store.CaseIDs(context.Background(), commerce.CaseFilter{}); len(ids) != 2 {
		t.Errorf("%d cases after importing one file twice from one form, want 2 (one from the earlier file)", len(ids))
	}
}

func TestCustomerFormAndBankLookup(t *testing.T) {
	t.Parallel()
	e := newPages(t, auth.RoleStaff)
	var banks []struct{ Code, Name string }
	_, body := e.get(t, "/lookup/banks?q=みずほ")
	if err := json.Unmarshal([]byte(body), &banks); err != nil || len(banks) == 0 || banks[0].Code != "0001" {
		t.Errorf("banks: %s", body)
	}
	_, body = e.get(t, "/lookup/branches?bank=0001&q=001")
	if !strings.Contains(body, `"code":"001"`) {
		t.Errorf("branches: %s", body)
	}
	form := url.Values{"name": {"佐藤 花子"}, "name_kana": {"サトウ ハナコ"}, "bank_code": {"0001"}, "branch_code": {"999"}, "account_number": {"12"}, "account_holder_kana": {"ｻﾄｳ ﾊﾅｺ"}}
	res, body := e.post(t, "/customers", form)
	if res.StatusCode != 422 || !strings.Contains(body, "支店コード 999 は みずほ にありません") || !strings.Contains(body, "口座番号は数字7桁") {
		t.Errorf("bad customer: %d %s", res.StatusCode, body)
	}
	form.Set("branch_code", "001")
	form.Set("account_number", "7654321")
	res, _ = e.post(t, "/customers", form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create customer: %d", res.StatusCode)
	}
	_, body = e.get(t, res.Header.Get("Location"))
	if !strings.Contains(body, "みずほ（0001）") || !strings.Contains(body, "7654321") {
		t.Errorf("customer page lacks the account: %s", body)
	}
	code, body := e.get(t, "/customers?has_bank=true")
	if code != 200 || !strings.Contains(body, "全<strong>2</strong>件") {
		t.Errorf("customer list: %d", code)
	}
}

func TestViewerCannotChange(t *testing.T) {
	t.Parallel()
	e := newPages(t, auth.RoleViewer)
	c := e.cases(t, "takuhai", 1)[0]
	if code, body := e.get(t, "/cases?kind=takuhai"); code != 200 || strings.Contains(body, "一括操作") {
		t.Errorf("viewer list: %d", code)
	}
	for _, path := range []string{"/cases/new", "/cases/" + c.ID + "/edit", "/customers/new", "/cases/import"} {
		if code, _ := e.get(t, path); code != http.StatusForbidden {
			t.Errorf("viewer GET %s: %d", path, code)
		}
	}
}
