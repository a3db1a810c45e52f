package gmopg_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"kessai/internal/provider/gmopg"
)

func TestFileNames(t *testing.T) {
	t.Parallel()
	name := gmopg.RequestFileName("tsite00012345", "202604")
	if name != "CU_REQ_tsite00012345_202604.csv" {
		t.Errorf("RequestFileName = %s", name)
	}
	site, month, ok := gmopg.ParseRequestFileName(name)
	if !ok || site != "tsite00012345" || month != "202604" {
		t.Errorf("ParseRequestFileName = %s %s %v", site, month, ok)
	}
	for _, bad := range []string{"CU_RES_s_202604.csv", "CU_REQ_s_2026.csv", "CU_REQ_s_202613.csv", "CU_REQ__202604.csv", "CU_REQ_s_202604.txt"} {
		if _, _, ok := gmopg.ParseRequestFileName(bad); ok {
			t.Errorf("ParseRequestFileName(%s) accepted", bad)
		}
	}
}

func TestRequestFileRoundTrip(t *testing.T) {
	t.Parallel()
	rows := []gmopg.UpdateRequestRow{
		{MemberID: "c-0001", CardSeq: gmopg.DefaultCardSeq, FreeField: "定期便①"},
		{MemberID: "c-0002", CardSeq: 0, FreeField: `say "hi", ok`},
		{MemberID: "a.b_c@d", CardSeq: 12},
	}
	var buf bytes.Buffer
	w := gmopg.NewRequestWriter(&buf)
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := "\"c-0001\",\"\",\"\x92\xe8\x8a\xfa\x95\xd6\x87\x40\"\r\n\"c-0002\",\"0\",\"say \"\"hi\"\", ok\"\r\n\"a.b_c@d\",\"12\",\"\"\r\n\"#END\",\"3\"\r\n"
	if buf.String() != want {
		t.Errorf("file bytes = %q\nwant        %q", buf.String(), want)
	}
	r := gmopg.NewRequestReader(bytes.NewReader(buf.Bytes()))
	var got []gmopg.UpdateRequestRow
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, row)
	}
	if fmt.Sprint(got) != fmt.Sprint(rows) {
		t.Errorf("read back %v, want %v", got, rows)
	}
}

func TestRequestWriterRefusesBadRows(t *testing.T) {
	t.Parallel()
	tests := []struct {
		row  gmopg.UpdateRequestRow
		want string
	}{
		{gmopg.UpdateRequestRow{MemberID: "", CardSeq: -1}, "1行目 会員ID"},
		{gmopg.UpdateRequestRow{MemberID: "会員", CardSeq: -1}, "1行目 会員ID"},
		{gmopg.UpdateRequestRow{MemberID: "m", CardSeq: 10000}, "1行目 カード登録連番"},
		{gmopg.UpdateRequestRow{MemberID: "m", CardSeq: -1, FreeField: strings.Repeat("あ", 26)}, "50バイト以内"},
		{gmopg.UpdateRequestRow{MemberID: "m", CardSeq: -1, FreeField: "😀"}, "送れない文字"},
		{gmopg.UpdateRequestRow{MemberID: "m", CardSeq: -1, FreeField: "a\r\nb"}, "改行"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		w := gmopg.NewRequestWriter(&buf)
		err := w.Write(tt.row)
		var re *gmopg.RowError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Write(%+v) = %v, want a row error with %q", tt.row, err, tt.want)
		}
		// The bad row is not written and the writer goes on.
		if err := w.Write(gmopg.UpdateRequestRow{MemberID: "ok", CardSeq: -1}); err != nil {
			t.Fatal(err)
		}
		w.Close()
		if w.Rows() != 1 || !strings.HasSuffix(buf.String(), "\"#END\",\"1\"\r\n") {
			t.Errorf("after a refused row: rows %d, file %q", w.Rows(), buf.String())
		}
	}
}

