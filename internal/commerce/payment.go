package commerce

import (
	"context"
	"fmt"

	"kessai/internal/platform/db"
)

// PaymentHandler is how the room that owns a payment method (kantan: credit_card and kantan;
// atobarai: atobarai) runs the payment lifecycle of that method's orders. commerce calls it on
// every path that creates one order (API, page) and on every change of an order (edit, amount
// change, cancel, ship, bulk status changes, PATCH), so the room can refuse with the reason or
// record what it must tell the provider. Orders created in bulk (CSV import, demo data) are
// records of payments made elsewhere and do not call Create.
//
// Transaction rules: Create and Change run inside commerce's transaction, after the order was
// validated: they may write the room's own rows (and claim an attempt.Runner call there, so the
// intent is durable), but never call a provider and never write through the *db.DB (SQLite has
// one writer). Their error rolls the whole change back and is what the person or the API sees
// (use errs.Conflict / errs.Invalid with a message a buyer or staff member can act on). What
// they return runs after the commit, where the network is allowed.
type PaymentHandler struct {
	Room string // the room's name (history lines, error messages)
	// Create runs when a new order with the method is saved. The returned AfterCreate (may be
	// nil) runs after the commit and answers extra fields the API returns under "payment"
	// (e.g. start_url, access_id, token for the buyer's browser).
	Create func(ctx context.Context, tx *db.Tx, o Order) (AfterCreate, error)
	// Authorize, when set, runs before a new order with the method is saved, outside any
	// transaction (the network is allowed): a synchronous authorization that decides whether
	// the order exists at all (クロネコ代金後払い's credit at checkout). Its error refuses the
	// order and nothing is saved; otherwise it returns the order to save (its statuses set) and
	// the context the create continues with (to hand Create what it decided).
	Authorize func(ctx context.Context, o Order) (context.Context, Order, error)
	// Change runs when an order whose method (before or after the change) is the room's is
	// saved. The returned AfterCommit (may be nil) runs after the commit.
	Change func(ctx context.Context, tx *db.Tx, c OrderChange) (AfterCommit, error)
}

// AfterCreate runs after a new order committed; its fields go into the API answer's "payment".
// An error is answered as is (the order stays as the room left it, e.g. 要確認): rooms answer a
// provider's refusal as fields, and return an error only when nothing can be told.
type AfterCreate func(ctx context.Context) (map[string]any, error)

// AfterCommit runs after a change committed (send the call the change claimed). It cannot
// undo the change: the room records the outcome on its own rows and the order's history.
type AfterCommit func(ctx context.Context)

// OrderChange is one save of an order: what it was and what it becomes.
type OrderChange struct {
	Before, After Order
}

// Kind is the change's kind: ChangeCancel, ChangeShip or ChangeEdit.
func (c OrderChange) Kind() string {
	switch {
	case c.After.OrderStatus == "cancelled" && c.Before.OrderStatus != "cancelled":
		return ChangeCancel
	case c.After.OrderStatus == "shipped" && c.Before.OrderStatus != "shipped":
		return ChangeShip
	}
	return ChangeEdit
}

// AmountChanged reports whether the order's total changes.
func (c OrderChange) AmountChanged() bool { return c.Before.Total != c.After.Total }

// MethodChanged reports whether the order's payment method changes (決済方法の変更).
func (c OrderChange) MethodChanged() bool { return c.Before.PaymentMethod != c.After.PaymentMethod }

// The kinds of OrderChange.
const (
	ChangeCancel = "cancel"
	ChangeShip   = "ship"
	ChangeEdit   = "edit"
)

// AddPaymentHandler makes h own the payment lifecycle of the orders paid with each of methods
// (codes of PaymentMethods). It panics on an unknown method or a method already owned: that
// is a wiring mistake.
func (s *Store) AddPaymentHandler(h PaymentHandler, methods ...string) {
	if h.Room == "" || len(methods) == 0 {
		panic("commerce: a payment handler needs its Room and at least one method")
	}
	if s.payments == nil {
		s.payments = map[string]*PaymentHandler{}
	}
	for _, m := range methods {
		if _, ok := PaymentMethods.Get(m); !ok {
			panic(fmt.Sprintf("commerce: payment handler for unknown method %q", m))
		}
		if prev, ok := s.payments[m]; ok {
			panic(fmt.Sprintf("commerce: payment method %q is already owned by %s", m, prev.Room))
		}
		s.payments[m] = &h
	}
}

// AddPaymentHandler makes h own the payment lifecycle of the orders paid with methods.
func (p *Pages) AddPaymentHandler(h PaymentHandler, methods ...string) {
	p.store.AddPaymentHandler(h, methods...)
}

// PaymentHandlerOf returns the handler owning method, if any.
func (s *Store) PaymentHandlerOf(method string) (PaymentHandler, bool) {
	h, ok := s.payments[method]
	if !ok {
		return PaymentHandler{}, false
	}
	return *h, true
}

// paymentCreate runs the Create hook of o's method in tx.
func (s *Store) paymentCreate(ctx context.Context, tx *db.Tx, o Order) (AfterCreate, error) {
	h, ok := s.payments[o.PaymentMethod]
	if !ok || h.Create == nil {
		return nil, nil
	}
	return h.Create(ctx, tx, o)
}

// paymentChange runs the Change hooks of the method before and (if another room's) after.
func (s *Store) paymentChange(ctx context.Context, tx *db.Tx, c OrderChange) ([]AfterCommit, error) {
	var after []AfterCommit
	seen := map[*PaymentHandler]bool{}
	for _, m := range []string{c.Before.PaymentMethod, c.After.PaymentMethod} {
		h, ok := s.payments[m]
		if !ok || h.Change == nil || seen[h] {
			continue
		}
		seen[h] = true
		f, err := h.Change(ctx, tx, c)
		if err != nil {
			return nil, err
		}
		if f != nil {
			after = append(after, f)
		}
	}
	return after, nil
}
