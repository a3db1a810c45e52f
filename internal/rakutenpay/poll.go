package rakutenpay

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/provider/rakuten"
)

// Report is what one poll of a shop did.
type Report struct {
	ShopID    string   `json:"shop_id"`
	Skipped   string   `json:"skipped,omitempty"` // why the shop was not polled
	Imported  int      `json:"imported"`
	Confirmed int      `json:"confirmed"`
	Read      int      `json:"read"`      // Rakuten orders of existing slips read
	Updated   int      `json:"updated"`   // slips changed by a rule
	Noted     int      `json:"noted"`     // new history lines without a slip change
	Unchanged int      `json:"unchanged"` // read, nothing new
	Conflicts int      `json:"conflicts"` // edited by staff meanwhile: tried again next poll
	Unmapped  int      `json:"unmapped"`
	Failed    int      `json:"failed"`
	Problems  []string `json:"problems,omitempty"`
}

func (r *Report) problem(format string, args ...any) {
	if len(r.Problems) < 50 {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// importTxSize is how many new orders one transaction imports (ten getOrder calls): a commit
// per 100 orders cost PostgreSQL more than the inserts. A failed call still imports what was
// read before it.
const importTxSize = 10 * rakuten.MaxGetOrder

// importProgress are the Rakuten states a new slip is made from: an order already shipped or
// cancelled when first seen is not a new slip.
var importProgress = []rakuten.OrderProgress{rakuten.ProgressAwaitingConfirm, rakuten.ProgressRakutenHandling,
	rakuten.ProgressAwaitingShipment, rakuten.ProgressAwaitingChange}

// Poll imports shop's new Rakuten orders and applies Rakuten's state to its slips. A poll
// that fails half-way is simply run again: imports are keyed by the Rakuten order number and
// every rule compares before it writes.
func (s *Service) Poll(ctx context.Context, shopID string) (Report, error) {
	rep := Report{ShopID: shopID}
	// One poll of a shop at a time in this process (the periodic job and a 今すぐ取込); across
	// instances the unique Rakuten order number keeps a slip from being made twice.
	mu := s.shopLock(shopID)
	mu.Lock()
	defer mu.Unlock()
	// Across instances (PostgreSQL), a lease: the other instance's poll is skipped, not run
	// alongside (it would only lose a batch to the unique order number).
	le, ok, err := s.leases.TryTake(ctx, "rakutenpay.poll:"+shopID, s.holder, PollLease)
	if err != nil {
		return rep, err
	}
	if !ok {
		rep.Skipped = "別の kessai がこの店舗の取込を実行中です"
		return rep, nil
	}
	defer func() { _ = s.leases.Release(context.WithoutCancel(ctx), le) }()
	cfg, err := s.Config(ctx, shopID)
	if err != nil {
		return rep, err
	}
	if !cfg.Import {
		rep.Skipped = "受注取込を利用しない設定です"
		return rep, nil
	}
	now := s.clock.Now()
	if err := s.checkUsable(cfg, now); err != nil {
		return rep, errors.Join(err, s.recordPoll(ctx, shopID, time.Time{}, rep, err))
	}
	st, err := s.PollState(ctx, shopID)
	if err != nil {
		return rep, err
	}
	from := now.Add(-s.lookback)
	if !st.SearchedTo.IsZero() {
		from = st.SearchedTo.Add(-s.overlap)
	}
	read, decided, pollErr := s.importNew(ctx, cfg, from, now, &rep)
	searched := now
	if pollErr != nil {
		searched = time.Time{}
	}
	if pollErr == nil {
		pollErr = s.sync(ctx, cfg, read, decided, &rep)
	}
	if rakuten.IsUnauthorized(pollErr) {
		_ = s.conns.Record(ctx, ProviderKey, shopID, explain(pollErr))
	}
	if err := s.recordPoll(ctx, shopID, searched, rep, pollErr); err != nil {
		return rep, errors.Join(pollErr, err)
	}
	if pollErr != nil {
		return rep, explain(pollErr)
	}
	return rep, nil
}

// checkUsable refuses to call Rakuten with an expired licenseKey or without any mapping.
func (s *Service) checkUsable(cfg *ShopConfig, now time.Time) error {
	if exp, err := cfg.Expired(now); err != nil {
		return err
	} else if exp {
		return errs.Conflict("licenseKey の有効期限（" + cfg.ExpiresOn + "）が過ぎているため楽天に接続しません。RMS で新しいキーを発行して 設定 › 外部連携設定 に入力してください")
	}
	if len(cfg.Mapping) == 0 {
		return errs.Conflict("楽天の決済方法と kessai の支払方法の対応付けが1つもありません。設定 › 外部連携設定 › 楽天市場 で設定してから取り込みます")
	}
	return nil
}

// importNew searches [from, to] for orders and creates the slips not made yet, 100 at a time.
// It returns the orders it read, so the sync need not read them again.
func (s *Service) importNew(ctx context.Context, cfg *ShopConfig, from, to time.Time, rep *Report) (map[string]rakuten.Order, map[string]bool, error) {
	read := map[string]rakuten.Order{}
	decided := map[string]bool{}
	var batch []rakuten.Order
	var toConfirm []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		made, had, err := s.importBatch(ctx, cfg, batch, rep)
		batch = batch[:0]
		// A slip made by an earlier poll whose confirmOrder was lost (a crash or an error after
		// the import committed) is still 100 at Rakuten: it is confirmed now.
		for _, o := range had {
			if o.OrderProgress == rakuten.ProgressAwaitingConfirm && cfg.AutoConfirm {
				toConfirm = append(toConfirm, o.OrderNumber)
			}
		}
		for _, o := range made {
			if o.OrderProgress == rakuten.ProgressAwaitingConfirm && cfg.AutoConfirm {
				toConfirm = append(toConfirm, o.OrderNumber)
			} else if !needsPayment(&o) {
				delete(read, o.OrderNumber) // decided at import: the sync has nothing to add
				decided[o.OrderNumber] = true
			}
		}
		return err
	}
	q := rakuten.SearchQuery{DateType: rakuten.DateOrdered, Start: from, End: to, OrderProgressList: importProgress}
	for o, err := range cfg.Client.Orders(ctx, q) {
		if err != nil {
			return read, decided, errors.Join(fmt.Errorf("rakutenpay: search %s: %w", cfg.ShopID, err), flush())
		}
		read[o.OrderNumber] = o
		batch = append(batch, o)
		if len(batch) == importTxSize {
			if err := flush(); err != nil {
				return read, decided, err
			}
		}
	}
	if err := flush(); err != nil {
		return read, decided, err
	}
	// Orders listed as unmapped whose method has a mapping now: the search window moved past
	// them long ago, so they are read by number.
	later, err := s.nowMapped(ctx, cfg, read)
	if err != nil {
		return read, decided, err
	}
	for i := 0; i < len(later); i += rakuten.MaxGetOrder {
		res, err := cfg.Client.GetOrder(ctx, later[i:min(i+rakuten.MaxGetOrder, len(later))])
		if err != nil {
			return read, decided, errors.Join(fmt.Errorf("rakutenpay: getOrder of mapped orders: %w", err), flush())
		}
		var gone []any // shipped or cancelled before it was mapped (or not found): never a slip
		for _, o := range res.Orders {
			if slices.Contains(importProgress, o.OrderProgress) {
				read[o.OrderNumber] = o
				batch = append(batch, o)
			} else {
				gone = append(gone, o.OrderNumber)
				rep.problem("楽天の注文 %s は対応付けの前に %s になったため取り込みません", o.OrderNumber, o.OrderProgress.Label())
			}
		}
		for _, n := range res.NotFound() {
			gone = append(gone, n)
		}
		if len(gone) > 0 {
			if _, err := s.db.ExecContext(ctx, `DELETE FROM rakutenpay_unmapped WHERE shop_id = ? AND rakuten_number IN (`+
				db.Placeholders(len(gone))+`)`, append([]any{cfg.ShopID}, gone...)...); err != nil {
				return read, decided, errors.Join(fmt.Errorf("rakutenpay: clear unmapped: %w", err), flush())
			}
		}
		if len(batch) >= importTxSize {
			if err := flush(); err != nil {
				return read, decided, err
			}
		}
	}
	if err := flush(); err != nil {
		return read, decided, err
	}
	if len(toConfirm) > 0 {
		if err := s.confirm(ctx, cfg, toConfirm, rep); err != nil {
			return read, decided, err
		}
		for _, n := range toConfirm {
			delete(read, n) // confirmed: Rakuten moved it on, read it again
		}
	}
	return read, decided, nil
}

// nowMapped lists shop's unmapped orders whose settlement method has a mapping now, except those
// the search just read.
func (s *Service) nowMapped(ctx context.Context, cfg *ShopConfig, read map[string]rakuten.Order) ([]string, error) {
	args := []any{cfg.ShopID}
	for code := range cfg.Mapping {
		args = append(args, int(code))
	}
	nums, err := db.Strings(ctx, s.db, `SELECT rakuten_number FROM rakutenpay_unmapped WHERE shop_id = ? AND settlement_code IN (`+
		db.Placeholders(len(args)-1)+`) ORDER BY rakuten_number`, args...)
	if err != nil {
		return nil, fmt.Errorf("rakutenpay: unmapped orders now mapped: %w", err)
	}
	return slices.DeleteFunc(nums, func(n string) bool { _, ok := read[n]; return ok }), nil
}

// importBatch creates the slips of the orders of batch that have none, with their links and
// history lines, in one transaction. It returns the orders it made slips for and those that
// had one already.
func (s *Service) importBatch(ctx context.Context, cfg *ShopConfig, batch []rakuten.Order, rep *Report) (made, had []rakuten.Order, err error) {
	nums := make([]any, len(batch))
	for i, o := range batch {
		nums[i] = o.OrderNumber
	}
	have, err := db.Strings(ctx, s.db, `SELECT rakuten_number FROM rakutenpay_orders WHERE shop_id = ? AND rakuten_number IN (`+
		db.Placeholders(len(nums))+`)`, append([]any{cfg.ShopID}, nums...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("rakutenpay: existing slips: %w", err)
	}
	exists := map[string]bool{}
	for _, n := range have {
		exists[n] = true
	}
	now := s.clock.Now().UTC()
	var slips []commerce.Order
	var unmapped []rakuten.Order
	for _, o := range batch {
		if exists[o.OrderNumber] {
			had = append(had, o)
			continue
		}
		code := o.Settlement.Method()
		method := cfg.Mapping[code]
		if method == "" {
			unmapped = append(unmapped, o)
			continue
		}
		slip, err := commerce.ValidateOrder(slipFrom(cfg.ShopID, method, &o))
		if err != nil {
			rep.Failed++
			rep.problem("楽天の注文 %s を伝票にできません: %s", o.OrderNumber, errs.As(err).Error())
			continue
		}
		slips = append(slips, slip)
		made = append(made, o)
	}
	if len(slips) == 0 && len(unmapped) == 0 {
		return nil, had, nil
	}
	shippable, err := s.Shippable(ctx)
	if err != nil {
		return nil, had, err
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		created, err := s.store.CreateOrdersTx(ctx, tx, slips)
		if err != nil {
			return err
		}
		links := make([]Link, len(created))
		events := make([]commerce.OrderEvent, len(created))
		for i, sl := range created {
			o := made[i]
			l := Link{OrderID: sl.ID, ShopID: cfg.ShopID, Number: o.OrderNumber, Settlement: o.Settlement.Method(),
				OrderedAt: o.OrderDatetime.UTC(), BasisAt: o.OrderDatetime.UTC(), Progress: o.OrderProgress, Watch: true, CheckedAt: now}
			detail := orderDetail(&o)
			// An order whose rules need no getPayment (see needsPayment) is decided here, so the sync that follows has nothing to write for it.
			if !needsPayment(&o) {
				d := decide(facts{Slip: sl, Link: l, Order: &o, In: rakuten.SlipInputsFor(&o, nil), Now: now, Mapping: cfg.Mapping, Shippable: shippable[0]})
				if d.Patch == nil && d.KeepManual {
					l.RKState = rkState(&o)
					l.Fingerprint, l.Watch = l.RKState+"#"+d.Key, d.Watch
					detail = d.Reason + "\n" + detail
				}
			}
			links[i] = l
			events[i] = commerce.OrderEvent{OrderID: sl.ID, Room: Room, Kind: "import",
				Summary: fmt.Sprintf("楽天の注文 %s を取り込みました（%s・%s）", o.OrderNumber, o.OrderProgress.Label(), o.Settlement.Method().Label()),
				Detail:  detail}
		}
		if err := s.store.AppendOrderHistories(ctx, tx, events); err != nil {
			return err
		}
		if err := insertLinks(ctx, tx, links); err != nil {
			return err
		}
		if len(made) > 0 {
			args := []any{cfg.ShopID}
			for _, o := range made {
				args = append(args, o.OrderNumber)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM rakutenpay_unmapped WHERE shop_id = ? AND rakuten_number IN (`+db.Placeholders(len(made))+`)`, args...); err != nil {
				return err
			}
		}
		for _, o := range unmapped {
			code := o.Settlement.Method()
			if _, err := tx.ExecContext(ctx, `INSERT INTO rakutenpay_unmapped (shop_id, rakuten_number, settlement_code, settlement_name, seen_at)
				VALUES (?, ?, ?, ?, ?) ON CONFLICT (shop_id, rakuten_number) DO UPDATE SET settlement_code = excluded.settlement_code,
				settlement_name = excluded.settlement_name`, cfg.ShopID, o.OrderNumber, int(code), o.Settlement.Name, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, had, fmt.Errorf("rakutenpay: import %d orders: %w", len(slips), err)
	}
	rep.Imported += len(made)
	rep.Unmapped += len(unmapped)
	for _, o := range unmapped {
		rep.problem("楽天の注文 %s の決済方法 %d %s は kessai の支払方法に対応付けられていないため取り込みませんでした", o.OrderNumber, int(o.Settlement.Method()), o.Settlement.Name)
	}
	return made, had, nil
}

// slipFrom is the new slip of a Rakuten order: source api, 新規受付 (起票済), 未入金, 未承認,
// 承認日 empty. Rakuten's prices include tax; postage, 代引料 and the payment charge are the
// slip's shipping fee, so the slip's total is Rakuten's requestPrice before coupons and points.
func slipFrom(shopID, method string, o *rakuten.Order) commerce.Order {
	sl := commerce.Order{ShopID: shopID, Source: "api", OrderedAt: o.OrderDatetime.UTC(), PaymentMethod: method,
		OrderStatus: "new", PaymentStatus: "unpaid", ExternalRef: o.OrderNumber,
		ShippingFee: o.PostagePrice + o.DeliveryPrice + o.PaymentCharge}
	if commerce.AuthorizationStatuses.Valid("pending") && method == "rakuten_pay" {
		sl.AuthorizationStatus = "pending"
	}
	if len(o.Packages) > 0 {
		p := o.Packages[0]
		sl.ShipName = strings.TrimSpace(p.Sender.FamilyName + " " + p.Sender.FirstName)
		sl.ShipPostalCode = p.Sender.ZipCode1 + p.Sender.ZipCode2
		sl.ShipAddress = p.Sender.Prefecture + p.Sender.City + p.Sender.SubAddress
	}
	sl.ShipPhone = o.Orderer.PhoneNumber1 + o.Orderer.PhoneNumber2 + o.Orderer.PhoneNumber3
	for _, p := range o.Packages {
		for _, it := range p.Items {
			rate := int(it.TaxRate*100 + 0.5)
			if rate != 8 && rate != 10 && rate != 0 {
				rate = 10
			}
			sku := it.ManageNumber
			if it.ItemNumber != "" {
				sku = it.ItemNumber
			}
			sl.Lines = append(sl.Lines, commerce.OrderLine{SKU: sku, Name: lineName(it.ItemName), UnitPrice: it.Price, Quantity: max(it.Units, 1), TaxRate: rate})
		}
	}
	if len(sl.Lines) == 0 {
		sl.Lines = []commerce.OrderLine{{Name: "楽天の注文 " + o.OrderNumber, UnitPrice: o.GoodsPrice, Quantity: 1, TaxRate: 10}}
	}
	return sl
}

// maxLineName is the longest name a slip's line takes (commerce's limit); RMS allows a 商品名
// of 127 characters, and an order refused for it would never be imported.
const maxLineName = 100

// lineName is a Rakuten item name as a slip line's: shortened (with …) when longer.
func lineName(name string) string {
	r := []rune(strings.TrimSpace(name))
	if len(r) <= maxLineName {
		return string(r)
	}
	return string(r[:maxLineName-1]) + "…"
}

func orderDetail(o *rakuten.Order) string {
	flag := "null"
	if o.Settlement.RakutenPayFlag != nil {
		flag = strconv.Itoa(*o.Settlement.RakutenPayFlag)
	}
	d := fmt.Sprintf("orderNumber=%s orderProgress=%d settlementMethodCode=%d rpaySettlementFlag=%s requestPrice=%d orderDatetime=%s",
		o.OrderNumber, int(o.OrderProgress), int(o.Settlement.Method()), flag, o.RequestPrice, o.OrderDatetime)
	if !o.ShippingInstDatetime.IsZero() {
		d += " shippingInstDatetime=" + o.ShippingInstDatetime.String()
	}
	return d
}

// confirm sends confirmOrder for the new slips' orders (100 → 200) and notes each answer.
func (s *Service) confirm(ctx context.Context, cfg *ShopConfig, numbers []string, rep *Report) error {
	res, err := cfg.Client.ConfirmOrder(ctx, numbers)
	if res == nil {
		return err
	}
	byNumber := map[string]rakuten.Messages{}
	for _, m := range res.Messages {
		byNumber[m.OrderNumber] = append(byNumber[m.OrderNumber], m)
	}
	werr := s.db.InTx(ctx, func(tx *db.Tx) error {
		for _, n := range numbers {
			ms, ok := byNumber[n]
			if !ok {
				continue
			}
			var id string
			if err := tx.QueryRowContext(ctx, `SELECT order_id FROM rakutenpay_orders WHERE shop_id = ? AND rakuten_number = ?`, cfg.ShopID, n).Scan(&id); err != nil {
				return err
			}
			sum := "楽天へ注文確認を送りました（注文確認待ち → 楽天処理中）"
			if ms.HasErrors() {
				sum = "楽天へ注文確認を送りましたが拒否されました: " + ms.Errors()[0].Text
				rep.problem("注文確認 %s: %s", n, ms.Errors()[0].String())
			} else {
				rep.Confirmed++
			}
			if _, err := s.store.AppendOrderHistory(ctx, tx, commerce.OrderEvent{OrderID: id, Room: Room, Kind: "confirm", Summary: sum, Detail: ms[0].String()}); err != nil {
				return err
			}
		}
		return nil
	})
	return errors.Join(err, werr)
}
