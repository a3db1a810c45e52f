package yamato

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/japanese"

	"kessai/internal/platform/jpcsv"
)

func TestBuyerColumns(t *testing.T) {
	t.Parallel()
	cols := BuyerCSV.Columns
	if len(cols) != BuyerColumnCount {
		t.Fatalf("%d columns", len(cols))
	}
	// Spot checks of the published header (1-based positions).
	for pos, want := range map[int]string{1: "受注日", 3: "受注番号", 5: "氏名（カナ）", 7: "住所①", 8: "住所②", 10: "予備１", 13: "予備４",
		14: "メールアドレス", 15: "請求金額合計", 16: "明細０１商品名", 19: "明細０１小計", 52: "明細１０商品名", 55: "明細１０小計",
		56: "送付先選択", 57: "送付先０１郵便番号", 60: "送付先０１名称", 61: "送付先０１電話番号", 102: "送付先１０郵便番号", 106: "送付先１０電話番号"} {
		if cols[pos-1] != want {
			t.Errorf("column %d = %q, want %q", pos, cols[pos-1], want)
		}
	}
	seen := map[string]bool{}
	for _, c := range cols {
		if seen[c] {
			t.Errorf("duplicate column %q", c)
		}
		seen[c] = true
	}
}

func buyerRows(n int) []BuyerRow {
	rows := make([]BuyerRow, n)
	for i := range rows {
		r := goodRequest()
		r.OrderNo = fmt.Sprintf("B%07d", i)
		r.Name = "髙橋 ①郎"
		r.Items = []Item{{Name: "りんご（青森県産）", Count: 2, UnitPrice: 600, SubTotal: 1200}, {Name: "値引き", Count: 1, UnitPrice: -200, SubTotal: -200}}
		r.SendDiv = SendOther
		r.SendTo = &Destination{Name: "佐藤 花子", PostCode: "150-0001", Address: "東京都渋谷区神宮前1-2-3", Tel: "090-1111-2222"}
		rows[i] = BuyerRowFrom(r)
	}
	return rows
}

func TestBuyerCSVRoundTrip(t *testing.T) {
	t.Parallel()
	rows := buyerRows(3)
	var buf bytes.Buffer
	if err := WriteBuyerCSV(&buf, t0, rows); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if jpcsv.Detect(b) != jpcsv.CP932 || bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}) {
		t.Fatal("not CP932")
	}
	header, _ := japanese.ShiftJIS.NewEncoder().Bytes([]byte(strings.Join(BuyerCSV.Columns, ",") + "\r\n"))
	if !bytes.HasPrefix(b, header) {
		t.Errorf("header bytes differ")
	}
	text, _ := japanese.ShiftJIS.NewDecoder().Bytes(b)
	lines := strings.Split(strings.TrimSuffix(string(text), "\r\n"), "\r\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines", len(lines))
	}
	for i, l := range lines {
		if n := strings.Count(l, ",") + 1; n != BuyerColumnCount {
			t.Errorf("line %d has %d columns", i+1, n)
		}
	}
	if !strings.Contains(lines[1], ",髙橋　①郎,ﾔﾏﾀﾞ ﾀﾛｳ,1000005,東京都千代田区丸の内１－１－１,,0312345678,") {
		t.Errorf("row 2 = %s", lines[1])
	}
	got, err := ReadBuyerCSV(bytes.NewReader(b), t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[1].Row != 3 {
		t.Fatalf("read %d rows", len(got))
	}
	want := rows[2]
	want.Row = 4
	g := got[2]
	if g.OrderNo != want.OrderNo || g.Name != want.Name || g.Total != 1000 || len(g.Items) != 2 || g.Items[1] != want.Items[1] ||
		ymd(g.OrderDate) != ymd(want.OrderDate) || ymd(g.ShipDate) != ymd(want.ShipDate) || g.SendDiv != SendOther || len(g.Destinations) != 1 || g.Destinations[0] != want.Destinations[0] {
		t.Errorf("row 4 read back as\n%+v\nwant\n%+v", g, want)
	}
	// The read row makes the same API request.
	f1, _ := g.CreditRequest().Form()
	f2, _ := want.CreditRequest().Form()
	if f1.Encode() != f2.Encode() {
		t.Errorf("credit forms differ:\n%s\n%s", f1.Encode(), f2.Encode())
	}
}

