package gmopgsim_test

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"kessai/internal/browsertest"
	"kessai/internal/provider/gmopg"
	"kessai/internal/sandbox/gmopgsim"
)

var checkoutPage = template.Must(template.New("c").Parse(`<!doctype html><html lang="ja"><head><meta charset="utf-8"></head><body>
<form method="post" action="{{.StartURL}}"><input type="hidden" name="AccessID" value="{{.AccessID}}"><input type="hidden" name="Token" value="{{.Token}}">
<button>かんたん支払いへ進む</button></form></body></html>`))

// TestBuyerPageInBrowser drives the StartURL page in headless Chromium as a buyer does: a shop
// page posts AccessID and Token (which holds a raw "+" or "/") to StartURL, the buyer pays with
// points only on the Shift_JIS page, and the browser posts the result back to the RetURL.
func TestBuyerPageInBrowser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	var mu sync.Mutex
	var back gmopg.Values
	shop := http.NewServeMux()
	shopSrv := httptest.NewServer(shop)
	defer shopSrv.Close()
	shop.HandleFunc("GET /checkout", func(w http.ResponseWriter, r *http.Request) {
		var st gmopg.RecruitStart
		for i := range 50 { // a token with "+" or "/", so the browser must encode it
			id := fmt.Sprintf("br-%02d", i)
			a, err := e.client.EntryTranRecruit(ctx, gmopg.RecruitEntryInput{OrderID: id, JobCd: gmopg.JobAuth, Amount: 2500, Tax: 227})
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			if st, err = e.client.ExecTranRecruit(ctx, gmopg.RecruitExecInput{Access: a, RetURL: shopSrv.URL + "/return", ItemName: "定期便 ３月分"}); err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			if strings.ContainsAny(st.Token, "+/") {
				break
			}
		}
		checkoutPage.Execute(w, st)
	})
	shop.HandleFunc("POST /return", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		v, err := gmopg.ParseForm(b)
		mu.Lock()
		back = v
		mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<p>受け付けました %s %v</p>", v.Get("Status"), err)
	})

	p := browsertest.New(t, browsertest.Options{})
	p.Goto(shopSrv.URL + "/checkout")
	p.ClickAndWait("かんたん支払いへ進む")
	p.WaitText("定期便 ３月分") // decoded from Shift_JIS by the browser
	p.WaitText("2500円")
	p.Click("ポイントのみで支払う")
	p.WaitText("受け付けました AUTH")

	mu.Lock()
	defer mu.Unlock()
	id := back.Get("OrderID")
	if back.Get("Status") != "AUTH" || back.Get("PayType") != "O" || back.Get("RcUsePoint") != "2500" || back.Get("ShopID") != gmopgsim.DefaultShopID {
		t.Fatalf("posted back: %v", back)
	}
	mt, err := e.client.SearchTradeMulti(ctx, id, gmopg.PayTypeRecruit)
	if err != nil || mt.Status != gmopg.StatusAuth || mt.RcUsePoint != 2500 {
		t.Fatalf("trade %s = %+v, %v", id, mt, err)
	}
	// Points only: an increase is refused.
	tr, _ := e.sim.Trade(id)
	_, err = e.client.RecruitChange(ctx, gmopg.Access{OrderID: id, AccessID: tr.AccessID, AccessPass: accessPass(t, e, id)}, 3000, 0)
	wantInfos(t, "points-only increase", err, gmopg.InfoChangeAmountInvalid)
}

// accessPass reads a transaction's AccessPass back with SearchTradeMulti.
func accessPass(t *testing.T, e *env, orderID string) string {
	t.Helper()
	mt, err := e.client.SearchTradeMulti(context.Background(), orderID, gmopg.PayTypeRecruit)
	if err != nil {
		t.Fatal(err)
	}
	return mt.AccessPass
}
