package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kessai/internal/app"
	"kessai/internal/app/apptest"
	"kessai/internal/browsertest"
	"kessai/internal/commerce"
	"kessai/internal/payout"
	"kessai/internal/platform/auth"
	"kessai/internal/sandbox/aozorasim"
)

// payoutWorld is a kessai with the payout room, a browser, and the people who use it.
type payoutWorld struct {
	t    *testing.T
	inst *apptest.Instance
	p    *browsertest.Page
	ctx  context.Context
	shop commerce.Shop
	// keiri is an accountant (経理) who executes transfers.
	keiriEmail, keiriPass string
}

func newPayoutWorld(t *testing.T) *payoutWorld {
	t.Helper()
	inst := apptest.Start(t, apptest.Options{BankHours: true, Configure: func(c *app.Config) { c.JobPollInterval = 100 * time.Millisecond }})
	if !routed(inst, "/accounting/transfers") || !routed(inst, "/cases/{id}") || !routed(inst, "/bulk/confirm") {
		t.Fatal("the payout, case and bulk pages are not all wired into the app")
	}
	w := &payoutWorld{t: t, inst: inst, ctx: auth.WithPrincipal(context.Background(), auth.System("test"))}
	var err error
	if w.shop, err = inst.App.Commerce.CreateShop(w.ctx, commerce.Shop{Code: "main", Name: "本店"}); err != nil {
		t.Fatal(err)
	}
	w.keiriEmail, w.keiriPass = "keiri@example.com", "keiri-password-1"
	if _, err := inst.App.Platform.Auth.CreateUser(w.ctx, auth.NewUser{Email: w.keiriEmail, Name: "経理 花子",
		Role: auth.RoleAccountant, Password: w.keiriPass}); err != nil {
		t.Fatal(err)
	}
	w.p = browsertest.New(t, browsertest.Options{Timeout: 150 * time.Second})
	return w
}

// seller makes a 入庫完了 case whose customer has bank (zero: no account registered).
func (w *payoutWorld) seller(name string, bank commerce.BankAccount, amount int64) commerce.PurchaseCase {
	w.t.Helper()
	cu, err := w.inst.App.Commerce.CreateCustomer(w.ctx, commerce.Customer{Name: name, Bank: bank})
	if err != nil {
		w.t.Fatalf("customer %s: %v", name, err)
	}
	c, err := w.inst.App.Commerce.CreateCase(w.ctx, commerce.PurchaseCase{Kind: "takuhai", ShopID: w.shop.ID, CustomerID: cu.ID,
		Status: "stocked", ConfirmedOn: "2026-04-03", PurchaseAmount: amount, ItemCount: 2})
	if err != nil {
		w.t.Fatalf("case for %s: %v", name, err)
	}
	return c
}

func account(number, kana string) commerce.BankAccount {
	return commerce.BankAccount{BankCode: "0001", BankName: "みずほ銀行", BranchCode: "001", BranchName: "東京営業部",
		AccountType: "1", AccountNumber: number, HolderKana: kana}
}

func (w *payoutWorld) logIn(email, password string) {
	w.t.Helper()
	w.p.Goto(w.inst.URL + "/login")
	w.p.Fill("email", email)
	w.p.Fill("password", password)
	w.p.ClickAndWait(`form:has(input[name=password]) button:not([type=button])`)
	if path := pathOf(w.t, w.p.URL()); path == "/login" {
		w.t.Fatalf("log in as %s failed: %s", email, w.p.Text("main"))
	}
}

func (w *payoutWorld) logOut() {
	w.t.Helper()
	w.p.ClickAndWait("ログアウト")
	_ = w.p.Text("input[name=password]") // the login page has settled
}

