package zenginfile_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"

	"kessai/internal/platform/zenginfile"
)

// field is one item of the published record layout: 1-based first column, length, value.
// The columns are typed from the 全銀協 table (see the package comment), not computed from the
// writer, so a shifted field fails here.
type field struct {
	name       string
	from, size int
	want       string
}

func checkRecord(t *testing.T, kind string, rec []byte, fields []field) {
	t.Helper()
	if len(rec) != zenginfile.RecordLen {
		t.Fatalf("%s: %d bytes", kind, len(rec))
	}
	end := 0
	for _, f := range fields {
		if f.from != end+1 {
			t.Fatalf("%s: layout table has a gap or overlap before %s (col %d, previous ended at %d)", kind, f.name, f.from, end)
		}
		end = f.from + f.size - 1
		got := rec[f.from-1 : end]
		// CP932 decode: half-width kana bytes 0xA1–0xDF are the same in JIS8 and Shift_JIS.
		dec, err := japanese.ShiftJIS.NewDecoder().Bytes(got)
		if err != nil {
			t.Fatalf("%s %s: %v", kind, f.name, err)
		}
		if string(dec) != f.want {
			t.Errorf("%s %s (col %d-%d) = %q, want %q", kind, f.name, f.from, end, dec, f.want)
		}
	}
	if end != zenginfile.RecordLen {
		t.Fatalf("%s: layout covers %d bytes", kind, end)
	}
}

func sp(n int) string { return strings.Repeat(" ", n) }

// pad left-aligns s in n columns; every half-width character is one byte.
func pad(s string, n int) string { return s + sp(n-utf8.RuneCountInString(s)) }

func TestWriteMatchesPublishedLayout(t *testing.T) {
	h := zenginfile.Header{RequesterCode: "1234567", RequesterName: "ｶ)ｹｯｻｲｼｮｳｶｲ", Month: 4, Day: 3,
		BankCode: "0001", BankName: "ﾐｽﾞﾎ", BranchCode: "001", BranchName: "ﾄｳｷﾖｳｴｲｷﾞﾖｳﾌﾞ", AccountType: "1", AccountNumber: "0123456"}
	items := []zenginfile.Item{
		{BankCode: "0005", BankName: "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ", BranchCode: "101", BranchName: "ﾏﾙﾉｳﾁ", AccountType: "1", AccountNumber: "7654321",
			Holder: "ﾔﾏﾀﾞ ﾀﾛｳ", Amount: 231000, CustomerCode1: "42"},
		{BankCode: "0009", BankName: "ﾐﾂｲｽﾐﾄﾓ", BranchCode: "200", BranchName: "ｼﾌﾞﾔ", AccountType: "2", AccountNumber: "0000001",
			Holder: "ｶ)ｱｵｿﾞﾗｻﾝｷﾞﾖｳ", Amount: 9_999_999_999},
	}
	for _, crlf := range []bool{true, false} {
		var buf bytes.Buffer
		if err := zenginfile.Write(&buf, h, items, crlf); err != nil {
			t.Fatal(err)
		}
		b := buf.Bytes()
		recLen := 120
		if crlf {
			recLen = 122
		}
		if len(b) != 5*recLen {
			t.Fatalf("crlf=%v: %d bytes, want %d (5 records)", crlf, len(b), 5*recLen)
		}
		recs := make([][]byte, 5)
		for i := range recs {
			recs[i] = b[i*recLen : i*recLen+120]
			if crlf && string(b[i*recLen+120:(i+1)*recLen]) != "\r\n" {
				t.Fatalf("record %d not followed by CR LF", i+1)
			}
		}
		if !crlf && bytes.ContainsAny(b, "\r\n") {
			t.Fatal("CR or LF in a file without line ends")
		}
		checkRecord(t, "header", recs[0], []field{
			{"データ区分", 1, 1, "1"}, {"種別コード", 2, 2, "21"}, {"コード区分", 4, 1, "0"},
			{"振込依頼人コード", 5, 10, "0001234567"}, {"振込依頼人名", 15, 40, pad("ｶ)ｹｯｻｲｼｮｳｶｲ", 40)},
			{"振込指定日", 55, 4, "0403"}, {"仕向銀行番号", 59, 4, "0001"}, {"仕向銀行名", 63, 15, pad("ﾐｽﾞﾎ", 15)},
			{"仕向支店番号", 78, 3, "001"}, {"仕向支店名", 81, 15, pad("ﾄｳｷﾖｳｴｲｷﾞﾖｳﾌﾞ", 15)}, {"預金種目", 96, 1, "1"},
			{"口座番号", 97, 7, "0123456"}, {"ダミー", 104, 17, sp(17)},
		})
		checkRecord(t, "data 1", recs[1], []field{
			{"データ区分", 1, 1, "2"}, {"被仕向銀行番号", 2, 4, "0005"}, {"被仕向銀行名", 6, 15, pad("ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ", 15)},
			{"被仕向支店番号", 21, 3, "101"}, {"被仕向支店名", 24, 15, pad("ﾏﾙﾉｳﾁ", 15)}, {"手形交換所番号", 39, 4, "0000"},
			{"預金種目", 43, 1, "1"}, {"口座番号", 44, 7, "7654321"}, {"受取人名", 51, 30, pad("ﾔﾏﾀﾞ ﾀﾛｳ", 30)},
			{"振込金額", 81, 10, "0000231000"}, {"新規コード", 91, 1, "0"}, {"顧客コード1", 92, 10, "0000000042"},
			{"顧客コード2", 102, 10, "0000000000"}, {"振込指定区分", 112, 1, "7"}, {"識別表示", 113, 1, " "}, {"ダミー", 114, 7, sp(7)},
		})
		checkRecord(t, "data 2", recs[2], []field{
			{"データ区分", 1, 1, "2"}, {"被仕向銀行番号", 2, 4, "0009"}, {"被仕向銀行名", 6, 15, pad("ﾐﾂｲｽﾐﾄﾓ", 15)},
			{"被仕向支店番号", 21, 3, "200"}, {"被仕向支店名", 24, 15, pad("ｼﾌﾞﾔ", 15)}, {"手形交換所番号", 39, 4, "0000"},
			{"預金種目", 43, 1, "2"}, {"口座番号", 44, 7, "0000001"}, {"受取人名", 51, 30, pad("ｶ)ｱｵｿﾞﾗｻﾝｷﾞﾖｳ", 30)},
			{"振込金額", 81, 10, "9999999999"}, {"新規コード", 91, 1, "0"}, {"顧客コード1", 92, 10, "0000000000"},
			{"顧客コード2", 102, 10, "0000000000"}, {"振込指定区分", 112, 1, "7"}, {"識別表示", 113, 1, " "}, {"ダミー", 114, 7, sp(7)},
		})
		checkRecord(t, "trailer", recs[3], []field{
			{"データ区分", 1, 1, "8"}, {"合計件数", 2, 6, "000002"}, {"合計金額", 8, 12, "010000230999"}, {"ダミー", 20, 101, sp(101)},
		})
		checkRecord(t, "end", recs[4], []field{{"データ区分", 1, 1, "9"}, {"ダミー", 2, 119, sp(119)}})
		// Half-width kana are single bytes 0xA1–0xDF (JIS8), never UTF-8.
		if k := bytes.IndexByte(recs[1], 0xD0); k != 5 { // ﾐ is 0xD0, first byte of 被仕向銀行名
			t.Fatalf("ﾐ not at col 6 as 0xD0: %d", k+1)
		}
	}
}

