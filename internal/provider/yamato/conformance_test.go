package yamato_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/yamato"
	"kessai/internal/sandbox/yamatosim"
)

// unknownOrder are the endpoints' 存在しない受注番号 codes.
var unknownOrder = map[string]bool{"kaars008E": true, "kaast008E": true, "kaasl008E": true, "kaacl008E": true,
	"kaakk008E": true, "kaarr008E": true, "kaasa020E": true}

// Every field rule of the table, sent as a raw form over real HTTP to the sandbox (past the
// client's own checks): the sandbox must answer returnCode 1 with the code the table names, and
// a form the table passes must not be refused for its fields. So the client and the sandbox
// agree code for code, on the wire.
func TestRuleTableOnTheWire(t *testing.T) {
	t.Parallel()
	clk := clock.NewFrozen(time.Date(2026, 3, 2, 10, 0, 0, 0, clock.JST))
	sim := yamatosim.New(yamatosim.Options{Clock: clk, FollowUpWindow: -1})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c := yamato.New(yamato.Config{BaseURL: sim.BaseURL(srv.URL)})
	post := func(api yamato.API, f url.Values) yamato.Answer {
		t.Helper()
		for k, v := range f {
			if len(v) == 1 && v[0] == "" {
				delete(f, k)
			}
		}
		res, err := http.PostForm(c.URL(api), f)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		a, err := yamato.ParseAnswer(b)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("%s: HTTP %d %v: %s", api, res.StatusCode, err, b)
		}
		return a
	}
	n := 0
	for i, tc := range append(append([]yamato.RuleCase{}, yamato.CreditRuleCases...), yamato.OtherRuleCases...) {
		var f url.Values
		if tc.API == yamato.APICredit {
			f = yamato.GoodCredit()
			f.Set("orderNo", fmt.Sprintf("W%d", i)) // each passing case makes its own order
			for k, v := range tc.Set {
				if v == "" {
					f.Del(k)
				} else {
					f.Set(k, v)
				}
			}
		} else {
			f = yamato.BaseForm(tc.Set)
		}
		// The table's merchant is the sandbox's, so only the broken rule can refuse.
		if f.Get("ycfStrCode") == "12345678901" {
			f.Set("ycfStrCode", yamatosim.DefaultStoreCode)
		}
		a := post(tc.API, f)
		n++
		switch {
		case tc.Code != "" && (a.ReturnCode != yamato.ReturnError || a.ErrorCode != tc.Code):
			t.Errorf("%s %s: returnCode %s errorCode %s, want %s", tc.API, tc.Name, a.ReturnCode, a.ErrorCode, tc.Code)
		case tc.Code == "" && tc.API == yamato.APICredit && a.ReturnCode != yamato.ReturnOK:
			t.Errorf("%s %s: refused with %s", tc.API, tc.Name, a.ErrorCode)
		case tc.Code == "" && a.ReturnCode == yamato.ReturnError && !unknownOrder[a.ErrorCode]:
			// Other endpoints' passing cases refer to an order the sandbox does not have; they
			// may be refused for that, never for a field.
			t.Errorf("%s %s: refused with %s", tc.API, tc.Name, a.ErrorCode)
		}
	}
	t.Logf("%d rule cases checked on the wire", n)
}