// acceptConfirms makes the page's confirm() dialogs (data-confirm forms) answer OK.
func (w *payoutWorld) acceptConfirms() {
	w.t.Helper()
	if err := chromedp.Do(w.p.Ctx, chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`)); err != nil {
		w.t.Fatalf("accept confirms: %v", err)
	}
}

// connect does 設定 › 外部連携設定 › GMOあおぞらネット銀行 with the OAuth dance on the
// simulator's login page, and checks 連携『有効』 and the source account.
func (w *payoutWorld) connect() {
	w.t.Helper()
	p := w.p
	p.Goto(w.inst.URL + "/settings/integrations")
	waitText(w.t, p, "GMOあおぞらネット銀行")
	p.ClickAndWait(`a[href="/settings/integrations/aozora"]`)
	if got := p.Text("#conn-state"); got != "無効" {
		w.t.Fatalf("before connecting the state is %q, want 無効", got)
	}
	if id := attr(w.t, p, "#client_id", "value"); id != "kessai-sandbox" {
		w.t.Errorf("sandbox client ID not prefilled: %q", id)
	}
	p.ClickAndWait("リフレッシュトークンを取得")
	// The simulator's login page: client ID (prefilled) and password.
	waitText(w.t, p, "ログインして許可する")
	if !strings.Contains(p.URL(), "/sandbox/aozora/ganb/api/auth/v1/authorization") {
		w.t.Fatalf("not at the bank's login page: %s", p.URL())
	}
	p.Fill("login_id", "kessai-sandbox")
	p.Fill("password", "sandbox")
	p.ClickAndWait("ログインして許可する")
	if path := pathOf(w.t, p.URL()); path != "/settings/integrations/aozora" {
		w.t.Fatalf("after the bank's login the browser is at %s", path)
	}
	waitText(w.t, p, "リフレッシュトークンを取得しました")
	if got := p.Text("#conn-state"); got != "有効" {
		w.t.Fatalf("連携 = %q after the OAuth dance, want 有効: %s", got, p.Text("main"))
	}
	if acct := p.Text("#source-account"); !strings.Contains(acct, "101011234567") || !strings.Contains(acct, "普通") {
		w.t.Errorf("source account shown as %q", acct)
	}
	p.Goto(w.inst.URL + "/settings/integrations")
	if row := p.Text("main"); !strings.Contains(row, "有効") {
		w.t.Errorf("外部連携設定 doesn't show the bank as 有効: %q", row)
	}
}

// requestOne registers c's transfer from its 銀行振込 tab, with the holder typed in hiragana.
func (w *payoutWorld) requestOne(c commerce.PurchaseCase) {
	w.t.Helper()
	p := w.p
	p.Goto(w.inst.URL + "/cases/" + c.ID)
	p.ClickAndWait("銀行振込")
	waitText(w.t, p, "振込はまだ登録されていません")
	p.ClickAndWait("振込処理を行う")
	if got := attr(w.t, p, "#amount", "value"); got != fmt.Sprint(c.PurchaseAmount) {
		w.t.Errorf("振込金額 prefilled with %q, want the purchase amount %d", got, c.PurchaseAmount)
	}
	if got := attr(w.t, p, "#account_number", "value"); got != "1234567" {
		w.t.Errorf("振込先口座 prefilled with %q", got)
	}
	p.Fill("holder_name", "山田 太郎")
	p.ClickAndWait("振込を登録する")
	waitText(w.t, p, "振込先名義に使えません")
	if msg := p.Text("#holder_name_error"); !strings.Contains(msg, "山") {
		w.t.Errorf("the kana error doesn't name 山: %q", msg)
	}
	p.Fill("holder_name", "やまだ たろう")
	p.Fill("memo", "初回の買取")
	p.ClickAndWait("振込を登録する")
	waitText(w.t, p, "振込を登録しました")
	tab := p.Text("main")
	for _, want := range []string{"振込実行待ち", "ﾔﾏﾀﾞ ﾀﾛｳ", "初回の買取"} {
		if !strings.Contains(tab, want) {
			w.t.Errorf("the 銀行振込 tab lacks %q: %q", want, tab)
		}
	}
}

// bulkRequest runs 一括振込依頼 on the 入庫完了 cases confirmed in April and checks the three
// outcomes, following the エラー count back to the case list.
func (w *payoutWorld) bulkRequest(wantError commerce.PurchaseCase) {
	w.t.Helper()
	p := w.p
	p.Goto(w.inst.URL + "/cases?kind=takuhai")
	p.Click("詳細検索")
	p.Click(`input[name=status][value=stocked]`)
	setValue(w.t, p, `input[name=confirmed_from]`, "2026-04-01")
	setValue(w.t, p, `input[name=confirmed_to]`, "2026-04-30")
	p.ClickAndWait("検索する")
	if n := p.Text(".list-head .count"); !strings.Contains(n, "全3件") {
		w.t.Fatalf("詳細検索 found %q, want 全3件", n)
	}
	p.Click(`.bulk-bar details:nth-of-type(1) > summary`)
	p.ClickAndWait(`button[value="all:transfer_request"]`)
	waitText(w.t, p, "一括振込依頼")
	p.ClickAndWait("3件に実行する")
	waitAcrossReloads(w.t, p, `a[data-outcome="requested"]`)
	for code, want := range map[string]string{"requested": "1件", "error": "1件", "skipped": "1件"} {
		if got := p.Text(fmt.Sprintf(`a[data-outcome=%q]`, code)); got != want {
			w.t.Errorf("outcome %s = %q, want %s", code, got, want)
		}
	}
	if problems := p.Text("table.problems"); !strings.Contains(problems, "振込先口座が登録されていません") || !strings.Contains(problems, wantError.Code) {
		w.t.Errorf("the error's reason is not shown per case: %q", problems)
	}
	p.ClickAndWait(`a[data-outcome="error"]`)
	waitText(w.t, p, "を表示しています")
	if list := p.Text("table.list"); !strings.Contains(list, wantError.Code) || strings.Count(list, "TK") != 1 {
		w.t.Errorf("the エラー count should open a list of %s alone: %q", wantError.Code, list)
	}
}

// execute selects the rows of codes on 銀行振込一覧 and presses 【振込実行】.
func (w *payoutWorld) execute(codes ...string) {
	w.t.Helper()
	p := w.p
	p.Goto(w.inst.URL + "/accounting")
	if path := pathOf(w.t, p.URL()); path != "/accounting/transfers" {
		w.t.Fatalf("会計 went to %s", path)
	}
	for _, code := range codes {
		p.Click(fmt.Sprintf(`tr[data-case=%q] input[name=id]`, code))
	}
	w.acceptConfirms()
	p.ClickAndWait("#execute")
	waitText(w.t, p, "振込を実行しました")
	for _, code := range codes {
		if st := w.rowStatus(code); st != payout.StatusAwaitingApproval {
			w.t.Errorf("%s is %s after 振込実行, want awaiting_approval: %s", code, st, p.Text("main"))
		}
	}
}

func (w *payoutWorld) rowStatus(code string) string {
	return attr(w.t, w.p, fmt.Sprintf(`tr[data-case=%q]`, code), "data-status")
}

// approveAll approves every waiting mail in the sandbox mailbox: open the mail's link, enter
// the transaction password.
func (w *payoutWorld) approveAll(want int) {
	w.t.Helper()
	p := w.p
	p.Goto(w.inst.URL + "/sandbox/aozora/mailbox")
	waitText(w.t, p, "承認者")
	links, err := chromedp.Run(p.Ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll(".box .box")].filter(b => b.textContent.includes("承認待ち")).map(b => b.querySelector("a[href*='approve']")).filter(a => a).map(a => a.href)`))
	if err != nil {
		w.t.Fatal(err)
	}
	if len(links) != want {
		w.t.Fatalf("%d approval mails waiting, want %d: %s", len(links), want, p.Text("main"))
	}
	for _, link := range links {
		p.Goto(link)
		p.Fill("password", "sandbox")
		p.ClickAndWait("承認する")
		waitText(w.t, p, "承認")
	}
}

