package commerce

import (
	"context"
	"io"
	"strings"

	"golang.org/x/text/unicode/norm"

	"kessai/internal/platform/bankaccount"
	"kessai/internal/platform/db"
	"kessai/internal/platform/jpcsv"
)

const (
	colEmail      = "メールアドレス"
	colPhone      = "電話番号"
	colPostalCode = "郵便番号"
	colPrefecture = "都道府県"
	colAddress1   = "住所1"
	colAddress2   = "住所2"
)

var customerColumnsByField = map[string]string{
	"name": colCustomerName, "name_kana": colCustomerKana, "email": colEmail, "phone": colPhone,
	"postal_code": colPostalCode, "prefecture": colPrefecture, "bank_code": colBankCode,
	"branch_code": colBranchCode, "account_type": colAccountType, "account_number": colAccountNumber,
	"account_holder_kana": colHolderKana, "note": colNote,
}

var customerTemplates = jpcsv.Templates[Customer]{
	{ID: TemplateStandard, Name: "標準（全項目・取込形式）", Columns: []jpcsv.Column[Customer]{
		col(colCustomerCode, func(c Customer) string { return c.Code }),
		col(colCustomerName, func(c Customer) string { return c.Name }),
		col(colCustomerKana, func(c Customer) string { return c.NameKana }),
		col(colEmail, func(c Customer) string { return c.Email }),
		col(colPhone, func(c Customer) string { return c.Phone }),
		col(colPostalCode, func(c Customer) string { return c.PostalCode }),
		col(colPrefecture, func(c Customer) string { return c.Prefecture }),
		col(colAddress1, func(c Customer) string { return c.Address1 }),
		col(colAddress2, func(c Customer) string { return c.Address2 }),
		col(colBankCode, func(c Customer) string { return c.Bank.BankCode }),
		col(colBankName, func(c Customer) string { return c.Bank.BankName }),
		col(colBranchCode, func(c Customer) string { return c.Bank.BranchCode }),
		col(colBranchName, func(c Customer) string { return c.Bank.BranchName }),
		col(colAccountType, func(c Customer) string { return accountTypeLabel(c.Bank.AccountType) }),
		col(colAccountNumber, func(c Customer) string { return c.Bank.AccountNumber }),
		col(colHolderKana, func(c Customer) string { return c.Bank.HolderKana }),
		col(colNote, func(c Customer) string { return c.Note }),
	}},
	{ID: "address", Name: "宛名（住所・電話）", Columns: []jpcsv.Column[Customer]{
		col(colCustomerCode, func(c Customer) string { return c.Code }),
		col(colCustomerName, func(c Customer) string { return c.Name }),
		col(colPostalCode, func(c Customer) string { return c.PostalCode }),
		col(colPrefecture, func(c Customer) string { return c.Prefecture }),
		col(colAddress1, func(c Customer) string { return c.Address1 }),
		col(colAddress2, func(c Customer) string { return c.Address2 }),
		col(colPhone, func(c Customer) string { return c.Phone }),
	}},
}

// CustomerExportTemplates lists the customer export layouts.
func CustomerExportTemplates() []ExportTemplate { return describe(customerTemplates) }

// ExportCustomers writes the customers matching f with a template (TemplateStandard or
// "address"), in CP932 unless enc says otherwise.
func (s *Store) ExportCustomers(ctx context.Context, w io.Writer, f CustomerFilter, template string, enc ...jpcsv.Encoding) error {
	t, err := findTemplate(customerTemplates, template)
	if err != nil {
		return err
	}
	return streamCSV(w, encodingOf(enc), t, func(fn func(Customer) error) error {
		return s.eachCustomer(ctx, f.where(s.db.Dialect()), f.orderBy(), nil, fn)
	})
}

// ImportCustomers reads a customer CSV (氏名 required; フリガナ, メールアドレス, 電話番号, 郵便番号,
// 都道府県, 住所1, 住所2, 銀行コード, 支店コード, 預金種目, 口座番号, 口座名義カナ, 備考 optional; 顧客番号
// and the bank/branch names are ignored: numbers are given, names come from the bank master)
// and creates every customer in one transaction, or none.
func (s *Store) ImportCustomers(ctx context.Context, r io.Reader, also ...Also) (ImportResult, error) {
	return s.ImportCustomersWith(ctx, r, ImportOptions{Also: also})
}

// ImportCustomersWith is ImportCustomers with progress.
func (s *Store) ImportCustomersWith(ctx context.Context, r io.Reader, opt ImportOptions) (ImportResult, error) {
	return s.importFile(ctx, r, opt, importSpec{required: []string{colCustomerName}, tables: []string{"customers"},
		check: func(rd *jpcsv.Reader, c *jpcsv.Collector, row func()) error {
			return checkRows(rd, c, row, parseCustomerRow)
		},
		write: func(ctx context.Context, tx *db.Tx, rd *jpcsv.Reader, row func(), created func(id, code string)) error {
			return writeBatches(ctx, tx, rd, row, created, parseCustomerRow, s.insertCustomers,
				func(c Customer) (string, string) { return c.ID, c.Code })
		}})
}

// parseCustomerRow reads and validates one row of a customer CSV.
func parseCustomerRow(rec jpcsv.Record) (Customer, error) {
	var c jpcsv.Collector
	cu := Customer{
		Name:       cellText(rec, colCustomerName),
		NameKana:   cellText(rec, colCustomerKana),
		Email:      cellText(rec, colEmail),
		Phone:      cellText(rec, colPhone),
		PostalCode: cellText(rec, colPostalCode),
		Prefecture: cellText(rec, colPrefecture),
		Address1:   cellText(rec, colAddress1),
		Address2:   cellText(rec, colAddress2),
		Note:       cellText(rec, colNote),
		Bank: BankAccount{
			BankCode:      padDigits(rec.Get(colBankCode), 4),
			BranchCode:    padDigits(rec.Get(colBranchCode), 3),
			AccountType:   cellCode(&c, rec, colAccountType, AccountTypes, ""),
			AccountNumber: rec.Get(colAccountNumber), // never padded: see bankaccount.NumberLen
			HolderKana:    cellText(rec, colHolderKana),
		},
	}
	v, err := ValidateCustomer(cu)
	if err != nil {
		fieldErrors(&c, rec, err, customerColumnsByField)
	}
	return v, c.Err()
}

// padDigits restores the leading zeros Excel drops from codes (0001 → 1).
func padDigits(v string, n int) string {
	v = strings.TrimSpace(norm.NFKC.String(v))
	if v != "" && len(v) < n && bankaccount.AllDigits(v) {
		v = strings.Repeat("0", n-len(v)) + v
	}
	return v
}
