package atobarai

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/jpcsv"
	"kessai/internal/provider/yamato"
)

// CSV mode: the merchant uploads the 買手情報一括登録CSV on Yamato's admin screen, downloads
// the クロネコ後払い与信結果データ and imports it here; after shipping, the 出荷情報一括登録CSV.
// The layouts are provider/yamato's (BuyerCSV, CreditResultCSV, ShipmentCSV).

// Template IDs of the order export menu and the data kind of the order import.
const (
	TemplateBuyer      = "yamato_buyer"
	TemplateShipment   = "yamato_shipment"
	DataKindCreditData = "yamato_credit_result"
)

// Orders reads the orders f selects (with lines) and their customers' email addresses.
type Orders interface {
	ListOrders(ctx context.Context, f commerce.OrderFilter, withLines bool) ([]commerce.OrderRow, error)
	ModifyOrder(ctx context.Context, id string, fn func(o *commerce.Order) error) (commerce.Order, error)
}

var orderNoRule = regexp.MustCompile(`^[0-9A-Za-z_-]{1,20}$`)

// emails are the customers' email addresses by customer ID.
func (s *Service) emails(ctx context.Context, rows []commerce.OrderRow) (map[string]string, error) {
	out := map[string]string{}
	var ids []any
	seen := map[string]bool{}
	for _, o := range rows {
		if o.CustomerID != "" && !seen[o.CustomerID] {
			seen[o.CustomerID] = true
			ids = append(ids, o.CustomerID)
		}
	}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		r, err := s.db.QueryContext(ctx, `SELECT id, email FROM customers WHERE id IN (`+db.Placeholders(n)+`)`, ids[:n]...)
		if err != nil {
			return nil, fmt.Errorf("atobarai: customers' email: %w", err)
		}
		for r.Next() {
			var id, email string
			if err := r.Scan(&id, &email); err != nil {
				r.Close()
				return nil, err
			}
			out[id] = email
		}
		r.Close()
		ids = ids[n:]
	}
	return out, nil
}

// shipDateOf reads ship_date (YYYY-MM-DD, JST) of an export; today when empty.
func (s *Service) shipDateOf(q url.Values) (time.Time, error) {
	v := q.Get("ship_date")
	if v == "" {
		v = s.today()
	}
	d, err := time.ParseInLocation("2006-01-02", v, clock.JST)
	if err != nil {
		return d, errs.Invalid("出荷予定日が正しくありません: "+v).Field("ship_date", "YYYY-MM-DD で指定してください（省略時は今日）")
	}
	return d, nil
}

// ExportBuyerCSV writes the 買手情報一括登録CSV (106 columns, CP932, header row) of the
// orders paid by クロネコ代金後払い among those f selects that have no credit yet (others are
// left out: Yamato refuses an order number twice). Each gets a CSV-mode transaction whose
// 受注番号 is the order number. q: ship_date (出荷予定日, default today), set_status (change the
// exported orders' 受注状態 too). An order Yamato's rules refuse fails the whole file with
// every row's reason.
func (s *Service) ExportBuyerCSV(ctx context.Context, orders Orders, w io.Writer, f commerce.OrderFilter, q url.Values) error {
	ship, err := s.shipDateOf(q)
	if err != nil {
		return err
	}
	setStatus := q.Get("set_status")
	if setStatus != "" && !commerce.OrderStatuses.Valid(setStatus) {
		return errs.Invalid("変更する受注状態が正しくありません: "+setStatus).Field("set_status", "受注状態のコードを指定してください")
	}
	f.PaymentMethods = []string{PaymentMethod}
	rows, err := orders.ListOrders(ctx, f, true)
	if err != nil {
		return err
	}
	emails, err := s.emails(ctx, rows)
	if err != nil {
		return err
	}
	have, err := s.txnsOf(ctx, rows)
	if err != nil {
		return err
	}
	var out []yamato.BuyerRow
	var fresh []Txn
	var exported []string
	for _, o := range rows {
		t, ok := have[o.ID]
		if ok && t.Credit != CreditNew && t.Credit != CreditFailed {
			continue
		}
		r := CreditRequestOf(o.Order, emails[o.CustomerID], ship)
		switch {
		case ok:
			r.OrderNo = t.OrderNo
		case orderNoRule.MatchString(o.Number):
			r.OrderNo = o.Number
		default:
			r.OrderNo = NewOrderNo()
		}
		out = append(out, yamato.BuyerRowFrom(r))
		exported = append(exported, o.ID)
		if !ok {
			b, _ := json.Marshal(r)
			now := s.now()
			fresh = append(fresh, Txn{ID: db.NewID("ato"), OrderID: o.ID, OrderNo: r.OrderNo, Mode: ModeCSV, Total: r.TotalAmount,
				InitialTotal: r.TotalAmount, Credit: CreditNew, CreatedAt: now, UpdatedAt: now, request: string(b)})
		}
	}
	// WriteBuyerCSV checks every row against Yamato's rules first (the row numbers are the
	// file's): a refusal writes nothing, and no transaction is recorded for it.
	var file bytes.Buffer
	if err := yamato.WriteBuyerCSV(&file, s.now(), out); err != nil {
		return csvRowsInvalid("買手情報一括登録CSVにできない受注があります", err)
	}
	if len(fresh) > 0 {
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			return db.InsertBatches(ctx, tx, `INSERT INTO atobarai_transactions (id, order_id, order_no, mode, request, total, initial_total,
				credit, created_at, updated_at) VALUES `, 10, len(fresh), func(i int) []any {
				t := fresh[i]
				return []any{t.ID, t.OrderID, t.OrderNo, t.Mode, t.request, t.Total, t.InitialTotal, t.Credit, t.CreatedAt, t.UpdatedAt}
			})
		})
		if db.IsUniqueViolation(err) {
			return errs.Conflict("ほかの出力と同時に実行されました。もう一度出力してください")
		}
		if err != nil {
			return fmt.Errorf("atobarai: record exported transactions: %w", err)
		}
	}
	if _, err := file.WriteTo(w); err != nil {
		return err
	}
	if setStatus != "" {
		for _, id := range exported {
			if _, err := orders.ModifyOrder(ctx, id, func(o *commerce.Order) error { o.OrderStatus = setStatus; return nil }); err != nil {
				return fmt.Errorf("atobarai: exported, but the status of %s was not changed: %w", id, err)
			}
		}
	}
	return nil
}

