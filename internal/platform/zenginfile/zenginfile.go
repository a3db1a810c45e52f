// Package zenginfile writes the 全銀協規定 総合振込 file (fixed-length 120-byte records), the file
// a merchant uploads to a bank's internet banking when the bank has no API.
//
// Layout used (positions are 1-based byte columns; N = digits, right-aligned, zero-filled;
// C = half-width characters, left-aligned, space-filled):
//
//	ヘッダー・レコード          データ・レコード              トレーラ・レコード
//	  1     データ区分 N1 "1"    1     データ区分 N1 "2"        1     データ区分 N1 "8"
//	  2-3   種別コード N2 "21"   2-5   被仕向銀行番号 N4       2-7   合計件数 N6
//	  4     コード区分 N1 "0"    6-20  被仕向銀行名 C15        8-19  合計金額 N12
//	  5-14  振込依頼人コード N10 21-23 被仕向支店番号 N3      20-120 ダミー C101
//	  15-54 振込依頼人名 C40     24-38 被仕向支店名 C15
//	  55-58 振込指定日 N4 MMDD   39-42 手形交換所番号 N4 (0)   エンド・レコード
//	  59-62 仕向銀行番号 N4      43    預金種目 N1             1     データ区分 N1 "9"
//	  63-77 仕向銀行名 C15       44-50 口座番号 N7             2-120 ダミー C119
//	  78-80 仕向支店番号 N3      51-80 受取人名 C30
//	  81-95 仕向支店名 C15       81-90 振込金額 N10
//	  96    預金種目 N1          91    新規コード N1 ("0" その他)
//	  97-103 口座番号 N7         92-101 顧客コード1 N10
//	  104-120 ダミー C17         102-111 顧客コード2 N10
//	                             112   振込指定区分 N1 ("7" 電信)
//	                             113   識別表示 C1 (" ": 顧客コードは数字)
//	                             114-120 ダミー C7
//
// Characters are JIS8 (JIS X 0201: ASCII and half-width katakana, one byte each; the same bytes
// in Shift_JIS/CP932). Records are 120 bytes, either back to back or each followed by CR LF
// (122 bytes); banks accept both and refuse CR or LF alone.
//
// Sources (read 2026-12, not copied): 全銀協制定ファイルフォーマット【総合振込】as republished
// on expydoc.com (doc 11700435: field table, "120バイト(改行コード(CRLF)をつける場合は後付けで
// 122バイト)", N right/zero, C left/space), 宮崎銀行's upload help (miyagin.co.jp,
// kfkdown-zengin-help: "改行コード無し" or "CR+LF", CR/LF alone refused) and a payroll vendor's FB
// data page (gulliver-webhelp.askids-cloud.jp: column positions 51 受取人名, 81 振込金額, 91
// 新規コード, 92 顧客番号).
package zenginfile

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// RecordLen is the length of every record, without the optional CR LF.
const RecordLen = 120

// Limits of the fields.
const (
	RequesterNameMax = 40
	HolderMax        = 30
	AmountMax        = 9_999_999_999   // N10
	TotalMax         = 999_999_999_999 // N12
	CountMax         = 999_999         // N6
)

// Header is the 振込依頼人 (the merchant) and the day.
type Header struct {
	RequesterCode string // 振込依頼人コード (委託者コード): up to 10 digits, assigned by the bank
	RequesterName string // 振込依頼人名, 全銀 kana, ≤40
	Month, Day    int    // 振込指定日
	BankCode      string // 仕向銀行番号 (the merchant's bank)
	BankName      string // half-width kana; cut at 15 bytes
	BranchCode    string
	BranchName    string
	AccountType   string // 1 普通, 2 当座, 9 その他
	AccountNumber string
}

// Item is one transfer (データ・レコード).
type Item struct {
	BankCode, BankName, BranchCode, BranchName string // names half-width kana, cut at 15 bytes
	AccountType, AccountNumber                 string
	Holder                                     string // 受取人名, 全銀 kana, ≤30
	Amount                                     int64
	CustomerCode1, CustomerCode2               string // optional, up to 10 digits each
}

// Error lists every problem found, each naming the record and the field.
type Error []string

func (e Error) Error() string {
	return "全銀ファイルを作れません: " + strings.Join(e, "／")
}

