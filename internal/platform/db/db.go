// Package db opens kessai's database — an embedded SQLite file by default, PostgreSQL when
// KESSAI_DATABASE_URL says so — and runs the migrations of every package that owns tables.
//
// Both engines are used through database/sql with hand-written SQL. Queries are written once
// with `?` placeholders; DB and Tx rebind them to `$n` on PostgreSQL. What else differs between
// the engines is kept small on purpose (see dialect notes in migrate.go):
//   - IDs are generated in Go (see NewID), never by the database;
//   - timestamps are passed as UTC time.Time (TIMESTAMP on SQLite stored as sortable text,
//     TIMESTAMPTZ on PostgreSQL);
//   - business dates are TEXT 'YYYY-MM-DD' on both, so they compare and sort the same way;
//   - money is BIGINT yen.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)

// Dialect names the SQL engine behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is a database handle that knows its dialect.
type DB struct {
	// SQL is the writer: on SQLite a pool of one connection shared with River, on PostgreSQL
	// the whole pool.
	SQL *sql.DB
	// read serves plain SELECTs outside transactions. On SQLite it is a pool of query_only
	// connections beside the writer (WAL lets readers run while the writer writes), so a list
	// never queues behind another list or behind a job's transaction. On PostgreSQL it is SQL.
	read    *sql.DB
	dialect Dialect
	// URL is the PostgreSQL connection string (empty on SQLite); River's pgx driver opens its
	// own pool with it.
	URL string
	// Path is the SQLite file (empty on PostgreSQL).
	Path string
}

// Open opens the database named by url, or the SQLite file kessai.db in dataDir when url is
// empty. It pings the database before returning.
func Open(ctx context.Context, url, dataDir string) (*DB, error) {
	if url != "" {
		if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
			return nil, fmt.Errorf("KESSAI_DATABASE_URL must start with postgres:// (got %q)", redact(url))
		}
		return openPostgres(ctx, url)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir %s: %w", dataDir, err)
	}
	return OpenSQLite(ctx, filepath.Join(dataDir, "kessai.db"))
}

// OpenSQLite opens (creating if needed) the SQLite file at path.
//
// SQLite allows one writer at a time. kessai and River share one writer pool with a single
// connection, so no two writers ever race for the lock (no SQLITE_BUSY under load) and a
// transaction can't deadlock against another of ours. Writes and transactions must therefore
// finish before other writes start on the same DB. Plain SELECTs outside a transaction go to a
// separate pool of read-only connections (ReadConns of them), which in WAL mode read the last
// committed state without waiting for the writer.
func OpenSQLite(ctx context.Context, path string) (*DB, error) {
	if err := privateFile(path); err != nil {
		return nil, err
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate&_time_format=sqlite"
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	sqldb.SetMaxOpenConns(1)
	sqldb.SetConnMaxIdleTime(0)
	sqldb.SetConnMaxLifetime(0)
	if err := sqldb.PingContext(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// The writer's ping created the file and switched it to WAL (a setting the file keeps),
	// so the readers only need to refuse writes and wait briefly on a checkpoint.
	rdsn := "file:" + path + "?_pragma=query_only(1)&_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(1)&_time_format=sqlite"
	rd, err := sql.Open("sqlite", rdsn)
	if err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("open sqlite readers %s: %w", path, err)
	}
	rd.SetMaxOpenConns(ReadConns)
	rd.SetMaxIdleConns(ReadConns)
	rd.SetConnMaxIdleTime(0)
	rd.SetConnMaxLifetime(0)
	if err := rd.PingContext(ctx); err != nil {
		sqldb.Close()
		rd.Close()
		return nil, fmt.Errorf("open sqlite readers %s: %w", path, err)
	}
	return &DB{SQL: sqldb, read: rd, dialect: SQLite, Path: path}, nil
}

// ReadConns is the size of SQLite's read pool: enough that lists on a few cores never queue
// behind each other, few enough that each connection's page cache stays warm.
const ReadConns = 4

func openPostgres(ctx context.Context, url string) (*DB, error) {
	sqldb, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("open postgres %s: %w", redact(url), err)
	}
	sqldb.SetMaxOpenConns(20)
	sqldb.SetMaxIdleConns(5)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqldb.PingContext(pingCtx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("connect to postgres %s: %w", redact(url), err)
	}
	return &DB{SQL: sqldb, read: sqldb, dialect: Postgres, URL: url}, nil
}

// Close closes the pools.
func (db *DB) Close() error {
	err := db.SQL.Close()
	if db.read != nil && db.read != db.SQL {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Reader is the pool for read-only queries outside a transaction (the writer when the DB has
// no separate readers).
func (db *DB) Reader() *sql.DB {
	if db.read == nil {
		return db.SQL
	}
	return db.read
}

// pool picks the readers for a plain SELECT and the writer for everything else (INSERT …
// RETURNING, PRAGMA, statements the readers would refuse).
func (db *DB) pool(q string) *sql.DB {
	if db.read == nil || db.read == db.SQL || !isSelect(q) {
		return db.SQL
	}
	return db.read
}

// isSelect reports whether q starts with SELECT (after blanks and comments).
func isSelect(q string) bool {
	for {
		q = strings.TrimLeft(q, " \t\r\n(")
		if !strings.HasPrefix(q, "--") {
			break
		}
		i := strings.IndexByte(q, '\n')
		if i < 0 {
			return false
		}
		q = q[i+1:]
	}
	return len(q) >= 6 && strings.EqualFold(q[:6], "select")
}

// redact hides the password in a connection URL for error messages and logs.
func redact(url string) string {
	at := strings.LastIndex(url, "@")
	scheme := strings.Index(url, "://")
	if at < 0 || scheme < 0 {
		return url
	}
	userinfo := url[scheme+3 : at]
	if i := strings.Index(userinfo, ":"); i >= 0 {
		return url[:scheme+3] + userinfo[:i] + ":***" + url[at:]
	}
	return url
}

// Querier is what both *DB and *Tx offer; store code takes a Querier so the same function works
// inside or outside a transaction.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	Dialect() Dialect
}

// ExecContext runs a statement written with ? placeholders.
func (db *DB) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return db.SQL.ExecContext(ctx, Rebind(db.dialect, q), args...)
}

// QueryContext runs a query written with ? placeholders.
func (db *DB) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return db.pool(q).QueryContext(ctx, Rebind(db.dialect, q), args...)
}

