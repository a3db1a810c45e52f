package commerce

import (
	"context"
	"errors"
	"fmt"
	"io"
	"kessai/internal/web"
	"maps"
	"slices"
	"strconv"
	"strings"

	"kessai/internal/platform/errs"
	"kessai/internal/platform/jpcsv"
)

const (
	colOrderKey       = "受注キー"
	colOrderNumber    = "受注番号"
	colOrderedAt      = "受注日時"
	colPaymentMethod  = "支払方法"
	colOrderStatus    = "受注状態"
	colPaymentStatus  = "入金状況"
	colAuthStatus     = "承認状況"
	colAuthorizedOn   = "承認日"
	colSubtotal       = "小計"
	colTax            = "消費税"
	colShippingFee    = "送料"
	colTotal          = "合計"
	colCarrier        = "運送会社"
	colTracking       = "送り状番号"
	colShippedOn      = "出荷日"
	colExternalRef    = "外部受注番号"
	colShipName       = "配送先氏名"
	colShipPostalCode = "配送先郵便番号"
	colShipAddress    = "配送先住所"
	colShipPhone      = "配送先電話番号"
	colSKU            = "商品コード"
	colItemName       = "商品名"
	colUnitPrice      = "単価"
	colQuantity       = "数量"
	colTaxRate        = "税率"
	colLineAmount     = "金額"
)

// orderHeaderColumns are the order-level columns: every row of one 受注キー must agree on them.
var orderHeaderColumns = []string{colShopCode, colCustomerCode, colOrderedAt, colPaymentMethod, colOrderStatus,
	colPaymentStatus, colAuthStatus, colAuthorizedOn, colTax, colShippingFee, colCarrier, colTracking, colShippedOn,
	colExternalRef, colShipName, colShipPostalCode, colShipAddress, colShipPhone, colNote}

var orderColumnsByField = map[string]string{
	"shop_id": colShopCode, "customer_id": colCustomerCode, "ordered_at": colOrderedAt, "payment_method": colPaymentMethod,
	"order_status": colOrderStatus, "payment_status": colPaymentStatus, "authorization_status": colAuthStatus,
	"authorized_on": colAuthorizedOn, "tax": colTax, "shipping_fee": colShippingFee, "shipped_on": colShippedOn,
	"ship_postal_code": colShipPostalCode, "ship_phone": colShipPhone, "subtotal": colSubtotal, "total": colTotal,
}

var lineColumnsByField = map[string]string{
	"name": colItemName, "unit_price": colUnitPrice, "quantity": colQuantity, "tax_rate": colTaxRate, "amount": colLineAmount,
}

// orderLineRow is one CSV row of an order export: the order and one of its lines.
type orderLineRow struct {
	OrderRow
	Line OrderLine
}

var orderTemplates = jpcsv.Templates[orderLineRow]{
	{ID: TemplateStandard, Name: "標準（明細1行ずつ・取込形式）", Columns: []jpcsv.Column[orderLineRow]{
		col(colOrderKey, func(r orderLineRow) string { return r.Number }),
		col(colOrderNumber, func(r orderLineRow) string { return r.Number }),
		col(colShopCode, func(r orderLineRow) string { return r.ShopCode }),
		col(colCustomerCode, func(r orderLineRow) string { return r.CustomerCode }),
		col(colCustomerName, func(r orderLineRow) string { return r.CustomerName }),
		col(colOrderedAt, func(r orderLineRow) string { return web.FormatJST(r.OrderedAt, "2006-01-02 15:04") }),
		col(colPaymentMethod, func(r orderLineRow) string { return PaymentMethods.Label(r.PaymentMethod) }),
		col(colOrderStatus, func(r orderLineRow) string { return OrderStatuses.Label(r.OrderStatus) }),
		col(colPaymentStatus, func(r orderLineRow) string { return PaymentStatuses.Label(r.PaymentStatus) }),
		col(colAuthStatus, func(r orderLineRow) string { return AuthorizationStatuses.Label(r.AuthorizationStatus) }),
		col(colAuthorizedOn, func(r orderLineRow) string { return r.AuthorizedOn }),
		col(colSubtotal, func(r orderLineRow) string { return yen(r.Subtotal) }),
		col(colTax, func(r orderLineRow) string { return yen(r.Tax) }),
		col(colShippingFee, func(r orderLineRow) string { return yen(r.ShippingFee) }),
		col(colTotal, func(r orderLineRow) string { return yen(r.Total) }),
		col(colCarrier, func(r orderLineRow) string { return r.Carrier }),
		col(colTracking, func(r orderLineRow) string { return r.TrackingNumber }),
		col(colShippedOn, func(r orderLineRow) string { return r.ShippedOn }),
		col(colExternalRef, func(r orderLineRow) string { return r.ExternalRef }),
		col(colShipName, func(r orderLineRow) string { return r.ShipName }),
		col(colShipPostalCode, func(r orderLineRow) string { return r.ShipPostalCode }),
		col(colShipAddress, func(r orderLineRow) string { return r.ShipAddress }),
		col(colShipPhone, func(r orderLineRow) string { return r.ShipPhone }),
		col(colNote, func(r orderLineRow) string { return r.Note }),
		col(colSKU, func(r orderLineRow) string { return r.Line.SKU }),
		col(colItemName, func(r orderLineRow) string { return r.Line.Name }),
		col(colUnitPrice, func(r orderLineRow) string { return yen(r.Line.UnitPrice) }),
		col(colQuantity, func(r orderLineRow) string { return strconv.Itoa(r.Line.Quantity) }),
		col(colTaxRate, func(r orderLineRow) string { return strconv.Itoa(r.Line.TaxRate) }),
		col(colLineAmount, func(r orderLineRow) string { return yen(r.Line.Amount) }),
	}},
	{ID: "shipping", Name: "出荷用（1受注1行）", Columns: []jpcsv.Column[orderLineRow]{
		col(colOrderNumber, func(r orderLineRow) string { return r.Number }),
		col(colOrderedAt, func(r orderLineRow) string { return web.FormatJST(r.OrderedAt, "2006-01-02 15:04") }),
		col(colShipName, func(r orderLineRow) string { return r.ShipName }),
		col(colShipPostalCode, func(r orderLineRow) string { return r.ShipPostalCode }),
		col(colShipAddress, func(r orderLineRow) string { return r.ShipAddress }),
		col(colShipPhone, func(r orderLineRow) string { return r.ShipPhone }),
		col(colPaymentMethod, func(r orderLineRow) string { return PaymentMethods.Label(r.PaymentMethod) }),
		col(colTotal, func(r orderLineRow) string { return yen(r.Total) }),
		col(colCarrier, func(r orderLineRow) string { return r.Carrier }),
		col(colTracking, func(r orderLineRow) string { return r.TrackingNumber }),
	}},
}

