package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"kessai/internal/app/apptest"
	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
	"kessai/internal/sandbox/aozorasim"
)

// payoutFixture is a running kessai connected to its in-process bank simulator, with one shop.
type payoutFixture struct {
	t    *testing.T
	inst *apptest.Instance
	ctx  context.Context
	shop commerce.Shop
}

// newPayoutFixture starts kessai and connects it to the simulator the way an administrator
// does: 【リフレッシュトークンを取得】, the bank's login page, back to kessai.
func newPayoutFixture(t *testing.T) *payoutFixture {
	t.Helper()
	inst := apptest.Start(t, apptest.Options{BankHours: true})
	f := &payoutFixture{t: t, inst: inst, ctx: auth.WithPrincipal(context.Background(), auth.System("test"))}
	var err error
	if f.shop, err = inst.App.Commerce.CreateShop(f.ctx, commerce.Shop{Code: "main", Name: "本店"}); err != nil {
		t.Fatal(err)
	}
	admin := inst.Client(t, auth.RoleAdmin)
	// client_secret_post: kessai's API-key middleware answers any Authorization header under
	// /sandbox/ itself, so the simulator never sees a client_secret_basic token call.
	res := admin.PostForm("/settings/integrations/aozora/authorize", url.Values{"client_id": {aozorasim.DefaultClientID},
		"client_secret": {aozorasim.DefaultClientSecret}, "auth_method": {"post"}})
	if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "/sandbox/aozora/") {
		t.Fatalf("【リフレッシュトークンを取得】: %d → %q %s", res.Status, res.Location, res.Body)
	}
	code, state, err := aozorasim.LogIn(f.ctx, nil, res.Location, aozorasim.DefaultClientID, aozorasim.DefaultPassword)
	if err != nil {
		t.Fatalf("the bank's login page: %v", err)
	}
	res = admin.Get("/settings/integrations/aozora/callback?" + url.Values{"code": {code}, "state": {state}}.Encode())
	if res.Status != http.StatusSeeOther {
		t.Fatalf("callback: %d %s", res.Status, res.Body)
	}
	page := admin.Get("/settings/integrations/aozora")
	if !strings.Contains(page.Body, "有効") || !strings.Contains(page.Body, "1234567") {
		t.Fatalf("settings after the OAuth dance do not show 有効 and the source account:\n%s", page.Body)
	}
	return f
}