// csvRowsInvalid turns row errors into an error a page and the API show row by row.
func csvRowsInvalid(msg string, err error) error {
	es, ok := err.(jpcsv.Errors)
	if !ok {
		return err
	}
	e := errs.Invalid(fmt.Sprintf("%s（%d件）", msg, len(es)))
	for _, re := range es {
		key := "rows." + strconv.Itoa(re.Row)
		if re.Column != "" {
			key += "." + re.Column
		}
		m := re.Message
		if prev, ok := e.Fields[key]; ok {
			m = prev + " / " + m
		}
		e.Field(key, m)
	}
	return e
}

// txnsOf are the transactions of rows' orders, by order ID.
func (s *Service) txnsOf(ctx context.Context, rows []commerce.OrderRow) (map[string]Txn, error) {
	out := map[string]Txn{}
	for i := 0; i < len(rows); i += 500 {
		chunk := rows[i:min(i+500, len(rows))]
		args := make([]any, len(chunk))
		for j, o := range chunk {
			args[j] = o.ID
		}
		ts, err := db.Collect(ctx, s.db, `SELECT `+txnColumns+` FROM atobarai_transactions t WHERE t.order_id IN (`+db.Placeholders(len(chunk))+`)`, args, scanTxnRow)
		if err != nil {
			return nil, fmt.Errorf("atobarai: transactions of orders: %w", err)
		}
		for _, t := range ts {
			out[t.OrderID] = t
		}
	}
	return out, nil
}