func TestBuyerCSVRefusesBadRows(t *testing.T) {
	t.Parallel()
	rows := buyerRows(4)
	rows[1].Tel = "3312345678"
	rows[3].Total = 999
	// The writer refuses what Yamato would refuse, naming rows and columns, and writes nothing.
	var buf bytes.Buffer
	err := WriteBuyerCSV(&buf, t0, rows)
	var es jpcsv.Errors
	if !errors.As(err, &es) || buf.Len() != 0 {
		t.Fatalf("write err = %v, %d bytes", err, buf.Len())
	}
	if got := fmt.Sprint(es.Rows()); got != "[3 5]" {
		t.Errorf("rows %s", got)
	}
	if es[0].Column != "電話番号" || !strings.Contains(es[0].Message, "kaara093E") || es[1].Column != "請求金額合計" || !strings.Contains(es[1].Message, "kaara101E") {
		t.Errorf("errors %v", es)
	}
	// The reader: a file written elsewhere with bad cells.
	buf.Reset()
	good := buyerRows(4)
	if err := WriteBuyerCSV(&buf, t0, good); err != nil {
		t.Fatal(err)
	}
	text, _ := japanese.ShiftJIS.NewDecoder().String(buf.String())
	text = strings.Replace(text, "B0000001,", "B/0000001,", 1)                                           // row 3: order number
	text = strings.Replace(text, "B0000003,髙橋　①郎,ﾔﾏﾀﾞ ﾀﾛｳ,1000005", "B0000003,髙橋　①郎,ﾔﾏﾀﾞ ﾀﾛｳ,100000", 1) // row 5: postal code
	bad, _ := japanese.ShiftJIS.NewEncoder().String(text)
	got, err := ReadBuyerCSV(strings.NewReader(bad), t0)
	if got != nil || !errors.As(err, &es) {
		t.Fatalf("read = %d rows, %v", len(got), err)
	}
	if fmt.Sprint(es.Rows()) != "[3 5]" || es[0].Column != "受注番号" || es[1].Column != "郵便番号" || !strings.Contains(es[1].Message, "kaara028E") {
		t.Errorf("errors %v", es)
	}
	// A file with a column missing is refused at the header.
	short := strings.Replace(text, ",予備４", "", 1)
	if _, err := ReadBuyerCSV(strings.NewReader(short), t0); err == nil || !strings.Contains(err.Error(), "予備４") {
		t.Errorf("missing column: %v", err)
	}
}

func TestCreditResultCSV(t *testing.T) {
	t.Parallel()
	at := t0.Add(time.Minute).UTC()
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, t0.Location())
	rows := []CreditResultRow{{OrderNo: "A-1", OrderDate: day, Name: "山田　太郎", Total: 3300, Result: CreditOK, DecidedAt: at},
		{OrderNo: "A-2", OrderDate: day, Name: "不可　花子", Total: 100, Result: CreditNG, DecidedAt: at}}
	var buf bytes.Buffer
	if err := WriteCreditResultCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	want, _ := japanese.ShiftJIS.NewEncoder().String("受注番号,受注日,氏名,請求金額合計,審査結果,審査結果名,審査日時\r\n" +
		"A-1,20260302,山田　太郎,3300,0,ご利用可,20260302100100\r\nA-2,20260302,不可　花子,100,1,ご利用不可,20260302100100\r\n")
	if buf.String() != want {
		t.Errorf("file =\n%q\nwant\n%q", buf.String(), want)
	}
	got, err := ReadCreditResultCSV(&buf)
	if err != nil || len(got) != 2 || !got[1].OrderDate.Equal(rows[1].OrderDate) || got[1].DecidedAt != rows[1].DecidedAt || got[1].Result != rows[1].Result || got[1].Total != 100 {
		t.Fatalf("read = %+v, %v", got, err)
	}
	bad, _ := japanese.ShiftJIS.NewEncoder().String("受注番号,受注日,氏名,請求金額合計,審査結果,審査結果名,審査日時\r\n" +
		"A-1,20260302,山田,3300,0,ご利用可,\r\nA-1,2026-03-02,山田,3300,OK,,\r\nA 3,20260302,山田,0,9,,x\r\n")
	_, err = ReadCreditResultCSV(strings.NewReader(bad))
	var es jpcsv.Errors
	if !errors.As(err, &es) {
		t.Fatalf("err = %v", err)
	}
	var got2 []string
	for _, e := range es {
		got2 = append(got2, fmt.Sprintf("%d/%s", e.Row, e.Column))
	}
	if s := strings.Join(got2, " "); s != "3/受注番号 3/受注日 3/審査結果 4/受注番号 4/請求金額合計 4/審査結果 4/審査日時" {
		t.Errorf("errors %s", s)
	}
}

