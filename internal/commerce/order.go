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

const orderColumns = `o.id, o.number, o.shop_id, COALESCE(o.customer_id, ''), o.source, o.ordered_at, o.subtotal,
	o.tax, o.shipping_fee, o.total, o.payment_method, o.order_status, o.payment_status, o.authorization_status,
	o.authorized_on, o.carrier, o.tracking_number, o.shipped_on, o.delivery_note_print_on,
	COALESCE(o.parent_order_id, ''), o.cancel_type, COALESCE(o.merged_into_order_id, ''), o.external_ref,
	o.ship_name, o.ship_postal_code, o.ship_address, o.ship_phone, o.note, o.version, o.created_at, o.updated_at`

func orderDest(o *Order) []any {
	return []any{&o.ID, &o.Number, &o.ShopID, &o.CustomerID, &o.Source, &o.OrderedAt, &o.Subtotal,
		&o.Tax, &o.ShippingFee, &o.Total, &o.PaymentMethod, &o.OrderStatus, &o.PaymentStatus, &o.AuthorizationStatus,
		&o.AuthorizedOn, &o.Carrier, &o.TrackingNumber, &o.ShippedOn, &o.DeliveryNotePrintOn,
		&o.ParentOrderID, &o.CancelType, &o.MergedIntoOrderID, &o.ExternalRef,
		&o.ShipName, &o.ShipPostalCode, &o.ShipAddress, &o.ShipPhone, &o.Note, &o.Version, &o.CreatedAt, &o.UpdatedAt}
}

func fixOrderTimes(o *Order) {
	o.OrderedAt, o.CreatedAt, o.UpdatedAt = o.OrderedAt.UTC(), o.CreatedAt.UTC(), o.UpdatedAt.UTC()
}

// nullable stores "" as NULL for optional references.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// authorizingMethods are the payment methods whose payments are authorised (与信) by a provider.
var authorizingMethods = map[string]bool{"credit_card": true, "rakuten_pay": true, "kantan": true, "atobarai": true}

// orderDefaults fills what an order gets when it is left empty.
func orderDefaults(o *Order) {
	if o.Source == "" {
		o.Source = "manual"
	}
	if o.OrderStatus == "" {
		o.OrderStatus = "new"
	}
	if o.PaymentStatus == "" {
		o.PaymentStatus = "unpaid"
	}
	if o.AuthorizationStatus == "" {
		o.AuthorizationStatus = "not_required"
		if authorizingMethods[o.PaymentMethod] {
			o.AuthorizationStatus = "pending"
		}
	}
	if o.CancelType == "" {
		o.CancelType = "0"
	}
}

