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

// caseCodePrefix is the letters of a case code per kind: TK000001 (宅配買取), IP000001 (一般仕入).
var caseCodePrefix = map[string]string{"takuhai": "TK", "ippan": "IP"}

const caseColumns = `pc.id, pc.code, pc.kind, pc.shop_id, pc.customer_id, pc.status, pc.received_on,
	pc.confirmed_on, pc.purchase_amount, pc.item_count, pc.note, pc.version, pc.created_at, pc.updated_at`

func caseDest(c *PurchaseCase) []any {
	return []any{&c.ID, &c.Code, &c.Kind, &c.ShopID, &c.CustomerID, &c.Status, &c.ReceivedOn,
		&c.ConfirmedOn, &c.PurchaseAmount, &c.ItemCount, &c.Note, &c.Version, &c.CreatedAt, &c.UpdatedAt}
}

func scanCase(r scanner) (PurchaseCase, error) {
	var c PurchaseCase
	err := r.Scan(caseDest(&c)...)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, err
}

// ValidateCase normalises c and checks it. A stocked (入庫完了) case needs its 買取確定日,
// because payouts are due by it.
func ValidateCase(c PurchaseCase) (PurchaseCase, error) {
	c.Note = strings.TrimSpace(c.Note)
	c.ReceivedOn, c.ConfirmedOn = strings.TrimSpace(c.ReceivedOn), strings.TrimSpace(c.ConfirmedOn)
	f := errs.Fields{}
	checkStatus(f, "kind", CaseKinds, c.Kind)
	checkStatus(f, "status", CaseStatuses, c.Status)
	checkRequired(f, "shop_id", "店舗", c.ShopID)
	checkRequired(f, "customer_id", "顧客", c.CustomerID)
	checkDate(f, "received_on", "受付日", c.ReceivedOn, false)
	checkDate(f, "confirmed_on", "買取確定日", c.ConfirmedOn, c.Status == "stocked")
	checkAmount(f, "purchase_amount", "買取金額", c.PurchaseAmount)
	if c.ItemCount < 0 {
		f.Add("item_count", "点数は0以上にしてください")
	}
	checkMaxLen(f, "note", "備考", c.Note, maxNote)
	return c, f.Err()
}

// caseTransition says whether a case in status from may be saved in status to.
func caseTransition(from, to string) error {
	st, _ := CaseStatuses.Get(from)
	switch {
	case st.Final:
		return errs.Conflict(fmt.Sprintf("「%s」の買取ケースは変更できません", st.Label))
	case to == "cancelled" && from != to && !CaseStatuses.Allows(from, "cancel"):
		return errs.Conflict(fmt.Sprintf("「%s」の買取ケースはキャンセルできません", st.Label))
	case !CaseStatuses.Allows(from, "edit"):
		return errs.Conflict(fmt.Sprintf("「%s」の買取ケースは編集できません", st.Label))
	}
	return nil
}

// CreateCase numbers (TK…/IP… by kind) and saves a new purchase case. An empty status is
// "received" and an empty 受付日 is today (JST).
func (s *Store) CreateCase(ctx context.Context, c PurchaseCase, also ...Also) (PurchaseCase, error) {
	out, err := s.createCases(ctx, []PurchaseCase{c}, also)
	if err != nil {
		return PurchaseCase{}, err
	}
	return out[0], nil
}

// CreateCases saves many cases in one transaction (all or none), with multi-row inserts: the
// way for imports and bulk tools.
func (s *Store) CreateCases(ctx context.Context, cs []PurchaseCase) ([]PurchaseCase, error) {
	return s.createCases(ctx, cs, nil)
}