// OrderExportTemplates lists the order export layouts.
func OrderExportTemplates() []ExportTemplate { return describe(orderTemplates) }

// ExportOrders writes the orders matching f: TemplateStandard has one row per line (the import
// format, 受注キー = 受注番号), "shipping" one row per order. CP932 unless enc says otherwise.
func (s *Store) ExportOrders(ctx context.Context, w io.Writer, f OrderFilter, template string, enc ...jpcsv.Encoding) error {
	if ok, err := s.roomExport(ctx, w, f, template); ok {
		return err
	}
	t, err := findTemplate(orderTemplates, template)
	if err != nil {
		return err
	}
	perLine := t.ID == TemplateStandard
	cw, err := jpcsv.NewWriter(w, encodingOf(enc), t.Header())
	if err != nil {
		return err
	}
	// Orders stream from the database; with lines, 500 orders are held at a time while their
	// lines are read in one query.
	var batch []OrderRow
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		var lines map[string][]OrderLine
		if perLine {
			ids := make([]string, len(batch))
			for i, o := range batch {
				ids[i] = o.ID
			}
			if lines, err = orderLines(ctx, s.db, ids); err != nil {
				return err
			}
		}
		for _, o := range batch {
			ls := lines[o.ID]
			if len(ls) == 0 {
				if err := cw.Write(t.Row(orderLineRow{OrderRow: o})); err != nil {
					return err
				}
			}
			for _, l := range ls {
				if err := cw.Write(t.Row(orderLineRow{OrderRow: o, Line: l})); err != nil {
					return err
				}
			}
		}
		batch = batch[:0]
		return nil
	}
	err = s.eachOrder(ctx, f.where(s.db.Dialect()), f.orderBy(), nil, func(o OrderRow) error {
		if batch = append(batch, o); len(batch) == 500 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	return cw.Close()
}

// streamCSV writes the header of t and one row per item each yields, as they come.
func streamCSV[T any](w io.Writer, enc jpcsv.Encoding, t jpcsv.Template[T], each func(func(T) error) error) error {
	cw, err := jpcsv.NewWriter(w, enc, t.Header())
	if err != nil {
		return err
	}
	if err := each(func(it T) error { return cw.Write(t.Row(it)) }); err != nil {
		return err
	}
	return cw.Close()
}

// ImportOrders reads an order CSV with one row per line, grouped by 受注キー (rows of one key
// need not be adjacent, and must agree on the order-level columns). Required: 受注キー, 店舗コード,
// 支払方法, 商品名, 単価, 数量. 受注日時 is JST (empty: now); 小計 and 合計, when given, are
// checked against the lines. Orders are created with source csv, all in one transaction, or none.
func (s *Store) ImportOrders(ctx context.Context, r io.Reader, also ...Also) (ImportResult, error) {
	return s.ImportOrdersWith(ctx, r, ImportOptions{Also: also})
}

// importOrdersWhole is the import of a file whose lines of one order are not all together: it
// is read whole and grouped in memory.
func (s *Store) importOrdersWhole(ctx context.Context, r io.Reader, also []Also) (ImportResult, error) {
	rd, res, err := openCSV(r, orderRequired...)
	if err != nil {
		return res, err
	}
	shops, customers, err := s.codeMaps(ctx)
	if err != nil {
		return res, err
	}
	type group struct {
		order    Order
		first    jpcsv.Record
		rows     []jpcsv.Record // the record of each line
		bad      bool
		subtotal string // 小計 and 合計 as written, checked once per order
		total    string
	}
	var (
		groups = map[string]*group{}
		keys   []string
		coll   jpcsv.Collector
	)
	for {
		rec, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			if !errors.As(err, new(jpcsv.RowError)) {
				return res, fmt.Errorf("read order csv: %w", err)
			}
			coll.AddErr(rec.Row, err)
			if jpcsv.IsFatal(err) {
				break
			}
			continue
		}
		res.Rows++
		var c jpcsv.Collector
		key, line := orderLineOf(&c, rec)
		g, seen := groups[key]
		if key != "" && !seen {
			g = &group{first: rec, subtotal: cellText(rec, colSubtotal), total: cellText(rec, colTotal)}
			g.order = orderHeader(&c, rec, shops, customers)
			groups[key] = g
			keys = append(keys, key)
		} else if seen {
			for _, col := range orderHeaderColumns {
				if cellText(rec, col) != cellText(g.first, col) {
					c.Add(rec.Error(col, fmt.Sprintf("同じ受注キー「%s」の%d行目と値が違います。受注の項目は明細行すべてで同じにしてください", key, g.first.Row)))
				}
			}
		}
		if c.Len() > 0 {
			if g != nil {
				g.bad = true
			}
			coll.AddErr(rec.Row, c.Err())
		}
		if g == nil {
			continue
		}
		// A line with a bad cell is still validated, so the file's every problem shows at once.
		g.order.Lines = append(g.order.Lines, line)
		g.rows = append(g.rows, rec)
	}
	now := s.now()
	orders := make([]Order, 0, len(keys))
	reported := reportedCells(&coll)
	for _, key := range keys {
		g := groups[key]
		var c jpcsv.Collector
		g.order.Subtotal = cellInt(&c, g.first, colSubtotal)
		g.order.Total = cellInt(&c, g.first, colTotal)
		if g.order.OrderedAt.IsZero() {
			g.order.OrderedAt = now
		}
		o, err := ValidateOrder(g.order)
		if err != nil {
			// A group with a bad row still has its other lines checked; its totals are not,
			// since a line is missing from them.
			orderFieldErrors(&c, g.first, g.rows, err, g.bad, reported)
		}
		coll.AddErr(g.first.Row, c.Err())
		orders = append(orders, o)
	}
	if err := coll.Err(); err != nil {
		return importError(res, err, rd.Header())
	}
	created, err := s.createOrders(ctx, orders, also, nil)
	if err != nil {
		return res, err
	}
	res.Created = len(created)
	for _, o := range created[:min(len(created), maxListed)] {
		res.IDs, res.Codes = append(res.IDs, o.ID), append(res.Codes, o.Number)
	}
	if len(created) > 0 {
		res.LastCode = created[len(created)-1].Number
	}
	s.afterImport(ctx, len(created), "orders", "order_lines")
	return res, nil
}

