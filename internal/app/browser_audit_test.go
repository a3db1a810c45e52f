package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"kessai/internal/platform/auth"
)

// 操作履歴 at 1280 px: transfers' long before/after values and IDs wrap inside the table, so the
// page never scrolls sideways; fields are in Japanese and pickers replace typed codes.
func TestBrowserAuditPageFitsAt1280(t *testing.T) {
	t.Parallel()
	w := newPayoutWorld(t)
	staff := w.inst.Client(t, auth.RoleStaff)
	for i := range 3 {
		c := w.seller(fmt.Sprintf("売主 %d", i), account(fmt.Sprintf("765432%d", i), "ｳﾘﾇｼ"), 1000)
		form := url.Values{"bank_code": {"0001"}, "branch_code": {"001"}, "account_type": {"1"}, "account_number": {fmt.Sprintf("765432%d", i)},
			"holder_name": {"ｶﾌﾞｼｷｶﾞｲｼﾔ ｳﾘﾇｼ ｼﾖｳｼﾞ ﾄｳｷﾖｳｼﾃﾝ ﾀﾞｲﾋﾖｳ"}, "amount": {"1000"}, "memo": {strings.Repeat("長いメモ", 40)}}
		if res := staff.PostForm("/cases/"+c.ID+"/transfer", form); res.Status != http.StatusSeeOther {
			t.Fatalf("register: %d %.300s", res.Status, res.Body)
		}
	}
	w.logIn(w.keiriEmail, w.keiriPass)
	p := w.p
	p.Goto(w.inst.URL + "/audit")
	waitText(t, p, "振込登録")
	shot(w, "audit")
	overflow, err := chromedp.Run(p.Ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if overflow > 0 {
		wide, _ := chromedp.Run(p.Ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("main *")].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth).slice(0, 5).map(e => e.tagName + "." + e.className + " " + Math.round(e.getBoundingClientRect().width)).join(", ")`))
		t.Errorf("操作履歴 scrolls sideways by %dpx at 1280px: %s", overflow, wide)
	}
	body := p.Text("main")
	for _, want := range []string{"振込先名義", "金額"} {
		if !strings.Contains(body, want) {
			t.Errorf("操作履歴 lacks the field name %q", want)
		}
	}
	if strings.Contains(body, "HolderKana") {
		t.Errorf("操作履歴 shows a Go field name")
	}
	p.Fill("select[name=action]", "transfer.register")
	p.ClickAndWait("検索")
	if got := p.Text("p.count"); !strings.Contains(got, "全3件") {
		t.Errorf("picked 振込登録: %q", got)
	}
}
