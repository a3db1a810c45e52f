package jpcsv

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
)

// WriteAll encodes a header row and data rows as CSV with CRLF line ends, in CP932 or in UTF-8
// with a BOM, and writes it to w only if every field could be encoded. Otherwise it writes
// nothing and returns Errors naming each bad character by row (header = row 1) and column.
func WriteAll(w io.Writer, enc Encoding, header []string, rows [][]string) error {
	return writeAll(w, enc, header, rows, false)
}

// WriteAllRaw is WriteAll for files a provider's system reads, not a person's spreadsheet:
// cells are written exactly as given (no Neutralize).
func WriteAllRaw(w io.Writer, enc Encoding, header []string, rows [][]string) error {
	return writeAll(w, enc, header, rows, true)
}

func writeAll(w io.Writer, enc Encoding, header []string, rows [][]string, raw bool) error {
	var buf bytes.Buffer
	cw, err := newWriter(&buf, enc, header, raw)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write(r); err != nil {
			return err
		}
	}
	if err := cw.Close(); err != nil {
		return err
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("jpcsv: write: %w", err)
	}
	return nil
}

// Writer encodes rows one at a time, so an export of any size streams through a fixed buffer.
// A field that cannot be encoded is not written: its row is left out and the problem is kept,
// and Close reports every one as Errors — the caller that promised all-or-nothing (an export
// spooled to a file) then throws the output away.
type Writer struct {
	w      *bufio.Writer
	enc    Encoding
	sj     *encoding.Encoder
	header []string
	row    int
	c      Collector
	line   strings.Builder
	raw    bool // no Neutralize (WriteAllRaw)
}

// NewWriter writes the BOM (UTF-8) and the header row to w. Cells that would run as formulas
// in a spreadsheet are neutralised (Neutralize).
func NewWriter(w io.Writer, enc Encoding, header []string) (*Writer, error) {
	return newWriter(w, enc, header, false)
}

func newWriter(w io.Writer, enc Encoding, header []string, raw bool) (*Writer, error) {
	if enc != UTF8 && enc != CP932 && enc != CP932Replace {
		return nil, fmt.Errorf("jpcsv: unsupported encoding %v", enc)
	}
	cw := &Writer{w: bufio.NewWriterSize(w, 64<<10), enc: enc, sj: japanese.ShiftJIS.NewEncoder(), header: header, raw: raw}
	if enc == UTF8 {
		cw.w.Write(bom)
	}
	return cw, cw.Write(header)
}

// Write encodes one row. It returns only errors of the underlying writer.
func (cw *Writer) Write(fields []string) error {
	cw.row++
	cw.line.Reset()
	for i, f := range fields {
		if i > 0 {
			cw.line.WriteByte(',')
		}
		if !cw.raw {
			f = Neutralize(f)
		}
		cw.line.WriteString(quote(f))
	}
	cw.line.WriteString("\r\n")
	if cw.enc == UTF8 {
		_, err := cw.w.WriteString(cw.line.String())
		return err
	}
	// Encode the row in one go; only a failing row is encoded again field by field to name
	// the bad characters.
	if b, bad := encodeCP932(cw.sj, cw.line.String()); bad == nil {
		_, err := cw.w.Write(b)
		return err
	}
	if cw.enc == CP932Replace {
		b, _ := encodeCP932(cw.sj, replaceUnencodable(cw.sj, cw.line.String()))
		_, err := cw.w.Write(b)
		return err
	}
	for i, f := range fields {
		if _, bad := encodeCP932(cw.sj, f); bad != nil {
			cw.c.Add(RowError{Row: cw.row, Column: cw.column(i), Value: f, Message: unencodableMessage(bad)})
		}
	}
	return nil
}

// replaceUnencodable puts Unencodable in place of every character CP932 cannot hold.
func replaceUnencodable(enc *encoding.Encoder, s string) string {
	s = cp932Fix.Replace(s)
	return strings.Map(func(r rune) rune {
		if _, err := enc.String(string(r)); err != nil {
			return Unencodable
		}
		return r
	}, s)
}

func (cw *Writer) column(i int) string {
	if i < len(cw.header) && cw.header[i] != "" {
		return cw.header[i]
	}
	return fmt.Sprintf("%d列目", i+1)
}

// Close flushes what was written and returns the encoding problems of every row, if any.
func (cw *Writer) Close() error {
	if err := cw.w.Flush(); err != nil {
		return fmt.Errorf("jpcsv: write: %w", err)
	}
	return cw.c.Err()
}

// Neutralize keeps a spreadsheet from running a cell as a formula (CSV injection): a cell
// beginning with = + - @, a tab or a carriage return gets a leading apostrophe, which Excel
// and LibreOffice read as "text". Plain numbers (-500, +3.5) are left alone so amounts stay
// numbers. Every export goes through it; Reader takes the apostrophe off again, so an
// exported file imports as it was.
func Neutralize(f string) string {
	if f == "" || !strings.ContainsRune(formulaStarts, rune(f[0])) || isNumber(f) {
		return f
	}
	return "'" + f
}

const formulaStarts = "=+-@\t\r"

func isNumber(f string) bool {
	i := 0
	if f[0] == '+' || f[0] == '-' {
		i = 1
	}
	digits, dot := 0, false
	for ; i < len(f); i++ {
		switch c := f[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot && digits > 0:
			dot = true
		default:
			return false
		}
	}
	return digits > 0 && f[len(f)-1] != '.'
}

// unneutralize undoes Neutralize on a cell read back.
func unneutralize(f string) string {
	if len(f) >= 2 && f[0] == '\'' && strings.ContainsRune(formulaStarts, rune(f[1])) && !isNumber(f[1:]) {
		return f[1:]
	}
	return f
}

// quote applies RFC 4180 quoting. Line breaks inside a field become CRLF, as Excel writes them.
func quote(f string) string {
	if f == "" || !strings.ContainsAny(f, ",\"\r\n") && !startsOrEndsWithSpace(f) {
		return f
	}
	f = strings.ReplaceAll(f, "\r\n", "\n")
	f = strings.ReplaceAll(f, "\n", "\r\n")
	return `"` + strings.ReplaceAll(f, `"`, `""`) + `"`
}

func startsOrEndsWithSpace(f string) bool {
	return f[0] == ' ' || f[0] == '\t' || f[len(f)-1] == ' ' || f[len(f)-1] == '\t'
}

func unencodableMessage(bad []rune) string {
	var names []string
	for _, r := range bad {
		if unicode.IsGraphic(r) {
			names = append(names, fmt.Sprintf("「%c」", r))
		} else {
			names = append(names, fmt.Sprintf("「U+%04X」", r))
		}
	}
	return strings.Join(names, "") + "はShift_JIS（CP932）で保存できない文字です。別の文字に置き換えるか、UTF-8で出力してください"
}