// orderFieldErrors reports ValidateOrder's fields: line fields (lines.N.x) on the row of that
// line, order fields on the order's first row. Cells already reported (a value that could not
// be read) are not reported again. In a group with a bad row (bad), 金額 of a line whose 単価 or
// 数量 could not be read and the order's 小計 and 合計 are not checked: they would only repeat
// that problem.
func orderFieldErrors(c *jpcsv.Collector, first jpcsv.Record, lines []jpcsv.Record, err error, bad bool, reported map[int]map[string]bool) {
	e := errs.As(err)
	if e == nil {
		c.AddErr(first.Row, err)
		return
	}
	fields := slices.Sorted(maps.Keys(e.Fields))
	for _, field := range fields {
		msg := e.Fields[field]
		if rest, ok := strings.CutPrefix(field, "lines."); ok {
			idx, name, _ := strings.Cut(rest, ".")
			i, _ := strconv.Atoi(idx)
			if i >= 0 && i < len(lines) {
				col, seen := lineColumnsByField[name], reported[lines[i].Row]
				if seen[col] || (name == "amount" && (seen[colUnitPrice] || seen[colQuantity])) {
					continue
				}
				c.Add(lines[i].Error(col, msg))
				continue
			}
		}
		if bad && (field == "subtotal" || field == "total") {
			continue
		}
		col := orderColumnsByField[field]
		if reported[first.Row][col] {
			continue
		}
		if col != "" {
			c.Add(first.Error(col, msg))
		} else {
			c.Add(jpcsv.RowError{Row: first.Row, Message: msg})
		}
	}
}
