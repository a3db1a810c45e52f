package gmopgsim

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"kessai/internal/provider/gmopg"
)

// upload is one accepted card update request file.
type upload struct {
	Month       string    `json:"month"`
	Name        string    `json:"name"`
	UploadedAt  time.Time `json:"uploaded_at"`
	Size        int64     `json:"size"`
	Processed   bool      `json:"processed"`
	ProcessedAt time.Time `json:"processed_at"`
	Rows        int       `json:"rows"`
	Counts      [4]int    `json:"counts"` // by result code
	ResultFile  string    `json:"result_file,omitempty"`
	ErrorFile   string    `json:"error_file,omitempty"`
	Errors      []string  `json:"errors,omitempty"`
	Pending     bool      `json:"pending"` // being written over SFTP; dropped at load
}

// resultTime is 0:00 JST on the result day of month (YYYYMM).
func (s *Sim) resultTime(month string) time.Time {
	t, err := time.ParseInLocation("200601", month, jst)
	if err != nil {
		return time.Time{}
	}
	return time.Date(t.Year(), t.Month(), s.opts.ResultDay, 0, 0, 0, 0, jst)
}

// ProcessDue processes every uploaded request whose result day (0:00 JST on the Sim's clock) has
// come, writing its result (or error) file into the download directory. It runs on every HTTP
// and SFTP request and once a second after Start, so moving the sandbox clock past the 27th is
// enough.
func (s *Sim) ProcessDue() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	changed := false
	for _, u := range s.st.Uploads {
		if !u.Processed && !u.Pending && !now.Before(s.resultTime(u.Month)) {
			s.processLocked(u)
			changed = true
		}
	}
	if changed {
		s.saveLocked()
	}
}

// ProcessNow processes month's request at once, whatever the date (for scripts and tests that
// do not move the clock).
func (s *Sim) ProcessNow(month string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.Uploads[month]
	switch {
	case u == nil || u.Pending:
		return fmt.Errorf("gmopgsim: no request file for %s", month)
	case u.Processed:
		return fmt.Errorf("gmopgsim: the request for %s was processed at %s", month, u.ProcessedAt.In(jst).Format("2006-01-02 15:04"))
	}
	s.processLocked(u)
	s.saveLocked()
	return nil
}

// maxReportedErrors caps the error file: the first hundred problems are enough to fix a file.
const maxReportedErrors = 100

func (s *Sim) processLocked(u *upload) {
	u.Processed, u.ProcessedAt = true, s.now()
	path := filepath.Join(s.filesDir(gmopg.RequestDir), u.Name)
	errs, err := s.validateRequest(path)
	if err != nil {
		s.warnings = append(s.warnings, err.Error())
		return
	}
	if len(errs) > 0 {
		u.ErrorFile = gmopg.ErrorFileName(s.opts.SiteID, u.Month)
		for _, e := range errs[:min(len(errs), 5)] {
			u.Errors = append(u.Errors, fmt.Sprintf("%d行目 %s: %s", e.Row, e.Field, e.Message))
		}
		if err := s.writeResultFile(u.ErrorFile, func(w io.Writer) error { return gmopg.WriteErrorFile(w, errs) }); err != nil {
			s.warnings = append(s.warnings, err.Error())
		}
		return
	}
	u.ResultFile = gmopg.ResultFileName(s.opts.SiteID, u.Month)
	err = s.writeResultFile(u.ResultFile, func(w io.Writer) error { return s.checkCards(path, u, w) })
	if err != nil {
		s.warnings = append(s.warnings, err.Error())
	}
}

// validateRequest reads the whole request once; a bad record or a truncated file makes the file
// unreadable for GMO-PG (an error file, no result).
func (s *Sim) validateRequest(path string) ([]gmopg.FileErrorRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gmopgsim: card update: %w", err)
	}
	defer f.Close()
	r := gmopg.NewRequestReader(f)
	var out []gmopg.FileErrorRow
	for len(out) < maxReportedErrors {
		_, err := r.Read()
		if err == io.EOF {
			break
		}
		var re *gmopg.RowError
		var fe *gmopg.FileError
		switch {
		case err == nil:
		case errors.As(err, &re):
			out = append(out, gmopg.FileErrorRow{Row: re.Row, Field: re.Column, Message: re.Msg})
		case errors.As(err, &fe):
			return append(out, gmopg.FileErrorRow{Row: fe.Row, Message: fe.Msg}), nil
		default:
			return nil, fmt.Errorf("gmopgsim: card update: %w", err)
		}
	}
	return out, nil
}

