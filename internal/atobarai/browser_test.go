package atobarai_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kessai/internal/atobarai"
	"kessai/internal/browsertest"
	"kessai/internal/platform/auth"
	"kessai/internal/provider/yamato"
	"kessai/internal/sandbox/yamatosim"
)

// waitFor waits until css is on the page, across the reloads of a polling page.
func waitFor(t *testing.T, p *browsertest.Page, css string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		found, err := chromedp.Run(p.Ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q) !== null`, css)))
		if err == nil && found {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear (last error: %v): %s", css, err, p.Text("main"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func upload(t *testing.T, p *browsertest.Page, css, path string) {
	t.Helper()
	if err := chromedp.Do(p.Ctx, chromedp.SetUploadFiles(chromedp.CSS(css), []string{path})); err != nil {
		t.Fatalf("upload %s: %v", path, err)
	}
}

// TestBrowserCSVModeAndBulkShip: a staff member in a browser downloads the
// 買手情報一括登録CSV from the order list, uploads it on the sandbox's Yamato admin screen,
// imports the 与信結果データ with the data kind on 受注のCSV取込, sees 与信OK / 与信NG in the
// 決済ステータス column, then (API mode) runs 発送完了【決済済みに変更】 on the approved order.
func TestBrowserCSVModeAndBulkShip(t *testing.T) {
	t.Parallel()
	e := startApp(t, nil)
	ctx := auth.WithPrincipal(context.Background(), auth.System("test"))
	save := func(mode string) {
		if err := e.in.App.Connections.Save(ctx, atobarai.ConnKey, "", map[string]string{"_environment": "sandbox",
			atobarai.FieldStoreCode: yamatosim.DefaultStoreCode, atobarai.FieldMode: mode}); err != nil {
			t.Fatal(err)
		}
	}
	save(atobarai.ModeCSV)
	var ok string
	for _, n := range []string{"山田 太郎", "不可 花子"} {
		r, o := e.api(http.MethodPost, "/api/v1/orders", e.orderInput(n, 1500))
		if r.Status != http.StatusCreated {
			t.Fatalf("order: %d %s", r.Status, r.Body)
		}
		if ok == "" {
			ok = str(o, "id")
		}
	}
	p := browsertest.New(t, browsertest.Options{Timeout: 150 * time.Second})
	p.Goto(e.in.URL + "/login")
	p.Fill("email", "admin@example.com")
	p.Fill("password", "admin-password-1")
	p.ClickAndWait(`form:has(input[name=password]) button:not([type=button])`)

	// The order list offers the template; the browser downloads it with its session.
	p.Goto(e.in.URL + "/orders?payment_method=atobarai")
	if !strings.Contains(p.HTML(), yamato.BuyerCSV.Name) {
		t.Fatal("the order list's CSV menu lacks the 買手情報一括登録CSV template")
	}
	download := func(scope string) []byte {
		t.Helper()
		b64, err := chromedp.Run(p.Ctx, chromedp.Evaluate[string](`(async () => {
		const f = document.querySelector('form.export');
		f.template.value = "`+atobarai.TemplateBuyer+`";
		f.scope.value = "`+scope+`";
		f.dispatchEvent(new Event("submit", {cancelable: true}));
		const u = new URL(f.action);
		new FormData(f).forEach((v, k) => u.searchParams.set(k, v));
		const r = await fetch(u);
		const b = new Uint8Array(await r.arrayBuffer());
		let s = ""; for (const x of b) s += String.fromCharCode(x);
		return btoa(s);
	})()`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		b, _ := base64.StdEncoding.DecodeString(b64)
		return b
	}
	// チェックをつけたデータ: only the checked order.
	p.Click(`input[name=id][type=checkbox]`)
	if recs := decodeCP932(t, download("selected")); len(recs) != 2 || len(recs[0]) != yamato.BuyerColumnCount {
		t.Fatalf("buyer CSV of the checked order: %d rows", len(recs))
	}
	// 検索結果全データ: both (the checked one was not credited yet, so it goes again).
	buyer := download("all")
	if recs := decodeCP932(t, buyer); len(recs) != 3 || len(recs[0]) != yamato.BuyerColumnCount {
		t.Fatalf("downloaded buyer CSV: %d rows", len(recs))
	}
	dir := t.TempDir()
	buyerPath := filepath.Join(dir, "buyer.csv")
	if err := os.WriteFile(buyerPath, buyer, 0o600); err != nil {
		t.Fatal(err)
	}

	// Yamato's admin screen (the simulator) takes the file.
	p.Goto(e.in.URL + "/sandbox/yamato/")
	upload(t, p, `form[action$="/admin/buyer-csv"] input[type=file]`, buyerPath)
	p.ClickAndWait(`form[action$="/admin/buyer-csv"] button`)
	batches := e.sim.Batches()
	if len(batches) != 1 || len(batches[0].OrderNos) != 2 {
		t.Fatalf("the simulator's uploads: %+v: %s", batches, p.Text("main"))
	}
	var result bytes.Buffer
	if err := e.sim.WriteCreditResults(&result, batches[0].ID); err != nil {
		t.Fatal(err)
	}
	resultPath := filepath.Join(dir, "result.csv")
	if err := os.WriteFile(resultPath, result.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	// 受注のCSV取込 with 取込みデータ種別 クロネコ後払い与信結果データ.
	p.Goto(e.in.URL + "/orders/import")
	if err := chromedp.Do(p.Ctx, chromedp.SetValue(chromedp.CSS("#data_kind"), atobarai.DataKindCreditData)); err != nil {
		t.Fatalf("data kind: %v", err)
	}
	upload(t, p, `input[name=file]`, resultPath)
	p.ClickAndWait("取り込む")
	if got := p.Text("main"); !strings.Contains(got, "2件を登録しました") {
		t.Fatalf("import page: %s", got)
	}
	p.Goto(e.in.URL + "/orders?payment_method=atobarai")
	list := p.Text("table.list")
	if !strings.Contains(list, "与信OK") || !strings.Contains(list, "与信NG") {
		t.Fatalf("決済ステータス: %s", list)
	}

	// API mode from here; the approved order gets its tracking number and is 出荷待ち.
	save(atobarai.ModeAPI)
	tracking := yamato.WithCheckDigit("80000000001")
	if r, _ := e.api(http.MethodPatch, "/api/v1/orders/"+ok, map[string]any{"order_status": "awaiting_shipment", "tracking_number": tracking}); r.Status != http.StatusOK {
		t.Fatalf("出荷待ち: %d %s", r.Status, r.Body)
	}
	p.Goto(e.in.URL + "/orders?payment_method=atobarai&x_atobarai=ok")
	p.Click(`input[name=id][type=checkbox]`)
	p.Click(`.bulk-bar details:nth-of-type(2) > summary`)
	p.ClickAndWait(`button[value="selected:atobarai_ship_settle"]`)
	p.WaitText("一括操作の確認")
	p.ClickAndWait("1件に実行する")
	waitFor(t, p, `a[data-outcome="done"]`)
	if got := p.Text(`a[data-outcome="done"]`); got != "1件" {
		t.Fatalf("完了 = %q", got)
	}
	_, tx := e.api(http.MethodGet, "/api/v1/orders/"+ok+"/atobarai", nil)
	if so, _ := e.sim.Order(str(tx, "order_no")); so.Status != yamato.StatusShipped || so.TrackingNo != tracking {
		t.Fatalf("Yamato after the bulk action: %+v", so)
	}
	if m := e.mails.Messages(); len(m) != 1 || !strings.Contains(m[0].Body, tracking) {
		t.Fatalf("mails %+v", m)
	}
}
