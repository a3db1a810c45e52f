package commerce

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"kessai/internal/platform/db"
	"kessai/internal/platform/jpcsv"
)

// Imports stream: a file is read twice, row by row, and never held. The first pass reads and
// validates every row and collects every problem; only a file without one gets the second
// pass, which reads it again and writes importBatch records at a time, all in one transaction
// (so it is still all or nothing). Memory is a batch and the code maps, whatever the size.

// importBatch is how many records the write pass inserts at once.
const importBatch = 500

// maxListed bounds the IDs and numbers an ImportResult lists (Created counts them all).
const maxListed = 10_000

// Import phases, as ImportProgress reports them.
const (
	PhaseChecking = "checking" // the first pass: reading and validating every row
	PhaseWriting  = "writing"  // the second pass: inserting, inside the import's transaction
)

// ImportProgress is how far an import is.
type ImportProgress struct {
	Phase string
	Rows  int // data rows done in this phase
	Total int // the file's data rows: 0 while the first pass is still counting them
}

// ImportOptions tune an import.
type ImportOptions struct {
	// Also runs in the import's transaction with the first new record's ID (the pages claim a
	// form's one-time token this way).
	Also []Also
	// Progress, when set, is called every importBatch rows of each pass and at each pass's end.
	// The write pass calls it inside the import's transaction: on SQLite it must not write to
	// the database (the transaction holds the only writer).
	Progress func(ImportProgress)
}

func (o ImportOptions) report(phase string, rows, total int, force bool) {
	if o.Progress != nil && (force || rows%importBatch == 0) {
		o.Progress(ImportProgress{Phase: phase, Rows: rows, Total: total})
	}
}

// seekable returns src as a file the import can read twice: src itself when it can seek (an
// upload on disk, a strings.Reader), otherwise a copy spooled to a temporary file.
func seekable(src io.Reader) (io.ReadSeeker, func(), error) {
	if rs, ok := src.(io.ReadSeeker); ok {
		if _, err := rs.Seek(0, io.SeekCurrent); err == nil { // a pipe is an *os.File that cannot
			return rs, func() {}, nil
		}
	}
	f, err := os.CreateTemp("", "kessai-import-*.csv")
	if err != nil {
		return nil, nil, fmt.Errorf("import: spool: %w", err)
	}
	_ = os.Remove(f.Name()) // lives while open; nothing is left behind by a crash
	if _, err := io.Copy(f, src); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("import: spool: %w", err)
	}
	return f, func() { f.Close() }, nil
}

// eachRecord reads every record of rd: problems of the file (a row with the wrong number of
// cells, bytes that do not decode) and those fn returns as jpcsv errors go to c and reading
// goes on; any other error of fn (the database's) stops and is returned.
func eachRecord(rd *jpcsv.Reader, c *jpcsv.Collector, fn func(jpcsv.Record) error) error {
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if !errors.As(err, new(jpcsv.RowError)) {
				return fmt.Errorf("read csv: %w", err) // an I/O failure, not the file's fault
			}
			c.AddErr(rec.Row, err)
			if jpcsv.IsFatal(err) {
				return nil
			}
			continue
		}
		if err := fn(rec); err != nil {
			if !isRowError(err) {
				return err
			}
			c.AddErr(rec.Row, err)
		}
	}
}

func isRowError(err error) bool {
	return errors.As(err, new(jpcsv.RowError)) || errors.As(err, new(jpcsv.Errors))
}

// importSpec is one record type's import: the columns it needs, its first pass (check: every
// row is read and validated, problems go to c) and its second (write: every row is read again
// and written in batches within tx, created is told each new record).
type importSpec struct {
	required []string
	tables   []string // analyzed after a large import
	check    func(rd *jpcsv.Reader, c *jpcsv.Collector, row func()) error
	write    func(ctx context.Context, tx *db.Tx, rd *jpcsv.Reader, row func(), created func(id, code string)) error
}