func TestShipmentCSV(t *testing.T) {
	t.Parallel()
	rows := []ShipmentRow{{ShipmentRequest: ShipmentRequest{OrderNo: "A-1", TrackingNo: "1234-5678-9013", ShipDate: t0}},
		{Carrier: "佐川急便", ShipmentRequest: ShipmentRequest{OrderNo: "A-2", TrackingNo: "SG12345", ProcessDiv: ProcessOther}}}
	var buf bytes.Buffer
	if err := WriteShipmentCSV(&buf, t0, rows); err != nil {
		t.Fatal(err)
	}
	want, _ := japanese.ShiftJIS.NewEncoder().String("受注番号,配送会社,送り状番号,出荷日,処理区分,変更前送り状番号\r\n" +
		"A-1,ヤマト運輸,123456789013,20260302,0,\r\nA-2,佐川急便,SG12345,,2,\r\n")
	if buf.String() != want {
		t.Errorf("file =\n%q\nwant\n%q", buf.String(), want)
	}
	got, err := ReadShipmentCSV(&buf, t0)
	if err != nil || len(got) != 2 || got[0].TrackingNo != "123456789013" || got[1].ProcessDiv != ProcessOther || got[0].Row != 2 {
		t.Fatalf("read = %+v, %v", got, err)
	}
	bad := []ShipmentRow{{ShipmentRequest: ShipmentRequest{OrderNo: "A-1", TrackingNo: "123456789014"}}}
	var es jpcsv.Errors
	if err := WriteShipmentCSV(io.Discard, t0, bad); !errors.As(err, &es) || es[0].Row != 2 || es[0].Column != "送り状番号" {
		t.Errorf("bad check digit: %v", err)
	}
	text, _ := japanese.ShiftJIS.NewEncoder().String("受注番号,配送会社,送り状番号,出荷日,処理区分,変更前送り状番号\r\n" +
		"A-1,ヤマト運輸,123456789013,20260302,0,\r\nA-1,ヤマト運輸,123456789013,,0,\r\nA-3,佐川急便,SG1,,0,\r\nA-4,,,,7,\r\n")
	if _, err := ReadShipmentCSV(strings.NewReader(text), t0); !errors.As(err, &es) || fmt.Sprint(es.Rows()) != "[3 4 5]" {
		t.Errorf("bad rows: %v", err)
	}
}

// BenchmarkBuyerCSV100k writes and reads 100,000 buyer rows as CP932 (106 columns each),
// reporting rows per second; -benchmem gives the allocations.
func BenchmarkBuyerCSV100k(b *testing.B) {
	const n = 100_000
	rows := buyerRows(n)
	var out bytes.Buffer
	if err := WriteBuyerCSV(&out, t0, rows); err != nil {
		b.Fatal(err)
	}
	file := out.Bytes()
	b.Run("write", func(b *testing.B) {
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			if err := WriteBuyerCSV(&buf, t0, rows); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
		b.ReportMetric(float64(len(file))/(1<<20), "MB/file")
	})
	b.Run("read", func(b *testing.B) {
		var peak uint64
		for b.Loop() {
			got, err := ReadBuyerCSV(bytes.NewReader(file), t0)
			if err != nil || len(got) != n {
				b.Fatalf("%d rows, %v", len(got), err)
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
		b.ReportMetric(float64(peak)/(1<<20), "MB-heap")
	})
}
