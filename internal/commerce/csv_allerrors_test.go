package commerce_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"kessai/internal/platform/jpcsv"
)

// A row is checked in full: a cell that can't be read doesn't hide the others' problems, and a
// cell that can't be read is reported once (not again as "missing" by the record's validation).
func TestImportReportsEveryErrorOfEveryRow(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	newFixture(t, s)
	tests := []struct {
		name    string
		import_ func(string) error
		csv     string
		want    string
	}{
		{"case with three bad cells", func(in string) error { _, err := s.ImportCases(ctx, strings.NewReader(in)); return err },
			"買取種別,店舗コード,顧客番号,受付日,買取金額\r\n" +
				"宅配買取,nope,C000001,2026-02-30,-500\r\n",
			"2/店舗コード 2/受付日 2/買取金額"},
		{"case with a bad kind, a bad count and a bad amount", func(in string) error { _, err := s.ImportCases(ctx, strings.NewReader(in)); return err },
			"買取種別,店舗コード,顧客番号,買取金額,点数\r\n" +
				"どれか,main,,-1,三\r\n" +
				"宅配買取,main,C000001,100,-2\r\n",
			"2/買取種別 2/顧客番号 2/買取金額 2/点数 3/点数"},
		{"customer with a bad account type and a bad email", func(in string) error { _, err := s.ImportCustomers(ctx, strings.NewReader(in)); return err },
			"氏名,メールアドレス,預金種目\r\n" +
				"佐藤,sato@,定期\r\n",
			"2/メールアドレス 2/預金種目"},
		{"order with a bad shop, a bad date and a negative tax", func(in string) error { _, err := s.ImportOrders(ctx, strings.NewReader(in)); return err },
			"受注キー,店舗コード,受注日時,支払方法,消費税,商品名,単価,数量\r\n" +
				"A,nope,2026-13-01,credit_card,-5,りんご,x,0\r\n",
			"2/店舗コード 2/受注日時 2/消費税 2/単価 2/数量"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rowErrors(t, tt.import_(tt.csv)); got != tt.want {
				t.Errorf("errors = %s\nwant     %s", got, tt.want)
			}
		})
	}
}

// The example in a count's message is a count, not an amount.
func TestImportCountExample(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	newFixture(t, s)
	_, err := s.ImportCases(context.Background(), strings.NewReader("買取種別,店舗コード,顧客番号,点数\r\n宅配買取,main,C000001,三点\r\n"))
	var es jpcsv.Errors
	if !errors.As(err, &es) || len(es) != 1 {
		t.Fatalf("err = %v", err)
	}
	if msg := es[0].Message; strings.Contains(msg, "12000") || !strings.Contains(msg, "例: 3") {
		t.Errorf("点数 message = %q", msg)
	}
}