// newCase registers a stocked case for a new customer with the given account.
func (f *payoutFixture) newCase(bank commerce.BankAccount, amount int64) commerce.PurchaseCase {
	f.t.Helper()
	cu, err := f.inst.App.Commerce.CreateCustomer(f.ctx, commerce.Customer{Name: "売主 太郎", NameKana: "ウリヌシ タロウ", Bank: bank})
	if err != nil {
		f.t.Fatal(err)
	}
	c, err := f.inst.App.Commerce.CreateCase(f.ctx, commerce.PurchaseCase{Kind: "takuhai", ShopID: f.shop.ID, CustomerID: cu.ID,
		Status: "stocked", ReceivedOn: "2026-03-01", ConfirmedOn: "2026-03-02", PurchaseAmount: amount, ItemCount: 1})
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

var sellerAccount = commerce.BankAccount{BankCode: "0001", BranchCode: "001", AccountType: "1", AccountNumber: "7654321", HolderKana: "ｳﾘﾇｼ ﾀﾛｳ"}

// transferOf reads the case's transfer through the list page's data (status code and apply no).
func (f *payoutFixture) transferStatus(caseID string) (status, applyNo, reason string) {
	f.t.Helper()
	err := f.inst.App.DB.QueryRowContext(f.ctx, `SELECT status, apply_no, reason FROM transfers WHERE case_id = ?`, caseID).Scan(&status, &applyNo, &reason)
	if err != nil {
		f.t.Fatalf("transfer of %s: %v", caseID, err)
	}
	return status, applyNo, reason
}

// poll makes the periodic payout.poll job due and waits until the case's transfer leaves from.
func (f *payoutFixture) poll(caseID, from string) string {
	f.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		f.inst.App.Clock.Advance(time.Minute)
		if err := f.inst.App.Jobs.CheckSchedules(f.ctx); err != nil {
			f.t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		if st, _, _ := f.transferStatus(caseID); st != from {
			return st
		}
	}
	f.t.Fatalf("transfer of %s still %s: the poll job did not move it", caseID, from)
	return ""
}

func (f *payoutFixture) approve(applyNo string) {
	f.t.Helper()
	for _, m := range f.inst.App.Simulator(aozorasim.Name).(*aozorasim.Sim).Mails() {
		if m.ApplyNo == applyNo && m.Kind == "approval" {
			if err := f.inst.App.Simulator(aozorasim.Name).(*aozorasim.Sim).Approve(m.Token, aozorasim.TransactionPassword); err != nil {
				f.t.Fatal(err)
			}
			return
		}
	}
	f.t.Fatalf("no approval mail for %s", applyNo)
}

// TestPayoutEndToEnd drives the room over HTTP as its users do: staff register a transfer on the
// form (with a name in full-width katakana), staff may not execute, the accountant executes from
// 銀行振込一覧, the approver approves in the sandbox mailbox, and the poll job brings 振込完了.
// A second transfer expires at the bank, shows キャンセル with its reason, and is executed again.
func TestPayoutEndToEnd(t *testing.T) {
	t.Parallel()
	f := newPayoutFixture(t)
	staff := f.inst.Client(t, auth.RoleStaff)
	keiri := f.inst.Client(t, auth.RoleAccountant)

	c := f.newCase(sellerAccount, 15000)
	form := url.Values{"bank_code": {"0001"}, "branch_code": {"001"}, "account_type": {"1"}, "account_number": {"7654321"},
		"holder_name": {"ウリヌシ　タロウ"}, "amount": {"15000"}, "memo": {"初回の買取"}}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("holder_name", "売主タロウ")
	if res := staff.PostForm("/cases/"+c.ID+"/transfer", bad); res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "「売」（1文字目）") {
		t.Fatalf("a kanji name: %d, want 422 naming the character:\n%s", res.Status, res.Body)
	}
	if res := staff.PostForm("/cases/"+c.ID+"/transfer", form); res.Status != http.StatusSeeOther {
		t.Fatalf("register: %d %s", res.Status, res.Body)
	}
	st, _, _ := f.transferStatus(c.ID)
	if st != "awaiting_execution" {
		t.Fatalf("after register: %s", st)
	}
	tab := staff.Get("/cases/" + c.ID + "?tab=transfer")
	if tab.Status != http.StatusOK || !strings.Contains(tab.Body, "ｳﾘﾇｼ ﾀﾛｳ") {
		t.Fatalf("銀行振込 tab: %d, want 200 showing the 全銀 name:\n%s", tab.Status, tab.Body)
	}
	var id string
	if err := f.inst.App.DB.QueryRowContext(f.ctx, `SELECT id FROM transfers WHERE case_id = ?`, c.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if res := staff.PostForm("/accounting/transfers/execute", url.Values{"id": {id}}); res.Status != http.StatusForbidden {
		t.Fatalf("execute as staff: %d, want 403", res.Status)
	}
	if res := keiri.PostForm("/accounting/transfers/execute", url.Values{"id": {id}}); res.Status != http.StatusSeeOther {
		t.Fatalf("execute: %d %s", res.Status, res.Body)
	}
	st, applyNo, _ := f.transferStatus(c.ID)
	if st != "awaiting_approval" || applyNo == "" {
		t.Fatalf("after execute: %s %q", st, applyNo)
	}
	f.approve(applyNo)
	if st := f.poll(c.ID, "awaiting_approval"); st != "completed" {
		t.Fatalf("after approval: %s, want completed", st)
	}

	// Not approved in time: キャンセル with the reason as the warning's hover text, then again.
	c2 := f.newCase(sellerAccount, 16000)
	if res := staff.PostForm("/cases/"+c2.ID+"/transfer", form); res.Status != http.StatusSeeOther {
		t.Fatalf("register: %d %s", res.Status, res.Body)
	}
	var id2 string
	if err := f.inst.App.DB.QueryRowContext(f.ctx, `SELECT id FROM transfers WHERE case_id = ?`, c2.ID).Scan(&id2); err != nil {
		t.Fatal(err)
	}
	keiri.PostForm("/accounting/transfers/execute", url.Values{"id": {id2}})
	_, apply2, _ := f.transferStatus(c2.ID)
	if err := f.inst.App.Simulator(aozorasim.Name).(*aozorasim.Sim).Expire(apply2); err != nil {
		t.Fatal(err)
	}
	if st := f.poll(c2.ID, "awaiting_approval"); st != "cancelled" {
		t.Fatalf("after expiry: %s, want cancelled", st)
	}
	list := keiri.Get("/accounting/transfers?status=cancelled")
	if !strings.Contains(list.Body, `title="承認期限切れ`) {
		t.Fatalf("銀行振込一覧 shows no warning mark with the reason:\n%s", list.Body)
	}
	if res := keiri.PostForm("/accounting/transfers/execute", url.Values{"id": {id2}}); res.Status != http.StatusSeeOther {
		t.Fatalf("re-execute: %d", res.Status)
	}
	st, apply3, _ := f.transferStatus(c2.ID)
	if st != "awaiting_approval" || apply3 == apply2 {
		t.Fatalf("re-executed: %s applyNo %s (was %s)", st, apply3, apply2)
	}
	f.approve(apply3)
	if st := f.poll(c2.ID, "awaiting_approval"); st != "completed" {
		t.Fatalf("after re-execution: %s", st)
	}
	if n := f.inst.App.Simulator(aozorasim.Name).(*aozorasim.Sim).Status().Transfers; n != 3 {
		t.Fatalf("the bank received %d requests, want 3 (one, and one expired plus its re-execution)", n)
	}
	home := keiri.Get("/")
	if home.Status != http.StatusOK {
		t.Fatalf("top page: %d", home.Status)
	}
}

// TestPayoutAPI is the JSON API over real keys, once wire_api.go routes it.
func TestPayoutAPI(t *testing.T) {
	t.Parallel()
	f := newPayoutFixture(t)
	if !routed(f.inst, "/api/v1/transfers/bulk-request") {
		t.Fatal("the payout API is not routed: payout.Plugin must register it on room.Host.API")
	}
	staff, keiri := f.inst.APIKey(t, auth.RoleStaff), f.inst.APIKey(t, auth.RoleAccountant)
	ok := f.newCase(sellerAccount, 5000)
	noBank := f.newCase(commerce.BankAccount{}, 5000)
	res := f.inst.API(t, staff, http.MethodPost, "/api/v1/transfers/bulk-request", map[string]any{"case_ids": []string{ok.ID, noBank.ID}})
	var bulk struct {
		Requested []string                          `json:"requested"`
		Errors    []struct{ CaseID, Reason string } `json:"errors"`
		Skipped   []string                          `json:"skipped"`
	}
	if err := json.Unmarshal([]byte(res.Body), &bulk); err != nil || res.Status != http.StatusOK || len(bulk.Requested) != 1 || len(bulk.Errors) != 1 {
		t.Fatalf("bulk-request: %d %s", res.Status, res.Body)
	}
	res = f.inst.API(t, staff, http.MethodGet, "/api/v1/transfers?status=awaiting_execution", nil)
	var list struct {
		Items []struct{ ID, Status, StatusLabel string } `json:"items"`
	}
	if err := json.Unmarshal([]byte(res.Body), &list); err != nil || len(list.Items) != 1 {
		t.Fatalf("list: %d %s", res.Status, res.Body)
	}
	body := map[string]any{"transfer_ids": []string{list.Items[0].ID}}
	if res := f.inst.API(t, staff, http.MethodPost, "/api/v1/transfers/execute", body); res.Status != http.StatusForbidden {
		t.Fatalf("execute with a staff key: %d", res.Status)
	}
	if res := f.inst.API(t, keiri, http.MethodPost, "/api/v1/transfers/execute", body); res.Status != http.StatusOK || !strings.Contains(res.Body, `"awaiting_approval"`) {
		t.Fatalf("execute: %d %s", res.Status, res.Body)
	}
}
