package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kessai/internal/platform/auth"
)

// 【状態を更新】 asks the bank now: an approved transfer becomes 振込完了 without waiting for the
// poll job, and the case shows 振込完了日時. One the bank never accepted says why it can't be asked.
func TestPayoutRefreshAsksTheBankNow(t *testing.T) {
	t.Parallel()
	f := newPayoutFixture(t)
	staff := f.inst.Client(t, auth.RoleStaff)
	keiri := f.inst.Client(t, auth.RoleAccountant)
	c := f.newCase(sellerAccount, 8000)
	if res := staff.PostForm("/cases/"+c.ID+"/transfer", url.Values{"amount": {"8000"}, "bank_code": {"0001"}, "branch_code": {"001"},
		"account_type": {"1"}, "account_number": {"7654321"}, "holder_name": {"ｳﾘﾇｼ ﾀﾛｳ"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("register: %d %s", res.Status, res.Body)
	}
	var id string
	if err := f.inst.App.DB.QueryRowContext(f.ctx, `SELECT id FROM transfers WHERE case_id = ?`, c.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	tab := staff.Get("/cases/" + c.ID + "?tab=transfer").Body
	if !strings.Contains(tab, `id="transfer-completed-at"><span class="muted">未完了`) || strings.Contains(tab, `id="transfer-refresh"`) {
		t.Fatalf("an unsent transfer: 振込完了日時 未完了 and no 状態を更新 expected")
	}
	if res := staff.PostForm("/transfers/"+id+"/refresh", nil); res.Status != http.StatusSeeOther {
		t.Fatalf("refresh unsent: %d", res.Status)
	}
	if body := staff.Get("/cases/" + c.ID + "?tab=transfer").Body; !strings.Contains(body, "受付番号がありません") {
		t.Errorf("refreshing an unsent transfer doesn't say why")
	}
	if res := keiri.PostForm("/accounting/transfers/execute", url.Values{"id": {id}}); res.Status != http.StatusSeeOther {
		t.Fatalf("execute: %d", res.Status)
	}
	st, applyNo, _ := f.transferStatus(c.ID)
	if st != "awaiting_approval" {
		t.Fatalf("after execute: %s", st)
	}
	f.approve(applyNo)
	if st, _, _ := f.transferStatus(c.ID); st != "awaiting_approval" {
		t.Fatalf("moved before anyone asked: %s", st)
	}
	if !strings.Contains(staff.Get("/cases/"+c.ID+"?tab=transfer").Body, `id="transfer-refresh"`) {
		t.Fatal("no 状態を更新 on a 承認待ち transfer")
	}
	if res := staff.PostForm("/transfers/"+id+"/refresh", nil); res.Status != http.StatusSeeOther || res.Location != "/cases/"+c.ID+"?tab=transfer" {
		t.Fatalf("refresh: %d → %q", res.Status, res.Location)
	}
	if st, _, _ := f.transferStatus(c.ID); st != "completed" {
		t.Fatalf("after 状態を更新: %s, want completed", st)
	}
	tab = staff.Get("/cases/" + c.ID + "?tab=transfer").Body
	if !strings.Contains(tab, "「振込完了」になりました") || strings.Contains(tab, `id="transfer-completed-at"><span class="muted">未完了`) {
		t.Errorf("the tab after 状態を更新 lacks the message or 振込完了日時")
	}
}