// ValidateOrder computes and checks an order's money: each line's amount is unit price ×
// quantity, the subtotal is the sum of the lines and the total is subtotal + tax + shipping. A
// figure left at 0 is computed; a figure given that disagrees is an error, so an import that
// sums differently is caught instead of silently changed.
func ValidateOrder(o Order) (Order, error) {
	orderDefaults(&o)
	o.TrackingNumber, o.ExternalRef = strings.TrimSpace(o.TrackingNumber), strings.TrimSpace(o.ExternalRef)
	o.ShipName, o.ShipAddress, o.Note = strings.TrimSpace(o.ShipName), strings.TrimSpace(o.ShipAddress), strings.TrimSpace(o.Note)
	o.ShipPostalCode = normalizePostal(o.ShipPostalCode)
	o.ShipPhone = normalizePhone(o.ShipPhone)
	f := errs.Fields{}
	checkRequired(f, "shop_id", "店舗", o.ShopID)
	checkStatus(f, "source", OrderSources, o.Source)
	checkStatus(f, "payment_method", PaymentMethods, o.PaymentMethod)
	checkStatus(f, "order_status", OrderStatuses, o.OrderStatus)
	checkStatus(f, "payment_status", PaymentStatuses, o.PaymentStatus)
	checkStatus(f, "authorization_status", AuthorizationStatuses, o.AuthorizationStatus)
	checkStatus(f, "cancel_type", CancelTypes, o.CancelType)
	checkDate(f, "authorized_on", "承認日", o.AuthorizedOn, false)
	checkDate(f, "shipped_on", "出荷日", o.ShippedOn, false)
	checkDate(f, "delivery_note_print_on", "納品書印刷指示日", o.DeliveryNotePrintOn, false)
	checkPostal(f, "ship_postal_code", o.ShipPostalCode)
	checkPhone(f, "ship_phone", o.ShipPhone)
	checkMaxLen(f, "ship_name", "お届け先氏名", o.ShipName, maxName)
	checkMaxLen(f, "ship_address", "お届け先住所", o.ShipAddress, maxAddress)
	checkMaxLen(f, "note", "備考", o.Note, maxNote)
	checkMaxLen(f, "carrier", "配送業者", o.Carrier, maxCode)
	checkMaxLen(f, "tracking_number", "送り状番号", o.TrackingNumber, maxCode)
	checkMaxLen(f, "external_ref", "外部受注番号", o.ExternalRef, maxCode)
	checkAmount(f, "tax", "消費税", o.Tax)
	checkAmount(f, "shipping_fee", "送料", o.ShippingFee)
	if o.OrderedAt.IsZero() {
		f.Add("ordered_at", "受注日時を入力してください")
	}
	if len(o.Lines) == 0 {
		f.Add("lines", "明細を1行以上入力してください")
	}
	var subtotal int64
	for i := range o.Lines {
		l := &o.Lines[i]
		l.LineNo = i + 1
		l.Name, l.SKU = strings.TrimSpace(l.Name), strings.TrimSpace(l.SKU)
		key := fmt.Sprintf("lines.%d.", i)
		checkRequired(f, key+"name", fmt.Sprintf("%d行目の商品名", i+1), l.Name)
		checkMaxLen(f, key+"name", fmt.Sprintf("%d行目の商品名", i+1), l.Name, maxName)
		checkMaxLen(f, key+"sku", fmt.Sprintf("%d行目のSKU", i+1), l.SKU, maxCode)
		checkAmount(f, key+"unit_price", fmt.Sprintf("%d行目の単価", i+1), l.UnitPrice)
		if l.Quantity < 1 {
			f.Add(key+"quantity", fmt.Sprintf("%d行目の数量は1以上にしてください", i+1))
		}
		if l.TaxRate != 0 && l.TaxRate != 8 && l.TaxRate != 10 {
			f.Add(key+"tax_rate", fmt.Sprintf("%d行目の税率は10（標準）・8（軽減）・0（非課税）のいずれかにしてください", i+1))
		}
		want := l.UnitPrice * int64(l.Quantity)
		if l.Amount == 0 {
			l.Amount = want
		} else if l.Amount != want {
			f.Add(key+"amount", fmt.Sprintf("%d行目の金額 %d円 が 単価×数量 の %d円 と合いません", i+1, l.Amount, want))
		}
		subtotal += l.Amount
	}
	if o.Subtotal == 0 {
		o.Subtotal = subtotal
	} else if o.Subtotal != subtotal {
		f.Add("subtotal", fmt.Sprintf("小計 %d円 が明細の合計 %d円 と合いません", o.Subtotal, subtotal))
	}
	total := o.Subtotal + o.Tax + o.ShippingFee
	if o.Total == 0 {
		o.Total = total
	} else if o.Total != total {
		f.Add("total", fmt.Sprintf("合計 %d円 が 小計＋消費税＋送料 の %d円 と合いません", o.Total, total))
	}
	return o, f.Err()
}

