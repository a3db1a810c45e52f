package yamatosim_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/japanese"

	"kessai/internal/platform/jpcsv"
	"kessai/internal/provider/yamato"
	"kessai/internal/sandbox/yamatosim"
)

// upload posts a file to an admin form the way a browser does, without following redirects.
func upload(t *testing.T, url, name string, file []byte) *http.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(file)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, url, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func readBody(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkCP932 asserts that b is a CP932 CSV (no BOM, CRLF) whose every line has cols columns,
// and returns its decoded lines.
func checkCP932(t *testing.T, b []byte, cols int) []string {
	t.Helper()
	if jpcsv.Detect(b) != jpcsv.CP932 || bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}) || !bytes.HasSuffix(b, []byte("\r\n")) {
		t.Fatalf("not a CP932 CRLF file: % X", b[:min(len(b), 32)])
	}
	text, err := japanese.ShiftJIS.NewDecoder().Bytes(b)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(text), "\r\n"), "\r\n")
	for i, l := range lines {
		if n := strings.Count(l, ",") + 1; n != cols {
			t.Errorf("line %d has %d columns, want %d: %s", i+1, n, cols, l)
		}
	}
	return lines
}

// The CSV mode end to end over HTTP: write the buyer CSV → upload it on the admin screen →
// download the credit-result file → read it → ship with the shipment CSV.
func TestCSVRoundTrip(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	names := []string{"山田 太郎", "不可 花子", "限度 次郎", "審査 三郎", "髙橋 ①子"}
	var rows []yamato.BuyerRow
	for i, name := range names {
		rows = append(rows, yamato.BuyerRowFrom(order(fmt.Sprintf("CSV-%d", i+1), name)))
	}
	var file bytes.Buffer
	if err := yamato.WriteBuyerCSV(&file, e.clk.Now(), rows); err != nil {
		t.Fatal(err)
	}
	lines := checkCP932(t, file.Bytes(), yamato.BuyerColumnCount)
	if len(lines) != 1+len(names) || !strings.HasPrefix(lines[0], "受注日,出荷予定日,受注番号,氏名,氏名（カナ）,") {
		t.Fatalf("buyer CSV lines = %d, header %s", len(lines), lines[0])
	}
	res := upload(t, e.srv.URL+prefix+"/admin/buyer-csv", "buyers.csv", file.Bytes())
	readBody(t, res)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, prefix+"/admin/batches/B") {
		t.Fatalf("upload: %d %s", res.StatusCode, loc)
	}
	page := get(t, e.srv.URL+loc)
	for _, s := range []string{"与信結果", "CSV-1", "ご利用可", "ご利用不可", "限度額超過", "審査中", "ダウンロード"} {
		if !strings.Contains(page, s) {
			t.Errorf("result page lacks %q", s)
		}
	}
	// The review resolves before the download.
	e.clk.Advance(30 * time.Minute)
	res, err := http.Get(e.srv.URL + loc + "/result.csv")
	if err != nil {
		t.Fatal(err)
	}
	result := []byte(readBody(t, res))
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %v", res.StatusCode, res.Header)
	}
	checkCP932(t, result, len(yamato.CreditResultCSV.Columns))
	got, err := yamato.ReadCreditResultCSV(bytes.NewReader(result))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]yamato.CreditResult{"CSV-1": yamato.CreditOK, "CSV-2": yamato.CreditNG, "CSV-3": yamato.CreditOverMax,
		"CSV-4": yamato.CreditOK, "CSV-5": yamato.CreditOK}
	if len(got) != len(want) {
		t.Fatalf("%d result rows", len(got))
	}
	for _, r := range got {
		if r.Result != want[r.OrderNo] || r.Total != 3300 || r.DecidedAt.IsZero() {
			t.Errorf("result %s = %s (%d), want %s", r.OrderNo, r.Result, r.Total, want[r.OrderNo])
		}
	}
	if got[4].Name != "髙橋　①子" {
		t.Errorf("name through CP932 = %q", got[4].Name)
	}
	// Ship the approved ones with the shipment CSV.
	var ship bytes.Buffer
	srows := []yamato.ShipmentRow{{ShipmentRequest: yamato.ShipmentRequest{OrderNo: "CSV-1", TrackingNo: yamato.WithCheckDigit("40000000001"), ShipDate: start}},
		{ShipmentRequest: yamato.ShipmentRequest{OrderNo: "CSV-4", TrackingNo: yamato.WithCheckDigit("40000000002"), ShipDate: start}},
		{Carrier: "佐川急便", ShipmentRequest: yamato.ShipmentRequest{OrderNo: "CSV-5", TrackingNo: "SG-55501", ProcessDiv: yamato.ProcessOther}}}
	if err := yamato.WriteShipmentCSV(&ship, e.clk.Now(), srows); err != nil {
		t.Fatal(err)
	}
	checkCP932(t, ship.Bytes(), len(yamato.ShipmentCSV.Columns))
	res = upload(t, e.srv.URL+prefix+"/admin/shipment-csv", "ship.csv", ship.Bytes())
	readBody(t, res)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("shipment upload: %d", res.StatusCode)
	}
	for no, tracking := range map[string]string{"CSV-1": yamato.WithCheckDigit("40000000001"), "CSV-4": yamato.WithCheckDigit("40000000002"), "CSV-5": "SG-55501"} {
		st, err := e.client.Status(e.ctx, no)
		o, _ := e.sim.Order(no)
		if err != nil || st.Status != yamato.StatusShipped || o.TrackingNo != tracking {
			t.Errorf("%s after shipment CSV: %+v %v %s", no, st.Status, err, o.TrackingNo)
		}
	}
	if !strings.Contains(get(t, e.srv.URL+prefix+"/?msg=x"), "送り状番号登録済み") {
		t.Error("index does not show the shipped orders")
	}
}

