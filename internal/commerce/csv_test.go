package commerce_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"

	"kessai/internal/commerce"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/jpcsv"
)

func cp932(t *testing.T, s string) []byte {
	t.Helper()
	b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rowErrors(t *testing.T, err error) string {
	t.Helper()
	var es jpcsv.Errors
	if !errors.As(err, &es) {
		t.Fatalf("error %v (%T), want jpcsv.Errors", err, err)
	}
	if errs.KindOf(err) != errs.KindInvalid {
		t.Errorf("kind %s, want invalid", errs.KindOf(err))
	}
	var out []string
	for _, e := range es {
		out = append(out, fmt.Sprintf("%d/%s", e.Row, e.Column))
	}
	return strings.Join(out, " ")
}

func TestImportCases(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	newFixture(t, s) // shop main, customer C000001

	good := "\uFEFF買取種別,店舗コード,顧客番号,状態,受付日,買取確定日,買取金額,点数,備考\r\n" +
		"宅配買取,main,C000001,入庫完了,2026/4/1,2026/4/3,\"12,000\",3,箱2つ\r\n" +
		"ippan,main,C000001,,,,,,\r\n"
	res, err := s.ImportCases(ctx, strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 2 || strings.Join(res.Codes, " ") != "TK000001 IP000001" || res.Encoding != "utf-8" {
		t.Errorf("result %+v", res)
	}
	c, _ := s.GetCaseByCode(ctx, "TK000001")
	if c.Status != "stocked" || c.ReceivedOn != "2026-04-01" || c.ConfirmedOn != "2026-04-03" || c.PurchaseAmount != 12000 || c.ItemCount != 3 {
		t.Errorf("imported %+v", c)
	}
	if c, _ := s.GetCaseByCode(ctx, "IP000001"); c.Status != "received" || c.ReceivedOn != "2026-04-10" {
		t.Errorf("defaults %+v", c)
	}

	bad := "買取種別,店舗コード,顧客番号,状態,受付日,買取確定日,買取金額\r\n" +
		"宅配買取,main,C000001,受付,2026-04-01,,100\r\n" + // row 2 good
		"宅配買取,main,C000099,受付,2026-04-01,,100\r\n" + // row 3: unknown customer
		"宅配買取,main,C000001,入庫完了,2026-04-01,,100\r\n" + // row 4: stocked without 買取確定日
		"宅配買取,main,C000001,受付,2026-04-01,,-5\r\n" + // row 5: negative amount
		"一般仕入,main,C000001,受付,2026-04-01,,0\r\n" // row 6 good
	res, err = s.ImportCases(ctx, strings.NewReader(bad))
	if got := rowErrors(t, err); got != "3/顧客番号 4/買取確定日 5/買取金額" {
		t.Errorf("errors = %s", got)
	}
	if len(res.Errors) != 3 || res.Created != 0 {
		t.Errorf("result %+v", res)
	}
	ids, _ := s.CaseIDs(ctx, commerce.CaseFilter{})
	if len(ids) != 2 {
		t.Errorf("%d cases after a bad file, want the 2 from before", len(ids))
	}

	_, err = s.ImportCases(ctx, strings.NewReader("買取種別,顧客番号\r\n宅配買取,C000001\r\n"))
	if got := rowErrors(t, err); got != "1/店舗コード" {
		t.Errorf("missing column: %s", got)
	}
}

func TestCustomersCP932RoundTrip(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	in := "氏名,フリガナ,メールアドレス,電話番号,郵便番号,都道府県,住所1,住所2,銀行コード,支店コード,預金種目,口座番号,口座名義カナ,備考\r\n" +
		"㈱髙橋商事,タカハシショウジ,info@takahashi.example.jp,06-1234-5678,530-0001,大阪府,大阪市北区梅田①-2,,1,1,当座,1234567,ｶ)ﾀｶﾊｼｼﾖｳｼﾞ,№1 取引先\r\n" +
		"山田 花子,やまだはなこ,,,,,,,,,,,,\r\n"
	res, err := s.ImportCustomers(ctx, bytes.NewReader(cp932(t, in)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Encoding != "cp932" || strings.Join(res.Codes, " ") != "C000001 C000002" {
		t.Fatalf("result %+v", res)
	}
	c, _ := s.GetCustomerByCode(ctx, "C000001")
	if c.Name != "㈱髙橋商事" || c.Address1 != "大阪市北区梅田①-2" || c.Bank.BankCode != "0001" || c.Bank.AccountType != "2" || c.Bank.HolderKana != "ｶ)ﾀｶﾊｼｼﾖｳｼﾞ" {
		t.Errorf("imported %+v", c)
	}

	var out bytes.Buffer
	if err := s.ExportCustomers(ctx, &out, commerce.CustomerFilter{Sort: "code"}, ""); err != nil {
		t.Fatal(err)
	}
	if jpcsv.Detect(out.Bytes()) != jpcsv.CP932 || !bytes.Contains(out.Bytes(), []byte("\r\n")) {
		t.Error("export is not CP932 with CRLF")
	}
	r, err := jpcsv.NewReader(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	for col, want := range map[string]string{"顧客番号": "C000001", "氏名": "㈱髙橋商事", "住所1": "大阪市北区梅田①-2", "備考": "№1 取引先", "銀行名": "みずほ", "預金種目": "当座"} {
		if got := rec.Get(col); got != want {
			t.Errorf("exported %s = %q, want %q", col, got, want)
		}
	}
	// The 標準 export imports again as new customers.
	res, err = s.ImportCustomers(ctx, bytes.NewReader(out.Bytes()))
	if err != nil || res.Created != 2 {
		t.Fatalf("re-import: %+v %v", res, err)
	}
	again, _ := s.GetCustomerByCode(ctx, "C000003")
	again.ID, again.Code, again.CreatedAt, again.UpdatedAt = c.ID, c.Code, c.CreatedAt, c.UpdatedAt
	if again != c {
		t.Errorf("re-imported\n%+v\nwant\n%+v", again, c)
	}

	bad := "氏名,メールアドレス,銀行コード,支店コード,口座番号,口座名義カナ\r\n" +
		",x@y.jp,,,,\r\n" +
		"佐藤,sato@,0001,001,12345678,サトウ\r\n"
	_, err = s.ImportCustomers(ctx, strings.NewReader(bad))
	if got := rowErrors(t, err); got != "2/氏名 3/メールアドレス 3/口座番号" {
		t.Errorf("errors = %s", got)
	}
}

func TestExportCases(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	fx := newFixture(t, s)
	if _, err := s.CreateCases(ctx, []commerce.PurchaseCase{
		{Kind: "takuhai", Status: "stocked", ShopID: fx.shop.ID, CustomerID: fx.customer.ID, ConfirmedOn: "2026-04-01", PurchaseAmount: 5000, Note: "〜注意−"},
		{Kind: "ippan", ShopID: fx.shop.ID, CustomerID: fx.customer.ID, Note: "𠮷野家"},
	}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := s.ExportCases(ctx, &out, commerce.CaseFilter{Statuses: []string{"stocked"}}, "transfer")
	if err != nil {
		t.Fatal(err)
	}
	r, _ := jpcsv.NewReader(bytes.NewReader(out.Bytes()))
	if h := strings.Join(r.Header(), ","); h != "ケース番号,買取確定日,買取金額,顧客番号,氏名,銀行コード,銀行名,支店コード,支店名,預金種目,口座番号,口座名義カナ" {
		t.Errorf("header %s", h)
	}
	rec, _ := r.Read()
	if rec.Get("口座番号") != "0123456" || rec.Get("買取金額") != "5000" || rec.Get("預金種目") != "普通" {
		t.Errorf("row %v", rec.Values())
	}

	// 𠮷 has no CP932 code: the row and column are named (the store streams; the handlers
	// spool the file and send nothing then, see TestExportStreamsAndStaysAllOrNothing).
	out.Reset()
	err = s.ExportCases(ctx, &out, commerce.CaseFilter{Sort: "code"}, commerce.TemplateStandard)
	var es jpcsv.Errors
	if !errors.As(err, &es) || len(es) != 1 || es[0].Row != 2 || es[0].Column != "備考" {
		t.Errorf("unencodable: %v", err)
	}
	out.Reset()
	if err := s.ExportCases(ctx, &out, commerce.CaseFilter{}, commerce.TemplateStandard, jpcsv.UTF8); err != nil || !strings.Contains(out.String(), "𠮷野家") {
		t.Errorf("utf-8 export: %v", err)
	}
	if err := s.ExportCases(ctx, &out, commerce.CaseFilter{}, "nope"); fieldsOf(err)["template"] == "" {
		t.Errorf("unknown template: %v", err)
	}
	if len(commerce.CaseExportTemplates()) < 2 || len(commerce.OrderExportTemplates()) < 2 || len(commerce.CustomerExportTemplates()) < 2 {
		t.Error("each record type needs at least two templates")
	}
}

func TestImportOrders(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	newFixture(t, s)
	head := "受注キー,店舗コード,顧客番号,受注日時,支払方法,入金状況,消費税,送料,合計,商品コード,商品名,単価,数量,税率,金額\r\n"
	good := head +
		"A,main,C000001,2026/4/1 9:30,クレジットカード,,60,500,1260,X1,りんご,300,2,8,\r\n" +
		"B,main,,2026-04-02 10:00,cod,入金済,0,0,,Y1,みかん,100,1,,100\r\n" +
		"A,main,C000001,2026/4/1 9:30,クレジットカード,,60,500,1260,X2,包装,100,1,10%,100\r\n"
	res, err := s.ImportOrders(ctx, strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 3 || res.Created != 2 || strings.Join(res.Codes, " ") != "main-000001 main-000002" {
		t.Fatalf("result %+v", res)
	}
	a, _ := s.GetOrderByNumber(ctx, "main-000001")
	if len(a.Lines) != 2 || a.Subtotal != 700 || a.Total != 1260 || a.Source != "csv" || a.AuthorizationStatus != "pending" ||
		a.OrderedAt.Format("2006-01-02 15:04") != "2026-04-01 00:30" || a.Lines[1].TaxRate != 10 {
		t.Errorf("order A %+v", a)
	}

	// The standard export is the import format: it imports again.
	var out bytes.Buffer
	if err := s.ExportOrders(ctx, &out, commerce.OrderFilter{Sort: "number"}, ""); err != nil {
		t.Fatal(err)
	}
	res, err = s.ImportOrders(ctx, bytes.NewReader(out.Bytes()))
	if err != nil || res.Created != 2 || res.Rows != 3 {
		t.Fatalf("re-import %+v %v", res, err)
	}
	if again, _ := s.GetOrderByNumber(ctx, "main-000003"); again.Total != a.Total || !again.OrderedAt.Equal(a.OrderedAt) || len(again.Lines) != 2 {
		t.Errorf("re-imported %+v", again)
	}

	bad := head +
		"A,main,C000001,2026-04-01,credit_card,,0,0,,X1,りんご,300,2,,500\r\n" + // row 2: amount ≠ 300×2
		"B,main,C000001,2026-04-01,credit_card,,0,0,999,X1,みかん,100,1,,\r\n" + // row 3: total wrong
		"A,main,C000001,2026-04-02,credit_card,,0,0,,X2,包装,100,1,,\r\n" + // row 4: 受注日時 differs from row 2
		"C,main,C000001,2026-04-01,paypay,,0,0,,X1,なし,100,1,,\r\n" // row 5: unknown method
	_, err = s.ImportOrders(ctx, strings.NewReader(bad))
	if got := rowErrors(t, err); got != "2/金額 3/合計 4/受注日時 5/支払方法" {
		t.Errorf("errors = %s", got)
	}
	ids, _ := s.OrderIDs(ctx, commerce.OrderFilter{})
	if len(ids) != 4 {
		t.Errorf("%d orders after a bad file, want 4", len(ids))
	}
}

// A short account number is refused on import as on the form, never padded with zeros: 12345
// padded to 0012345 would be another person's account.
func TestImportCustomersRefusesShortAccountNumber(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	for _, num := range []string{"12345", "123456"} {
		in := "氏名,銀行コード,支店コード,口座番号,口座名義カナ\r\n" +
			"佐藤,1,1,1234567,サトウ\r\n" +
			"鈴木,0001,001," + num + ",スズキ\r\n"
		res, err := s.ImportCustomers(ctx, strings.NewReader(in))
		if got := rowErrors(t, err); got != "3/口座番号" {
			t.Fatalf("%s: errors = %s", num, got)
		}
		if !strings.Contains(err.Error(), "数字7桁") || res.Created != 0 {
			t.Fatalf("%s: %v, created %d", num, err, res.Created)
		}
	}
	// The same number typed on the customer form is refused by the same rule.
	_, err := s.CreateCustomer(ctx, commerce.Customer{Name: "鈴木", Bank: commerce.BankAccount{BankCode: "0001", BranchCode: "001", AccountNumber: "12345", HolderKana: "ｽｽﾞｷ"}})
	if !strings.Contains(fieldsOf(err)["account_number"], "数字7桁") {
		t.Fatalf("form: %v", err)
	}
	if all, _ := s.ListCustomers(ctx, commerce.CustomerFilter{}); len(all) != 0 {
		t.Fatalf("%d customers saved", len(all))
	}
}