// orderTransition says whether an order in status from may be saved in status to.
func orderTransition(from, to string) error {
	st, _ := OrderStatuses.Get(from)
	switch {
	case st.Final:
		return errs.Conflict(fmt.Sprintf("「%s」の受注は変更できません", st.Label))
	case to == "cancelled" && from != to:
		if !OrderStatuses.Allows(from, "cancel") {
			return errs.Conflict(fmt.Sprintf("「%s」の受注はキャンセルできません", st.Label))
		}
	case to == "shipped" && from != to:
		if !OrderStatuses.Allows(from, "ship") {
			return errs.Conflict(fmt.Sprintf("「%s」の受注は出荷確定できません。出荷待ちにしてから出荷確定してください", st.Label))
		}
	case !OrderStatuses.Allows(from, "edit"):
		return errs.Conflict(fmt.Sprintf("「%s」の受注は編集できません", st.Label))
	}
	return nil
}

// CreateOrder numbers (<shop code>-000001) and saves a new order with its lines. An empty
// ordered_at is now; empty statuses get their defaults (new, unpaid, pending for methods that
// authorise, else not_required).
func (s *Store) CreateOrder(ctx context.Context, o Order, also ...Also) (Order, error) {
	out, _, err := s.CreateOrderPayment(ctx, o, also...)
	if out.ID != "" {
		// Saved: the payment handler's after-commit error is the room's to record on the order.
		return out, nil
	}
	return out, err
}

// CreateOrderPayment is CreateOrder that runs the payment handler of the order's method (see
// PaymentHandler) and returns what it answers for the API's "payment" (nil when none). An
// error of the handler's AfterCreate comes with the saved order.
func (s *Store) CreateOrderPayment(ctx context.Context, o Order, also ...Also) (Order, map[string]any, error) {
	var after AfterCreate
	if h, ok := s.payments[o.PaymentMethod]; ok && h.Authorize != nil {
		var err error
		if ctx, o, err = h.Authorize(ctx, o); err != nil {
			return Order{}, nil, err // refused: nothing is saved
		}
	}
	pay := func(ctx context.Context, tx *db.Tx, o Order) (err error) {
		after, err = s.paymentCreate(ctx, tx, o)
		return err
	}
	out, err := s.createOrders(ctx, []Order{o}, also, pay)
	if err != nil {
		return Order{}, nil, err
	}
	if after == nil {
		return out[0], nil, nil
	}
	fields, err := after(ctx)
	return out[0], fields, err
}

// CreateOrders saves several orders in one transaction: all or none.
func (s *Store) CreateOrders(ctx context.Context, orders []Order) ([]Order, error) {
	return s.createOrders(ctx, orders, nil, nil)
}

// CreateOrdersTx validates and saves orders in the caller's transaction, so a room can write
// its own rows for the new orders (the provider's reference, the history) atomically with them.
func (s *Store) CreateOrdersTx(ctx context.Context, tx *db.Tx, orders []Order) ([]Order, error) {
	out, err := s.validateNew(orders)
	if err != nil {
		return nil, err
	}
	if err := s.insertOrders(ctx, tx, out); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) validateNew(orders []Order) ([]Order, error) {
	out := make([]Order, len(orders))
	now := s.now()
	for i, o := range orders {
		if o.OrderedAt.IsZero() {
			o.OrderedAt = now
		}
		o.OrderedAt = o.OrderedAt.UTC()
		o.Lines = append([]OrderLine(nil), o.Lines...)
		v, err := ValidateOrder(o)
		if err != nil {
			return nil, withIndex(err, i, len(orders))
		}
		out[i] = v
	}
	return out, nil
}

