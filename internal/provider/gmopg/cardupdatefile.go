package gmopg

// This file is the ONE definition of the card update (自動洗替) files exchanged over SFTP. GMO-PG
// does not publish the SFTP option's layouts; everything below is an ASSUMPTION modelled on the
// published admin-screen 洗替 CSV (no header, quoted fields, Shift_JIS, CRLF; columns 会員ID,
// カード登録連番, 加盟店自由項目) and on the documented result codes (0 OK, 1 有効性NG, 2 照合エラー,
// 3 入力データエラー). When a real sample arrives, correct it here — directories, names,
// columns, trailer — and the room and the simulator follow. docs/gmopg-cardupdate-files.md
// shows the same layout with examples.
//
// Common to both files:
//   - Encoding Windows-31J (CP932); every record ends with CRLF; no header row.
//   - Fields are separated by "," and always written in double quotes ("" inside a field is a
//     quote); the reader also accepts unquoted fields. A field never holds CR or LF.
//   - The last record is the trailer "#END","<number of data records>". A file that ends without
//     it, whose last line has no CRLF, whose count disagrees or that has anything after it is
//     truncated or damaged and is refused as a whole (*FileError).
//   - Records are keyed by 会員ID; one 会員ID appears at most once per request file (GMO-PG's
//     E01240012 "会員IDがファイル内で重複" exists for exactly this).
//
// Request file (merchant → GMO-PG), in RequestDir, named RequestFileName(siteID, month):
//
//	1 会員ID          MemberID, 1–60 of A–Z a–z 0–9 . - _ @
//	2 カード登録連番  CardSeq, 0–9999, or empty for the member's 洗替 target (DefaultFlag=1) card
//	3 加盟店自由項目  at most 50 bytes in CP932; echoed in the result
//
// Result file (GMO-PG → merchant), in ResultDir, named ResultFileName(siteID, month), one record
// per request record in the same order:
//
//	1 会員ID
//	2 カード登録連番  the card actually checked (never empty)
//	3 加盟店自由項目  as sent
//	4 洗替結果        0 有効性OK, 1 有効性NG, 2 照合エラー, 3 入力データエラー
//	5 更新区分        empty: no change, 1: new expiry, 2: new card number (and expiry); only with 0
//	6 更新前有効期限  YYMM as stored before, empty when the card was not found
//	7 更新後有効期限  YYMM after the update (= 更新前 when unchanged), empty unless 洗替結果 is 0
//	8 更新後カード番号 the new number masked (e.g. *************234), only with 更新区分 2
//	9 エラーコード    GMO-PG ErrInfo for a record that could not be checked (E01390002 no such
//	                  member, E01240002 no such card, E01240012 member twice in the file), else empty
//
// A request file GMO-PG cannot read at all (bad record, truncated) gets no result file but an
// error file, ErrorFileName(siteID, month), in ResultDir: records "<行番号>","<項目>","<内容>"
// and the trailer, same encoding rules.
//
// Timing (also an assumption, configurable on both sides): the request for month YYYYMM is
// uploaded before that month's result day (default the 27th) and processed at 0:00 JST on it;
// a second request file for the same month is refused at upload.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/encoding/japanese"

	"kessai/internal/platform/clock"
)

// Directories on GMO-PG's SFTP server (assumed).
const (
	RequestDir = "/upload"
	ResultDir  = "/download"
)

// File name parts (assumed): CU_REQ_<SiteID>_<YYYYMM>.csv and so on.
const (
	requestPrefix = "CU_REQ_"
	resultPrefix  = "CU_RES_"
	errorPrefix   = "CU_ERR_"
	fileSuffix    = ".csv"
	trailerMark   = "#END"
)

// DefaultResultDay is the day of the month results are ready, at 0:00 JST.
const DefaultResultDay = 27

// MonthOf returns t's JST month as YYYYMM, the month part of the file names.
func MonthOf(t time.Time) string { return t.In(clock.JST).Format("200601") }

