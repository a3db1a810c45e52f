package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"kessai/internal/platform/auth"
)

// shot saves a screenshot for a person to look at when KESSAI_SCREENSHOTS names a directory.
func shot(w *payoutWorld, name string) {
	if dir := os.Getenv("KESSAI_SCREENSHOTS"); dir != "" {
		_ = os.MkdirAll(dir, 0o755)
		w.p.Screenshot(filepath.Join(dir, name+".png"))
	}
}

// 銀行振込一覧 in a browser: the selection's count and total follow the checkboxes, and
// 全N件を振込実行 opens a confirm page with the search's count, total and conditions.
func TestBrowserTransferListTotals(t *testing.T) {
	t.Parallel()
	w := newPayoutWorld(t)
	staff := w.inst.Client(t, auth.RoleStaff)
	for i, amount := range []int64{1000, 2500, 40000} {
		c := w.seller(fmt.Sprintf("売主 %d", i), account(fmt.Sprintf("123456%d", i), "ｳﾘﾇｼ"), amount)
		res := staff.PostForm("/cases/"+c.ID+"/transfer", url.Values{"bank_code": {"0001"}, "branch_code": {"001"}, "account_type": {"1"},
			"account_number": {fmt.Sprintf("123456%d", i)}, "holder_name": {"ｳﾘﾇｼ"}, "amount": {fmt.Sprint(amount)}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("register: %d", res.Status)
		}
	}
	w.logIn(w.keiriEmail, w.keiriPass)
	p := w.p
	p.Goto(w.inst.URL + "/accounting/transfers")
	waitText(t, p, "全3件・合計 ¥43,500")
	if got := p.Text("#selection-total"); !strings.Contains(got, "選択 0件・合計 ¥0") {
		t.Errorf("selection before any check: %q", got)
	}
	n, err := chromedp.Run(p.Ctx, chromedp.Evaluate[int](`(() => { const bs = [...document.querySelectorAll("#transfers input[name=id]")].filter(b => ["1000","2500"].includes(b.dataset.amount)); bs.forEach(b => b.click()); return bs.length; })()`))
	if err != nil || n != 2 {
		t.Fatalf("check two rows: %v (%d)", err, n)
	}
	if got := p.Text("#selection-total"); !strings.Contains(got, "選択 2件・合計 ¥3,500") {
		t.Errorf("selection total: %q", got)
	}
	shot(w, "transfers-list")
	p.ClickAndWait("#execute-all")
	waitText(t, p, "振込実行の確認")
	got := p.Text("#execute-confirm")
	for _, want := range []string{"実行できる 3件・合計 ¥43,500", "検索条件: なし（すべての振込）", "3件（¥43,500）を振込実行する"} {
		if !strings.Contains(got, want) {
			t.Errorf("confirm page lacks %q: %q", want, got)
		}
	}
	shot(w, "transfers-execute-confirm")
	// With a search, the confirm page names it.
	p.Goto(w.inst.URL + "/accounting/transfers?amount_min=2000")
	waitText(t, p, "全2件・合計 ¥42,500")
	p.ClickAndWait("#execute-all")
	if got := p.Text("#execute-confirm"); !strings.Contains(got, "2件・合計 ¥42,500") || !strings.Contains(got, "振込金額: ¥2,000〜") {
		t.Errorf("confirm page of a search: %q", got)
	}
}
