package atobarai_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"

	"kessai/internal/atobarai"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/provider/yamato"
	"kessai/internal/sandbox/yamatosim"
)

// decodeCP932 reads a CP932 CSV with CRLF line ends, failing when it is not one.
func decodeCP932(t *testing.T, b []byte) [][]string {
	t.Helper()
	if utf8.Valid(b) && bytes.ContainsFunc(b, func(r rune) bool { return r > 0x7f }) {
		t.Fatal("the file is UTF-8, not CP932")
	}
	if !bytes.Contains(b, []byte("\r\n")) || bytes.Contains(bytes.ReplaceAll(b, []byte("\r\n"), nil), []byte("\n")) {
		t.Fatal("lines do not end in CRLF")
	}
	u, err := japanese.ShiftJIS.NewDecoder().Bytes(b)
	if err != nil {
		t.Fatalf("not CP932: %v", err)
	}
	recs, err := csv.NewReader(bytes.NewReader(u)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestCSVRoundTrip runs the CSV mode end to end over HTTP: 買手情報一括登録CSV from the order
// list's export, uploaded on the simulator's admin side, its 与信結果データ imported as the
// order import's data kind, the icons on the list, and the 出荷情報一括登録CSV accepted by the
// simulator. A bad result file is refused whole with row numbers.
func TestCSVRoundTrip(t *testing.T) {
	t.Parallel()
	e := startApp(t, nil)
	ctx := auth.WithPrincipal(context.Background(), auth.System("test"))
	if err := e.in.App.Connections.Save(ctx, atobarai.ConnKey, "", map[string]string{"_environment": "sandbox", atobarai.FieldStoreCode: yamatosim.DefaultStoreCode, atobarai.FieldMode: atobarai.ModeCSV}); err != nil {
		t.Fatal(err)
	}
	names := []string{"山田 太郎", "不可 花子", "審査 次郎"}
	var ids []string
	for _, n := range names {
		r, o := e.api(http.MethodPost, "/api/v1/orders", e.orderInput(n, 1200))
		if r.Status != http.StatusCreated || str(o, "authorization_status") != "pending" {
			t.Fatalf("CSV-mode order: %d %s", r.Status, r.Body)
		}
		ids = append(ids, str(o, "id"))
	}

	r := e.api2(http.MethodGet, "/api/v1/orders/export.csv?template="+atobarai.TemplateBuyer+"&payment_method=atobarai", nil)
	if r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Content-Type"), "Shift_JIS") {
		t.Fatalf("buyer CSV: %d %s", r.Status, r.Body)
	}
	buyer := []byte(r.Body)
	recs := decodeCP932(t, buyer)
	if len(recs) != 4 {
		t.Fatalf("rows %d, want header + 3", len(recs))
	}
	for i, rec := range recs {
		if len(rec) != yamato.BuyerColumnCount {
			t.Fatalf("row %d has %d columns, want 106", i+1, len(rec))
		}
	}
	if strings.Join(recs[0], ",") != strings.Join(yamato.BuyerCSV.Columns, ",") {
		t.Fatalf("header %v", recs[0])
	}
	head, _ := japanese.ShiftJIS.NewEncoder().String(strings.Join(yamato.BuyerCSV.Columns, ",") + "\r\n")
	if !bytes.HasPrefix(buyer, []byte(head)) {
		t.Fatal("the header bytes are not the CP932 header")
	}
	today := e.in.App.Clock.Now().In(clock.JST).Format("20060102")
	byName := map[string][]string{}
	for _, rec := range recs[1:] {
		byName[rec[3]] = rec
	}
	if row := byName["山田　太郎"]; row == nil || row[1] != today || row[14] != "2900" || row[15] != "りんご" || row[55] != "0" {
		t.Fatalf("山田 太郎's row: %v (want 出荷予定日 %s, 請求金額合計 2900)", row, today)
	}
	// Exported again, changing the orders' status at the same time: the same orders under the
	// same 受注番号 (they wait for their result), no duplicates.
	again := decodeCP932(t, []byte(e.api2(http.MethodGet, "/api/v1/orders/export.csv?template="+atobarai.TemplateBuyer+"&set_status=awaiting_payment", nil).Body))
	if len(again) != 4 || again[1][2] != recs[1][2] {
		t.Fatalf("re-export has %d rows", len(again))
	}
	for _, id := range ids {
		if _, o := e.api(http.MethodGet, "/api/v1/orders/"+id, nil); str(o, "order_status") != "awaiting_payment" {
			t.Fatalf("set_status: %s is %s", id, str(o, "order_status"))
		}
	}

	batch, err := e.sim.ImportBuyerCSV(bytes.NewReader(buyer), "buyer.csv")
	if err != nil {
		t.Fatalf("the simulator refused the buyer CSV: %v", err)
	}
	var result bytes.Buffer
	if err := e.sim.WriteCreditResults(&result, batch.ID); err != nil {
		t.Fatal(err)
	}

	// A bad file first: an unknown order and a bad result code; nothing is imported.
	// A bad file: a result code Yamato does not have, then an order kessai does not know.
	for _, c := range []struct {
		row, col int
		value    string
		field    string
	}{{2, 4, "7", `"rows.3.審査結果"`}, {1, 0, "NOSUCHORDER", `"rows.2.受注番号"`}} {
		res := decodeCP932(t, result.Bytes())
		res[c.row][c.col] = c.value
		var bad bytes.Buffer
		cw := csv.NewWriter(japanese.ShiftJIS.NewEncoder().Writer(&bad))
		cw.UseCRLF = true
		_ = cw.WriteAll(res)
		r = e.upload("/api/v1/orders/import?kind="+atobarai.DataKindCreditData, bad.Bytes())
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, c.field) || !strings.Contains(r.Body, "1行も取り込んでいません") {
			t.Fatalf("bad result file (%s): %d %s", c.value, r.Status, r.Body)
		}
	}
	var decided int
	_ = e.in.App.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM atobarai_transactions WHERE credit <> 'new'`).Scan(&decided)
	if decided != 0 {
		t.Fatalf("a refused file changed %d transactions", decided)
	}

	r = e.upload("/api/v1/orders/import?kind="+atobarai.DataKindCreditData, result.Bytes())
	if r.Status != http.StatusCreated || !strings.Contains(r.Body, `"created":3`) {
		t.Fatalf("result import: %d %s", r.Status, r.Body)
	}
	wantAuth := []string{"authorized", "failed", "pending"}
	for i, id := range ids {
		if _, o := e.api(http.MethodGet, "/api/v1/orders/"+id, nil); str(o, "authorization_status") != wantAuth[i] {
			t.Errorf("%s: 承認状況 %s, want %s", names[i], str(o, "authorization_status"), wantAuth[i])
		}
	}
	var audited int
	_ = e.in.App.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'order.update' AND record_id IN (?, ?)
		AND before_json = '{"authorization_status":"pending","authorized_on":""}'`, ids[0], ids[1]).Scan(&audited)
	if audited != 2 {
		t.Errorf("%d audit entries of the 承認状況 changes, want 2", audited)
	}
	want := []string{"与信OK", "与信NG", "与信保留"}
	page := e.in.Client(t, auth.RoleAdmin).Get("/orders?payment_method=atobarai")
	for i, id := range ids {
		_, tx := e.api(http.MethodGet, "/api/v1/orders/"+id+"/atobarai", nil)
		if str(tx, "credit_label") != want[i] {
			t.Errorf("%s: %s, want %s", names[i], str(tx, "credit_label"), want[i])
		}
		if !strings.Contains(page.Body, want[i]) {
			t.Errorf("the order list shows no %s", want[i])
		}
	}
	if !strings.Contains(page.Body, "決済ステータス") {
		t.Error("the order list has no 決済ステータス column")
	}

	// Shipped: the 出荷情報一括登録CSV of the approved order is accepted by the simulator.
	tracking := yamato.WithCheckDigit("60000000001")
	if r, _ := e.api(http.MethodPatch, "/api/v1/orders/"+ids[0], map[string]any{"order_status": "awaiting_shipment", "tracking_number": tracking}); r.Status != http.StatusOK {
		t.Fatalf("tracking: %d %s", r.Status, r.Body)
	}
	r = e.api2(http.MethodGet, "/api/v1/orders/export.csv?template="+atobarai.TemplateShipment, nil)
	ship := decodeCP932(t, []byte(r.Body))
	if r.Status != http.StatusOK || len(ship) != 2 || len(ship[0]) != len(yamato.ShipmentCSV.Columns) || ship[1][2] != tracking {
		t.Fatalf("shipment CSV: %d %v", r.Status, ship)
	}
	if n, err := e.sim.ImportShipmentCSV(bytes.NewReader([]byte(r.Body))); err != nil || n != 1 {
		t.Fatalf("the simulator took %d shipments: %v", n, err)
	}
	if so, _ := e.sim.Order(ship[1][0]); so.Status != yamato.StatusShipped {
		t.Fatalf("Yamato: %+v", so)
	}

	// Switching to API mode keeps the CSV orders working: the status read sees the shipment.
	if err := e.in.App.Connections.Save(ctx, atobarai.ConnKey, "", map[string]string{"_environment": "sandbox", atobarai.FieldStoreCode: yamatosim.DefaultStoreCode, atobarai.FieldMode: atobarai.ModeAPI}); err != nil {
		t.Fatal(err)
	}
	e.in.App.Clock.Advance(time.Minute)
	if r, tx := e.api(http.MethodPost, "/api/v1/orders/"+ids[0]+"/atobarai/refresh", nil); r.Status != http.StatusOK || str(tx, "status") != "3" {
		t.Fatalf("refresh after switching to API: %d %s", r.Status, r.Body)
	}
}
