// Package jpcsv reads and writes CSV files the way Japanese back offices exchange them: Shift_JIS
// (CP932, Windows-31J) or UTF-8 with a BOM, CRLF line ends, RFC 4180 quoting, a header row,
// and errors that name the row as Excel numbers it (the header is row 1).
//
// Reading detects the encoding: a UTF-8 BOM or input that is valid UTF-8 is read as UTF-8,
// anything else as CP932. Japanese CP932 text is practically never valid UTF-8, and pure ASCII
// reads the same either way.
//
// Writing encodes the whole file before writing a byte. Characters CP932 cannot hold are
// reported with their row and column instead of becoming "?" or 0x1A; a few look-alikes that
// Unicode and CP932 disagree on (〜 − ‖ ¬ ¢ £ ¥ ‾ — and the no-break space) are mapped first,
// to the characters Windows itself produces when it reads CP932.
//
// Importers validate every row, collect RowErrors in a Collector (or use ParseAll), and write
// nothing unless the whole file is good.
package jpcsv

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
)

// Encoding is a file's character encoding.
type Encoding int

// The encodings kessai reads and writes.
const (
	UTF8  Encoding = iota // UTF-8; written with a BOM so Excel recognises it
	CP932                 // Shift_JIS as Windows writes it (Windows-31J)
	// CP932Replace writes CP932 with every character CP932 cannot hold replaced by 〓 (the
	// geta mark Japanese systems print for a missing character), for an export whose person
	// has seen the report of those rows and chose to go on. Never read.
	CP932Replace
)

// Unencodable is what CP932Replace writes for a character CP932 cannot hold.
const Unencodable = '〓'

func (e Encoding) String() string {
	switch e {
	case UTF8:
		return "utf-8"
	case CP932:
		return "cp932"
	case CP932Replace:
		return "cp932 (〓)"
	}
	return fmt.Sprintf("Encoding(%d)", int(e))
}

// Label is the Japanese name shown in export forms.
func (e Encoding) Label() string {
	switch e {
	case UTF8:
		return "UTF-8（BOM付き）"
	case CP932:
		return "Shift_JIS（Excel向け）"
	}
	return e.String()
}

// ParseEncoding reads an encoding name from a form or setting; it accepts the usual aliases.
func ParseEncoding(s string) (Encoding, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "utf-8", "utf8":
		return UTF8, nil
	case "cp932", "shift_jis", "shift-jis", "sjis", "windows-31j":
		return CP932, nil
	}
	return 0, fmt.Errorf("jpcsv: unknown encoding %q (use utf-8 or cp932)", s)
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// Detect guesses the encoding of a file's bytes, as NewReader does.
func Detect(b []byte) Encoding {
	if len(b) >= 3 && string(b[:3]) == string(bom) {
		return UTF8
	}
	if utf8.Valid(b) {
		return UTF8
	}
	return CP932
}

// cp932Fix maps characters that CP932 cannot encode to the ones Windows decodes CP932 into,
// so text that went through a Mac, a browser or a JIS-mapped file still round-trips.
var cp932Fix = strings.NewReplacer(
	"\u301C", "\uFF5E", // 〜 WAVE DASH → ～
	"\u2212", "\uFF0D", // − MINUS SIGN → －
	"\u2016", "\u2225", // ‖ DOUBLE VERTICAL LINE → ∥
	"\u00AC", "\uFFE2", // ¬ → ￢
	"\u00A2", "\uFFE0", // ¢ → ￠
	"\u00A3", "\uFFE1", // £ → ￡
	"\u00A5", "\uFFE5", // ¥ → ￥ (not 0x5C, which non-Japanese software shows as a backslash)
	"\u203E", "\uFFE3", // ‾ OVERLINE → ￣
	"\u2014", "\u2015", // — EM DASH → ― (0x815C)
	"\u00A0", " ", // no-break space
)

// encodeCP932 encodes one field. On failure it returns every rune that cannot be encoded.
// enc is reused across fields to save allocations; it is not safe for concurrent use.
func encodeCP932(enc *encoding.Encoder, s string) ([]byte, []rune) {
	s = cp932Fix.Replace(s)
	b, err := enc.Bytes([]byte(s))
	if err == nil {
		return b, nil
	}
	var bad []rune
	for _, r := range s {
		if _, err := enc.String(string(r)); err != nil {
			bad = append(bad, r)
		}
	}
	if bad == nil { // cannot happen if each rune encodes; keep the error visible anyway
		bad = []rune{utf8.RuneError}
	}
	return nil, bad
}
