package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kessai/internal/app/apptest"
	"kessai/internal/browsertest"
	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
)

// TestBrowserCaseBulk is the foundation's end-to-end path in Chromium: log in, register a
// purchase case, find it with 詳細検索, select it, run a bulk action on it, and follow the
// result page's count back to it.
func TestBrowserCaseBulk(t *testing.T) {
	t.Parallel()
	inst := apptest.Start(t, apptest.Options{})
	if !routed(inst, "/cases") || !routed(inst, "/bulk/confirm") {
		t.Fatal("the commerce pages and bulk pages are not wired into the app (commerce.NewPages + web.MountBulk)")
	}
	ctx := auth.WithPrincipal(context.Background(), auth.System("test"))
	shop, err := inst.App.Commerce.CreateShop(ctx, commerce.Shop{Code: "main", Name: "本店"})
	if err != nil {
		t.Fatal(err)
	}
	cust, err := inst.App.Commerce.CreateCustomer(ctx, commerce.Customer{Name: "山田 太郎", NameKana: "ヤマダ タロウ"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := inst.App.Config
	p := browsertest.New(t, browsertest.Options{})

	p.Goto(inst.URL + "/login")
	p.Fill("email", cfg.AdminEmail)
	p.Fill("password", cfg.AdminPass)
	p.ClickAndWait("ログイン")
	p.WaitText("対応が必要なもの") // the top page: the login's redirect has landed

	// Register a 宅配買取 case.
	if got := p.Goto(inst.URL + "/cases/new?kind=takuhai"); got != http.StatusOK {
		t.Fatalf("GET /cases/new: %d", got)
	}
	p.Fill("店舗", shop.ID)
	p.Fill("顧客番号", cust.Code)
	p.Fill("状態", "consented")
	setValue(t, p, "#confirmed_on", "2026-04-03")
	p.Fill("買取金額（円）", "12000")
	if got := p.ClickAndWait("登録する"); got != http.StatusOK {
		t.Fatalf("register: status %d: %s", got, p.Text("main"))
	}
	h1 := p.Text("main h1")
	code := strings.Fields(h1)[1] // 「宅配買取 TK000001 買取承諾」
	if !strings.HasPrefix(code, "TK") {
		t.Fatalf("case page heading %q", h1)
	}

	// Find it with 詳細検索 and select its row.
	p.Goto(inst.URL + "/cases?kind=takuhai")
	p.Click("詳細検索")
	p.Fill("ケース番号", code)
	p.ClickAndWait("検索する")
	if n := p.Text(".list-head .count"); !strings.Contains(n, "全1件") {
		t.Fatalf("search found %q, want 全1件", n)
	}
	p.Click(`input[name=id][type=checkbox]`)
	if n := p.Text("[data-selected-count]"); n != "1" {
		t.Errorf("selected count shows %q, want 1", n)
	}
	p.Click(`.bulk-bar details:nth-of-type(2) > summary`)
	p.ClickAndWait(`button[value="selected:case_stock"]`)

	// Confirm, then wait for the result.
	p.WaitText("一括操作の確認")
	if body := p.Text("main"); !strings.Contains(body, "1件に実行します") && !strings.Contains(body, "1件に実行する") {
		t.Fatalf("confirmation page: %q", body)
	}
	p.ClickAndWait("1件に実行する")
	// The outcome table appears once the run finished: the page polls, then reloads itself.
	waitAcrossReloads(t, p, `a[data-outcome="done"]`)
	if got := p.Text(`a[data-outcome="done"]`); got != "1件" {
		t.Fatalf("完了 count = %q, want 1件", got)
	}

	// The count links back to the case, now 入庫完了.
	p.ClickAndWait(`a[data-outcome="done"]`)
	p.WaitText("を表示しています")
	list := p.Text("table.list")
	if !strings.Contains(list, code) || !strings.Contains(list, "入庫完了") {
		t.Errorf("result list should show %s as 入庫完了: %q", code, list)
	}
	p.Screenshot("/tmp/kessai-case-bulk.png")
}

func routed(inst *apptest.Instance, path string) bool {
	for _, r := range inst.App.Shell.Routes() {
		if r.Pattern == path {
			return true
		}
	}
	return false
}

// waitAcrossReloads waits for css to match, tolerating the page reloading itself meanwhile
// (WaitText fails when the document it polls goes away).
func waitAcrossReloads(t *testing.T, p *browsertest.Page, css string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		found, err := chromedp.Run(p.Ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q) !== null`, css)))
		if err == nil && found {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within 30s (last error: %v)", css, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// setValue sets an input the keyboard can't fill portably (type=date differs by locale).
func setValue(t *testing.T, p *browsertest.Page, css, value string) {
	t.Helper()
	if err := chromedp.Do(p.Ctx, chromedp.SetValue(chromedp.CSS(css), value)); err != nil {
		t.Fatalf("set %s: %v", css, err)
	}
}
