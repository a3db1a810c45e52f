package jpcsv

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/transform"
)

// Reader reads a CSV file whose first row is a header.
type Reader struct {
	csv     *csv.Reader
	enc     Encoding
	header  []string
	index   map[string]int
	row     int // Excel row of the last record read
	endLine int // input line on which the last record ended
}

// NewReader detects r's encoding and reads the header row. A file (an io.ReadSeeker, as an
// upload received on disk is) is read twice in fixed-size chunks — once to detect, once to
// parse — and never held in memory; any other reader is read whole first (limit its size with
// io.LimitReader or http.MaxBytesReader). Header names are trimmed; empty or duplicate names
// are an error, because columns are looked up by name.
func NewReader(r io.Reader) (*Reader, error) {
	if rs, ok := r.(io.ReadSeeker); ok {
		enc, err := detectStream(rs)
		if err != nil {
			return nil, err
		}
		if _, err := rs.Seek(0, io.SeekStart); err != nil {
			return nil, fmt.Errorf("jpcsv: rewind: %w", err)
		}
		return newReader(rs, enc)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("jpcsv: read: %w", err)
	}
	return newReader(bytes.NewReader(b), Detect(b))
}

// NewReaderEncoding is NewReader with the encoding given instead of detected; it streams r.
func NewReaderEncoding(r io.Reader, enc Encoding) (*Reader, error) { return newReader(r, enc) }

// detectStream is Detect over r read in chunks: UTF-8 when r starts with a BOM or is valid
// UTF-8 throughout, CP932 otherwise.
func detectStream(r io.Reader) (Encoding, error) {
	buf := make([]byte, 64<<10)
	var carry []byte // an incomplete UTF-8 sequence at the end of the previous chunk
	first := true
	for {
		n, err := io.ReadFull(r, buf[len(carry):])
		copy(buf, carry)
		chunk := buf[:len(carry)+n]
		if first && bytes.HasPrefix(chunk, bom) {
			return UTF8, nil
		}
		first = false
		cut := len(chunk)
		for i := len(chunk) - 1; i >= 0 && i >= len(chunk)-utf8.UTFMax; i-- {
			if utf8.RuneStart(chunk[i]) {
				if !utf8.FullRune(chunk[i:]) {
					cut = i
				}
				break
			}
		}
		if !utf8.Valid(chunk[:cut]) {
			return CP932, nil
		}
		carry = append([]byte(nil), chunk[cut:]...)
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			if len(carry) > 0 {
				return CP932, nil // a file cut inside a UTF-8 sequence is not UTF-8
			}
			return UTF8, nil
		case err != nil:
			return 0, fmt.Errorf("jpcsv: read: %w", err)
		}
	}
}

func newReader(src io.Reader, enc Encoding) (*Reader, error) {
	br := bufio.NewReaderSize(src, 64<<10)
	var in io.Reader = br
	switch enc {
	case UTF8:
		if b, _ := br.Peek(len(bom)); bytes.Equal(b, bom) {
			_, _ = br.Discard(len(bom))
		}
	case CP932:
		// Invalid bytes decode to U+FFFD, which CP932 text cannot otherwise contain;
		// Read reports them with their row.
		in = transform.NewReader(br, japanese.ShiftJIS.NewDecoder())
	default:
		return nil, fmt.Errorf("jpcsv: unsupported encoding %v", enc)
	}
	cr := csv.NewReader(in)
	cr.ReuseRecord = false
	r := &Reader{csv: cr, enc: enc}

	header, err := r.next()
	if errors.Is(err, io.EOF) {
		return nil, RowError{Row: 1, Message: "ファイルが空です。1行目に見出し行が必要です"}
	}
	if err != nil {
		return nil, err
	}
	r.csv.FieldsPerRecord = len(header)
	r.index = make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		header[i] = h
		switch _, dup := r.index[h]; {
		case h == "":
			return nil, RowError{Row: 1, Message: fmt.Sprintf("%d列目の見出しが空です", i+1)}
		case dup:
			return nil, RowError{Row: 1, Column: h, Message: "同じ見出しが2回あります"}
		}
		r.index[h] = i
	}
	r.header = header
	return r, nil
}