func (s *Store) createCases(ctx context.Context, cs []PurchaseCase, also []Also) ([]PurchaseCase, error) {
	out := make([]PurchaseCase, len(cs))
	today := s.today()
	for i, c := range cs {
		if c.Status == "" {
			c.Status = "received"
		}
		if c.ReceivedOn == "" {
			c.ReceivedOn = today
		}
		v, err := ValidateCase(c)
		if err != nil {
			return nil, withIndex(err, i, len(cs))
		}
		out[i] = v
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := s.insertCases(ctx, tx, out); err != nil || len(out) != 1 {
			return err
		}
		return runAlso(ctx, tx, out[0].ID, also)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) insertCases(ctx context.Context, tx *db.Tx, cs []PurchaseCase) error {
	if len(cs) == 0 {
		return nil
	}
	shops, customers := make([]string, len(cs)), make([]string, len(cs))
	perKind := map[string]int{}
	for i, c := range cs {
		shops[i], customers[i] = c.ShopID, c.CustomerID
		perKind[c.Kind]++
	}
	if err := mustExist(ctx, tx, "shops", "shop_id", "店舗", shops); err != nil {
		return err
	}
	if err := mustExist(ctx, tx, "customers", "customer_id", "顧客", customers); err != nil {
		return err
	}
	next := map[string]int64{}
	for _, kind := range CaseKinds.Codes() {
		if n := perKind[kind]; n > 0 {
			first, err := reserve(ctx, tx, counterCasePrefix+kind, n)
			if err != nil {
				return err
			}
			next[kind] = first
		}
	}
	now := s.now()
	for i := range cs {
		c := &cs[i]
		c.ID = db.NewID("case")
		c.Code = fmt.Sprintf("%s%06d", caseCodePrefix[c.Kind], next[c.Kind])
		next[c.Kind]++
		c.Version, c.CreatedAt, c.UpdatedAt = 1, now, now
	}
	err := db.InsertRows(ctx, tx, "purchase_cases", []string{"id", "code", "kind", "shop_id", "customer_id", "status",
		"received_on", "confirmed_on", "purchase_amount", "item_count", "note", "version", "created_at", "updated_at"},
		len(cs), func(i int) []any {
			c := cs[i]
			return []any{c.ID, c.Code, c.Kind, c.ShopID, c.CustomerID, c.Status, c.ReceivedOn, c.ConfirmedOn,
				c.PurchaseAmount, c.ItemCount, c.Note, c.Version, c.CreatedAt, c.UpdatedAt}
		})
	if err != nil {
		return fmt.Errorf("insert purchase cases: %w", err)
	}
	entries := make([]audit.Entry, len(cs))
	for i, c := range cs {
		entries[i] = audit.Entry{Action: "case.create", RecordType: "purchase_case", RecordID: c.ID, After: c}
	}
	return s.audit.RecordAll(ctx, tx, entries)
}

// GetCase returns a purchase case by ID.
func (s *Store) GetCase(ctx context.Context, id string) (PurchaseCase, error) {
	return getCase(ctx, s.db, `pc.id = ?`, id, false)
}

// GetCaseByCode returns a purchase case by its code (TK000001).
func (s *Store) GetCaseByCode(ctx context.Context, code string) (PurchaseCase, error) {
	return getCase(ctx, s.db, `pc.code = ?`, code, false)
}

func getCase(ctx context.Context, q db.Querier, where, key string, lock bool) (PurchaseCase, error) {
	query := `SELECT ` + caseColumns + ` FROM purchase_cases pc WHERE ` + where
	if lock {
		query += db.ForUpdate(q.Dialect())
	}
	c, err := scanCase(q.QueryRowContext(ctx, query, key))
	if errors.Is(err, sql.ErrNoRows) {
		return PurchaseCase{}, notFound("買取ケース", key)
	}
	if err != nil {
		return PurchaseCase{}, fmt.Errorf("get purchase case %s: %w", key, err)
	}
	return c, nil
}

// UpdateCase saves the editable fields of c. c.Version must be the version that was read
// (errs.Conflict if stale). The status may change as CaseStatuses allows: a cancelled case is
// final, a stocked case can't be cancelled.
func (s *Store) UpdateCase(ctx context.Context, c PurchaseCase) (PurchaseCase, error) {
	return s.ModifyCase(ctx, c.ID, func(cur *PurchaseCase) error {
		if err := checkVersion("買取ケース", c.ID, c.Version, cur.Version); err != nil {
			return err
		}
		*cur = c
		return nil
	})
}

// CancelCase cancels a case (allowed until it is stocked).
func (s *Store) CancelCase(ctx context.Context, id string, version int, reason string) (PurchaseCase, error) {
	return s.ModifyCase(ctx, id, func(c *PurchaseCase) error {
		if err := checkVersion("買取ケース", id, version, c.Version); err != nil {
			return err
		}
		if !CaseStatuses.Allows(c.Status, "cancel") {
			return errs.Conflict(fmt.Sprintf("「%s」の買取ケースはキャンセルできません", CaseStatuses.Label(c.Status)))
		}
		c.Status = "cancelled"
		if reason != "" {
			c.Note = strings.TrimSpace(c.Note + "\nキャンセル理由: " + reason)
		}
		return nil
	})
}

// ModifyCase reads a case under lock, lets fn change it, checks the status transition,
// validates and saves: the way for jobs and rooms to change a case without a version in hand.
// Kind, code and the creation time never change.
func (s *Store) ModifyCase(ctx context.Context, id string, fn func(c *PurchaseCase) error) (PurchaseCase, error) {
	var out PurchaseCase
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		before, err := getCase(ctx, tx, `pc.id = ?`, id, true)
		if err != nil {
			return err
		}
		c := before
		if err := fn(&c); err != nil {
			return err
		}
		c.ID, c.Code, c.Kind, c.CreatedAt = before.ID, before.Code, before.Kind, before.CreatedAt
		if err := caseTransition(before.Status, c.Status); err != nil {
			return err
		}
		if c, err = ValidateCase(c); err != nil {
			return err
		}
		if c.ShopID != before.ShopID {
			if err := mustExist(ctx, tx, "shops", "shop_id", "店舗", []string{c.ShopID}); err != nil {
				return err
			}
		}
		if c.CustomerID != before.CustomerID {
			if err := mustExist(ctx, tx, "customers", "customer_id", "顧客", []string{c.CustomerID}); err != nil {
				return err
			}
		}
		c.Version, c.UpdatedAt = before.Version+1, s.now()
		_, err = tx.ExecContext(ctx, `UPDATE purchase_cases SET shop_id = ?, customer_id = ?, status = ?,
			received_on = ?, confirmed_on = ?, purchase_amount = ?, item_count = ?, note = ?, version = ?,
			updated_at = ? WHERE id = ?`,
			c.ShopID, c.CustomerID, c.Status, c.ReceivedOn, c.ConfirmedOn, c.PurchaseAmount, c.ItemCount,
			c.Note, c.Version, c.UpdatedAt, c.ID)
		if err != nil {
			return fmt.Errorf("update purchase case %s: %w", id, err)
		}
		out = c
		action := "case.update"
		if c.Status != before.Status && c.Status == "cancelled" {
			action = "case.cancel"
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: action, RecordType: "purchase_case", RecordID: id, Before: before, After: c})
	})
	return out, err
}

// mustExist checks that every ID names a row of table, with one query per 500 IDs; a missing
// one is a validation error on field.
func mustExist(ctx context.Context, q db.Querier, table, field, label string, ids []string) error {
	uniq := map[string]bool{}
	var list []string
	for _, id := range ids {
		if !uniq[id] {
			uniq[id] = true
			list = append(list, id)
		}
	}
	for start := 0; start < len(list); start += 500 {
		chunk := list[start:min(len(list), start+500)]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := q.QueryContext(ctx, `SELECT id FROM `+table+` WHERE id IN (`+db.Placeholders(len(chunk))+`)`, args...)
		if err != nil {
			return fmt.Errorf("check %s: %w", table, err)
		}
		found := map[string]bool{}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			found[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range chunk {
			if !found[id] {
				return errs.Invalid(label+"が見つかりません（"+id+"）").Field(field, label+"が見つかりません。選び直してください")
			}
		}
	}
	return nil
}