// importFile runs spec's two passes over src.
func (s *Store) importFile(ctx context.Context, src io.Reader, opt ImportOptions, spec importSpec) (ImportResult, error) {
	f, done, err := seekable(src)
	if err != nil {
		return ImportResult{}, err
	}
	defer done()
	rd, res, err := openCSV(f, spec.required...)
	if err != nil {
		return res, err
	}
	var c jpcsv.Collector
	err = spec.check(rd, &c, func() {
		res.Rows++
		opt.report(PhaseChecking, res.Rows, 0, false)
	})
	if err != nil {
		return res, err
	}
	opt.report(PhaseChecking, res.Rows, res.Rows, true)
	if err := c.Err(); err != nil {
		return importError(res, err, rd.Header())
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return res, fmt.Errorf("import: rewind: %w", err)
	}
	rd, err = jpcsv.NewReaderEncoding(f, rd.Encoding())
	if err != nil {
		return res, fmt.Errorf("import: reopen: %w", err)
	}
	out := res
	defer s.importCache(ctx)()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		out = res
		written, first := 0, ""
		err := spec.write(ctx, tx, rd, func() {
			written++
			opt.report(PhaseWriting, written, res.Rows, false)
		}, func(id, code string) {
			if first == "" {
				first = id
			}
			out.Created++
			out.LastCode = code
			if len(out.IDs) < maxListed {
				out.IDs, out.Codes = append(out.IDs, id), append(out.Codes, code)
			}
		})
		if err != nil {
			return err
		}
		opt.report(PhaseWriting, written, res.Rows, true)
		if first == "" {
			return nil
		}
		return runAlso(ctx, tx, first, opt.Also)
	})
	if isRowError(err) {
		return importError(res, err, rd.Header()) // the database changed between the passes
	}
	if err != nil {
		return res, err
	}
	s.afterImport(ctx, out.Created, spec.tables...)
	return out, nil
}

// importCacheKB is the page cache of SQLite's writer while an import writes: with the default
// 2 MB every batch spilled dirty pages to the WAL (the order indexes take rows in date order, not file order), and an import took twice as long.
const importCacheKB = 48 << 10

// importCache enlarges the SQLite writer's page cache for an import and returns what puts the
// previous size back (the writer is one connection: both statements run on it).
func (s *Store) importCache(ctx context.Context) func() {
	if s.db.Dialect() != db.SQLite {
		return func() {}
	}
	var prev int64
	if err := s.db.SQL.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&prev); err != nil {
		return func() {}
	}
	if _, err := s.db.SQL.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = -%d`, importCacheKB)); err != nil {
		return func() {}
	}
	return func() {
		_, _ = s.db.SQL.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf(`PRAGMA cache_size = %d`, prev))
	}
}

// writeBatches is the write pass of a record type imported one row per record: parse reads a
// row (it found no problem in the first pass; one now is returned as the file's), insert writes
// a batch and gives each record its ID and number.
func writeBatches[T any](ctx context.Context, tx *db.Tx, rd *jpcsv.Reader, row func(), created func(id, code string),
	parse func(jpcsv.Record) (T, error), insert func(context.Context, *db.Tx, []T) error, key func(T) (id, code string)) error {
	batch := make([]T, 0, importBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := insert(ctx, tx, batch); err != nil {
			return err
		}
		for _, it := range batch {
			created(key(it))
		}
		batch = batch[:0]
		return nil
	}
	var c jpcsv.Collector
	err := eachRecord(rd, &c, func(rec jpcsv.Record) error {
		row()
		it, err := parse(rec)
		if err != nil {
			return err
		}
		if batch = append(batch, it); len(batch) == importBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = c.Err()
	}
	if err == nil {
		err = flush()
	}
	return err
}

// checkRows is the first pass of a record type imported one row per record.
func checkRows[T any](rd *jpcsv.Reader, c *jpcsv.Collector, row func(), parse func(jpcsv.Record) (T, error)) error {
	return eachRecord(rd, c, func(rec jpcsv.Record) error {
		row()
		_, err := parse(rec)
		return err
	})
}
