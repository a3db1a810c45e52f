package db

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migrations are the schema changes of one package that owns tables (commerce, auth, payout, …).
// FS holds a folder migrations/ with two folders, sqlite/ and postgres/ (so a package writes
// `//go:embed migrations`), each with files named NNNN_what.sql; the same
// number in both folders is the same change written for each engine. Each package keeps its own
// numbering, so rooms can add tables without touching anyone else's files.
//
// Dialect notes for migration authors:
//   - IDs: TEXT primary keys filled by NewID.
//   - Timestamps: TIMESTAMP (SQLite) / TIMESTAMPTZ (PostgreSQL), always written in UTC.
//   - Business dates: TEXT 'YYYY-MM-DD' on both engines.
//   - Money: BIGINT yen. Booleans: BOOLEAN (SQLite stores 0/1; TRUE/FALSE literals work on both).
//   - JSON blobs: TEXT on both.
type Migrations struct {
	Module string
	FS     fs.FS
}

type migration struct {
	version int
	name    string
	sql     string
}

func (m Migrations) list(d Dialect) ([]migration, error) {
	dir := path.Join("migrations", string(d))
	entries, err := fs.ReadDir(m.FS, dir)
	if err != nil {
		return nil, fmt.Errorf("migrations of %s: read %s: %w", m.Module, dir, err)
	}
	var out []migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migrations of %s: file %s must be named NNNN_what.sql", m.Module, e.Name())
		}
		b, err := fs.ReadFile(m.FS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("migrations of %s: %w", m.Module, err)
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations of %s: two files numbered %d", m.Module, out[i].version)
		}
	}
	return out, nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS kessai_migrations (
	module     TEXT NOT NULL,
	version    INTEGER NOT NULL,
	name       TEXT NOT NULL,
	applied_at TIMESTAMP NOT NULL,
	PRIMARY KEY (module, version)
)`

// migrateLockID is the PostgreSQL advisory lock that keeps two instances starting at once from
// applying the same migration twice.
const migrateLockID = 0x6b65737361690001

// Migrate applies, in order, every migration of every module not applied yet. Modules are
// applied in the order given, so a module that references another's tables comes after it.
// Each migration runs in its own transaction together with its bookkeeping row.
func (db *DB) Migrate(ctx context.Context, modules ...Migrations) (applied int, err error) {
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	if db.dialect == Postgres {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", int64(migrateLockID)); err != nil {
			conn.Close()
			return 0, fmt.Errorf("migrate: take lock: %w", err)
		}
		// Unlock on this very session, then give it back: a session returned to the pool
		// still holding the lock would make every later Migrate (here or in another
		// instance) wait forever.
		defer func() {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrateLockID))
			conn.Close()
		}()
	} else {
		// On SQLite the pool has one connection and InTx below needs it.
		conn.Close()
	}
	if _, err := db.ExecContext(ctx, createMigrationsTable); err != nil {
		return 0, fmt.Errorf("migrate: create bookkeeping table: %w", err)
	}
	for _, m := range modules {
		list, err := m.list(db.dialect)
		if err != nil {
			return applied, err
		}
		done, err := db.appliedVersions(ctx, m.Module)
		if err != nil {
			return applied, err
		}
		for _, mig := range list {
			if done[mig.version] {
				continue
			}
			err := db.InTx(ctx, func(tx *Tx) error {
				if _, err := tx.tx.ExecContext(ctx, mig.sql); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx,
					`INSERT INTO kessai_migrations (module, version, name, applied_at) VALUES (?, ?, ?, ?)`,
					m.Module, mig.version, mig.name, time.Now().UTC())
				return err
			})
			if err != nil {
				return applied, fmt.Errorf("migrate %s %s on %s: %w", m.Module, mig.name, db.dialect, err)
			}
			applied++
		}
	}
	return applied, nil
}

// Pending counts migrations of the given modules that are not applied yet; /readyz is not ready
// while it is above zero.
func (db *DB) Pending(ctx context.Context, modules ...Migrations) (int, error) {
	pending := 0
	for _, m := range modules {
		list, err := m.list(db.dialect)
		if err != nil {
			return 0, err
		}
		done, err := db.appliedVersions(ctx, m.Module)
		if err != nil {
			return 0, err
		}
		for _, mig := range list {
			if !done[mig.version] {
				pending++
			}
		}
	}
	return pending, nil
}

func (db *DB) appliedVersions(ctx context.Context, module string) (map[int]bool, error) {
	rows, err := db.QueryContext(ctx, `SELECT version FROM kessai_migrations WHERE module = ?`, module)
	if err != nil {
		if strings.Contains(err.Error(), "kessai_migrations") {
			return map[int]bool{}, nil // nothing applied yet
		}
		return nil, fmt.Errorf("read applied migrations of %s: %w", module, err)
	}
	defer rows.Close()
	done := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		done[v] = true
	}
	return done, rows.Err()
}