// ImportCreditResults reads a クロネコ後払い与信結果データ file and applies it all or nothing:
// every row's 受注番号 must be a transaction of kessai's; a file with any bad row changes
// nothing and names every row. Results: 0 与信OK, 1/2 与信NG, 3 与信保留.
func (s *Service) ImportCreditResults(ctx context.Context, r io.Reader) (commerce.ImportResult, error) {
	var res commerce.ImportResult
	rows, err := yamato.ReadCreditResultCSV(r)
	if err != nil {
		return res, csvRowsInvalid("与信結果データを取り込めません。1行も取り込んでいません", err)
	}
	res.Rows = len(rows)
	var c jpcsv.Collector
	known, err := s.txnsByOrderNo(ctx, rows)
	if err != nil {
		return res, err
	}
	txns := make([]Txn, len(rows))
	for i, row := range rows {
		t, ok := known[row.OrderNo]
		switch {
		case !ok:
			c.Add(jpcsv.RowError{Row: i + 2, Column: "受注番号", Value: row.OrderNo, Message: "この受注番号の後払い取引が kessai にありません（買手情報一括登録CSVで出力した受注ですか）"})
		case t.OrderID == "":
			c.Add(jpcsv.RowError{Row: i + 2, Column: "受注番号", Value: row.OrderNo, Message: "受注のない取引です"})
		case row.Total != 0 && row.Total != t.Total:
			c.Add(jpcsv.RowError{Row: i + 2, Column: "請求金額合計", Value: strconv.FormatInt(row.Total, 10),
				Message: fmt.Sprintf("kessai の請求金額 %d円 と違います", t.Total)})
		case t.Busy != "":
			c.Add(jpcsv.RowError{Row: i + 2, Column: "受注番号", Value: row.OrderNo, Message: opLabel(t.Busy) + "の送信中です"})
		}
		txns[i] = t
	}
	if err := c.Err(); err != nil {
		return res, csvRowsInvalid("与信結果データを取り込めません。1行も取り込んでいません", err)
	}
	now := s.now()
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var auths []commerce.AuthorizationChange
		for i, row := range rows {
			t := txns[i]
			d := creditOf(row.Result)
			st := t.Status
			if st == "" && (d == CreditOK || d == CreditHold) {
				st = string(yamato.StatusApproved)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE atobarai_transactions SET credit = ?, credit_result = ?, status = ?, last_error = '',
				credited_at = COALESCE(credited_at, ?), updated_at = ? WHERE id = ?`, d, string(row.Result), st, now, now, t.ID); err != nil {
				return fmt.Errorf("atobarai: apply credit result of %s: %w", t.OrderNo, err)
			}
			if err := s.note(ctx, tx, t, "credit.imported", fmt.Sprintf("与信結果データを取り込みました: %s（審査結果 %s %s）", CreditStates.Label(d), row.Result, row.Result.Label()), ""); err != nil {
				return err
			}
			if d != t.Credit {
				if a, ok := authorizationOf[d]; ok && s.store != nil {
					auths = append(auths, commerce.AuthorizationChange{OrderID: t.OrderID, Status: a, AuthorizedOn: now.In(clock.JST).Format("2006-01-02")})
				} else if s.OnCredit != nil {
					t.Credit = d
					if err := s.OnCredit(ctx, tx, t); err != nil {
						return err
					}
				}
			}
			res.IDs = append(res.IDs, t.OrderID)
			res.Codes = append(res.Codes, t.OrderNo)
		}
		// The orders' 承認状況 in bulk (audited per order), not one ModifyOrderTx each.
		if len(auths) > 0 {
			return s.store.SetAuthorizationsTx(ctx, tx, auths)
		}
		return nil
	})
	if err != nil {
		return commerce.ImportResult{}, err
	}
	res.Created = len(rows)
	res.Encoding = "cp932"
	return res, nil
}

// txnsByOrderNo reads the transactions of rows' 受注番号, 500 at a time.
func (s *Service) txnsByOrderNo(ctx context.Context, rows []yamato.CreditResultRow) (map[string]Txn, error) {
	out := make(map[string]Txn, len(rows))
	for i := 0; i < len(rows); i += 500 {
		chunk := rows[i:min(i+500, len(rows))]
		args := make([]any, len(chunk))
		for j, r := range chunk {
			args[j] = r.OrderNo
		}
		ts, err := db.Collect(ctx, s.db, `SELECT `+txnColumns+` FROM atobarai_transactions t WHERE t.order_no IN (`+db.Placeholders(len(chunk))+`)`, args, scanTxnRow)
		if err != nil {
			return nil, fmt.Errorf("atobarai: transactions of the result file: %w", err)
		}
		for _, t := range ts {
			out[t.OrderNo] = t
		}
	}
	return out, nil
}

// authorizationOf is the order's 承認状況 for a credit decision.
var authorizationOf = map[string]string{CreditOK: "authorized", CreditNG: "failed", CreditHold: "pending"}

func creditOf(r yamato.CreditResult) string {
	switch r {
	case yamato.CreditOK:
		return CreditOK
	case yamato.CreditNG, yamato.CreditOverMax:
		return CreditNG
	case yamato.CreditReviewed:
		return CreditHold
	}
	return CreditUnclear
}

// ExportShipmentCSV writes the 出荷情報一括登録CSV of the selected クロネコ代金後払い orders that
// are 与信OK and have a tracking number (ヤマト運輸, 処理区分 0; 出荷日 = the order's, else today).
func (s *Service) ExportShipmentCSV(ctx context.Context, orders Orders, w io.Writer, f commerce.OrderFilter, _ url.Values) error {
	f.PaymentMethods = []string{PaymentMethod}
	rows, err := orders.ListOrders(ctx, f, false)
	if err != nil {
		return err
	}
	have, err := s.txnsOf(ctx, rows)
	if err != nil {
		return err
	}
	var out []yamato.ShipmentRow
	var c jpcsv.Collector
	for _, o := range rows {
		t, ok := have[o.ID]
		if !ok || t.Credit != CreditOK {
			continue
		}
		no := o.TrackingNumber
		if no == "" {
			no = t.TrackingNo
		}
		if no == "" {
			c.Add(jpcsv.RowError{Row: len(out) + 2, Column: "送り状番号", Message: o.Number + ": 送り状番号がありません"})
		}
		day := time.Time{}
		if o.ShippedOn != "" {
			day, _ = time.ParseInLocation("2006-01-02", o.ShippedOn, clock.JST)
		}
		if day.IsZero() {
			day = s.clock.Now()
		}
		out = append(out, yamato.ShipmentRow{ShipmentRequest: yamato.ShipmentRequest{OrderNo: t.OrderNo, TrackingNo: no, ProcessDiv: yamato.ProcessRegister, ShipDate: day}})
	}
	if err := c.Err(); err != nil {
		return csvRowsInvalid("出荷情報一括登録CSVにできない受注があります", err)
	}
	if err := yamato.WriteShipmentCSV(w, s.now(), out); err != nil {
		return csvRowsInvalid("出荷情報一括登録CSVにできない受注があります", err)
	}
	return nil
}
