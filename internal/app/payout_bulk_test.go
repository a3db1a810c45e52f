package app_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
	"kessai/internal/sandbox/aozorasim"
)

// TestPayoutBulkTransferFlow drives 総合振込 over HTTP: the accountant executes three transfers
// from 銀行振込一覧 (まとめて, the default), the bank's approver gets one mail and approves once;
// the poll job brings two to 振込完了 and the one the bank could not pay to エラー alone; staff fix
// it and it is executed again alone.
func TestPayoutBulkTransferFlow(t *testing.T) {
	t.Parallel()
	f := newPayoutFixture(t)
	staff := f.inst.Client(t, auth.RoleStaff)
	keiri := f.inst.Client(t, auth.RoleAccountant)
	sim := f.inst.App.Simulator(aozorasim.Name).(*aozorasim.Sim)
	unable := sellerAccount
	unable.AccountNumber = aozorasim.ScenarioUnable
	cases := []commerce.PurchaseCase{f.newCase(sellerAccount, 21000), f.newCase(sellerAccount, 22000), f.newCase(unable, 23000)}
	ids := make([]string, len(cases))
	for i, c := range cases {
		number := sellerAccount.AccountNumber
		if i == 2 {
			number = unable.AccountNumber
		}
		if res := staff.PostForm("/cases/"+c.ID+"/transfer", url.Values{"amount": {strconv.FormatInt(c.PurchaseAmount, 10)}, "bank_code": {"0001"},
			"branch_code": {"001"}, "account_type": {"1"}, "account_number": {number}, "holder_name": {"ｳﾘﾇｼ ﾀﾛｳ"}}); res.Status != http.StatusSeeOther {
			t.Fatalf("register %d: %d %.300s", i, res.Status, res.Body)
		}
		if err := f.inst.App.DB.QueryRowContext(f.ctx, `SELECT id FROM transfers WHERE case_id = ?`, c.ID).Scan(&ids[i]); err != nil {
			t.Fatal(err)
		}
	}
	list := keiri.Get("/accounting/transfers")
	if !strings.Contains(list.Body, `name="mode" value="bulk" checked`) {
		t.Fatalf("銀行振込一覧 offers no まとめて choice checked by default")
	}
	res := keiri.PostForm("/accounting/transfers/execute", url.Values{"id": ids})
	if res.Status != http.StatusSeeOther || !strings.Contains(keiri.Get(res.Location).Body, "総合振込") {
		t.Fatalf("execute: %d", res.Status)
	}
	mails := 0
	var applyNo string
	for _, m := range sim.Mails() {
		if m.Kind == "approval" {
			mails++
			applyNo = m.ApplyNo
		}
	}
	if mails != 1 || len(sim.Transfers()) != 1 || !sim.Transfers()[0].Bulk {
		t.Fatalf("%d approval mails, bank holds %+v: want one 総合振込 and one mail", mails, sim.Transfers())
	}
	f.approve(applyNo)
	if st := f.poll(cases[0].ID, "awaiting_approval"); st != "completed" {
		t.Fatalf("paid item: %s", st)
	}
	if st, _, _ := f.transferStatus(cases[1].ID); st != "completed" {
		t.Fatalf("second paid item: %s", st)
	}
	st, _, reason := f.transferStatus(cases[2].ID)
	if st != "failed" || !strings.Contains(reason, "手続不成立") {
		t.Fatalf("unpaid item: %s (%s)", st, reason)
	}
	tab := keiri.Get("/cases/" + cases[2].ID + "?tab=transfer").Body
	if !strings.Contains(tab, `id="transfer-batch"`) {
		t.Errorf("the case tab does not say the transfer went in a 総合振込")
	}
	// Fixed, then executed alone.
	if res := staff.PostForm("/transfers/"+ids[2], url.Values{"bank_code": {"0001"}, "branch_code": {"001"}, "account_type": {"1"},
		"account_number": {"7654320"}, "holder_name": {"ｳﾘﾇｼ ﾀﾛｳ"}, "amount": {"23000"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("fix: %d %.300s", res.Status, res.Body)
	}
	if res := keiri.PostForm("/accounting/transfers/execute", url.Values{"id": {ids[2]}}); res.Status != http.StatusSeeOther {
		t.Fatalf("re-execute: %d", res.Status)
	}
	_, apply2, _ := f.transferStatus(cases[2].ID)
	f.approve(apply2)
	if st := f.poll(cases[2].ID, "awaiting_approval"); st != "completed" {
		t.Fatalf("fixed item: %s", st)
	}
	tab = keiri.Get("/cases/" + cases[2].ID + "?tab=transfer").Body
	if !strings.Contains(tab, "総合振込 3件・合計 ¥66,000 の明細3") {
		i := strings.Index(tab, "transfer-attempts")
		t.Errorf("送信履歴 does not show the 総合振込 the transfer went in: %.1500s", tab[max(i, 0):])
	}
	if n := len(sim.Transfers()); n != 2 {
		t.Fatalf("bank holds %d requests, want the 総合振込 and the one re-execution", n)
	}
	// The default is an administrator's setting.
	admin := f.inst.Client(t, auth.RoleAdmin)
	if res := keiri.PostForm("/settings/integrations/aozora/mode", url.Values{"mode": {"single"}}); res.Status != http.StatusForbidden {
		t.Errorf("accountant changing the setting: %d, want 403", res.Status)
	}
	if res := admin.PostForm("/settings/integrations/aozora/mode", url.Values{"mode": {"single"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("save mode: %d", res.Status)
	}
	if list := keiri.Get("/accounting/transfers").Body; !strings.Contains(list, `name="mode" value="single" checked`) {
		t.Errorf("銀行振込一覧 does not preselect the administrator's 1件ずつ")
	}
}

// TestPayoutBulkExecuteJob: a selection larger than the list executes while the person waits
// runs as the payout.execute job, which sends it as one 総合振込 (one mail) too.
func TestPayoutBulkExecuteJob(t *testing.T) {
	t.Parallel()
	f := newPayoutFixture(t)
	staff := f.inst.APIKey(t, auth.RoleStaff)
	keiri := f.inst.Client(t, auth.RoleAccountant)
	sim := f.inst.App.Simulator(aozorasim.Name).(*aozorasim.Sim)
	var caseIDs []string
	for i := range 12 {
		caseIDs = append(caseIDs, f.newCase(sellerAccount, int64(30000+i)).ID)
	}
	if res := f.inst.API(t, staff, http.MethodPost, "/api/v1/transfers/bulk-request", map[string]any{"case_ids": caseIDs}); res.Status != http.StatusOK {
		t.Fatalf("bulk-request: %d %s", res.Status, res.Body)
	}
	rows, err := f.inst.App.DB.QueryContext(f.ctx, `SELECT id FROM transfers`)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	res := keiri.PostForm("/accounting/transfers/execute", url.Values{"id": ids})
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/jobs/") {
		t.Fatalf("execute 12: %d → %q, want the job's page", res.Status, res.Location)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		if err := f.inst.App.DB.QueryRowContext(f.ctx, `SELECT COUNT(*) FROM transfers WHERE status = 'awaiting_approval'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 12 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 12 transfers 承認待ち after the job", n)
		}
		time.Sleep(200 * time.Millisecond)
	}
	held := sim.Transfers()
	mails := 0
	for _, m := range sim.Mails() {
		if m.Kind == "approval" {
			mails++
		}
	}
	if len(held) != 1 || !held[0].Bulk || held[0].Items != 12 || mails != 1 {
		t.Fatalf("bank holds %+v with %d mails, want one 総合振込 of 12 and one mail", held, mails)
	}
}