// QueryRowContext runs a one-row query written with ? placeholders.
func (db *DB) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return db.pool(q).QueryRowContext(ctx, Rebind(db.dialect, q), args...)
}

// Dialect reports the engine.
func (db *DB) Dialect() Dialect { return db.dialect }

// Tx is a transaction that rebinds like DB.
type Tx struct {
	tx      *sql.Tx
	dialect Dialect
	conn    *sql.Conn // PostgreSQL: the connection tx runs on, for COPY (InsertRows)
}

// ExecContext runs a statement written with ? placeholders.
func (tx *Tx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return tx.tx.ExecContext(ctx, Rebind(tx.dialect, q), args...)
}

// QueryContext runs a query written with ? placeholders.
func (tx *Tx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(ctx, Rebind(tx.dialect, q), args...)
}

// QueryRowContext runs a one-row query written with ? placeholders.
func (tx *Tx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(ctx, Rebind(tx.dialect, q), args...)
}

// Dialect reports the engine.
func (tx *Tx) Dialect() Dialect { return tx.dialect }

// Std returns the underlying *sql.Tx for libraries that need it.
func (tx *Tx) Std() *sql.Tx { return tx.tx }

// InTx runs fn in a transaction and commits if fn returns nil. On SQLite the transaction takes
// the write lock at BEGIN (_txlock=immediate), so read-then-write logic inside fn is safe. On
// PostgreSQL callers that read-then-write must lock what they read (SELECT … FOR UPDATE via
// ForUpdate) or use a conditional UPDATE.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	var conn *sql.Conn
	if db.dialect == Postgres {
		// The transaction runs on a connection of its own, so that InsertRows can COPY on it.
		if conn, err = db.SQL.Conn(ctx); err != nil {
			return fmt.Errorf("begin transaction: %w", err)
		}
		defer conn.Close()
	}
	var sqltx *sql.Tx
	if conn != nil {
		sqltx, err = conn.BeginTx(ctx, nil)
	} else {
		sqltx, err = db.SQL.BeginTx(ctx, nil)
	}
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	tx := &Tx{tx: sqltx, dialect: db.dialect, conn: conn}
	defer func() {
		if p := recover(); p != nil {
			_ = sqltx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqltx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = sqltx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// ForUpdate returns " FOR UPDATE" on PostgreSQL and "" on SQLite, where the immediate
// transaction already holds the only write lock.
func ForUpdate(d Dialect) string {
	if d == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// Rebind rewrites ? placeholders to $1, $2, … for PostgreSQL. It leaves ? inside quoted
// strings, quoted identifiers and comments alone.
func Rebind(d Dialect, q string) string {
	if d != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(q) && q[j] != c {
				j++
			}
			b.WriteString(q[i:min(j+1, len(q))])
			i = j
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i
			}
			b.WriteString(q[i : i+j])
			i += j - 1
		case c == '?':
			n++
			fmt.Fprintf(&b, "$%d", n)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Analyze refreshes the planner's statistics where they are missing or stale, so list
// queries pick the index a filter needs. On SQLite `PRAGMA optimize` analyzes only the tables
// that need it, each on a sample (analysis_limit), which keeps it to milliseconds at startup;
// PostgreSQL's autovacuum keeps its own statistics, and a bulk import calls AnalyzeTables.
func (db *DB) Analyze(ctx context.Context) error {
	if db.dialect != SQLite {
		return nil
	}
	if _, err := db.SQL.ExecContext(ctx, `PRAGMA analysis_limit = 1000`); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	if _, err := db.SQL.ExecContext(ctx, `PRAGMA optimize = 0x10002`); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}

// AnalyzeTables refreshes the statistics of tables after a bulk load (both engines).
func (db *DB) AnalyzeTables(ctx context.Context, tables ...string) error {
	if db.dialect == SQLite {
		if _, err := db.SQL.ExecContext(ctx, `PRAGMA analysis_limit = 1000`); err != nil {
			return fmt.Errorf("analyze: %w", err)
		}
	}
	for _, t := range tables {
		if _, err := db.SQL.ExecContext(ctx, `ANALYZE `+t); err != nil {
			return fmt.Errorf("analyze %s: %w", t, err)
		}
	}
	return nil
}

// ErrNotFound is returned by store lookups that find no row; callers test with errors.Is.
var ErrNotFound = errors.New("not found")

// NotFound maps sql.ErrNoRows to ErrNotFound and leaves other errors alone.
func NotFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// IsUniqueViolation reports whether err is a unique-constraint violation on either engine.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || // SQLite
		strings.Contains(s, "SQLSTATE 23505") // PostgreSQL (pgconn.PgError)
}

// privateFile creates the database file readable by kessai's user only (0600: it holds
// personal data and sealed secrets), and tightens an existing one and its -wal and -shm
// files (SQLite gives those the database file's mode when it creates them).
func privateFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open sqlite %s: %w", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("sqlite file mode %s: %w", p, err)
		}
	}
	return nil
}
