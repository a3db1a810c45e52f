package commerce

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"time"

	"kessai/internal/platform/db"
	"kessai/internal/platform/jpcsv"
)

var orderRequired = []string{colOrderKey, colShopCode, colPaymentMethod, colItemName, colUnitPrice, colQuantity}

// errKeysApart means a 受注キー came back after other keys' rows: the file cannot be grouped in
// one pass and is imported whole (importOrdersWhole).
var errKeysApart = errors.New("order lines of one key are not adjacent")

// ImportOrdersWith is ImportOrders with progress. A file whose lines of each order are together
// (as kessai and shop systems write them) streams: each order is checked when its last line has
// been read. Otherwise it is grouped in memory, as a file of any order is allowed.
func (s *Store) ImportOrdersWith(ctx context.Context, r io.Reader, opt ImportOptions) (ImportResult, error) {
	f, done, err := seekable(r)
	if err != nil {
		return ImportResult{}, err
	}
	defer done()
	shops, customers, err := s.codeMaps(ctx)
	if err != nil {
		return ImportResult{}, err
	}
	now := s.now()
	res, err := s.importFile(ctx, f, opt, importSpec{required: orderRequired, tables: []string{"orders", "order_lines"},
		check: func(rd *jpcsv.Reader, c *jpcsv.Collector, row func()) error {
			g := newOrderGrouper(shops, customers, now, c, nil)
			return g.run(rd, row)
		},
		write: func(ctx context.Context, tx *db.Tx, rd *jpcsv.Reader, row func(), created func(id, code string)) error {
			batch := make([]Order, 0, importBatch)
			flush := func() error {
				if len(batch) == 0 {
					return nil
				}
				if err := s.insertOrders(ctx, tx, batch); err != nil {
					return err
				}
				for _, o := range batch {
					created(o.ID, o.Number)
				}
				batch = batch[:0]
				return nil
			}
			var c jpcsv.Collector
			g := newOrderGrouper(shops, customers, now, &c, func(o Order) error {
				o.OrderedAt = o.OrderedAt.UTC()
				if batch = append(batch, o); len(batch) == importBatch {
					return flush()
				}
				return nil
			})
			err := g.run(rd, row)
			if err == nil {
				err = c.Err()
			}
			if err == nil {
				err = flush()
			}
			return err
		}})
	if !errors.Is(err, errKeysApart) {
		return res, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return ImportResult{}, fmt.Errorf("import: rewind: %w", err)
	}
	return s.importOrdersWhole(ctx, f, opt.Also)
}

// orderGroup is the rows of one 受注キー read so far.
type orderGroup struct {
	key   string
	order Order
	first jpcsv.Record
	rows  []jpcsv.Record
	bad   bool            // a row of the group has a problem
	errs  jpcsv.Collector // the group's rows' problems
}

// orderGrouper reads an order CSV whose rows of each key are adjacent, one order at a time:
// when a key's rows end, the order is validated (problems go to coll) and, if good, given to emit.
type orderGrouper struct {
	shops, customers map[string]string
	now              time.Time
	coll             *jpcsv.Collector
	emit             func(Order) error
	cur              *orderGroup
	// closed holds the keys whose rows have ended, hashed (16 bytes a key): a key seen again
	// means the file is not grouped. A collision only sends a file to the in-memory import.
	closed map[uint64]struct{}
	seed   maphash.Seed
}

func newOrderGrouper(shops, customers map[string]string, now time.Time, coll *jpcsv.Collector, emit func(Order) error) *orderGrouper {
	return &orderGrouper{shops: shops, customers: customers, now: now, coll: coll, emit: emit,
		closed: map[uint64]struct{}{}, seed: maphash.MakeSeed()}
}

func (g *orderGrouper) run(rd *jpcsv.Reader, row func()) error {
	err := eachRecord(rd, g.coll, func(rec jpcsv.Record) error {
		row()
		return g.add(rec)
	})
	if err != nil {
		return err
	}
	return g.close()
}