// RequestFileName is the request file's name for a site and month (YYYYMM).
func RequestFileName(siteID, month string) string {
	return requestPrefix + siteID + "_" + month + fileSuffix
}

// ResultFileName is the result file's name.
func ResultFileName(siteID, month string) string {
	return resultPrefix + siteID + "_" + month + fileSuffix
}

// ErrorFileName is the name of the file GMO-PG writes instead of a result when it cannot read
// the request.
func ErrorFileName(siteID, month string) string {
	return errorPrefix + siteID + "_" + month + fileSuffix
}

// ParseRequestFileName reads a request file name back into site and month.
func ParseRequestFileName(name string) (siteID, month string, ok bool) {
	rest, ok := strings.CutPrefix(name, requestPrefix)
	if !ok {
		return "", "", false
	}
	rest, ok = strings.CutSuffix(rest, fileSuffix)
	if !ok {
		return "", "", false
	}
	i := strings.LastIndexByte(rest, '_')
	if i <= 0 {
		return "", "", false
	}
	siteID, month = rest[:i], rest[i+1:]
	if _, err := time.Parse("200601", month); err != nil || len(month) != 6 {
		return "", "", false
	}
	return siteID, month, true
}

// DefaultCardSeq in a request row means "the member's 洗替 target card" (an empty column).
const DefaultCardSeq = -1

// UpdateRequestRow is one request record.
type UpdateRequestRow struct {
	MemberID  string
	CardSeq   int // DefaultCardSeq for the target card
	FreeField string
}

// ResultCode is the 洗替結果.
type ResultCode int

const (
	ResultOK         ResultCode = 0 // 有効性OK
	ResultInvalid    ResultCode = 1 // 有効性NG: the card company says the card cannot be used
	ResultMismatch   ResultCode = 2 // 照合エラー
	ResultInputError ResultCode = 3 // 入力データエラー
)

// Label is the Japanese name of the result.
func (r ResultCode) Label() string {
	switch r {
	case ResultOK:
		return "有効性OK"
	case ResultInvalid:
		return "有効性NG"
	case ResultMismatch:
		return "照合エラー"
	case ResultInputError:
		return "入力データエラー"
	}
	return fmt.Sprintf("不明(%d)", int(r))
}

// Failed reports whether the card must be kept out of billing until a new one is registered.
func (r ResultCode) Failed() bool { return r != ResultOK }

// ChangeKind is the 更新区分.
type ChangeKind int

const (
	NoChange  ChangeKind = 0 // empty column
	NewExpiry ChangeKind = 1
	NewNumber ChangeKind = 2
)

// UpdateResultRow is one result record.
type UpdateResultRow struct {
	MemberID    string
	CardSeq     int
	FreeField   string
	Result      ResultCode
	Change      ChangeKind
	OldExpire   string // YYMM
	NewExpire   string // YYMM
	NewMaskedNo string
	ErrInfo     string
}

// FileErrorRow is one record of an error file.
type FileErrorRow struct {
	Row     int
	Field   string
	Message string
}

// RowError is one bad record: its row (line) number, the column and why.
type RowError struct {
	Row    int
	Column string
	Value  string
	Msg    string
}

func (e *RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("%d行目: %s", e.Row, e.Msg)
	}
	if e.Value != "" {
		return fmt.Sprintf("%d行目 %s「%s」: %s", e.Row, e.Column, shorten(e.Value, 40), e.Msg)
	}
	return fmt.Sprintf("%d行目 %s: %s", e.Row, e.Column, e.Msg)
}

// FileError is a file that cannot be read as a whole: truncated, or damaged after the trailer.
// Nothing of such a file may be applied.
type FileError struct {
	Row int // the line where reading stopped
	Msg string
}

func (e *FileError) Error() string {
	return fmt.Sprintf("ファイルが不完全です（%d行目）: %s", e.Row, e.Msg)
}

// IsFileError reports whether err is a *FileError.
func IsFileError(err error) bool {
	_, ok := errors.AsType[*FileError](err)
	return ok
}

