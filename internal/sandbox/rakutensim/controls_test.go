package rakutensim_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kessai/internal/provider/rakuten"
	"kessai/internal/sandbox/rakutensim"
)

// TestControlsPage drives a scenario through the HTML controls: create an order, authorize NG,
// change the payment method, authorize OK, expire the licenseKey.
func TestControlsPage(t *testing.T) {
	e := newEnv(t)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, form url.Values) string {
		t.Helper()
		res, err := noRedirect.PostForm(e.srv.URL+prefix+"/"+rakutensim.ControlsPath+path, form)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s: %d", path, res.StatusCode)
		}
		loc, _ := url.Parse(res.Header.Get("Location"))
		if msg := loc.Query().Get("err"); msg != "" {
			t.Fatalf("POST %s: %s", path, msg)
		}
		return loc.Query().Get("msg")
	}
	msg := post("/orders", url.Values{"method": {"1"}, "count": {"2"}, "confirmed": {"on"}, "goods_price": {"4000"}})
	if !strings.HasPrefix(msg, "2件") {
		t.Fatalf("create: %q", msg)
	}
	st := e.sim.Status()
	if st.Orders != 2 {
		t.Fatalf("orders %d", st.Orders)
	}
	res, err := http.Get(e.srv.URL + prefix + "/" + rakutensim.ControlsPath)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	num := rakutensim.DefaultShopNumber + "-20260302-00000002"
	if !strings.Contains(string(body), num) || !strings.Contains(string(body), "楽天処理中") {
		t.Fatalf("page lacks the order:\n%s", body)
	}
	post("/orders/"+num+"/authorize-ng", nil)
	if v, _ := e.sim.Order(num); v.PaymentStatus != rakuten.PaymentProcNG {
		t.Fatalf("after NG: %d", v.PaymentStatus)
	}
	post("/orders/"+num+"/payment-method", url.Values{"method": {"13"}})
	post("/orders/"+num+"/authorize-ok", nil)
	if v, _ := e.sim.Order(num); v.Progress != rakuten.ProgressAwaitingShipment || v.Method != rakuten.SettleSevenEleven {
		t.Fatalf("after change and OK: %+v", v)
	}
	post("/shops/"+rakutensim.DefaultShopNumber+"/expire-license-key", nil)
	if st := e.sim.Status(); !st.Shops[0].Expired {
		t.Fatal("licenseKey not expired")
	}
}
