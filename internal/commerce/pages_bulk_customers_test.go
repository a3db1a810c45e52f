package commerce_test

import (
	"context"
	"testing"

	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
)

func TestCustomerBulkCheckBank(t *testing.T) {
	t.Parallel()
	e := newPages(t, auth.RoleStaff)
	ctx := context.Background()
	// C000001 (the fixture) is fine; C000002 has no account; C000003 and C000004 were saved
	// before their bank/branch left the master (written past validation, as an old import was).
	var cs []commerce.Customer
	for _, name := range []string{"口座 なし", "銀行 廃止", "支店 廃止"} {
		c := goodCustomer()
		c.Name = name
		if name == "口座 なし" {
			c.Bank = commerce.BankAccount{}
		}
		cs = append(cs, c)
	}
	cs, err := e.store.CreateCustomers(ctx, cs)
	if err != nil {
		t.Fatal(err)
	}
	d := e.store.DB()
	if _, err := d.ExecContext(ctx, `UPDATE customers SET bank_code = '9998' WHERE id = ?`, cs[1].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ExecContext(ctx, `UPDATE customers SET branch_code = '999', account_number = '12345' WHERE id = ?`, cs[2].ID); err != nil {
		t.Fatal(err)
	}
	before := map[string]commerce.Customer{}
	for _, id := range []string{e.fx.customer.ID, cs[0].ID, cs[1].ID, cs[2].ID} {
		before[id], _ = e.store.GetCustomer(ctx, id)
	}
	run := e.runBulk(t, "customer_check_bank", "customer", "", nil, 4)
	e.resultHas(t, run,
		`/customers?bulk_run=`+run+`&amp;outcome=ok" data-outcome="ok">1件`,
		`outcome=no_account" data-outcome="no_account">1件`,
		`outcome=error" data-outcome="error">2件`,
		"不備あり", "振込先口座が登録されていません",
		"銀行コード 9998 の金融機関は金融機関マスタにありません",
		"支店コード 999 は みずほ にありません。支店コードを確認してください／口座番号は数字7桁で入力してください",
		`<a href="/customers/`+cs[1].ID+`">C000003 銀行 廃止</a>`)
	e.listShowsExactly(t, "/customers", run, "error", []string{"C000003", "C000004"}, []string{"C000001", "C000002"})
	e.listShowsExactly(t, "/customers", run, "ok", []string{"C000001"}, []string{"C000002", "C000003"})
	e.listShowsExactly(t, "/customers", run, "no_account", []string{"C000002"}, []string{"C000001"})
	// A check changes nothing.
	for id, b := range before {
		if got, _ := e.store.GetCustomer(ctx, id); got.Version != b.Version || got.Bank != b.Bank {
			t.Errorf("%s changed: %+v → %+v", b.Code, b.Bank, got.Bank)
		}
	}
}