func TestWriteRefusesBadFieldsAndWritesNothing(t *testing.T) {
	h := zenginfile.Header{RequesterCode: "1", RequesterName: "ｶ)ﾃｽﾄ", Month: 4, Day: 3, BankCode: "0001", BranchCode: "001", AccountType: "1", AccountNumber: "0123456"}
	good := zenginfile.Item{BankCode: "0005", BranchCode: "101", AccountType: "1", AccountNumber: "7654321", Holder: "ﾔﾏﾀﾞ", Amount: 1}
	tests := []struct {
		name string
		edit func(*zenginfile.Header, *zenginfile.Item)
		want string
	}{
		{"short account", func(_ *zenginfile.Header, it *zenginfile.Item) { it.AccountNumber = "12345" }, "1件目: 口座番号は数字7桁"},
		{"holder 31", func(_ *zenginfile.Header, it *zenginfile.Item) { it.Holder = strings.Repeat("ｱ", 31) }, "受取人名が長すぎます（半角31文字、上限は30文字）"},
		{"holder kanji", func(_ *zenginfile.Header, it *zenginfile.Item) { it.Holder = "山田" }, "受取人名に使えない文字「山」"},
		{"holder lower case", func(_ *zenginfile.Header, it *zenginfile.Item) { it.Holder = "abc" }, "使えない文字「a」"},
		{"amount 0", func(_ *zenginfile.Header, it *zenginfile.Item) { it.Amount = 0 }, "振込金額は1円以上"},
		{"amount too big", func(_ *zenginfile.Header, it *zenginfile.Item) { it.Amount = 10_000_000_000 }, "振込金額は1円以上"},
		{"type 9 on data", func(_ *zenginfile.Header, it *zenginfile.Item) { it.AccountType = "3" }, "預金種目は 1・2・4・9"},
		{"requester code 11", func(h *zenginfile.Header, _ *zenginfile.Item) { h.RequesterCode = "12345678901" }, "振込依頼人コードは数字10桁以内"},
		{"requester name 41", func(h *zenginfile.Header, _ *zenginfile.Item) { h.RequesterName = strings.Repeat("ｱ", 41) }, "振込依頼人名が長すぎます"},
		{"date", func(h *zenginfile.Header, _ *zenginfile.Item) { h.Month = 13 }, "振込指定日"},
		{"header type 4", func(h *zenginfile.Header, _ *zenginfile.Item) { h.AccountType = "4" }, "ヘッダー: 預金種目は 1・2・9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hh, it := h, good
			tt.edit(&hh, &it)
			var buf bytes.Buffer
			err := zenginfile.Write(&buf, hh, []zenginfile.Item{good, it}, true)
			want := tt.want
			if strings.HasPrefix(want, "1件目") {
				want = "2件目" + want[len("1件目"):]
			}
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("error %v, want …%s…", err, want)
			}
			if buf.Len() != 0 {
				t.Fatalf("%d bytes written despite the error", buf.Len())
			}
		})
	}
}