func (s *Store) createOrders(ctx context.Context, orders []Order, also []Also, pay func(context.Context, *db.Tx, Order) error) ([]Order, error) {
	out, err := s.validateNew(orders)
	if err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := s.insertOrders(ctx, tx, out); err != nil || len(out) != 1 {
			return err
		}
		if pay != nil {
			if err := pay(ctx, tx, out[0]); err != nil {
				return err
			}
		}
		return runAlso(ctx, tx, out[0].ID, also)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) insertOrders(ctx context.Context, tx *db.Tx, os []Order) error {
	if len(os) == 0 {
		return nil
	}
	var shopIDs, customerIDs, orderRefs []string
	for _, o := range os {
		shopIDs = append(shopIDs, o.ShopID)
		if o.CustomerID != "" {
			customerIDs = append(customerIDs, o.CustomerID)
		}
		for _, ref := range []string{o.ParentOrderID, o.MergedIntoOrderID} {
			if ref != "" {
				orderRefs = append(orderRefs, ref)
			}
		}
	}
	codes, err := shopCodes(ctx, tx, shopIDs)
	if err != nil {
		return err
	}
	if err := mustExist(ctx, tx, "customers", "customer_id", "顧客", customerIDs); err != nil {
		return err
	}
	if err := mustExist(ctx, tx, "orders", "parent_order_id", "元の受注", orderRefs); err != nil {
		return err
	}
	perShop := map[string]int{}
	for _, o := range os {
		perShop[o.ShopID]++
	}
	next := map[string]int64{}
	for shopID, n := range perShop {
		first, err := reserve(ctx, tx, counterOrderPrefix+codes[shopID], n)
		if err != nil {
			return err
		}
		next[shopID] = first
	}
	now := s.now()
	var lines []OrderLine
	var lineOrder []string
	for i := range os {
		o := &os[i]
		o.ID = db.NewID("ord")
		o.Number = fmt.Sprintf("%s-%06d", codes[o.ShopID], next[o.ShopID])
		next[o.ShopID]++
		o.Version, o.CreatedAt, o.UpdatedAt = 1, now, now
		for j := range o.Lines {
			o.Lines[j].ID = db.NewID("oln")
			lines = append(lines, o.Lines[j])
			lineOrder = append(lineOrder, o.ID)
		}
	}
	err = db.InsertRows(ctx, tx, "orders", orderInsertColumns, len(os), func(i int) []any { return orderArgs(os[i]) })
	if err != nil {
		return fmt.Errorf("insert orders: %w", err)
	}
	if err := insertLines(ctx, tx, lines, lineOrder); err != nil {
		return err
	}
	entries := make([]audit.Entry, len(os))
	for i, o := range os {
		entries[i] = audit.Entry{Action: "order.create", RecordType: "order", RecordID: o.ID, After: o}
	}
	return s.audit.RecordAll(ctx, tx, entries)
}

var orderInsertColumns = []string{"id", "number", "shop_id", "customer_id", "source", "ordered_at", "subtotal",
	"tax", "shipping_fee", "total", "payment_method", "order_status", "payment_status", "authorization_status", "authorized_on",
	"carrier", "tracking_number", "shipped_on", "delivery_note_print_on", "parent_order_id", "cancel_type",
	"merged_into_order_id", "external_ref", "ship_name", "ship_postal_code", "ship_address", "ship_phone", "note", "version",
	"created_at", "updated_at"}

func orderArgs(o Order) []any {
	return []any{o.ID, o.Number, o.ShopID, nullable(o.CustomerID), o.Source, o.OrderedAt, o.Subtotal,
		o.Tax, o.ShippingFee, o.Total, o.PaymentMethod, o.OrderStatus, o.PaymentStatus, o.AuthorizationStatus, o.AuthorizedOn,
		o.Carrier, o.TrackingNumber, o.ShippedOn, o.DeliveryNotePrintOn, nullable(o.ParentOrderID), o.CancelType,
		nullable(o.MergedIntoOrderID), o.ExternalRef, o.ShipName, o.ShipPostalCode, o.ShipAddress, o.ShipPhone, o.Note, o.Version,
		o.CreatedAt, o.UpdatedAt}
}

