package payout_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
)

// The transfer form refuses a case it cannot pay as soon as it is opened, not on submit.
func TestTransferFormRefusesIneligibleCaseWhenOpened(t *testing.T) {
	t.Parallel()
	inst := startKessai(t)
	staff := inst.Client(t, auth.RoleStaff)
	c := seedCase(t, inst, yamada, 5000)
	ctx := auth.WithPrincipal(context.Background(), auth.System("test"))
	received, err := inst.App.Commerce.CreateCase(ctx, commerce.PurchaseCase{Kind: "takuhai", ShopID: c.ShopID, CustomerID: c.CustomerID,
		Status: "received", PurchaseAmount: 100})
	if err != nil {
		t.Fatal(err)
	}
	if res := staff.Get("/cases/" + received.ID + "/transfer/new"); res.Status != http.StatusConflict || !strings.Contains(res.Body, "入庫完了のケースのみ") {
		t.Errorf("not stocked: %d", res.Status)
	}
	if res := staff.PostForm("/cases/"+c.ID+"/transfer", url.Values{"bank_code": {"0001"}, "branch_code": {"001"}, "account_type": {"1"},
		"account_number": {"1234567"}, "holder_name": {"ﾔﾏﾀﾞ"}, "amount": {"5000"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("register: %d", res.Status)
	}
	if res := staff.Get("/cases/" + c.ID + "/transfer/new"); res.Status != http.StatusConflict || !strings.Contains(res.Body, "すでに登録されています") {
		t.Errorf("already has a transfer: %d", res.Status)
	}
}

// The edit form of an エラー transfer shows its status and reason; editing from 銀行振込一覧
// returns to it with its search; afterwards the old 受付番号 and 実行者 are not shown as current.
func TestEditFailedTransferFromTheList(t *testing.T) {
	t.Parallel()
	inst := startKessai(t)
	staff := inst.Client(t, auth.RoleStaff)
	cs := registered(t, inst, staff, 7000)
	ctx := context.Background()
	var id string
	if err := inst.App.DB.QueryRowContext(ctx, `SELECT id FROM transfers WHERE case_id = ?`, cs[0].ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	// The state a 手続不成立 at the bank leaves behind.
	if _, err := inst.App.DB.ExecContext(ctx, `UPDATE transfers SET status = 'failed', reason = '手続不成立（受取人口座なし）',
		apply_no = '2026030200000001', executed_by = 'keiri@example.com', executed_at = created_at WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	list := "/accounting/transfers?status=failed&amount_min=1000"
	page := staff.Get(list).Body
	edit := "/transfers/" + id + "/edit?return_to=" + url.QueryEscape(list)
	if !strings.Contains(page, `href="`+strings.ReplaceAll(edit, "&", "&amp;")+`"`) {
		t.Fatalf("the list's ✎ does not carry the list back: %s", edit)
	}
	form := staff.Get(edit)
	if form.Status != http.StatusOK || !strings.Contains(form.Body, `id="transfer-current-status">現在の状態: <strong>エラー</strong>`) ||
		!strings.Contains(form.Body, "手続不成立（受取人口座なし）") || !strings.Contains(form.Body, `name="return_to" value="`+strings.ReplaceAll(list, "&", "&amp;")+`"`) {
		t.Fatalf("edit form: %d %.3000s", form.Status, form.Body)
	}
	// Only 銀行振込一覧 is a place to go back to.
	if strings.Contains(staff.Get("/transfers/"+id+"/edit?return_to=https://evil.example/").Body, "evil.example") {
		t.Error("return_to to another site kept")
	}
	res := staff.PostForm("/transfers/"+id, url.Values{"return_to": {list}, "bank_code": {"0001"}, "branch_code": {"001"}, "account_type": {"1"},
		"account_number": {"7654321"}, "holder_name": {"ﾔﾏﾀﾞ ﾀﾛｳ"}, "amount": {"7000"}})
	if res.Status != http.StatusSeeOther || res.Location != list {
		t.Fatalf("update: %d → %q, want back to %s", res.Status, res.Location, list)
	}
	tab := staff.Get("/cases/" + cs[0].ID + "?tab=transfer").Body
	i := strings.Index(tab, `id="transfer-apply-no"`)
	if i < 0 || !strings.HasPrefix(tab[i:], `id="transfer-apply-no"><span class="muted">未送信</span>`) || !strings.Contains(tab, "修正前の依頼の受付番号 2026030200000001") {
		t.Errorf("受付番号 after the edit: %.300s", tab[max(i, 0):])
	}
	if !strings.Contains(tab, "<dt>前回の実行者</dt>") || strings.Contains(tab, "<dt>実行者</dt>") {
		t.Errorf("the old 実行者 is shown as current")
	}
}
