package commerce

import (
	"context"
	"io"
	"strconv"

	"kessai/internal/platform/db"
	"kessai/internal/platform/jpcsv"
)

// Column headers of the case CSV.
const (
	colCaseCode      = "ケース番号"
	colCaseKind      = "買取種別"
	colCaseStatus    = "状態"
	colShopCode      = "店舗コード"
	colShopName      = "店舗名"
	colCustomerCode  = "顧客番号"
	colCustomerName  = "氏名"
	colCustomerKana  = "フリガナ"
	colReceivedOn    = "受付日"
	colConfirmedOn   = "買取確定日"
	colAmount        = "買取金額"
	colItemCount     = "点数"
	colNote          = "備考"
	colBankCode      = "銀行コード"
	colBankName      = "銀行名"
	colBranchCode    = "支店コード"
	colBranchName    = "支店名"
	colAccountType   = "預金種目"
	colAccountNumber = "口座番号"
	colHolderKana    = "口座名義カナ"
)

// caseColumnsByField names the CSV column of each validated field.
var caseColumnsByField = map[string]string{
	"kind": colCaseKind, "status": colCaseStatus, "shop_id": colShopCode, "customer_id": colCustomerCode,
	"received_on": colReceivedOn, "confirmed_on": colConfirmedOn, "purchase_amount": colAmount,
	"item_count": colItemCount, "note": colNote,
}

var caseTemplates = jpcsv.Templates[CaseRow]{
	{ID: TemplateStandard, Name: "標準（全項目・取込形式）", Columns: []jpcsv.Column[CaseRow]{
		col(colCaseCode, func(r CaseRow) string { return r.Code }),
		col(colCaseKind, func(r CaseRow) string { return CaseKinds.Label(r.Kind) }),
		col(colCaseStatus, func(r CaseRow) string { return CaseStatuses.Label(r.Status) }),
		col(colShopCode, func(r CaseRow) string { return r.ShopCode }),
		col(colShopName, func(r CaseRow) string { return r.ShopName }),
		col(colCustomerCode, func(r CaseRow) string { return r.CustomerCode }),
		col(colCustomerName, func(r CaseRow) string { return r.CustomerName }),
		col(colCustomerKana, func(r CaseRow) string { return r.CustomerKana }),
		col(colReceivedOn, func(r CaseRow) string { return r.ReceivedOn }),
		col(colConfirmedOn, func(r CaseRow) string { return r.ConfirmedOn }),
		col(colAmount, func(r CaseRow) string { return yen(r.PurchaseAmount) }),
		col(colItemCount, func(r CaseRow) string { return strconv.Itoa(r.ItemCount) }),
		col(colNote, func(r CaseRow) string { return r.Note }),
	}},
	{ID: "transfer", Name: "振込用（振込先口座つき）", Columns: []jpcsv.Column[CaseRow]{
		col(colCaseCode, func(r CaseRow) string { return r.Code }),
		col(colConfirmedOn, func(r CaseRow) string { return r.ConfirmedOn }),
		col(colAmount, func(r CaseRow) string { return yen(r.PurchaseAmount) }),
		col(colCustomerCode, func(r CaseRow) string { return r.CustomerCode }),
		col(colCustomerName, func(r CaseRow) string { return r.CustomerName }),
		col(colBankCode, func(r CaseRow) string { return r.Bank.BankCode }),
		col(colBankName, func(r CaseRow) string { return r.Bank.BankName }),
		col(colBranchCode, func(r CaseRow) string { return r.Bank.BranchCode }),
		col(colBranchName, func(r CaseRow) string { return r.Bank.BranchName }),
		col(colAccountType, func(r CaseRow) string { return accountTypeLabel(r.Bank.AccountType) }),
		col(colAccountNumber, func(r CaseRow) string { return r.Bank.AccountNumber }),
		col(colHolderKana, func(r CaseRow) string { return r.Bank.HolderKana }),
	}},
}

func accountTypeLabel(code string) string {
	if code == "" {
		return ""
	}
	return AccountTypes.Label(code)
}

// CaseExportTemplates lists the case export layouts.
func CaseExportTemplates() []ExportTemplate { return describe(caseTemplates) }

// ExportCases writes the cases matching f with a template (TemplateStandard or "transfer"), in
// CP932 unless enc says otherwise. Nothing is written if a value can't be encoded
// (jpcsv.Errors names it).
func (s *Store) ExportCases(ctx context.Context, w io.Writer, f CaseFilter, template string, enc ...jpcsv.Encoding) error {
	t, err := findTemplate(caseTemplates, template)
	if err != nil {
		return err
	}
	return streamCSV(w, encodingOf(enc), t, func(fn func(CaseRow) error) error {
		return eachCase(ctx, s.db, f.where(s.db.Dialect()), f.orderBy(), nil, fn)
	})
}

// ImportCases reads a case CSV (columns 買取種別, 店舗コード, 顧客番号 required; 状態, 受付日,
// 買取確定日, 買取金額, 点数, 備考 optional; other columns such as ケース番号 are ignored, so a
// 標準 export imports as new cases) and creates every case in one transaction, or none.
func (s *Store) ImportCases(ctx context.Context, r io.Reader, also ...Also) (ImportResult, error) {
	return s.ImportCasesWith(ctx, r, ImportOptions{Also: also})
}

// ImportCasesWith is ImportCases with progress.
func (s *Store) ImportCasesWith(ctx context.Context, r io.Reader, opt ImportOptions) (ImportResult, error) {
	shops, customers, err := s.codeMaps(ctx)
	if err != nil {
		return ImportResult{}, err
	}
	today := s.today()
	parse := func(rec jpcsv.Record) (PurchaseCase, error) {
		var c jpcsv.Collector
		pc := PurchaseCase{
			Kind:           cellCode(&c, rec, colCaseKind, CaseKinds, ""),
			Status:         cellCode(&c, rec, colCaseStatus, CaseStatuses, "received"),
			ShopID:         lookupCode(&c, rec, colShopCode, shops, "店舗コード", true),
			CustomerID:     lookupCode(&c, rec, colCustomerCode, customers, "顧客番号", true),
			ReceivedOn:     cellDate(&c, rec, colReceivedOn),
			ConfirmedOn:    cellDate(&c, rec, colConfirmedOn),
			PurchaseAmount: cellInt(&c, rec, colAmount),
			ItemCount:      int(cellInt(&c, rec, colItemCount)),
			Note:           cellText(rec, colNote),
		}
		if pc.ReceivedOn == "" {
			pc.ReceivedOn = today
		}
		v, err := ValidateCase(pc)
		if err != nil {
			fieldErrors(&c, rec, err, caseColumnsByField)
		}
		return v, c.Err()
	}
	return s.importFile(ctx, r, opt, importSpec{required: []string{colCaseKind, colShopCode, colCustomerCode},
		tables: []string{"purchase_cases"},
		check: func(rd *jpcsv.Reader, c *jpcsv.Collector, row func()) error {
			return checkRows(rd, c, row, parse)
		},
		write: func(ctx context.Context, tx *db.Tx, rd *jpcsv.Reader, row func(), created func(id, code string)) error {
			return writeBatches(ctx, tx, rd, row, created, parse, s.insertCases,
				func(c PurchaseCase) (string, string) { return c.ID, c.Code })
		}})
}