func insertLines(ctx context.Context, tx *db.Tx, lines []OrderLine, orderIDs []string) error {
	err := db.InsertRows(ctx, tx, "order_lines", []string{"id", "order_id", "line_no", "sku", "name", "unit_price", "quantity",
		"tax_rate", "amount"}, len(lines), func(i int) []any {
		l := lines[i]
		return []any{l.ID, orderIDs[i], l.LineNo, l.SKU, l.Name, l.UnitPrice, l.Quantity, l.TaxRate, l.Amount}
	})
	if err != nil {
		return fmt.Errorf("insert order lines: %w", err)
	}
	return nil
}

// shopCodes returns the code of each shop ID, and a validation error for an unknown one.
func shopCodes(ctx context.Context, q db.Querier, ids []string) (map[string]string, error) {
	if err := mustExist(ctx, q, "shops", "shop_id", "店舗", ids); err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT id, code FROM shops`)
	if err != nil {
		return nil, fmt.Errorf("shop codes: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, code string
		if err := rows.Scan(&id, &code); err != nil {
			return nil, err
		}
		out[id] = code
	}
	return out, rows.Err()
}

// GetOrder returns an order with its lines.
func (s *Store) GetOrder(ctx context.Context, id string) (Order, error) {
	return getOrder(ctx, s.db, `o.id = ?`, id, false)
}

// GetOrderByNumber returns an order by its number (main-000001), with its lines.
func (s *Store) GetOrderByNumber(ctx context.Context, number string) (Order, error) {
	return getOrder(ctx, s.db, `o.number = ?`, number, false)
}

func getOrder(ctx context.Context, q db.Querier, cond, key string, lock bool) (Order, error) {
	query := `SELECT ` + orderColumns + ` FROM orders o WHERE ` + cond
	if lock {
		query += db.ForUpdate(q.Dialect())
	}
	var o Order
	err := q.QueryRowContext(ctx, query, key).Scan(orderDest(&o)...)
	if errors.Is(err, sql.ErrNoRows) {
		return Order{}, notFound("受注", key)
	}
	if err != nil {
		return Order{}, fmt.Errorf("get order %s: %w", key, err)
	}
	fixOrderTimes(&o)
	lines, err := orderLines(ctx, q, []string{o.ID})
	if err != nil {
		return Order{}, err
	}
	o.Lines = lines[o.ID]
	return o, nil
}

// orderLines loads the lines of many orders with one query per 500 orders.
func orderLines(ctx context.Context, q db.Querier, ids []string) (map[string][]OrderLine, error) {
	out := map[string][]OrderLine{}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(len(ids), start+500)]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := q.QueryContext(ctx, `SELECT id, order_id, line_no, sku, name, unit_price, quantity, tax_rate, amount
			FROM order_lines WHERE order_id IN (`+db.Placeholders(len(chunk))+`) ORDER BY order_id, line_no`, args...)
		if err != nil {
			return nil, fmt.Errorf("order lines: %w", err)
		}
		for rows.Next() {
			var l OrderLine
			var orderID string
			if err := rows.Scan(&l.ID, &orderID, &l.LineNo, &l.SKU, &l.Name, &l.UnitPrice, &l.Quantity, &l.TaxRate, &l.Amount); err != nil {
				rows.Close()
				return nil, err
			}
			out[orderID] = append(out[orderID], l)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// UpdateOrder saves the editable fields of o; o.Version must be the version read. Nil Lines
// keep the stored lines; given lines replace them, and the totals are checked again. The status
// may change as OrderStatuses allows (cancel and ship need those actions; a cancelled order is
// final).
func (s *Store) UpdateOrder(ctx context.Context, o Order) (Order, error) {
	return s.ModifyOrder(ctx, o.ID, func(cur *Order) error {
		if err := checkVersion("受注", o.ID, o.Version, cur.Version); err != nil {
			return err
		}
		lines := cur.Lines
		*cur = o
		if o.Lines == nil {
			cur.Lines = lines
		}
		return nil
	})
}

// CancelOrder cancels an order (キャンセル区分 1).
func (s *Store) CancelOrder(ctx context.Context, id string, version int) (Order, error) {
	return s.ModifyOrder(ctx, id, func(o *Order) error {
		if err := checkVersion("受注", id, version, o.Version); err != nil {
			return err
		}
		o.OrderStatus, o.CancelType = "cancelled", "1"
		return nil
	})
}

// ShipOrder confirms shipment (出荷確定) with the carrier and tracking number.
func (s *Store) ShipOrder(ctx context.Context, id string, version int, carrier, tracking, shippedOn string) (Order, error) {
	return s.ModifyOrder(ctx, id, func(o *Order) error {
		if err := checkVersion("受注", id, version, o.Version); err != nil {
			return err
		}
		if strings.TrimSpace(tracking) == "" {
			return errs.Invalid("出荷確定には送り状番号が必要です").Field("tracking_number", "送り状番号を入力してください")
		}
		if shippedOn == "" {
			shippedOn = s.today()
		}
		o.OrderStatus, o.Carrier, o.TrackingNumber, o.ShippedOn = "shipped", carrier, tracking, shippedOn
		return nil
	})
}

// ModifyOrder reads an order and its lines under lock, lets fn change it, checks the status
// transition and the totals, runs the payment handlers of its method (PaymentHandler.Change,
// which may refuse) and saves it. Number, shop and creation time never change.
func (s *Store) ModifyOrder(ctx context.Context, id string, fn func(o *Order) error) (Order, error) {
	var out Order
	var after []AfterCommit
	err := s.db.InTx(ctx, func(tx *db.Tx) (err error) {
		out, after, err = s.modifyOrder(ctx, tx, id, fn, true, false)
		return err
	})
	if err != nil {
		return Order{}, err
	}
	for _, f := range after {
		f(ctx)
	}
	return out, nil
}

// ModifyOrderTx is ModifyOrder in the caller's transaction, for the room that owns the order's
// payment (its own change, e.g. 実売上 sets 入金済): the payment handlers are not called.
func (s *Store) ModifyOrderTx(ctx context.Context, tx *db.Tx, id string, fn func(o *Order) error) (Order, error) {
	out, _, err := s.modifyOrder(ctx, tx, id, fn, false, false)
	return out, err
}

// ReopenOrderTx takes a cancelled order back to 新規受付 in the caller's transaction, for the
// room that owns its payment (決済方法の変更 keeps an order whose payment was cancelled); fn
// makes the change that keeps it (the new payment method). The payment handlers are not called.
func (s *Store) ReopenOrderTx(ctx context.Context, tx *db.Tx, id string, fn func(o *Order) error) (Order, error) {
	out, _, err := s.modifyOrder(ctx, tx, id, func(o *Order) error {
		if o.OrderStatus != "cancelled" {
			return errs.Conflict(fmt.Sprintf("「%s」の受注はキャンセルされていないため戻せません", OrderStatuses.Label(o.OrderStatus)))
		}
		if err := fn(o); err != nil {
			return err
		}
		o.OrderStatus, o.CancelType = "new", "0"
		return nil
	}, false, true)
	return out, err
}

func (s *Store) modifyOrder(ctx context.Context, tx *db.Tx, id string, fn func(o *Order) error, hooks, reopen bool) (Order, []AfterCommit, error) {
	var out Order
	var after []AfterCommit
	err := func() error {
		before, err := getOrder(ctx, tx, `o.id = ?`, id, true)
		if err != nil {
			return err
		}
		o := before
		o.Lines = append([]OrderLine(nil), before.Lines...)
		if err := fn(&o); err != nil {
			return err
		}
		o.ID, o.Number, o.ShopID, o.CreatedAt = before.ID, before.Number, before.ShopID, before.CreatedAt
		if o.OrderedAt.IsZero() {
			o.OrderedAt = before.OrderedAt
		}
		o.OrderedAt = o.OrderedAt.UTC()
		if !reopen { // a cancelled order is final, except for ReopenOrderTx
			if err := orderTransition(before.OrderStatus, o.OrderStatus); err != nil {
				return err
			}
		}
		if o, err = ValidateOrder(o); err != nil {
			return err
		}
		if o.CustomerID != before.CustomerID && o.CustomerID != "" {
			if err := mustExist(ctx, tx, "customers", "customer_id", "顧客", []string{o.CustomerID}); err != nil {
				return err
			}
		}
		for _, ref := range []string{o.ParentOrderID, o.MergedIntoOrderID} {
			if ref == id {
				return errs.Invalid("受注は自分自身を参照できません").Field("parent_order_id", "別の受注を指定してください")
			}
			if ref != "" {
				if err := mustExist(ctx, tx, "orders", "parent_order_id", "元の受注", []string{ref}); err != nil {
					return err
				}
			}
		}
		if hooks {
			if after, err = s.paymentChange(ctx, tx, OrderChange{Before: before, After: o}); err != nil {
				return err
			}
		}
		o.Version, o.UpdatedAt = before.Version+1, s.now()
		_, err = tx.ExecContext(ctx, `UPDATE orders SET customer_id = ?, source = ?, ordered_at = ?, subtotal = ?,
			tax = ?, shipping_fee = ?, total = ?, payment_method = ?, order_status = ?, payment_status = ?,
			authorization_status = ?, authorized_on = ?, carrier = ?, tracking_number = ?, shipped_on = ?,
			delivery_note_print_on = ?, parent_order_id = ?, cancel_type = ?, merged_into_order_id = ?,
			external_ref = ?, ship_name = ?, ship_postal_code = ?, ship_address = ?, ship_phone = ?, note = ?,
			version = ?, updated_at = ? WHERE id = ?`,
			nullable(o.CustomerID), o.Source, o.OrderedAt, o.Subtotal, o.Tax, o.ShippingFee, o.Total,
			o.PaymentMethod, o.OrderStatus, o.PaymentStatus, o.AuthorizationStatus, o.AuthorizedOn, o.Carrier,
			o.TrackingNumber, o.ShippedOn, o.DeliveryNotePrintOn, nullable(o.ParentOrderID), o.CancelType,
			nullable(o.MergedIntoOrderID), o.ExternalRef, o.ShipName, o.ShipPostalCode, o.ShipAddress, o.ShipPhone,
			o.Note, o.Version, o.UpdatedAt, o.ID)
		if err != nil {
			return fmt.Errorf("update order %s: %w", id, err)
		}
		if sameLines(before.Lines, o.Lines) {
			for i := range o.Lines {
				o.Lines[i].ID = before.Lines[i].ID
			}
		} else {
			if _, err := tx.ExecContext(ctx, `DELETE FROM order_lines WHERE order_id = ?`, id); err != nil {
				return fmt.Errorf("replace lines of %s: %w", id, err)
			}
			ids := make([]string, len(o.Lines))
			for i := range o.Lines {
				o.Lines[i].ID = db.NewID("oln")
				ids[i] = id
			}
			if err := insertLines(ctx, tx, o.Lines, ids); err != nil {
				return err
			}
		}
		out = o
		action := "order.update"
		switch {
		case o.OrderStatus != before.OrderStatus && o.OrderStatus == "cancelled":
			action = "order.cancel"
		case o.OrderStatus != before.OrderStatus && o.OrderStatus == "shipped":
			action = "order.ship"
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: action, RecordType: "order", RecordID: id, Before: before, After: o})
	}()
	if err != nil {
		return Order{}, nil, err
	}
	return out, after, nil
}

// sameLines compares lines by content (IDs aside), so an edit of the header keeps line IDs.
func sameLines(a, b []OrderLine) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		x.ID, y.ID = "", ""
		if x != y {
			return false
		}
	}
	return true
}
