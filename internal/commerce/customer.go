package commerce

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
)

const customerColumns = `c.id, c.code, c.name, c.name_kana, c.email, c.phone, c.postal_code, c.prefecture,
	c.address1, c.address2, c.bank_code, c.bank_name, c.branch_code, c.branch_name, c.account_type,
	c.account_number, c.account_holder_kana, c.note, c.version, c.created_at, c.updated_at`

type scanner interface{ Scan(dest ...any) error }

func customerDest(c *Customer) []any {
	return []any{&c.ID, &c.Code, &c.Name, &c.NameKana, &c.Email, &c.Phone, &c.PostalCode, &c.Prefecture,
		&c.Address1, &c.Address2, &c.Bank.BankCode, &c.Bank.BankName, &c.Bank.BranchCode, &c.Bank.BranchName,
		&c.Bank.AccountType, &c.Bank.AccountNumber, &c.Bank.HolderKana, &c.Note, &c.Version, &c.CreatedAt, &c.UpdatedAt}
}

func scanCustomer(r scanner) (Customer, error) {
	var c Customer
	err := r.Scan(customerDest(&c)...)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, err
}

// normalizeCustomer trims and converts what people type in many ways (widths, kana, postal code).
func normalizeCustomer(c Customer) Customer {
	c.Name = strings.TrimSpace(c.Name)
	c.NameKana = normalizeKanaName(c.NameKana)
	c.Email = strings.TrimSpace(c.Email)
	c.Phone = normalizePhone(c.Phone)
	c.PostalCode = normalizePostal(c.PostalCode)
	c.Prefecture = strings.TrimSpace(c.Prefecture)
	c.Address1 = strings.TrimSpace(c.Address1)
	c.Address2 = strings.TrimSpace(c.Address2)
	if !c.Bank.IsZero() {
		c.Bank = normalizeBank(c.Bank)
	}
	return c
}

// ValidateCustomer normalises c and checks it; the error is errs.Invalid with one message per field.
func ValidateCustomer(c Customer) (Customer, error) {
	c = normalizeCustomer(c)
	f := errs.Fields{}
	checkRequired(f, "name", "氏名", c.Name)
	checkMaxLen(f, "name", "氏名", c.Name, maxName)
	checkMaxLen(f, "name_kana", "フリガナ", c.NameKana, maxName)
	checkMaxLen(f, "email", "メールアドレス", c.Email, maxEmail)
	checkMaxLen(f, "address1", "住所1", c.Address1, maxAddress)
	checkMaxLen(f, "address2", "住所2", c.Address2, maxAddress)
	checkMaxLen(f, "note", "備考", c.Note, maxNote)
	checkMaxLen(f, "bank_name", "銀行名", c.Bank.BankName, maxName)
	checkMaxLen(f, "branch_name", "支店名", c.Bank.BranchName, maxName)
	checkKanaName(f, "name_kana", c.NameKana)
	checkEmail(f, "email", c.Email)
	checkPhone(f, "phone", c.Phone)
	checkPostal(f, "postal_code", c.PostalCode)
	if c.Prefecture != "" && !IsPrefecture(c.Prefecture) {
		f.Add("prefecture", "都道府県は「東京都」「大阪府」のように47都道府県の名前で入力してください")
	}
	checkBank(f, c.Bank)
	return c, f.Err()
}

// CreateCustomer numbers (C000001…) and saves a new customer.
func (s *Store) CreateCustomer(ctx context.Context, c Customer, also ...Also) (Customer, error) {
	out, err := s.createCustomers(ctx, []Customer{c}, also)
	if err != nil {
		return Customer{}, err
	}
	return out[0], nil
}

// CreateCustomers saves several customers in one transaction: all or none.
func (s *Store) CreateCustomers(ctx context.Context, cs []Customer) ([]Customer, error) {
	return s.createCustomers(ctx, cs, nil)
}