func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// Column names, for errors.
const (
	colMemberID  = "会員ID"
	colCardSeq   = "カード登録連番"
	colFreeField = "加盟店自由項目"
	colResult    = "洗替結果"
	colChange    = "更新区分"
	colOldExpire = "更新前有効期限"
	colNewExpire = "更新後有効期限"
	colNewNo     = "更新後カード番号"
	colErrInfo   = "エラーコード"
)

// ValidMemberID reports whether id can be a 会員ID in the files (and at GMO-PG).
func ValidMemberID(id string) bool {
	if id == "" || len(id) > 60 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' || c == '@') {
			return false
		}
	}
	return true
}

func validExpire(s string) bool {
	if len(s) != 4 {
		return false
	}
	for i := range 4 {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	m := (s[2]-'0')*10 + (s[3] - '0')
	return m >= 1 && m <= 12
}

// recordWriter writes quoted CP932 records with CRLF and the trailer.
type recordWriter struct {
	w    *bufio.Writer
	enc  func([]byte) ([]byte, error)
	rows int
	buf  []byte
	err  error
}

func newRecordWriter(w io.Writer) *recordWriter {
	e := japanese.ShiftJIS.NewEncoder()
	return &recordWriter{w: bufio.NewWriterSize(w, 64<<10), enc: e.Bytes}
}

// encodeField encodes one field to CP932, failing with the characters it cannot hold.
func (rw *recordWriter) encodeField(s string) ([]byte, error) {
	if isASCIIString(s) {
		return []byte(s), nil
	}
	b, err := rw.enc([]byte(cp932Fix.Replace(s)))
	if err != nil {
		_, err := EncodeCP932(s)
		return nil, err
	}
	return b, nil
}

func isASCIIString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// write writes one record of already-encoded fields.
func (rw *recordWriter) write(fields [][]byte) error {
	if rw.err != nil {
		return rw.err
	}
	b := rw.buf[:0]
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		for _, c := range f {
			if c == '"' {
				b = append(b, '"')
			}
			b = append(b, c)
		}
		b = append(b, '"')
	}
	b = append(b, '\r', '\n')
	rw.buf = b
	if _, err := rw.w.Write(b); err != nil {
		rw.err = fmt.Errorf("gmopg: write card update file: %w", err)
		return rw.err
	}
	return nil
}

func (rw *recordWriter) close() error {
	if rw.err != nil {
		return rw.err
	}
	if err := rw.write([][]byte{[]byte(trailerMark), []byte(strconv.Itoa(rw.rows))}); err != nil {
		return err
	}
	if err := rw.w.Flush(); err != nil {
		return fmt.Errorf("gmopg: write card update file: %w", err)
	}
	return nil
}

// textField checks a free-text field: no line breaks, at most max CP932 bytes.
func (rw *recordWriter) textField(row int, col, s string, maxBytes int) ([]byte, *RowError) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, &RowError{Row: row, Column: col, Value: s, Msg: "改行は使えません"}
	}
	b, err := rw.encodeField(s)
	if err != nil {
		return nil, &RowError{Row: row, Column: col, Value: s, Msg: err.Error()}
	}
	if len(b) > maxBytes {
		return nil, &RowError{Row: row, Column: col, Value: s, Msg: fmt.Sprintf("%dバイト以内にしてください（Shift_JISで%dバイト）", maxBytes, len(b))}
	}
	return b, nil
}

func seqField(seq int) []byte {
	if seq == DefaultCardSeq {
		return nil
	}
	return []byte(strconv.Itoa(seq))
}

// RequestWriter streams a request file. A row that breaks the layout is refused with a
// *RowError and not written; the writer stays usable, so a caller can collect every bad row.
type RequestWriter struct{ rw *recordWriter }

// NewRequestWriter writes a request file to w. Call Close to write the trailer.
func NewRequestWriter(w io.Writer) *RequestWriter { return &RequestWriter{newRecordWriter(w)} }

