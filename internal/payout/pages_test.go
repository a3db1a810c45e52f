package payout_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kessai/internal/app/apptest"
	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
	"kessai/internal/sandbox/aozorasim"
)

const settingsPath = "/settings/integrations/aozora"

// startKessai is a whole kessai (real DB, sessions, CSRF, the in-process simulator) over HTTP.
func startKessai(t *testing.T) *apptest.Instance {
	t.Helper()
	inst := apptest.Start(t, apptest.Options{})
	if res := inst.Anonymous(t).Get(settingsPath); res.Status == http.StatusNotFound {
		t.Skip("the payout pages are not wired into the app")
	}
	return inst
}

// authorize presses 【リフレッシュトークンを取得】 as c and returns the bank's login URL.
func authorize(t *testing.T, c *apptest.Client) string {
	t.Helper()
	res := c.PostForm(settingsPath+"/authorize", url.Values{})
	if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "/authorization?") {
		t.Fatalf("authorize: status %d, location %q: %.300s", res.Status, res.Location, res.Body)
	}
	return res.Location
}

func TestSettingsCallback(t *testing.T) {
	t.Parallel()
	inst := startKessai(t)
	admin := inst.Client(t, auth.RoleAdmin)

	page := admin.Get(settingsPath)
	if page.Status != http.StatusOK {
		t.Fatalf("settings page: %d", page.Status)
	}
	for _, want := range []string{`value="` + aozorasim.DefaultClientID + `"`, `id="conn-state">無効`, "リフレッシュトークンを取得"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("a newcomer's settings page lacks %q", want)
		}
	}
	if strings.Contains(page.Body, aozorasim.DefaultClientSecret) {
		t.Errorf("the settings page shows the sandbox client secret in full")
	}

	authURL := authorize(t, admin)
	code, state, err := aozorasim.LogIn(context.Background(), nil, authURL, aozorasim.DefaultClientID, aozorasim.DefaultPassword)
	if err != nil {
		t.Fatalf("log in at the simulator: %v", err)
	}

	refused := []struct {
		name   string
		client *apptest.Client
		state  string
	}{
		{"state mismatch", admin, state + "x"},
		{"no state", admin, ""},
		// Another admin's session, even with the right state, has no cookie bound to it.
		{"other session", inst.Client(t, auth.RoleAdmin), state},
	}
	for _, tc := range refused {
		res := tc.client.Get(settingsPath + "/callback?" + url.Values{"code": {code}, "state": {tc.state}}.Encode())
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "stateが一致しません") {
			t.Errorf("%s: status %d, want 422 with the state message: %.300s", tc.name, res.Status, res.Body)
		}
	}
	if !strings.Contains(admin.Get(settingsPath).Body, `id="conn-state">無効`) {
		t.Fatalf("a refused callback enabled the connection")
	}

	// The right state in the right session: the code is exchanged and the accounts read.
	res := admin.Get(settingsPath + "/callback?" + url.Values{"code": {code}, "state": {state}}.Encode())
	if res.Status != http.StatusSeeOther || res.Location != settingsPath {
		t.Fatalf("callback: status %d location %q: %.300s", res.Status, res.Location, res.Body)
	}
	page = admin.Get(settingsPath)
	for _, want := range []string{`id="conn-state">有効`, "取得済み", "101011234567"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("after the callback the settings page lacks %q", want)
		}
	}
	// A new 【リフレッシュトークンを取得】 replaces the state: the old one is refused.
	authorize(t, admin) // a fresh state cookie for this session
	res = admin.Get(settingsPath + "/callback?" + url.Values{"code": {code}, "state": {state}}.Encode())
	if res.Status != http.StatusUnprocessableEntity {
		t.Errorf("the old state after a new authorize: status %d, want 422", res.Status)
	}

	// Staff may not see or change the settings.
	staff := inst.Client(t, auth.RoleStaff)
	if res := staff.Get(settingsPath); res.Status != http.StatusForbidden {
		t.Errorf("staff on the settings page: %d, want 403", res.Status)
	}
}