// poll triggers the periodic payout.poll job now and waits until code reaches status on the list.
func (w *payoutWorld) poll(code, status string) {
	w.t.Helper()
	if _, _, err := w.inst.App.Jobs.Insert(w.ctx, payout.PollArgs{}, nil); err != nil {
		w.t.Fatalf("enqueue payout.poll: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		w.p.Goto(w.inst.URL + "/accounting/transfers")
		if w.rowStatus(code) == status {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("%s did not become %s: %s", code, status, w.p.Text("table.list"))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitText waits for text on the page, tolerating a navigation that replaces the document
// while it looks (the harness's WaitText gives up then).
func waitText(t *testing.T, p *browsertest.Page, text string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		found, err := chromedp.Run(p.Ctx, chromedp.Evaluate[bool](fmt.Sprintf(`!!document.body && document.body.innerText.includes(%q)`, text)))
		if err == nil && found {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("text %q did not appear within 15s (last error: %v); page: %.1500s", text, err, p.Text("body"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func attr(t *testing.T, p *browsertest.Page, css, name string) string {
	t.Helper()
	v, err := chromedp.Run(p.Ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q)?.getAttribute(%q)) ?? ""`, css, name)))
	if err != nil {
		t.Fatalf("attribute %s of %s: %v", name, css, err)
	}
	return v
}

// TestBrowserPayout is the payout room's whole path in Chromium: connect the bank with the
// OAuth dance, request one transfer from a case's 銀行振込 tab, bulk-request with all three
// outcomes, execute as 経理, approve in the sandbox mailbox, poll, 振込完了.
func TestBrowserPayout(t *testing.T) {
	t.Parallel()
	w := newPayoutWorld(t)
	single := w.seller("山田 太郎", account("1234567", "ﾔﾏﾀﾞ ﾀﾛｳ"), 15000)
	good := w.seller("佐藤 花子", account("7654321", "ｻﾄｳ ﾊﾅｺ"), 8000)
	noBank := w.seller("鈴木 一郎", commerce.BankAccount{}, 5000)

	cfg := w.inst.App.Config
	w.logIn(cfg.AdminEmail, cfg.AdminPass)
	w.connect()
	w.p.Goto(w.inst.URL + "/settings/integrations/aozora")
	w.p.Screenshot("/tmp/kessai-aozora-settings.png")
	w.requestOne(single)
	w.p.Screenshot("/tmp/kessai-case-transfer-tab.png")
	w.bulkRequest(noBank) // single is skipped (already requested), good is requested, noBank is an error

	// Staff and viewers never see 【振込実行】; 経理 does.
	if w.p.Goto(w.inst.URL + "/accounting/transfers"); attr(t, w.p, "#execute", "id") != "execute" {
		t.Errorf("管理者 should see 【振込実行】")
	}
	w.logOut()
	w.logIn(w.keiriEmail, w.keiriPass)
	if got := w.p.Goto(w.inst.URL + "/"); got != http.StatusOK {
		t.Errorf("top page answered %d", got)
	} else if top := w.p.Text("main"); !strings.Contains(top, "銀行振込：振込実行待ち") {
		t.Errorf("the top page doesn't count 振込実行待ち: %q", top)
	}
	w.execute(single.Code, good.Code)
	w.approveAll(1) // まとめて (the default): one 総合振込, one approval for both
	w.poll(single.Code, payout.StatusCompleted)
	w.poll(good.Code, payout.StatusCompleted)
	w.p.Goto(w.inst.URL + "/accounting/transfers?status=completed")
	if n := w.p.Text(".list-head .count"); !strings.Contains(n, "全2件") {
		t.Errorf("振込完了 filter shows %q, want 全2件", n)
	}
	w.p.Screenshot("/tmp/kessai-transfers.png")
	// The tab follows: 振込完了, no pencil or bin.
	w.p.Goto(w.inst.URL + "/cases/" + single.ID + "?tab=transfer")
	if tab := w.p.Text("main"); !strings.Contains(tab, "振込完了") || strings.Contains(tab, "✎") || strings.Contains(tab, "🗑") {
		t.Errorf("a completed transfer's tab: %q", tab)
	}
}

// TestBrowserPayoutExpiry lets the approval expire (the sandbox clock moved past 30 minutes
// from the サンドボックス page): キャンセル with the reason on hover, then executed again,
// approved, 振込完了.
func TestBrowserPayoutExpiry(t *testing.T) {
	t.Parallel()
	w := newPayoutWorld(t)
	c := w.seller("山田 太郎", account("1234567", "ﾔﾏﾀﾞ ﾀﾛｳ"), 12000)
	cfg := w.inst.App.Config
	w.logIn(cfg.AdminEmail, cfg.AdminPass)
	w.connect()
	w.requestOne(c)
	w.execute(c.Code)

	// Nobody approves: move the sandbox clock 31 minutes from the サンドボックス page.
	w.p.Goto(w.inst.URL + "/sandbox")
	w.p.Fill(`input[name=duration]:not([type=hidden])`, "31m")
	w.p.ClickAndWait("進める")
	w.poll(c.Code, payout.StatusCancelled)
	mark := fmt.Sprintf(`tr[data-case=%q] .warn-mark`, c.Code)
	if why := attr(t, w.p, mark, "title"); !strings.Contains(why, "承認期限切れ") {
		t.Errorf("the warning mark's hover text = %q, want the expiry reason", why)
	}
	w.p.Screenshot("/tmp/kessai-transfers-cancelled.png")
	w.p.Goto(w.inst.URL + "/cases/" + c.ID + "?tab=transfer")
	if why := w.p.Text("#transfer-reason"); !strings.Contains(why, "承認期限切れ") {
		t.Errorf("the 銀行振込 tab's reason = %q", why)
	}
	w.p.Goto(w.inst.URL + "/accounting/transfers")
	// Fix it (✎ on the row: a memo for the record), which puts it back to 振込実行待ち, and
	// execute again: a new request, approved this time.
	w.p.ClickAndWait(fmt.Sprintf(`tr[data-case=%q] a[title="修正"]`, c.Code))
	if got := attr(t, w.p, "#amount", "value"); got != "12000" {
		t.Errorf("the edit form shows amount %q", got)
	}
	w.p.Fill("memo", "承認期限切れのため再実行")
	w.p.ClickAndWait("修正する")
	waitText(t, w.p, "振込を修正しました")
	w.execute(c.Code)
	w.approveAll(1)
	w.poll(c.Code, payout.StatusCompleted)
	if n := attr(t, w.p, mark, "title"); n != "" {
		t.Errorf("a completed transfer still shows a warning: %q", n)
	}
}

// TestBrowserPayoutBulk is 総合振込 in Chromium: three transfers executed together (まとめて),
// one approval mail, approved once; once the bank has the items' results, two become 振込完了 and
// the one whose account the bank could not pay becomes エラー alone with the reason; fixed with ✎,
// it is executed again alone.
func TestBrowserPayoutBulk(t *testing.T) {
	t.Parallel()
	w := newPayoutWorld(t)
	a := w.seller("山田 太郎", account("1234567", "ﾔﾏﾀﾞ ﾀﾛｳ"), 11000)
	b := w.seller("佐藤 花子", account("7654321", "ｻﾄｳ ﾊﾅｺ"), 12000)
	bad := w.seller("鈴木 一郎", account(aozorasim.ScenarioUnable, "ｽｽﾞｷ ｲﾁﾛｳ"), 13000)
	cfg := w.inst.App.Config
	w.logIn(cfg.AdminEmail, cfg.AdminPass)
	w.connect()
	for _, c := range []commerce.PurchaseCase{a, b, bad} {
		w.p.Goto(w.inst.URL + "/cases/" + c.ID + "/transfer/new")
		w.p.ClickAndWait("振込を登録する")
		waitText(t, w.p, "振込を登録しました")
	}
	w.execute(a.Code, b.Code, bad.Code)
	if flash := w.p.Text("main"); !strings.Contains(flash, "総合振込") {
		t.Errorf("the flash does not say 総合振込: %.300s", flash)
	}
	w.approveAll(1)
	// One item failed (不能・組戻あり): the bank has each item's result about 10 minutes after
	// the approval (sandbox clock); until then every transfer stays 承認待ち.
	w.p.Goto(w.inst.URL + "/sandbox")
	w.p.Fill(`input[name=duration]:not([type=hidden])`, "11m")
	w.p.ClickAndWait("進める")
	w.poll(bad.Code, payout.StatusFailed)
	w.poll(a.Code, payout.StatusCompleted)
	w.poll(b.Code, payout.StatusCompleted)
	mark := fmt.Sprintf(`tr[data-case=%q] .warn-mark`, bad.Code)
	if why := attr(t, w.p, mark, "title"); !strings.Contains(why, "手続不成立") {
		t.Errorf("the failed item's reason = %q", why)
	}
	w.p.Screenshot("/tmp/kessai-transfers-bulk.png")
	w.p.ClickAndWait(fmt.Sprintf(`tr[data-case=%q] a[title="修正"]`, bad.Code))
	w.p.Fill("account_number", "7654322")
	w.p.ClickAndWait("修正する")
	waitText(t, w.p, "振込を修正しました")
	w.execute(bad.Code)
	w.approveAll(1)
	w.poll(bad.Code, payout.StatusCompleted)
}