// Write writes one record.
func (w *RequestWriter) Write(r UpdateRequestRow) error {
	row := w.rw.rows + 1
	if !ValidMemberID(r.MemberID) {
		return &RowError{Row: row, Column: colMemberID, Value: r.MemberID, Msg: "1〜60文字の半角英数字と . - _ @ で指定してください"}
	}
	if r.CardSeq < DefaultCardSeq || r.CardSeq > 9999 {
		return &RowError{Row: row, Column: colCardSeq, Value: strconv.Itoa(r.CardSeq), Msg: "0〜9999 か空欄（洗替対象カード）です"}
	}
	free, rerr := w.rw.textField(row, colFreeField, r.FreeField, 50)
	if rerr != nil {
		return rerr
	}
	if err := w.rw.write([][]byte{[]byte(r.MemberID), seqField(r.CardSeq), free}); err != nil {
		return err
	}
	w.rw.rows++
	return nil
}

// Rows is how many records were written.
func (w *RequestWriter) Rows() int { return w.rw.rows }

// Close writes the trailer and flushes. It does not close the underlying writer.
func (w *RequestWriter) Close() error { return w.rw.close() }

// ResultWriter streams a result file (the simulator writes them; tests build bad ones).
type ResultWriter struct{ rw *recordWriter }

// NewResultWriter writes a result file to w.
func NewResultWriter(w io.Writer) *ResultWriter { return &ResultWriter{newRecordWriter(w)} }

// Write writes one record.
func (w *ResultWriter) Write(r UpdateResultRow) error {
	row := w.rw.rows + 1
	if rerr := checkResult(row, r); rerr != nil {
		return rerr
	}
	free, rerr := w.rw.textField(row, colFreeField, r.FreeField, 50)
	if rerr != nil {
		return rerr
	}
	change := []byte(nil)
	if r.Change != NoChange {
		change = []byte(strconv.Itoa(int(r.Change)))
	}
	if err := w.rw.write([][]byte{[]byte(r.MemberID), []byte(strconv.Itoa(r.CardSeq)), free,
		[]byte(strconv.Itoa(int(r.Result))), change, []byte(r.OldExpire), []byte(r.NewExpire),
		[]byte(r.NewMaskedNo), []byte(r.ErrInfo)}); err != nil {
		return err
	}
	w.rw.rows++
	return nil
}

// Rows is how many records were written.
func (w *ResultWriter) Rows() int { return w.rw.rows }

// Close writes the trailer and flushes.
func (w *ResultWriter) Close() error { return w.rw.close() }

