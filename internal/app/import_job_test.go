package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"kessai/internal/app"
	"kessai/internal/app/apptest"
	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
)

// customerCSV is n customers, over 1 MB from about 25,000.
func customerCSV(n int, badRow int) string {
	var b strings.Builder
	b.WriteString("氏名,フリガナ,備考\r\n")
	for i := range n {
		name := fmt.Sprintf("取込 太郎%d", i)
		if i+2 == badRow {
			name = ""
		}
		fmt.Fprintf(&b, "%s,トリコミ タロウ,%s\r\n", name, strings.Repeat("x", 20))
	}
	return b.String()
}

// waitImport polls an import's API resource until it has its outcome (the job runs on the
// instance's queue; the deadline only stops a hung test).
func waitImport(t *testing.T, in *apptest.Instance, key, id string) commerce.ImportRun {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		req, _ := http.NewRequest("GET", in.URL+"/api/v1/imports/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res := in.Anonymous(t).Do(req)
		if res.Status != http.StatusOK {
			t.Fatalf("GET import = %d %s", res.Status, res.Body)
		}
		var run commerce.ImportRun
		if err := json.Unmarshal([]byte(res.Body), &run); err != nil {
			t.Fatal(err)
		}
		if run.Finished() {
			return run
		}
		if time.Now().After(deadline) {
			t.Fatalf("import %s still %s after 2 minutes", id, run.Status)
		}
	}
}

// A file over 1 MB uploaded on the import page is imported by a job: the upload answers at once
// with the import's page (progress, then the outcome), the same form submitted again lands on
// the same import, and the file is removed once imported. Through the API a large file (or
// async=true) answers 202 with the import; a bad row fails the whole file with its row number.
func TestImportRunsAsJob(t *testing.T) {
	t.Parallel()
	uploads := t.TempDir()
	in := apptest.Start(t, apptest.Options{Configure: func(c *app.Config) {
		fastJobs(c)
		c.UploadDir = uploads
	}})
	staff := in.Client(t, auth.RoleStaff)
	key := in.APIKey(t, auth.RoleStaff)
	page := staff.Get("/customers/import")
	formToken := regexp.MustCompile(`name="form_token" value="([^"]+)"`).FindStringSubmatch(page.Body)
	if formToken == nil {
		t.Fatalf("import page has no form token: %d", page.Status)
	}
	const n = 30_000
	file := customerCSV(n, 0)
	if len(file) <= commerce.DefaultImportInRequest {
		t.Fatalf("the file is %d bytes: not over the in-request limit", len(file))
	}
	fields := [][2]string{{"csrf_token", staff.CSRF}, {"form_token", formToken[1]}}
	ct, body := multipartBody(t, fields, "file", strings.NewReader(file))
	res := send(t, staff, "POST", "/customers/import", ct, body, -1)
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/imports/imp") {
		t.Fatalf("large upload = %d → %q\n%s", res.Status, res.Location, res.Body)
	}
	id := strings.TrimPrefix(res.Location, "/imports/")
	ct, body = multipartBody(t, fields, "file", strings.NewReader(file))
	if again := send(t, staff, "POST", "/customers/import", ct, body, -1); again.Status != http.StatusSeeOther || again.Location != res.Location {
		t.Fatalf("the same form again = %d → %q, want the first import %s", again.Status, again.Location, res.Location)
	}
	run := waitImport(t, in, key, id)
	if run.Status != commerce.ImportDone || run.Created != n || run.RowsTotal != n || run.FirstCode != "C000001" || run.LastCode != fmt.Sprintf("C%06d", n) {
		t.Fatalf("import %+v", run)
	}
	if p := staff.Get(res.Location); p.Status != http.StatusOK || !strings.Contains(p.Body, "30,000件を登録しました") || !strings.Contains(p.Body, "C000001 〜 C030000") {
		t.Fatalf("import page = %d\n%s", p.Status, p.Body)
	}
	if list := staff.Get("/customers?q=C030000"); !strings.Contains(list.Body, "取込 太郎29999") {
		t.Errorf("the last customer is not listed")
	}
	if left := tempFiles(t, uploads); len(left) > 0 {
		t.Errorf("the imported file stays on disk: %v", left)
	}

	// The API: a large bad file is checked whole by the job and nothing is created.
	req, _ := http.NewRequest("POST", in.URL+"/api/v1/customers/import", strings.NewReader(customerCSV(n, n)))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "text/csv")
	res = staff.Do(req)
	if res.Status != http.StatusAccepted || !strings.HasPrefix(res.Header.Get("Location"), "/api/v1/imports/imp") {
		t.Fatalf("large API import = %d %q %s", res.Status, res.Header.Get("Location"), res.Body)
	}
	run = waitImport(t, in, key, strings.TrimPrefix(res.Header.Get("Location"), "/api/v1/imports/"))
	if run.Status != commerce.ImportFailed || run.Created != 0 || run.ErrorCount != 1 || run.Errors[0].Row != n || run.Errors[0].Column != "氏名" {
		t.Fatalf("bad import %+v", run)
	}
	// async=true runs even a small file as a job.
	req, _ = http.NewRequest("POST", in.URL+"/api/v1/customers/import?async=true", strings.NewReader(customerCSV(2, 0)))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "text/csv")
	res = staff.Do(req)
	if res.Status != http.StatusAccepted {
		t.Fatalf("async import = %d %s", res.Status, res.Body)
	}
	if run = waitImport(t, in, key, strings.TrimPrefix(res.Header.Get("Location"), "/api/v1/imports/")); run.Created != 2 || run.FirstCode != fmt.Sprintf("C%06d", n+1) {
		t.Fatalf("async import %+v", run)
	}
	// A file lost before its job ran (a restart that cleared the temp dir): the import fails
	// and says so, instead of waiting forever.
	lost, err := in.App.Commerce.StartImport(t.Context(), "customers", uploads+"/gone.csv", "gone.csv", 10)
	if err != nil {
		t.Fatal(err)
	}
	if run = waitImport(t, in, key, lost.ID); run.Status != commerce.ImportFailed || !strings.Contains(run.Message, "ファイルがありません") {
		t.Fatalf("lost file %+v", run)
	}
	var customers int
	if err := in.App.DB.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM customers`).Scan(&customers); err != nil || customers != n+2 {
		t.Fatalf("%d customers (%v), want %d", customers, err, n+2)
	}
}