// add reads one row. Problems of the row itself are collected with the group's (so that the
// order's checks know which cells were already reported); errors returned are the database's
// or errKeysApart.
func (g *orderGrouper) add(rec jpcsv.Record) error {
	var c jpcsv.Collector
	key, line := orderLineOf(&c, rec)
	if key == "" {
		g.coll.AddErr(rec.Row, c.Err()) // belongs to no order
		return nil
	}
	if g.cur == nil || g.cur.key != key {
		if err := g.close(); err != nil {
			return err
		}
		if _, seen := g.closed[maphash.String(g.seed, key)]; seen {
			return errKeysApart
		}
		g.cur = &orderGroup{key: key, first: rec, order: orderHeader(&c, rec, g.shops, g.customers)}
	} else {
		for _, col := range orderHeaderColumns {
			if cellText(rec, col) != cellText(g.cur.first, col) {
				c.Add(rec.Error(col, fmt.Sprintf("同じ受注キー「%s」の%d行目と値が違います。受注の項目は明細行すべてで同じにしてください", key, g.cur.first.Row)))
			}
		}
	}
	if c.Len() > 0 {
		g.cur.bad = true
		g.cur.errs.AddErr(rec.Row, c.Err())
	}
	// A line with a bad cell is still validated, so the file's every problem shows at once.
	g.cur.order.Lines = append(g.cur.order.Lines, line)
	g.cur.rows = append(g.cur.rows, rec)
	return nil
}

// close validates the current order, as importOrdersWhole does each group.
func (g *orderGrouper) close() error {
	cur := g.cur
	if cur == nil {
		return nil
	}
	g.cur = nil
	g.closed[maphash.String(g.seed, cur.key)] = struct{}{}
	reported := reportedCells(&cur.errs)
	var c jpcsv.Collector
	cur.order.Subtotal = cellInt(&c, cur.first, colSubtotal)
	cur.order.Total = cellInt(&c, cur.first, colTotal)
	if cur.order.OrderedAt.IsZero() {
		cur.order.OrderedAt = g.now
	}
	o, err := ValidateOrder(cur.order)
	if err != nil {
		orderFieldErrors(&c, cur.first, cur.rows, err, cur.bad, reported)
	}
	g.coll.AddErr(cur.first.Row, cur.errs.Err())
	g.coll.AddErr(cur.first.Row, c.Err())
	if cur.errs.Len() > 0 || c.Len() > 0 || g.emit == nil {
		return nil
	}
	return g.emit(o)
}

// orderHeader reads the order-level columns of a key's first row.
func orderHeader(c *jpcsv.Collector, rec jpcsv.Record, shops, customers map[string]string) Order {
	return Order{
		Source:              "csv",
		ShopID:              lookupCode(c, rec, colShopCode, shops, "店舗コード", true),
		CustomerID:          lookupCode(c, rec, colCustomerCode, customers, "顧客番号", false),
		OrderedAt:           cellDateTime(c, rec, colOrderedAt),
		PaymentMethod:       cellCode(c, rec, colPaymentMethod, PaymentMethods, ""),
		OrderStatus:         cellCode(c, rec, colOrderStatus, OrderStatuses, ""),
		PaymentStatus:       cellCode(c, rec, colPaymentStatus, PaymentStatuses, ""),
		AuthorizationStatus: cellCode(c, rec, colAuthStatus, AuthorizationStatuses, ""),
		AuthorizedOn:        cellDate(c, rec, colAuthorizedOn),
		Tax:                 cellInt(c, rec, colTax),
		ShippingFee:         cellInt(c, rec, colShippingFee),
		Carrier:             cellText(rec, colCarrier),
		TrackingNumber:      cellText(rec, colTracking),
		ShippedOn:           cellDate(c, rec, colShippedOn),
		ExternalRef:         cellText(rec, colExternalRef),
		ShipName:            cellText(rec, colShipName),
		ShipPostalCode:      cellText(rec, colShipPostalCode),
		ShipAddress:         cellText(rec, colShipAddress),
		ShipPhone:           cellText(rec, colShipPhone),
		Note:                cellText(rec, colNote),
	}
}

// orderLineOf reads a row's 受注キー and its line (both imports' one reading of a row); the
// row's problems go to c.
func orderLineOf(c *jpcsv.Collector, rec jpcsv.Record) (string, OrderLine) {
	key := cellText(rec, colOrderKey)
	if key == "" {
		c.Add(rec.Error(colOrderKey, "受注キーを入力してください（同じ受注の明細行には同じキー）"))
	}
	line := OrderLine{
		SKU:       cellText(rec, colSKU),
		Name:      cellText(rec, colItemName),
		UnitPrice: cellInt(c, rec, colUnitPrice),
		Quantity:  int(cellInt(c, rec, colQuantity)),
		TaxRate:   10,
		Amount:    cellInt(c, rec, colLineAmount),
	}
	if cellText(rec, colTaxRate) != "" {
		line.TaxRate = int(cellInt(c, rec, colTaxRate))
	}
	return key, line
}