// writeResultFile writes into the download directory through a temporary name, so a client
// never sees half a result.
func (s *Sim) writeResultFile(name string, write func(io.Writer) error) error {
	dir := s.filesDir(gmopg.ResultDir)
	tmp, err := os.CreateTemp(dir, ".partial-*")
	if err != nil {
		return fmt.Errorf("gmopgsim: card update: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("gmopgsim: card update: write %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("gmopgsim: card update: %w", err)
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, name))
}

// checkCards runs the card update on every request record: the outcome is chosen by the stored
// card's number (see the Card* test numbers) and applied to the stored card, like the real
// service updates the cards it keeps.
func (s *Sim) checkCards(path string, u *upload, w io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := gmopg.NewRequestReader(f)
	rw := gmopg.NewResultWriter(w)
	// Duplicates are found by a 64-bit hash of the 会員ID: a million IDs take 16 MB, not 100.
	seen := map[uint64]bool{}
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		h := fnv.New64a()
		h.Write([]byte(row.MemberID))
		key := h.Sum64()
		res := s.checkOne(row, seen[key])
		seen[key] = true
		if err := rw.Write(res); err != nil {
			return err
		}
		u.Rows++
		u.Counts[res.Result]++
	}
	return rw.Close()
}

func (s *Sim) checkOne(row gmopg.UpdateRequestRow, duplicate bool) gmopg.UpdateResultRow {
	res := gmopg.UpdateResultRow{MemberID: row.MemberID, CardSeq: max(row.CardSeq, 0), FreeField: row.FreeField, Result: gmopg.ResultInputError}
	if duplicate {
		res.ErrInfo = gmopg.InfoDuplicateInFile
		return res
	}
	m := s.st.Members[row.MemberID]
	if m == nil || m.Deleted {
		res.ErrInfo = gmopg.InfoMemberNotFound
		return res
	}
	cd := m.target()
	if row.CardSeq != gmopg.DefaultCardSeq {
		cd = m.card(row.CardSeq)
	}
	if cd == nil {
		res.ErrInfo = gmopg.InfoCardNotFound
		return res
	}
	res.CardSeq, res.OldExpire = cd.Seq, cd.Expire
	switch cd.No {
	case CardUpdateInvalid:
		res.Result = gmopg.ResultInvalid
		return res
	case CardUpdateMismatch:
		res.Result = gmopg.ResultMismatch
		return res
	case CardUpdateInputErr:
		res.Result = gmopg.ResultInputError
		return res
	}
	res.Result, res.NewExpire = gmopg.ResultOK, cd.Expire
	switch cd.No {
	case CardUpdateNewExpiry:
		res.Change, res.NewExpire = gmopg.NewExpiry, plusYears(cd.Expire, 3)
	case CardUpdateNewNumber:
		cd.No = CardUpdateNewNumberTo
		res.Change, res.NewExpire, res.NewMaskedNo = gmopg.NewNumber, plusYears(cd.Expire, 3), mask(cd.No)
	}
	cd.Expire = res.NewExpire
	return res
}

func plusYears(yymm string, n int) string {
	y, err := strconv.Atoi(yymm[:2])
	if err != nil {
		return yymm
	}
	return fmt.Sprintf("%02d%s", (y+n)%100, yymm[2:])
}

// SeedCard is one stored card for SeedMembers.
type SeedCard struct {
	MemberID string
	CardNo   string
	Expire   string // YYMM
}

// SeedMembers stores members with one card each (DefaultFlag=1) in one step, for benchmarks and
// demo data that need many cards without as many SaveMember/SaveCard calls. An existing member
// gets the card added.
func (s *Sim) SeedMembers(cards func(yield func(SeedCard) bool)) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now, n := s.now(), 0
	for c := range cards {
		m := s.st.Members[c.MemberID]
		if m == nil || m.Deleted {
			m = &member{ID: c.MemberID, CreatedAt: now}
			s.st.Members[c.MemberID] = m
		}
		for _, o := range m.Cards {
			o.Default = false
		}
		m.Cards = append(m.Cards, &card{Seq: len(m.Cards), No: c.CardNo, Expire: c.Expire, Default: true, SavedAt: now})
		n++
	}
	s.saveLocked()
	return n
}