func resultFile(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n" }

func TestResultReaderRejections(t *testing.T) {
	t.Parallel()
	good1 := `"m1","0","","0","","2701","2701","",""`
	good2 := `"m2","1","x","0","2","2701","3112","************4242",""`
	tests := []struct {
		name     string
		file     string
		rowErrs  []string // every row error, in order
		fileErr  string   // the fatal error, "" for a whole file
		goodRows int
	}{
		{"whole", resultFile(good1, good2, `"#END","2"`), nil, "", 2},
		{"no trailer", resultFile(good1, good2), nil, "3行目）: 終了レコード", 2},
		{"cut mid-line", resultFile(good1) + `"m2","1","x"`, nil, "2行目）: 最終行が改行", 1},
		{"count disagrees", resultFile(good1, `"#END","2"`), nil, "件数 2 とデータ行数 1", 1},
		{"data after trailer", resultFile(good1, `"#END","1"`, good2), nil, "3行目）: 終了レコードの後", 1},
		{"bad rows numbered", resultFile(good1,
			`"m2","1","","7","","2701","2701","",""`,
			`"m3","x","","0","","2701","2701","",""`,
			`"m4","1","","1","1","2701","","",""`,
			`"m5","1","","0","","2713","2701","",""`,
			`"m6","1",""`,
			`"m7","1","","0","","2701","","",""`,
			`"m8","1","","3","","","","","E0139"`,
			`"m9","1","","0","","2701","2701","","`,
			`"#END","9"`),
			[]string{"2行目 洗替結果", "3行目 カード登録連番", "4行目 更新区分", "5行目 更新前有効期限", "6行目: 項目数が 3",
				"7行目 更新後有効期限: 洗替結果が 0 のときは必須", "8行目 エラーコード", "9行目: 引用符"}, "", 1},
		{"LF only", "\"m1\",\"0\",\"\",\"0\",\"\",\"2701\",\"2701\",\"\",\"\"\n\"#END\",\"1\"\r\n", []string{"1行目: 改行が CRLF"}, "", 0},
		{"not cp932", resultFile(`"m1","0","`+"\x82"+`","0","","2701","2701","",""`, `"#END","1"`), []string{"1行目: Shift_JIS"}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := gmopg.NewResultReader(strings.NewReader(tt.file))
			var rowErrs []string
			good := 0
			var fatal error
			for {
				_, err := r.Read()
				if err == io.EOF {
					break
				}
				if gmopg.IsFileError(err) {
					fatal = err
					break
				}
				if err != nil {
					var re *gmopg.RowError
					if !errors.As(err, &re) {
						t.Fatalf("unexpected error type %T: %v", err, err)
					}
					rowErrs = append(rowErrs, err.Error())
					continue
				}
				good++
			}
			if good != tt.goodRows {
				t.Errorf("good rows = %d, want %d", good, tt.goodRows)
			}
			if len(rowErrs) != len(tt.rowErrs) {
				t.Fatalf("row errors = %q, want %q", rowErrs, tt.rowErrs)
			}
			for i := range rowErrs {
				if !strings.Contains(rowErrs[i], tt.rowErrs[i]) {
					t.Errorf("row error %d = %q, want it to contain %q", i, rowErrs[i], tt.rowErrs[i])
				}
			}
			switch {
			case tt.fileErr == "" && fatal != nil:
				t.Errorf("file error %v on a whole file", fatal)
			case tt.fileErr != "" && (fatal == nil || !strings.Contains(fatal.Error(), tt.fileErr)):
				t.Errorf("file error = %v, want %q", fatal, tt.fileErr)
			}
		})
	}
}

func TestResultRoundTripAndErrorFile(t *testing.T) {
	t.Parallel()
	rows := []gmopg.UpdateResultRow{
		{MemberID: "m1", CardSeq: 0, Result: gmopg.ResultOK, OldExpire: "2701", NewExpire: "2701"},
		{MemberID: "m2", CardSeq: 1, FreeField: "ｶﾅ", Result: gmopg.ResultOK, Change: gmopg.NewNumber, OldExpire: "2701", NewExpire: "3112", NewMaskedNo: "************4242"},
		{MemberID: "m3", CardSeq: 0, Result: gmopg.ResultInputError, ErrInfo: gmopg.InfoMemberNotFound},
	}
	var buf bytes.Buffer
	w := gmopg.NewResultWriter(&buf)
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Write(gmopg.UpdateResultRow{MemberID: "m4", Result: gmopg.ResultInvalid, Change: gmopg.NewExpiry}); err == nil {
		t.Error("a change with result 1 was written")
	}
	w.Close()
	r := gmopg.NewResultReader(&buf)
	for i := 0; ; i++ {
		row, err := r.Read()
		if err == io.EOF {
			if i != len(rows) {
				t.Errorf("read %d rows", i)
			}
			break
		}
		if err != nil || row != rows[i] {
			t.Fatalf("row %d = %+v, %v; want %+v", i, row, err, rows[i])
		}
	}
	buf.Reset()
	errs := []gmopg.FileErrorRow{{Row: 3, Field: "会員ID", Message: "形式が\r\n正しくありません"}}
	if err := gmopg.WriteErrorFile(&buf, errs); err != nil {
		t.Fatal(err)
	}
	got, err := gmopg.ReadErrorFile(&buf)
	if err != nil || len(got) != 1 || got[0].Row != 3 || got[0].Message != "形式が  正しくありません" {
		t.Errorf("error file = %+v, %v", got, err)
	}
}

