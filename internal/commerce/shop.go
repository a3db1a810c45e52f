package commerce

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
)

const shopColumns = `s.id, s.code, s.name, s.version, s.created_at, s.updated_at`

func scanShop(r scanner) (Shop, error) {
	var s Shop
	err := r.Scan(&s.ID, &s.Code, &s.Name, &s.Version, &s.CreatedAt, &s.UpdatedAt)
	s.CreatedAt, s.UpdatedAt = s.CreatedAt.UTC(), s.UpdatedAt.UTC()
	return s, err
}

// validShopCode: the code starts order numbers (main-000001), so it stays short ASCII.
func validShopCode(code string) bool {
	if code == "" || len(code) > 16 {
		return false
	}
	for _, r := range code {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// ValidateShop normalises and checks a shop.
func ValidateShop(sh Shop) (Shop, error) {
	sh.Code, sh.Name = strings.TrimSpace(sh.Code), strings.TrimSpace(sh.Name)
	f := errs.Fields{}
	if !validShopCode(sh.Code) {
		f.Add("code", "店舗コードは半角英数字・ハイフン・アンダースコアの16文字以内で入力してください（受注番号の頭に付きます）")
	}
	checkRequired(f, "name", "店舗名", sh.Name)
	checkMaxLen(f, "name", "店舗名", sh.Name, 100)
	return sh, f.Err()
}

// CreateShop saves a new shop; its code must be unused.
func (s *Store) CreateShop(ctx context.Context, sh Shop, also ...Also) (Shop, error) {
	sh, err := ValidateShop(sh)
	if err != nil {
		return Shop{}, err
	}
	now := s.now()
	sh.ID, sh.Version, sh.CreatedAt, sh.UpdatedAt = db.NewID("shop"), 1, now, now
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO shops (id, code, name, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`, sh.ID, sh.Code, sh.Name, sh.Version, sh.CreatedAt, sh.UpdatedAt)
		if db.IsUniqueViolation(err) {
			return errs.Invalid("店舗コード "+sh.Code+" はすでに使われています").Field("code", "別の店舗コードにしてください").Wrap(err)
		}
		if err != nil {
			return fmt.Errorf("insert shop: %w", err)
		}
		if err := s.audit.Record(ctx, tx, audit.Entry{Action: "shop.create", RecordType: "shop", RecordID: sh.ID, After: sh}); err != nil {
			return err
		}
		return runAlso(ctx, tx, sh.ID, also)
	})
	if err != nil {
		return Shop{}, err
	}
	return sh, nil
}

// GetShop returns a shop by ID.
func (s *Store) GetShop(ctx context.Context, id string) (Shop, error) {
	return getShop(ctx, s.db, `s.id = ?`, id, false)
}

// GetShopByCode returns a shop by its code.
func (s *Store) GetShopByCode(ctx context.Context, code string) (Shop, error) {
	return getShop(ctx, s.db, `s.code = ?`, code, false)
}

func getShop(ctx context.Context, q db.Querier, cond, key string, lock bool) (Shop, error) {
	query := `SELECT ` + shopColumns + ` FROM shops s WHERE ` + cond
	if lock {
		query += db.ForUpdate(q.Dialect())
	}
	sh, err := scanShop(q.QueryRowContext(ctx, query, key))
	if errors.Is(err, sql.ErrNoRows) {
		return Shop{}, notFound("店舗", key)
	}
	if err != nil {
		return Shop{}, fmt.Errorf("get shop %s: %w", key, err)
	}
	return sh, nil
}

// ListShops returns every shop in code order (a merchant has a handful).
func (s *Store) ListShops(ctx context.Context) ([]Shop, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+shopColumns+` FROM shops s ORDER BY s.code`)
	if err != nil {
		return nil, fmt.Errorf("list shops: %w", err)
	}
	defer rows.Close()
	var out []Shop
	for rows.Next() {
		sh, err := scanShop(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sh)
	}
	return out, rows.Err()
}

// UpdateShop renames a shop. The code is fixed once orders are numbered with it, so only the
// name changes; sh.Version must be the version read.
func (s *Store) UpdateShop(ctx context.Context, sh Shop) (Shop, error) {
	var out Shop
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		before, err := getShop(ctx, tx, `s.id = ?`, sh.ID, true)
		if err != nil {
			return err
		}
		if err := checkVersion("店舗", sh.ID, sh.Version, before.Version); err != nil {
			return err
		}
		sh.Code = before.Code
		if sh, err = ValidateShop(sh); err != nil {
			return err
		}
		out = before
		out.Name, out.Version, out.UpdatedAt = sh.Name, before.Version+1, s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE shops SET name = ?, version = ?, updated_at = ? WHERE id = ?`,
			out.Name, out.Version, out.UpdatedAt, out.ID); err != nil {
			return fmt.Errorf("update shop %s: %w", sh.ID, err)
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "shop.update", RecordType: "shop", RecordID: sh.ID, Before: before, After: out})
	})
	return out, err
}