// Bad rows are refused with their row numbers and nothing is registered.
func TestCSVUploadsAreAllOrNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.approve(t, "DUP-1")
	var file bytes.Buffer
	rows := []yamato.BuyerRow{yamato.BuyerRowFrom(order("NEW-1", "山田 太郎")), yamato.BuyerRowFrom(order("DUP-1", "山田 太郎")),
		yamato.BuyerRowFrom(order("NEW-2", "山田 太郎")), yamato.BuyerRowFrom(order("NEW-3", "山田 太郎"))}
	rows[2].PostCode = yamatosim.PostCodeUnknown
	if err := yamato.WriteBuyerCSV(&file, e.clk.Now(), rows); err != nil {
		t.Fatal(err)
	}
	// Break row 5's amount in the file itself, as a hand-edited file would be.
	text, _ := japanese.ShiftJIS.NewDecoder().String(file.String())
	lines := strings.Split(text, "\r\n")
	lines[4] = strings.Replace(lines[4], ",3300,", ",3301,", 1)
	bad, _ := japanese.ShiftJIS.NewEncoder().String(strings.Join(lines, "\r\n"))

	res := upload(t, e.srv.URL+prefix+"/admin/buyer-csv", "bad.csv", []byte(bad))
	page := readBody(t, res)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", res.StatusCode)
	}
	// Format errors come first (row 5); only a file that passes them is checked against records.
	if !strings.Contains(page, "1件も登録していません") || !strings.Contains(page, "5行目") || !strings.Contains(page, "kaara101E") {
		t.Errorf("error page lacks the row:\n%s", page)
	}
	// Fixed amount: now the record rules speak, for rows 3 and 4.
	file.Reset()
	if err := yamato.WriteBuyerCSV(&file, e.clk.Now(), rows); err != nil {
		t.Fatal(err)
	}
	body := postJSON(t, e.srv.URL+prefix+"/_sim/buyer-csv", file.String(), http.StatusUnprocessableEntity)
	for _, s := range []string{`"row":3`, "kaara009E", `"row":4`, "kaara029E"} {
		if !strings.Contains(body, s) {
			t.Errorf("JSON errors lack %s: %s", s, body)
		}
	}
	if len(e.sim.Orders()) != 1 || len(e.sim.Batches()) != 0 {
		t.Fatalf("a refused file registered orders: %d orders, %d batches", len(e.sim.Orders()), len(e.sim.Batches()))
	}
	// Shipment CSV: one unknown order and one refused state refuse the whole file.
	e.approve(t, "DUP-2")
	var ship bytes.Buffer
	if err := yamato.WriteShipmentCSV(&ship, e.clk.Now(), []yamato.ShipmentRow{
		{ShipmentRequest: yamato.ShipmentRequest{OrderNo: "DUP-1", TrackingNo: yamato.WithCheckDigit("50000000001")}},
		{ShipmentRequest: yamato.ShipmentRequest{OrderNo: "NOPE", TrackingNo: yamato.WithCheckDigit("50000000002")}},
		{ShipmentRequest: yamato.ShipmentRequest{OrderNo: "DUP-2", TrackingNo: yamato.WithCheckDigit("50000000003"), ProcessDiv: yamato.ProcessChange, BeforeTrackingNo: "1", ShipDate: start}},
	}); err != nil {
		t.Fatal(err)
	}
	res = upload(t, e.srv.URL+prefix+"/admin/shipment-csv", "ship.csv", ship.Bytes())
	page = readBody(t, res)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "3行目") || !strings.Contains(page, "kaasl008E") || !strings.Contains(page, "4行目") || !strings.Contains(page, "kaasl022E") {
		t.Errorf("shipment errors: %d\n%s", res.StatusCode, page)
	}
	if o, _ := e.sim.Order("DUP-1"); o.Status != yamato.StatusApproved || o.TrackingNo != "" {
		t.Errorf("a refused shipment file changed DUP-1: %s %s", o.Status, o.TrackingNo)
	}
	// A file that is not the layout at all.
	res = upload(t, e.srv.URL+prefix+"/admin/buyer-csv", "x.csv", []byte("a,b\r\n1,2\r\n"))
	if page := readBody(t, res); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "受注日") {
		t.Errorf("wrong layout: %d", res.StatusCode)
	}
}

func TestStateFileSurvivesRestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "yamato.json")
	e := newEnv(t, func(o *yamatosim.Options) { o.StatePath = path })
	e.approve(t, "ST-1")
	e.ship(t, "ST-1", "12345678901")
	again := yamatosim.New(yamatosim.Options{Clock: e.clk, StatePath: path})
	o, ok := again.Order("ST-1")
	if !ok || o.Status != yamato.StatusShipped || o.TrackingNo != "123456789013" || len(o.History) < 2 {
		t.Fatalf("after restart: %+v %v", o, ok)
	}
	if w := again.Status().Warnings; len(w) != 0 {
		t.Errorf("warnings %v", w)
	}
}

// Faults on money-moving calls: the order is made, the answer is lost, and asking settles it.
func TestFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if err := e.sim.SetFault(yamatosim.FaultDropAfter, 1); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.Credit(e.ctx, order("FLT-1", "山田 太郎"))
	if !yamato.IsOutcomeUnknown(err) {
		t.Fatalf("dropped credit: %v", err)
	}
	if r, err := e.client.CreditResult(e.ctx, "FLT-1"); err != nil || r.Decision() != yamato.Approved {
		t.Fatalf("settling by KAARS0010: %+v %v", r, err)
	}
	// Sending it again would be refused: the orderNo is taken.
	if _, err := e.client.Credit(e.ctx, order("FLT-1", "山田 太郎")); code(err) != "kaara009E" {
		t.Errorf("resend: %v", err)
	}
	postJSON(t, e.srv.URL+prefix+"/_sim/faults", `{"mode":"system_error_after","count":1}`, 200)
	_, err = e.client.Cancel(e.ctx, "FLT-1")
	if !yamato.IsOutcomeUnknown(err) || !yamato.IsSystemError(err) {
		t.Fatalf("err0001 cancel: %v", err)
	}
	if st, _ := e.client.Status(e.ctx, "FLT-1"); st.Status != yamato.StatusCancelled {
		t.Errorf("the cancel behind err0001 was done: status %s", st.Status)
	}
	if err := e.sim.SetFault(yamatosim.FaultHTTP503Before, 1); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.Credit(e.ctx, order("FLT-2", "山田 太郎"))
	if te, ok := err.(*yamato.TransportError); !ok || te.HTTPStatus != 503 {
		t.Fatalf("503: %v", err)
	}
	if _, ok := e.sim.Order("FLT-2"); ok {
		t.Error("503 before processing created the order")
	}
	if e.sim.SetFault("nonsense", 1) == nil {
		t.Error("unknown fault accepted")
	}
}

// A larger upload through the JSON API: the repeat rule applies inside one file too, and the
// admin page shows the newest 200 orders.
func TestLargeBuyerUpload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var rows []yamato.BuyerRow
	for i := range 300 {
		r := order(fmt.Sprintf("BIG-%03d", i), "山田 太郎")
		if i < 3 {
			r.Address = "東京都港区芝公園4-2-8" // the same address three times
		}
		rows = append(rows, yamato.BuyerRowFrom(r))
	}
	var file bytes.Buffer
	if err := yamato.WriteBuyerCSV(&file, e.clk.Now(), rows); err != nil {
		t.Fatal(err)
	}
	body := postJSON(t, e.srv.URL+prefix+"/_sim/buyer-csv?name=big.csv", file.String(), http.StatusOK)
	if !strings.Contains(body, `"file_name":"big.csv"`) {
		t.Errorf("batch = %s", body)
	}
	results := map[yamato.CreditResult]int{}
	for _, o := range e.sim.Orders() {
		results[o.Result]++
	}
	if results[yamato.CreditOK] != 297 || results[yamato.CreditNG] != 3 {
		t.Errorf("results %v, want 297 OK and 3 NG (the third order to one address and the two before it)", results)
	}
	page := get(t, e.srv.URL+prefix+"/")
	if !strings.Contains(page, "全300件のうち新しい200件") {
		t.Error("page does not say it shows 200 of 300")
	}
}