// BenchmarkCardUpdateFiles1M writes a 1,000,000-row request file and a 1,000,000-row result
// file to disk and reads both back, reporting the peak heap seen while streaming.
func BenchmarkCardUpdateFiles1M(b *testing.B) {
	const n = 1_000_000
	dir := b.TempDir()
	var peak uint64
	var ms runtime.MemStats
	sample := func() {
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}
	runtime.GC()
	sample()
	base := peak
	for b.Loop() {
		req, res := filepath.Join(dir, "req.csv"), filepath.Join(dir, "res.csv")
		f, _ := os.Create(req)
		w := gmopg.NewRequestWriter(f)
		g, _ := os.Create(res)
		rw := gmopg.NewResultWriter(g)
		for i := range n {
			id := fmt.Sprintf("cust-%08d", i)
			if err := w.Write(gmopg.UpdateRequestRow{MemberID: id, CardSeq: gmopg.DefaultCardSeq, FreeField: "定期"}); err != nil {
				b.Fatal(err)
			}
			if err := rw.Write(gmopg.UpdateResultRow{MemberID: id, CardSeq: 0, FreeField: "定期", Result: gmopg.ResultCode(i % 4),
				OldExpire: "2701", NewExpire: map[bool]string{true: "3001", false: ""}[i%4 == 0], Change: map[bool]gmopg.ChangeKind{true: gmopg.NewExpiry}[i%4 == 0]}); err != nil {
				b.Fatal(err)
			}
			if i%100_000 == 0 {
				sample()
			}
		}
		w.Close()
		rw.Close()
		f.Close()
		g.Close()
		f, _ = os.Open(req)
		r := gmopg.NewRequestReader(f)
		rows := 0
		for {
			_, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if rows++; rows%100_000 == 0 {
				sample()
			}
		}
		f.Close()
		g, _ = os.Open(res)
		rr := gmopg.NewResultReader(g)
		for {
			_, err := rr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if rows++; rows%100_000 == 0 {
				sample()
			}
		}
		g.Close()
		if rows != 2*n {
			b.Fatalf("rows = %d", rows)
		}
		if fi, err := os.Stat(res); err == nil {
			b.ReportMetric(float64(fi.Size())/1e6, "result-MB")
		}
	}
	b.ReportMetric(float64(peak-min(base, peak))/1e6, "peak-heap-MB")
	b.ReportMetric(float64(n), "rows/file")
}

func TestCheckResultFile(t *testing.T) {
	t.Parallel()
	good1 := `"m1","0","","0","","2701","2701","",""`
	good2 := `"m2","0","","1","","2701","","",""`
	sent := map[string]bool{"m1": true, "m2": true}
	known := func(id string) bool { return sent[id] }
	tests := []struct {
		name string
		file string
		rows int
		want []string // substrings of the errors, in order
	}{
		{"clean", resultFile(good1, good2, `"#END","2"`), 2, nil},
		{"unknown member", resultFile(good1, `"zz","0","","0","","2701","2701","",""`, `"#END","2"`), 2, []string{"2行目 会員ID「zz」: 洗替依頼に含まれていない"}},
		{"bad row and truncated", resultFile(good1, `"m2","0","","9","","2701","","",""`), 2, []string{"2行目 洗替結果", "3行目）: 終了レコード"}},
	}
	for _, tt := range tests {
		rows, err := gmopg.CheckResultFile(strings.NewReader(tt.file), known, 0)
		if rows != tt.rows {
			t.Errorf("%s: rows = %d, want %d", tt.name, rows, tt.rows)
		}
		if tt.want == nil {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		var fe gmopg.FileErrors
		if !errors.As(err, &fe) || len(fe) != len(tt.want) {
			t.Fatalf("%s: err = %v, want %d errors", tt.name, err, len(tt.want))
		}
		for i, w := range tt.want {
			if !strings.Contains(fe[i].Error(), w) {
				t.Errorf("%s: error %d = %q, want %q", tt.name, i, fe[i], w)
			}
		}
	}
}