func (s *Store) createCustomers(ctx context.Context, cs []Customer, also []Also) ([]Customer, error) {
	out := make([]Customer, len(cs))
	for i, c := range cs {
		v, err := ValidateCustomer(c)
		if err != nil {
			return nil, withIndex(err, i, len(cs))
		}
		out[i] = v
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := s.insertCustomers(ctx, tx, out); err != nil || len(out) != 1 {
			return err
		}
		return runAlso(ctx, tx, out[0].ID, also)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

var customerInsertColumns = []string{"id", "code", "name", "name_kana", "email", "phone", "postal_code",
	"prefecture", "address1", "address2", "bank_code", "bank_name", "branch_code", "branch_name", "account_type",
	"account_number", "account_holder_kana", "note", "version", "created_at", "updated_at"}

func (s *Store) insertCustomers(ctx context.Context, tx *db.Tx, cs []Customer) error {
	if len(cs) == 0 {
		return nil
	}
	first, err := reserve(ctx, tx, counterCustomer, len(cs))
	if err != nil {
		return err
	}
	now := s.now()
	for i := range cs {
		c := &cs[i]
		c.ID = db.NewID("cus")
		c.Code = fmt.Sprintf("C%06d", first+int64(i))
		c.Version, c.CreatedAt, c.UpdatedAt = 1, now, now
	}
	err = db.InsertRows(ctx, tx, "customers", customerInsertColumns, len(cs), func(i int) []any {
		c := cs[i]
		return []any{c.ID, c.Code, c.Name, c.NameKana, c.Email, c.Phone, c.PostalCode, c.Prefecture,
			c.Address1, c.Address2, c.Bank.BankCode, c.Bank.BankName, c.Bank.BranchCode, c.Bank.BranchName,
			c.Bank.AccountType, c.Bank.AccountNumber, c.Bank.HolderKana, c.Note, c.Version, c.CreatedAt, c.UpdatedAt}
	})
	if err != nil {
		return fmt.Errorf("insert customers: %w", err)
	}
	entries := make([]audit.Entry, len(cs))
	for i, c := range cs {
		entries[i] = audit.Entry{Action: "customer.create", RecordType: "customer", RecordID: c.ID, After: c}
	}
	return s.audit.RecordAll(ctx, tx, entries)
}

// GetCustomer returns a customer by ID.
func (s *Store) GetCustomer(ctx context.Context, id string) (Customer, error) {
	return getCustomer(ctx, s.db, id, false)
}

// GetCustomerByCode returns a customer by its code (C000001).
func (s *Store) GetCustomerByCode(ctx context.Context, code string) (Customer, error) {
	c, err := scanCustomer(s.db.QueryRowContext(ctx, `SELECT `+customerColumns+` FROM customers c WHERE c.code = ?`, code))
	if err == sql.ErrNoRows {
		return Customer{}, notFound("顧客", code)
	}
	if err != nil {
		return Customer{}, fmt.Errorf("get customer %s: %w", code, err)
	}
	return c, nil
}

func getCustomer(ctx context.Context, q db.Querier, id string, lock bool) (Customer, error) {
	query := `SELECT ` + customerColumns + ` FROM customers c WHERE c.id = ?`
	if lock {
		query += db.ForUpdate(q.Dialect())
	}
	c, err := scanCustomer(q.QueryRowContext(ctx, query, id))
	if err == sql.ErrNoRows {
		return Customer{}, notFound("顧客", id)
	}
	if err != nil {
		return Customer{}, fmt.Errorf("get customer %s: %w", id, err)
	}
	return c, nil
}

// UpdateCustomer saves the editable fields of c (everything but ID, code and timestamps).
// c.Version must be the version that was read; errs.Conflict if it is stale.
func (s *Store) UpdateCustomer(ctx context.Context, c Customer) (Customer, error) {
	return s.ModifyCustomer(ctx, c.ID, func(cur *Customer) error {
		if err := checkVersion("顧客", c.ID, c.Version, cur.Version); err != nil {
			return err
		}
		id, code, created := cur.ID, cur.Code, cur.CreatedAt
		*cur = c
		cur.ID, cur.Code, cur.CreatedAt = id, code, created
		return nil
	})
}

// ModifyCustomer reads the customer under lock, lets fn change it, validates and saves it: the
// way for code (jobs, rooms) to change a record without a version in hand.
func (s *Store) ModifyCustomer(ctx context.Context, id string, fn func(c *Customer) error) (Customer, error) {
	var out Customer
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		before, err := getCustomer(ctx, tx, id, true)
		if err != nil {
			return err
		}
		c := before
		if err := fn(&c); err != nil {
			return err
		}
		if c, err = ValidateCustomer(c); err != nil {
			return err
		}
		c.ID, c.Code, c.CreatedAt = before.ID, before.Code, before.CreatedAt
		c.Version, c.UpdatedAt = before.Version+1, s.now()
		_, err = tx.ExecContext(ctx, `UPDATE customers SET name = ?, name_kana = ?, email = ?, phone = ?,
			postal_code = ?, prefecture = ?, address1 = ?, address2 = ?, bank_code = ?, bank_name = ?,
			branch_code = ?, branch_name = ?, account_type = ?, account_number = ?, account_holder_kana = ?,
			note = ?, version = ?, updated_at = ? WHERE id = ?`,
			c.Name, c.NameKana, c.Email, c.Phone, c.PostalCode, c.Prefecture, c.Address1, c.Address2,
			c.Bank.BankCode, c.Bank.BankName, c.Bank.BranchCode, c.Bank.BranchName, c.Bank.AccountType,
			c.Bank.AccountNumber, c.Bank.HolderKana, c.Note, c.Version, c.UpdatedAt, c.ID)
		if err != nil {
			return fmt.Errorf("update customer %s: %w", id, err)
		}
		out = c
		return s.audit.Record(ctx, tx, audit.Entry{Action: "customer.update", RecordType: "customer", RecordID: id, Before: before, After: c})
	})
	return out, err
}

// DeleteCustomer removes a customer registered by mistake. A customer that anything refers to
// (cards, orders, cases, subscriptions, a room's records) is kept — their history must stay —
// and the error is errs.Conflict.
func (s *Store) DeleteCustomer(ctx context.Context, id string, version int) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		before, err := getCustomer(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if err := checkVersion("顧客", id, version, before.Version); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM customers WHERE id = ?`, id); err != nil {
			if isForeignKeyViolation(err) {
				return errs.Conflict("この顧客にはカード・受注・買取ケースなどの記録があるため削除できません").Wrap(err)
			}
			return fmt.Errorf("delete customer %s: %w", id, err)
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "customer.delete", RecordType: "customer", RecordID: id, Before: before})
	})
}

// withIndex prefixes a validation error of item i of a batch with its position.
func withIndex(err error, i, n int) error {
	if n == 1 {
		return err
	}
	if e := errs.As(err); e != nil {
		cp := *e
		cp.Message = fmt.Sprintf("%d件目: %s", i+1, e.Message)
		return &cp
	}
	return fmt.Errorf("item %d: %w", i+1, err)
}