// checkResult holds the result layout's rules, shared by the writer and the reader.
func checkResult(row int, r UpdateResultRow) *RowError {
	switch {
	case !ValidMemberID(r.MemberID):
		return &RowError{Row: row, Column: colMemberID, Value: r.MemberID, Msg: "1〜60文字の半角英数字と . - _ @ で指定してください"}
	case r.CardSeq < 0 || r.CardSeq > 9999:
		return &RowError{Row: row, Column: colCardSeq, Value: strconv.Itoa(r.CardSeq), Msg: "0〜9999 で指定してください"}
	case r.Result < ResultOK || r.Result > ResultInputError:
		return &RowError{Row: row, Column: colResult, Value: strconv.Itoa(int(r.Result)), Msg: "0, 1, 2, 3 のいずれかです"}
	case r.Change < NoChange || r.Change > NewNumber:
		return &RowError{Row: row, Column: colChange, Value: strconv.Itoa(int(r.Change)), Msg: "空欄, 1, 2 のいずれかです"}
	case r.Change != NoChange && r.Result != ResultOK:
		return &RowError{Row: row, Column: colChange, Value: strconv.Itoa(int(r.Change)), Msg: "洗替結果が 0 のときだけ指定できます"}
	case r.OldExpire != "" && !validExpire(r.OldExpire):
		return &RowError{Row: row, Column: colOldExpire, Value: r.OldExpire, Msg: "YYMM の4桁です"}
	case r.NewExpire != "" && !validExpire(r.NewExpire):
		return &RowError{Row: row, Column: colNewExpire, Value: r.NewExpire, Msg: "YYMM の4桁です"}
	case r.Result == ResultOK && r.NewExpire == "":
		return &RowError{Row: row, Column: colNewExpire, Msg: "洗替結果が 0 のときは必須です"}
	case r.Change == NewNumber && r.NewMaskedNo == "":
		return &RowError{Row: row, Column: colNewNo, Msg: "更新区分が 2 のときは必須です"}
	case r.Change != NewNumber && r.NewMaskedNo != "":
		return &RowError{Row: row, Column: colNewNo, Value: r.NewMaskedNo, Msg: "更新区分が 2 のときだけ指定できます"}
	case len(r.NewMaskedNo) > 19 || strings.Trim(r.NewMaskedNo, "0123456789*") != "":
		return &RowError{Row: row, Column: colNewNo, Value: r.NewMaskedNo, Msg: "数字と * の19文字以内です"}
	case r.ErrInfo != "" && (len(r.ErrInfo) != 9 || strings.Trim(r.ErrInfo, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != ""):
		return &RowError{Row: row, Column: colErrInfo, Value: r.ErrInfo, Msg: "9文字の英数字です"}
	}
	return nil
}

// recordReader reads the records of a card update file, one line at a time, so a file of any
// size is read in bounded memory.
type recordReader struct {
	br     *bufio.Reader
	dec    func([]byte) ([]byte, error)
	line   int
	rows   int
	done   bool
	fields []string
}

func newRecordReader(r io.Reader) *recordReader {
	d := japanese.ShiftJIS.NewDecoder()
	return &recordReader{br: bufio.NewReaderSize(r, 64<<10), dec: d.Bytes}
}

// next returns the fields of the next data record, io.EOF after a good trailer, a *FileError
// for a truncated or damaged file and a *RowError for a record that cannot be split.
func (rr *recordReader) next(want int) ([]string, error) {
	if rr.done {
		return nil, io.EOF
	}
	raw, err := rr.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		rr.line++
		return nil, &FileError{Row: rr.line, Msg: "1行が長すぎます"}
	}
	if err == io.EOF {
		if len(raw) == 0 {
			return nil, &FileError{Row: rr.line + 1, Msg: "終了レコード（\"#END\"）がありません"}
		}
		rr.line++
		return nil, &FileError{Row: rr.line, Msg: "最終行が改行（CRLF）で終わっていません"}
	}
	if err != nil {
		return nil, fmt.Errorf("gmopg: read card update file: %w", err)
	}
	rr.line++
	if len(raw) < 2 || raw[len(raw)-2] != '\r' {
		rr.rows++
		return nil, &RowError{Row: rr.line, Msg: "改行が CRLF ではありません"}
	}
	body := raw[:len(raw)-2]
	var text string
	if isASCII(body) {
		text = string(body)
	} else {
		b, err := rr.dec(body)
		if err != nil || bytes.ContainsRune(b, '\uFFFD') {
			rr.rows++
			return nil, &RowError{Row: rr.line, Msg: "Shift_JIS（CP932）として読めない文字があります"}
		}
		text = string(b)
	}
	fields, perr := splitRecord(text, rr.fields[:0])
	rr.fields = fields
	if perr == "" && len(fields) > 0 && fields[0] == trailerMark {
		return nil, rr.trailer(fields)
	}
	rr.rows++ // every data line counts, bad ones too, so the trailer check stays meaningful
	if perr != "" {
		return nil, &RowError{Row: rr.line, Msg: perr}
	}
	if len(fields) != want {
		return nil, &RowError{Row: rr.line, Msg: fmt.Sprintf("項目数が %d です（%d 項目のはずです）", len(fields), want)}
	}
	return fields, nil
}

func (rr *recordReader) trailer(fields []string) error {
	n, err := strconv.Atoi(fieldAt(fields, 1))
	if len(fields) != 2 || err != nil {
		return &FileError{Row: rr.line, Msg: "終了レコードの形式が正しくありません"}
	}
	if n != rr.rows {
		return &FileError{Row: rr.line, Msg: fmt.Sprintf("終了レコードの件数 %d とデータ行数 %d が一致しません", n, rr.rows)}
	}
	if _, err := rr.br.ReadByte(); err != io.EOF {
		return &FileError{Row: rr.line + 1, Msg: "終了レコードの後にデータがあります"}
	}
	rr.done = true
	return io.EOF
}

