package jpcsv

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode"

	"golang.org/x/text/encoding/japanese"
)

// WriteAll encodes a header row and data rows as CSV with CRLF line ends, in CP932 or in UTF-8
// with a BOM, and writes it to w only if every field could be encoded. Otherwise it writes
// nothing and returns Errors naming each bad character by row (header = row 1) and column.
func WriteAll(w io.Writer, enc Encoding, header []string, rows [][]string) error {
	var (
		buf bytes.Buffer
		c   Collector
		sj  = japanese.ShiftJIS.NewEncoder()
	)
	if enc == UTF8 {
		buf.Write(bom)
	}
	column := func(i int) string {
		if i < len(header) && header[i] != "" {
			return header[i]
		}
		return fmt.Sprintf("%d列目", i+1)
	}
	var line strings.Builder
	writeRow := func(row int, fields []string) {
		line.Reset()
		for i, f := range fields {
			if i > 0 {
				line.WriteByte(',')
			}
			line.WriteString(quote(f))
		}
		line.WriteString("\r\n")
		if enc == UTF8 {
			buf.WriteString(line.String())
			return
		}
		// Encode the row in one go; only a failing row is encoded again field by field to
		// name the bad characters.
		if b, bad := encodeCP932(sj, line.String()); bad == nil {
			buf.Write(b)
			return
		}
		for i, f := range fields {
			if _, bad := encodeCP932(sj, f); bad != nil {
				c.Add(RowError{Row: row, Column: column(i), Value: f, Message: unencodableMessage(bad)})
			}
		}
	}
	if enc != UTF8 && enc != CP932 {
		return fmt.Errorf("jpcsv: unsupported encoding %v", enc)
	}
	writeRow(1, header)
	for i, r := range rows {
		writeRow(i+2, r)
	}
	if err := c.Err(); err != nil {
		return err
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("jpcsv: write: %w", err)
	}
	return nil
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
