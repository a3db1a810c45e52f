package commerce

import (
	"context"
	"strings"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/bulk"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
)

// registerCustomerBulk adds the customer list's source and 「振込先口座の確認」.
//
// The check changes nothing. A stored account passed validation when it was saved, but the
// zengin master moves on (banks merge, branches close) and old imports predate some rules: a
// transfer to such an account is rejected by the bank days later. Before a bulk transfer, staff
// run this on the sellers concerned and fix the ones listed as 不備あり, each with the reason.
//
// It asks PermOperate although it only reads: starting any bulk run is a PermOperate route of
// the shell (it writes the run), and the menu should not offer 閲覧 what the route refuses.
func (p *Pages) registerCustomerBulk() {
	svc := p.bulk.Service()
	svc.RegisterSource(bulk.Source{RecordType: "customer", Label: "顧客", ListPath: "/customers", RecordPath: "/customers/",
		Select: listSelect(p, CustomerFilterFromQuery, p.store.CustomerIDs),
		Describe: describeBy(func(ctx context.Context, ids []string) ([]Customer, error) {
			return p.store.ListCustomers(ctx, CustomerFilter{IDs: ids})
		}, func(c Customer) (string, string) { return c.ID, c.Code + " " + c.Name })})
	svc.Register(bulk.Action{Name: "customer_check_bank", Label: "振込先口座の確認（変更はしません）", RecordType: "customer",
		Perm:        auth.PermOperate,
		Description: "振込先口座を全銀の規則と最新の金融機関マスタで確認します。顧客の情報は変更しません。振込できない口座は「不備あり」として理由を、口座のない顧客は「口座未登録」として残します。一括振込の前に、結果の「不備あり」から顧客を開いて直してください。",
		Outcomes: []bulk.Outcome{{Code: "ok", Label: "問題なし", Level: "ok"}, {Code: "no_account", Label: "口座未登録", Level: "warn"},
			{Code: bulk.OutcomeError, Label: "不備あり", Level: "error"}},
		DoBatch: p.checkBanks})
}

// bankFields is the order in which a bad account's problems are listed.
var bankFields = []string{"bank_code", "branch_code", "account_type", "account_number", "account_holder_kana"}

// bankProblems checks an account as a transfer would need it; "" is fine.
func bankProblems(b BankAccount) string {
	f := errs.Fields{}
	checkBank(f, b)
	var msgs []string
	for _, k := range bankFields {
		if m := f[k]; m != "" {
			msgs = append(msgs, m)
		}
	}
	return strings.Join(msgs, "／")
}

// checkBanks reads a batch of customers through the run's transaction and changes nothing.
func (p *Pages) checkBanks(ctx context.Context, tx *db.Tx, ids []string) ([]bulk.Result, error) {
	found, err := loadBatch(ctx, tx, "customers", `SELECT `+customerColumns+` FROM customers c WHERE c.id IN `, false, ids, scanCustomer)
	if err != nil {
		return nil, err
	}
	out, _ := classify(ids, found, "顧客が見つかりません（削除された可能性があります）", func(c Customer) (string, string) {
		if c.Bank.IsZero() {
			return "no_account", "振込先口座が登録されていません"
		}
		if why := bankProblems(c.Bank); why != "" {
			return bulk.OutcomeError, why
		}
		return "ok", ""
	})
	return out, nil
}
