package app_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kessai/internal/platform/auth"
	"kessai/internal/sandbox/aozorasim"
)

// TestPayoutZenginFileBlocksAPI drives the screens and the API: a transfer put into a 全銀 file
// cannot be executed from 銀行振込一覧, its case tab or the API (each says why, and the bank
// receives nothing); the file form asks before writing it into a second file; the case tab's
// 【全銀ファイル出力を取り消す】 (audited) makes it executable again, once.
func TestPayoutZenginFileBlocksAPI(t *testing.T) {
	t.Parallel()
	f := newPayoutFixture(t)
	keiri := f.inst.Client(t, auth.RoleAccountant)
	staff := f.inst.Client(t, auth.RoleStaff)
	key := f.inst.APIKey(t, auth.RoleAccountant)
	sim := f.inst.App.Simulator(aozorasim.Name).(*aozorasim.Sim)
	c := f.newCase(sellerAccount, 17000)
	if res := staff.PostForm("/cases/"+c.ID+"/transfer", url.Values{"bank_code": {"0001"}, "branch_code": {"001"},
		"account_type": {"1"}, "account_number": {"7654321"}, "holder_name": {"ｳﾘﾇｼ ﾀﾛｳ"}, "amount": {"17000"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("register: %d %.300s", res.Status, res.Body)
	}
	var id string
	if err := f.inst.App.DB.QueryRowContext(f.ctx, `SELECT id FROM transfers WHERE case_id = ?`, c.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	zengin := url.Values{"id": {id}, "download": {"1"}, "requester_code": {"1"}, "requester_name": {"ｹｯｻｲ"}, "date": {"2026-03-03"},
		"bank_code": {"0001"}, "branch_code": {"001"}, "account_type": {"1"}, "account_number": {"0123456"}}
	if res := keiri.PostForm("/accounting/transfers/zengin", zengin); res.Status != http.StatusOK || !strings.HasPrefix(res.Body, "1210") {
		t.Fatalf("zengin file: %d %.300s", res.Status, res.Body)
	}

	const reason = "全銀ファイルに出力済みのため、APIでは振込できません"
	res := keiri.PostForm("/accounting/transfers/execute", url.Values{"id": {id}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("execute from the list: %d", res.Status)
	}
	if page := keiri.Get(res.Location); !strings.Contains(page.Body, reason) {
		t.Errorf("the list's flash does not say why: %.2000s", page.Body)
	}
	api := f.inst.API(t, key, http.MethodPost, "/api/v1/transfers/execute", map[string]any{"transfer_ids": []string{id}})
	var out struct {
		Results []struct{ ID, Status, Error string } `json:"results"`
	}
	if err := json.Unmarshal([]byte(api.Body), &out); err != nil || api.Status != http.StatusOK || len(out.Results) != 1 ||
		!strings.Contains(out.Results[0].Error, reason) || out.Results[0].Status != "awaiting_execution" {
		t.Fatalf("API execute: %d %s", api.Status, api.Body)
	}
	conf := keiri.PostForm("/accounting/transfers/execute", url.Values{"scope": {"all"}})
	if !strings.Contains(conf.Body, `id="execute-exported"`) || strings.Contains(conf.Body, `name="id" value="`+id+`"`) {
		t.Errorf("全N件を振込実行's confirm page carries the exported transfer or does not say so: %.2000s", conf.Body)
	}
	if n := sim.Status().Transfers; n != 0 {
		t.Fatalf("the bank received %d transfer requests, want 0", n)
	}

	tab := keiri.Get("/cases/" + c.ID + "?tab=transfer").Body
	if !strings.Contains(tab, `id="transfer-clear-export">全銀ファイル出力を取り消す`) || strings.Contains(tab, "<button>振込実行</button>") {
		t.Errorf("case tab of an exported transfer: want 【全銀ファイル出力を取り消す】 and no 振込実行: %.3000s", tab)
	}
	if strings.Contains(staff.Get("/cases/"+c.ID+"?tab=transfer").Body, "transfer-clear-export") {
		t.Error("staff see 【全銀ファイル出力を取り消す】")
	}
	// A second file needs the explicit choice, which the form shows.
	form := keiri.PostForm("/accounting/transfers/zengin", url.Values{"id": {id}})
	if !strings.Contains(form.Body, `name="reexport"`) || !strings.Contains(form.Body, "出力済みの振込も再出力する") {
		t.Errorf("the file form offers no 再出力 choice for an exported transfer")
	}
	if res := keiri.PostForm("/accounting/transfers/zengin", zengin); res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "全銀ファイルに出力済みの振込が含まれています") {
		t.Errorf("second file without choosing to: %d", res.Status)
	}
	zengin.Set("reexport", "1")
	if res := keiri.PostForm("/accounting/transfers/zengin", zengin); res.Status != http.StatusOK || !strings.HasPrefix(res.Body, "1210") {
		t.Errorf("second file chosen: %d", res.Status)
	}

	if res := staff.PostForm("/transfers/"+id+"/zengin/clear", nil); res.Status != http.StatusForbidden {
		t.Errorf("staff clearing the export: %d, want 403", res.Status)
	}
	res = keiri.PostForm("/transfers/"+id+"/zengin/clear", nil)
	if res.Status != http.StatusSeeOther || !strings.Contains(keiri.Get(res.Location).Body, "全銀ファイル出力を取り消しました") {
		t.Fatalf("clear: %d → %s", res.Status, res.Location)
	}
	var audited int
	if err := f.inst.App.DB.QueryRowContext(f.ctx, `SELECT COUNT(*) FROM audit_log WHERE record_id = ? AND action = 'transfer.zengin_file_cleared'`, id).Scan(&audited); err != nil || audited != 1 {
		t.Fatalf("clearing audited %d times (%v), want 1", audited, err)
	}
	api = f.inst.API(t, key, http.MethodPost, "/api/v1/transfers/execute", map[string]any{"transfer_ids": []string{id}})
	if api.Status != http.StatusOK || !strings.Contains(api.Body, `"awaiting_approval"`) {
		t.Fatalf("execute after clearing: %d %s", api.Status, api.Body)
	}
	f.inst.API(t, key, http.MethodPost, "/api/v1/transfers/execute", map[string]any{"transfer_ids": []string{id}})
	if n := sim.Status().Transfers; n != 1 {
		t.Fatalf("the bank received %d requests, want exactly 1", n)
	}
}
