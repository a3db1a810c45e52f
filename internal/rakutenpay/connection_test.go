package rakutenpay_test

import (
	"strings"
	"testing"

	"kessai/internal/rakutenpay"
	"kessai/internal/sandbox/rakutensim"
)

// TestConnectionTest: the 接続テスト is one searchOrder (the README's claim); Rakuten's refusal
// is named, and an expired licenseKey is refused without calling Rakuten.
func TestConnectionTest(t *testing.T) {
	t.Run("ok", func(t *testing.T) {
		e := newEnv(t)
		if err := e.reg.Test(e.ctx, rakutenpay.ProviderKey, e.shop.ID); err != nil {
			t.Fatal(err)
		}
		if n := e.callCount("searchOrder"); n != 1 || e.callCount("getOrder") != 0 {
			t.Fatalf("calls: searchOrder %d getOrder %d", n, e.callCount("getOrder"))
		}
	})
	t.Run("Rakuten refuses", func(t *testing.T) {
		e := newEnv(t)
		if err := e.sim.ExpireLicenseKey(rakutensim.DefaultShopNumber); err != nil {
			t.Fatal(err)
		}
		if err := e.reg.Test(e.ctx, rakutenpay.ProviderKey, e.shop.ID); err == nil || !strings.Contains(err.Error(), "ES01-01") {
			t.Fatalf("test: %v", err)
		}
	})
	t.Run("expiry date passed", func(t *testing.T) {
		e := newEnv(t, map[string]string{rakutenpay.FieldLicenseExpiry: jstDate(start.Add(-day))})
		if err := e.reg.Test(e.ctx, rakutenpay.ProviderKey, e.shop.ID); err == nil || !strings.Contains(err.Error(), "有効期限") {
			t.Fatalf("test: %v", err)
		}
		if n := e.callCount("searchOrder"); n != 0 {
			t.Fatalf("called Rakuten %d times with an expired key", n)
		}
	})
}