// Write writes the file: header, one data record per item, trailer and end record. With crlf
// each record is followed by CR LF. Nothing is written unless every field is valid.
func Write(w io.Writer, h Header, items []Item, crlf bool) error {
	var bad Error
	var buf bytes.Buffer
	rec := func(fields ...string) {
		line := strings.Join(fields, "")
		if len(line) != RecordLen {
			panic(fmt.Sprintf("zenginfile: record of %d bytes", len(line))) // a layout bug, not input
		}
		buf.WriteString(line)
		if crlf {
			buf.WriteString("\r\n")
		}
	}
	hf := fieldChecker{where: "ヘッダー", bad: &bad}
	if h.Month < 1 || h.Month > 12 || h.Day < 1 || h.Day > 31 {
		bad = append(bad, "ヘッダー: 振込指定日が正しくありません")
	}
	rec("1", "21", "0",
		hf.num("振込依頼人コード", h.RequesterCode, 10),
		hf.text("振込依頼人名", h.RequesterName, RequesterNameMax, false),
		fmt.Sprintf("%02d%02d", h.Month%100, h.Day%100),
		hf.numExact("仕向銀行番号", h.BankCode, 4),
		hf.text("仕向銀行名", h.BankName, 15, true),
		hf.numExact("仕向支店番号", h.BranchCode, 3),
		hf.text("仕向支店名", h.BranchName, 15, true),
		hf.accountType("預金種目", h.AccountType, "129"),
		hf.numExact("口座番号", h.AccountNumber, 7),
		spaces(17))
	if len(items) == 0 {
		bad = append(bad, "振込が1件もありません")
	}
	if len(items) > CountMax {
		bad = append(bad, fmt.Sprintf("1つのファイルは%d件までです（%d件）", CountMax, len(items)))
	}
	var total int64
	for i, it := range items {
		f := fieldChecker{where: fmt.Sprintf("%d件目", i+1), bad: &bad}
		amount := ""
		if it.Amount < 1 || it.Amount > AmountMax {
			bad = append(bad, fmt.Sprintf("%d件目: 振込金額は1円以上%d円以下にしてください", i+1, int64(AmountMax)))
			amount = strings.Repeat("0", 10)
		} else {
			amount = fmt.Sprintf("%010d", it.Amount)
			total += it.Amount
		}
		rec("2",
			f.numExact("被仕向銀行番号", it.BankCode, 4),
			f.text("被仕向銀行名", it.BankName, 15, true),
			f.numExact("被仕向支店番号", it.BranchCode, 3),
			f.text("被仕向支店名", it.BranchName, 15, true),
			"0000", // 手形交換所番号: not used
			f.accountType("預金種目", it.AccountType, "1249"),
			f.numExact("口座番号", it.AccountNumber, 7),
			f.text("受取人名", it.Holder, HolderMax, false),
			amount,
			"0", // 新規コード: その他
			f.num("顧客コード1", it.CustomerCode1, 10),
			f.num("顧客コード2", it.CustomerCode2, 10),
			"7", // 振込指定区分: 電信扱
			" ", // 識別表示: 顧客コード are digits, not EDI
			spaces(7))
	}
	if total > TotalMax {
		bad = append(bad, "合計金額が大きすぎます")
		total = 0
	}
	rec("8", fmt.Sprintf("%06d", len(items)%1_000_000), fmt.Sprintf("%012d", total), spaces(101))
	rec("9", spaces(119))
	if bad != nil {
		return bad
	}
	_, err := w.Write(buf.Bytes())
	return err
}

type fieldChecker struct {
	where string
	bad   *Error
}

func (f fieldChecker) fail(name, msg string) {
	*f.bad = append(*f.bad, f.where+": "+name+msg)
}

// numExact is an N field that must have exactly n digits (codes and account numbers: a
// shorter one is an error, never padded).
func (f fieldChecker) numExact(name, v string, n int) string {
	if len(v) != n || !digits(v) {
		f.fail(name, fmt.Sprintf("は数字%d桁にしてください（今は「%s」）", n, v))
		return strings.Repeat("0", n)
	}
	return v
}

// num is an optional N field of up to n digits, right-aligned and zero-filled.
func (f fieldChecker) num(name, v string, n int) string {
	if v == "" {
		return strings.Repeat("0", n)
	}
	if len(v) > n || !digits(v) {
		f.fail(name, fmt.Sprintf("は数字%d桁以内にしてください（今は「%s」）", n, v))
		return strings.Repeat("0", n)
	}
	return strings.Repeat("0", n-len(v)) + v
}

func (f fieldChecker) accountType(name, v, allowed string) string {
	if len(v) != 1 || !strings.Contains(allowed, v) {
		f.fail(name, "は "+strings.Join(strings.Split(allowed, ""), "・")+" のいずれかにしてください")
		return "0"
	}
	return v
}

// text is a C field of n bytes in JIS8. With cut a longer value is shortened (names of banks
// and branches are for people; the codes decide); otherwise it is an error.
func (f fieldChecker) text(name, v string, n int, cut bool) string {
	b, badRune := jis8(v)
	if badRune != 0 {
		f.fail(name, fmt.Sprintf("に使えない文字「%c」があります（半角カナ・英大文字・数字・記号のみ）", badRune))
		return spaces(n)
	}
	if len(b) > n {
		if !cut {
			f.fail(name, fmt.Sprintf("が長すぎます（半角%d文字、上限は%d文字）", len(b), n))
			return spaces(n)
		}
		b = b[:n]
	}
	return string(b) + spaces(n-len(b))
}

// jis8 encodes s in JIS X 0201: printable ASCII as is, half-width katakana U+FF61–U+FF9F as
// 0xA1–0xDF. It returns the first rune that has no such byte. Lower-case letters are refused:
// banks take upper case only.
func jis8(s string) ([]byte, rune) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r >= ' ' && r <= '~' && !(r >= 'a' && r <= 'z'):
			out = append(out, byte(r))
		case r >= 0xFF61 && r <= 0xFF9F:
			out = append(out, byte(r-0xFF61+0xA1))
		default:
			if r == utf8.RuneError {
				r = '?'
			}
			return nil, r
		}
	}
	return out, 0
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func spaces(n int) string { return strings.Repeat(" ", n) }