func fieldAt(f []string, i int) string {
	if i < len(f) {
		return f[i]
	}
	return ""
}

// splitRecord splits one CSV record (no line breaks inside fields). It returns a message for a
// malformed quote.
func splitRecord(s string, out []string) ([]string, string) {
	for {
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
			for {
				j := strings.IndexByte(s[i:], '"')
				if j < 0 {
					return out, "引用符（\"）が閉じていません"
				}
				b.WriteString(s[i : i+j])
				i += j + 1
				if i < len(s) && s[i] == '"' {
					b.WriteByte('"')
					i++
					continue
				}
				break
			}
			out = append(out, b.String())
			s = s[i:]
			if s == "" {
				return out, ""
			}
			if s[0] != ',' {
				return out, "引用符（\"）の後に区切りのカンマがありません"
			}
			s = s[1:]
			continue
		}
		j := strings.IndexByte(s, ',')
		if j < 0 {
			if strings.ContainsRune(s, '"') {
				return out, "引用符（\"）の位置が正しくありません"
			}
			return append(out, s), ""
		}
		if strings.ContainsRune(s[:j], '"') {
			return out, "引用符（\"）の位置が正しくありません"
		}
		out = append(out, s[:j])
		s = s[j+1:]
	}
}

// RequestReader streams a request file (the simulator reads them; tests check round trips).
type RequestReader struct{ rr *recordReader }

// NewRequestReader reads a request file from r.
func NewRequestReader(r io.Reader) *RequestReader { return &RequestReader{newRecordReader(r)} }

// Read returns the next record; io.EOF after the trailer. A *RowError is one bad record (reading
// may go on to find the others); a *FileError is fatal.
func (r *RequestReader) Read() (UpdateRequestRow, error) {
	f, err := r.rr.next(3)
	if err != nil {
		return UpdateRequestRow{}, err
	}
	row := r.rr.line
	out := UpdateRequestRow{MemberID: f[0], CardSeq: DefaultCardSeq, FreeField: f[2]}
	if !ValidMemberID(f[0]) {
		return out, &RowError{Row: row, Column: colMemberID, Value: f[0], Msg: "1〜60文字の半角英数字と . - _ @ で指定してください"}
	}
	if f[1] != "" {
		n, err := strconv.Atoi(f[1])
		if err != nil || n < 0 || n > 9999 || strings.TrimLeft(f[1], "0123456789") != "" {
			return out, &RowError{Row: row, Column: colCardSeq, Value: f[1], Msg: "0〜9999 か空欄です"}
		}
		out.CardSeq = n
	}
	if n := cp932Len(f[2]); n > 50 {
		return out, &RowError{Row: row, Column: colFreeField, Value: f[2], Msg: "50バイトを超えています"}
	}
	return out, nil
}

// Row is the line number of the record Read returned last.
func (r *RequestReader) Row() int { return r.rr.line }

// ResultReader streams a result file. Checking that each 会員ID is one kessai sent is the
// caller's job; the reader checks the layout and that the file is whole.
type ResultReader struct{ rr *recordReader }

// NewResultReader reads a result file from r.
func NewResultReader(r io.Reader) *ResultReader { return &ResultReader{newRecordReader(r)} }