func TestSettingsSecretNeverShown(t *testing.T) {
	t.Parallel()
	inst := startKessai(t)
	admin := inst.Client(t, auth.RoleAdmin)
	const secret = "TOPSECRET-a1b2c3d4e5f6g7h8"
	sim := inst.URL + "/sandbox/aozora/ganb/api"
	res := admin.PostForm(settingsPath, url.Values{"client_id": {"merchant-client"}, "client_secret": {secret},
		"auth_method": {"post"}, "auth_base_url": {sim + "/auth/v1"}, "api_base_url": {sim + "/corporation/v1"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("save: status %d: %.500s", res.Status, res.Body)
	}
	for _, path := range []string{settingsPath, "/settings/integrations", "/audit"} {
		body := admin.Get(path).Body
		if strings.Contains(body, secret) || strings.Contains(body, secret[4:20]) {
			t.Errorf("%s shows the client secret", path)
		}
	}
	page := admin.Get(settingsPath).Body
	if !strings.Contains(page, `id="secret-masked"`) || !strings.Contains(page, `value="merchant-client"`) {
		t.Errorf("settings page should show the client ID and that a secret is set (masked)")
	}
	// A client the simulator doesn't know: the bank's error code is shown in Japanese.
	authURL := authorize(t, admin)
	if !strings.Contains(authURL, "client_id=merchant-client") {
		t.Errorf("authorize went to %s, want the saved client", authURL)
	}
	// Saving with an empty secret keeps the stored one; a bad URL is refused on its field.
	res = admin.PostForm(settingsPath, url.Values{"client_id": {"merchant-client"}, "auth_method": {"post"},
		"auth_base_url": {"ftp://x"}, "api_base_url": {sim + "/corporation/v1"}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "https:// で始まるURL") || strings.Contains(res.Body, secret) {
		t.Errorf("bad URL: status %d", res.Status)
	}
}

// seedCase makes a stocked case whose customer has bank (zero: none).
func seedCase(t *testing.T, inst *apptest.Instance, bank commerce.BankAccount, amount int64) commerce.PurchaseCase {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), auth.System("test"))
	st := inst.App.Commerce
	shops, err := st.ListShops(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var shopID string
	if len(shops) > 0 {
		shopID = shops[0].ID
	} else {
		sh, err := st.CreateShop(ctx, commerce.Shop{Code: "main", Name: "本店"})
		if err != nil {
			t.Fatal(err)
		}
		shopID = sh.ID
	}
	cu, err := st.CreateCustomer(ctx, commerce.Customer{Name: "山田 太郎", NameKana: "ヤマダ タロウ", Bank: bank})
	if err != nil {
		t.Fatalf("customer: %v", err)
	}
	c, err := st.CreateCase(ctx, commerce.PurchaseCase{Kind: "takuhai", ShopID: shopID, CustomerID: cu.ID, Status: "stocked",
		ConfirmedOn: "2026-03-01", PurchaseAmount: amount, ItemCount: 1})
	if err != nil {
		t.Fatalf("case: %v", err)
	}
	return c
}

var yamada = commerce.BankAccount{BankCode: "0001", BankName: "みずほ銀行", BranchCode: "001", BranchName: "東京営業部",
	AccountType: "1", AccountNumber: "1234567", HolderKana: "ﾔﾏﾀﾞ ﾀﾛｳ"}

func TestTransferForm(t *testing.T) {
	t.Parallel()
	inst := startKessai(t)
	staff := inst.Client(t, auth.RoleStaff)
	c := seedCase(t, inst, yamada, 15000)

	form := staff.Get("/cases/" + c.ID + "/transfer/new")
	if form.Status != http.StatusOK {
		t.Fatalf("form: %d %.300s", form.Status, form.Body)
	}
	for _, want := range []string{`value="0001"`, `value="001"`, `value="1234567"`, `value="15000"`, `data-lookup="/lookup/banks"`} {
		if !strings.Contains(form.Body, want) {
			t.Errorf("the form is not prefilled from the customer: lacks %s", want)
		}
	}
	base := url.Values{"bank_code": {"0001"}, "branch_code": {"001"}, "account_type": {"1"}, "account_number": {"1234567"}, "amount": {"15000"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range base {
			f[kk] = vv
		}
		f.Set(k, v)
		return f
	}
	bad := []struct{ holder, char string }{{"山田 たろう", "山"}, {"ヤマダ☆タロウ", "☆"}}
	for _, tc := range bad {
		res := staff.PostForm("/cases/"+c.ID+"/transfer", with("holder_name", tc.holder))
		if res.Status != http.StatusUnprocessableEntity {
			t.Errorf("holder %q: status %d, want 422", tc.holder, res.Status)
			continue
		}
		i := strings.Index(res.Body, `id="holder_name_error"`)
		if i < 0 || !strings.Contains(res.Body[i:min(i+400, len(res.Body))], tc.char) {
			t.Errorf("holder %q: the error doesn't name %q", tc.holder, tc.char)
		}
	}
	if res := staff.PostForm("/cases/"+c.ID+"/transfer", with("account_number", "12345678")); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("8-digit account: status %d, want 422", res.Status)
	}
	// A short account number is refused, not padded; what was typed as the amount comes back
	// with what is wrong with it.
	if res := staff.PostForm("/cases/"+c.ID+"/transfer", with("account_number", "123")); res.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(res.Body, "7桁で入力") {
		t.Errorf("3-digit account: status %d, want 422 asking for 7 digits", res.Status)
	}
	amounts := []struct{ typed, says string }{{"abc", "数字で入力"}, {"25000.5", "整数"}, {"-5", "1円以上"}, {"0", "1円以上"}, {"０", "1円以上"}}
	for _, a := range amounts {
		res := staff.PostForm("/cases/"+c.ID+"/transfer", with("amount", a.typed))
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, a.says) || !strings.Contains(res.Body, `value="`+a.typed+`"`) {
			t.Errorf("amount %q: status %d; want 422 saying %q with the typed value kept", a.typed, res.Status, a.says)
		}
	}
	res := staff.PostForm("/cases/"+c.ID+"/transfer", with("holder_name", "やまだ　たろう"))
	if res.Status != http.StatusSeeOther || res.Location != "/cases/"+c.ID+"?tab=transfer" {
		t.Fatalf("register: status %d location %q: %.500s", res.Status, res.Location, res.Body)
	}
	tab := staff.Get("/cases/" + c.ID + "?tab=transfer").Body
	for _, want := range []string{"振込実行待ち", "ﾔﾏﾀﾞ ﾀﾛｳ", "✎", ">削除</button>"} {
		if !strings.Contains(tab, want) {
			t.Errorf("the 銀行振込 tab lacks %q", want)
		}
	}
	list := staff.Get("/accounting/transfers?status=awaiting_execution").Body
	if !strings.Contains(list, c.Code) || strings.Contains(list, `id="execute"`) {
		t.Errorf("staff's 銀行振込一覧 should list %s without 【振込実行】", c.Code)
	}
	if res := staff.PostForm("/accounting/transfers/execute", url.Values{"id": {"x"}}); res.Status != http.StatusForbidden {
		t.Errorf("staff executing: status %d, want 403", res.Status)
	}
	keiri := inst.Client(t, auth.RoleAccountant)
	if !strings.Contains(keiri.Get("/accounting/transfers").Body, `id="execute"`) {
		t.Errorf("経理 should see 【振込実行】")
	}
}