// next reads one record and keeps the Excel row number in step with the file, counting blank
// lines (which encoding/csv skips but Excel shows) and quoted line breaks (which Excel keeps
// inside one cell).
func (r *Reader) next() ([]string, error) {
	rec, err := r.csv.Read()
	var pe *csv.ParseError
	fieldCount := errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount)
	if err == nil || fieldCount {
		line, _ := r.csv.FieldPos(0)
		r.row += max(1, line-r.endLine)
		last := len(rec) - 1
		lastLine, _ := r.csv.FieldPos(last)
		r.endLine = lastLine + strings.Count(rec[last], "\n")
	}
	switch {
	case err == nil:
	case errors.Is(err, io.EOF):
		return nil, io.EOF
	case fieldCount:
		return rec, RowError{Row: r.row, Message: fmt.Sprintf("項目の数が%d個です。見出し行と同じ%d個にしてください", len(rec), r.csv.FieldsPerRecord)}
	case errors.As(err, &pe):
		// The reader cannot resynchronise after a quoting error, so this ends the file. Excel
		// rows and file lines agree up to here unless a cell held a line break.
		row := r.row + max(1, pe.StartLine-r.endLine)
		return nil, fatalError{RowError{Row: row, Message: "「\"」（ダブルクォート）の使い方が正しくありません。項目内の「\"」は「\"\"」と2つ重ねてください"}}
	default:
		return nil, fmt.Errorf("jpcsv: %w", err)
	}
	if r.enc == CP932 {
		for i, f := range rec {
			if strings.ContainsRune(f, '\uFFFD') {
				col := ""
				if i < len(r.header) {
					col = r.header[i]
				}
				return rec, RowError{Row: r.row, Column: col, Message: "文字コードを読み取れない文字があります。Shift_JIS か UTF-8 で保存し直してください"}
			}
		}
	}
	return rec, nil
}

// fatalError marks a RowError after which the file cannot be read further.
type fatalError struct{ RowError }

func (e fatalError) Unwrap() error { return e.RowError }

// IsFatal reports whether err from Read means no further rows can be read.
func IsFatal(err error) bool {
	var f fatalError
	return errors.As(err, &f) || (err != nil && !errors.As(err, new(RowError)))
}

// Read returns the next record, or io.EOF after the last one. A RowError about one row (wrong
// number of fields, undecodable bytes) can be collected and reading continued; after an error
// for which IsFatal is true, stop.
//
// Rows whose cells are all empty (Excel writes ",,," for formatted blank rows) are skipped,
// though they still count for row numbers.
func (r *Reader) Read() (Record, error) {
	for {
		rec, err := r.next()
		if rec == nil {
			return Record{}, err
		}
		if err == nil && isBlank(rec) {
			continue
		}
		for i, f := range rec {
			rec[i] = unneutralize(f) // a cell kessai exported with a protective apostrophe
		}
		return Record{Row: r.row, fields: rec, index: r.index}, err
	}
}

func isBlank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// Header returns the column names in file order.
func (r *Reader) Header() []string { return r.header }

// Encoding returns the detected (or given) encoding.
func (r *Reader) Encoding() Encoding { return r.enc }

// Require reports every missing column at once, as errors on row 1.
func (r *Reader) Require(columns ...string) error {
	var c Collector
	for _, name := range columns {
		if _, ok := r.index[name]; !ok {
			c.Add(RowError{Row: 1, Column: name, Message: "見出し行にこの列がありません"})
		}
	}
	return c.Err()
}

// Record is one data row.
type Record struct {
	Row    int // Excel row number; the header is row 1
	fields []string
	index  map[string]int
}

// Get returns the value of a column, or "" if the file has no such column.
func (r Record) Get(name string) string {
	v, _ := r.Lookup(name)
	return v
}

// Lookup returns the value of a column and whether the file has it.
func (r Record) Lookup(name string) (string, bool) {
	i, ok := r.index[name]
	if !ok || i >= len(r.fields) {
		return "", false
	}
	return r.fields[i], true
}

// Values returns the fields in file order.
func (r Record) Values() []string { return r.fields }

// Error makes a RowError about one column of this record, with its value.
func (r Record) Error(column, message string) RowError {
	return RowError{Row: r.Row, Column: column, Value: r.Get(column), Message: message}
}

// ParseAll reads every record, converts each with parse and collects every problem: structural
// errors from the reader and errors returned by parse (a RowError, Errors, or any error, which
// is attributed to the record's row). It returns the converted rows only if the whole file is
// good, so an importer can write all of them or none.
func ParseAll[T any](r *Reader, parse func(Record) (T, error)) ([]T, error) {
	var (
		c   Collector
		out []T
	)
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if !errors.As(err, new(RowError)) {
				return nil, err // an I/O failure, not the file's fault
			}
			c.AddErr(rec.Row, err)
			if IsFatal(err) {
				break
			}
			continue
		}
		v, err := parse(rec)
		if err != nil {
			c.AddErr(rec.Row, err)
			continue
		}
		out = append(out, v)
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