// Read returns the next record; io.EOF after the trailer; *RowError for a bad record (reading
// may go on); *FileError when the file is truncated or damaged (stop: apply nothing).
func (r *ResultReader) Read() (UpdateResultRow, error) {
	f, err := r.rr.next(9)
	if err != nil {
		return UpdateResultRow{}, err
	}
	row := r.rr.line
	out := UpdateResultRow{MemberID: f[0], FreeField: f[2], OldExpire: f[5], NewExpire: f[6], NewMaskedNo: f[7], ErrInfo: f[8]}
	num := func(col, s string, allowEmpty bool) (int, *RowError) {
		if s == "" && allowEmpty {
			return 0, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || strings.TrimLeft(s, "0123456789") != "" {
			return 0, &RowError{Row: row, Column: col, Value: s, Msg: "数字ではありません"}
		}
		return n, nil
	}
	var rerr *RowError
	if out.CardSeq, rerr = num(colCardSeq, f[1], false); rerr != nil {
		return out, rerr
	}
	var n int
	if n, rerr = num(colResult, f[3], false); rerr != nil {
		return out, rerr
	}
	out.Result = ResultCode(n)
	if n, rerr = num(colChange, f[4], true); rerr != nil {
		return out, rerr
	}
	out.Change = ChangeKind(n)
	if rerr := checkResult(row, out); rerr != nil {
		return out, rerr
	}
	return out, nil
}

// Row is the line number of the record Read returned last.
func (r *ResultReader) Row() int { return r.rr.line }

// WriteErrorFile writes an error file (the simulator's answer to an unreadable request).
func WriteErrorFile(w io.Writer, rows []FileErrorRow) error {
	rw := newRecordWriter(w)
	for _, r := range rows {
		field, err := rw.encodeField(strings.NewReplacer("\r", " ", "\n", " ").Replace(r.Field))
		if err != nil {
			return err
		}
		msg, err := rw.encodeField(strings.NewReplacer("\r", " ", "\n", " ").Replace(r.Message))
		if err != nil {
			return err
		}
		if err := rw.write([][]byte{[]byte(strconv.Itoa(r.Row)), field, msg}); err != nil {
			return err
		}
		rw.rows++
	}
	return rw.close()
}

// ReadErrorFile reads an error file whole (it holds at most a few hundred records).
func ReadErrorFile(r io.Reader) ([]FileErrorRow, error) {
	rr := newRecordReader(r)
	var out []FileErrorRow
	for {
		f, err := rr.next(3)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		n, _ := strconv.Atoi(f[0])
		out = append(out, FileErrorRow{Row: n, Field: f[1], Message: f[2]})
	}
}

// cp932Len is the length of s in CP932 bytes (ASCII without encoding it).
func cp932Len(s string) int {
	if isASCIIString(s) {
		return len(s)
	}
	b, _ := EncodeCP932(s)
	return len(b)
}

// FileErrors is every problem found in a file, in row order: *RowError values and at most one
// *FileError (last).
type FileErrors []error

func (es FileErrors) Error() string {
	parts := make([]string, 0, min(len(es), 5)+1)
	for _, e := range es[:min(len(es), 5)] {
		parts = append(parts, e.Error())
	}
	if len(es) > 5 {
		parts = append(parts, fmt.Sprintf("ほか%d件", len(es)-5))
	}
	return "洗替結果ファイルに誤りがあります: " + strings.Join(parts, "; ")
}

func (es FileErrors) Unwrap() []error { return es }

// CheckResultFile reads a whole result file without applying anything and reports every
// problem with its row number (up to maxErrors, 100 when ≤ 0): bad records, a truncated or
// damaged file, and, when known is not nil, 会員IDs known says were not in the request. It
// returns the number of data records. Apply a file only after it checked clean; read it again
// with NewResultReader to apply it.
func CheckResultFile(r io.Reader, known func(memberID string) bool, maxErrors int) (int, error) {
	if maxErrors <= 0 {
		maxErrors = 100
	}
	rr := NewResultReader(r)
	var errs FileErrors
	rows := 0
	for len(errs) < maxErrors {
		row, err := rr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) {
				errs = append(errs, err)
				break
			}
			rows++
			errs = append(errs, err)
			continue
		}
		rows++
		if known != nil && !known(row.MemberID) {
			errs = append(errs, &RowError{Row: rr.Row(), Column: colMemberID, Value: row.MemberID, Msg: "洗替依頼に含まれていない会員IDです"})
		}
	}
	if len(errs) > 0 {
		return rows, errs
	}
	return rows, nil
}
