package commerce_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"kessai/internal/commerce"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
)

// paymentRoom is a room owning kantan orders: it records every hook call, refuses what the
// test says, and writes a row of its own in commerce's transaction.
type paymentRoom struct {
	mu     sync.Mutex
	calls  []string
	refuse map[string]string // change kind → reason
	after  []string          // after-commit calls
}

func (p *paymentRoom) log(s string, after bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if after {
		p.after = append(p.after, s)
	} else {
		p.calls = append(p.calls, s)
	}
}

func (p *paymentRoom) handler() commerce.PaymentHandler {
	return commerce.PaymentHandler{Room: "testroom",
		Create: func(ctx context.Context, tx *db.Tx, o commerce.Order) (commerce.AfterCreate, error) {
			if o.Total > 100000 {
				return nil, errs.Invalid("この支払方法は10万円までです").Field("total", "10万円以下にしてください")
			}
			// The room's own write in the create's transaction: rolled back with it.
			if _, err := tx.ExecContext(ctx, `UPDATE orders SET note = 'room saw it' WHERE id = ?`, o.ID); err != nil {
				return nil, err
			}
			p.log("create "+o.Number, false)
			return func(ctx context.Context) (map[string]any, error) {
				p.log("start "+o.Number, true)
				return map[string]any{"start_url": "https://pg.example/start", "access_id": "A-" + o.Number}, nil
			}, nil
		},
		Change: func(ctx context.Context, tx *db.Tx, c commerce.OrderChange) (commerce.AfterCommit, error) {
			kind := c.Kind()
			if c.AmountChanged() {
				kind += "+amount"
			}
			if c.MethodChanged() {
				kind += "+method"
			}
			if reason := p.refuse[kind]; reason != "" {
				return nil, errs.Conflict(reason)
			}
			p.log(kind, false)
			return func(ctx context.Context) { p.log(kind, true) }, nil
		}}
}

func TestPaymentHandler(t *testing.T) {
	t.Parallel()
	c, fx, s := newAPIStore(t)
	room := &paymentRoom{refuse: map[string]string{
		"cancel":      "仮売上の取消に失敗したためキャンセルできません",
		"edit+amount": "実売上の翌日0:00〜1:00は金額を変更できません",
		"ship":        "決済が完了していないため出荷できません",
	}}
	s.AddPaymentHandler(room.handler(), "kantan")
	ctx := context.Background()
	lines := []map[string]any{{"name": "商品", "unit_price": 1000, "quantity": 2}}

	var made commerce.OrderJSON
	st, eb := c.do("POST", "/api/v1/orders", map[string]any{"shop_id": fx.shop.ID, "payment_method": "kantan", "lines": lines}, &made)
	if st != http.StatusCreated || made.Payment["access_id"] != "A-"+made.Number || made.Payment["start_url"] == nil {
		t.Fatalf("create: %d %+v %+v", st, made.Payment, eb)
	}
	if o, _ := s.GetOrder(ctx, made.ID); o.Note != "room saw it" {
		t.Errorf("the room's write in the create's transaction is missing: %q", o.Note)
	}
	// A refusal rolls the order back and is the answer's message and field.
	big := []map[string]any{{"name": "商品", "unit_price": 200000, "quantity": 1}}
	st, eb = c.do("POST", "/api/v1/orders", map[string]any{"shop_id": fx.shop.ID, "payment_method": "kantan", "lines": big}, nil)
	if st != http.StatusUnprocessableEntity || eb.Error.Message != "この支払方法は10万円までです" {
		t.Errorf("refused create: %d %+v", st, eb)
	}
	if n, _ := db.Strings(ctx, s.DB(), `SELECT id FROM orders WHERE total = 200000`); len(n) != 0 {
		t.Errorf("a refused order was saved: %v", n)
	}
	// Another method's order calls nothing and answers no payment.
	var other commerce.OrderJSON
	if st, _ := c.do("POST", "/api/v1/orders", map[string]any{"shop_id": fx.shop.ID, "payment_method": "cod", "lines": lines}, &other); st != http.StatusCreated || other.Payment != nil {
		t.Errorf("cod order: %d %+v", st, other.Payment)
	}

	// Refused changes leave the order as it was, with the room's reason.
	refused := []struct {
		name, method, path string
		body               map[string]any
		want               string
	}{
		{"amount", "PATCH", "/api/v1/orders/" + made.ID, map[string]any{"lines": big}, "実売上の翌日0:00〜1:00は金額を変更できません"},
		{"cancel", "POST", "/api/v1/orders/" + made.ID + "/cancel", map[string]any{}, "仮売上の取消に失敗したためキャンセルできません"},
	}
	for _, tt := range refused {
		if st, eb := c.do(tt.method, tt.path, tt.body, nil); st != http.StatusConflict || eb.Error.Message != tt.want {
			t.Errorf("%s: %d %+v", tt.name, st, eb)
		}
	}
	if o, _ := s.GetOrder(ctx, made.ID); o.Version != 1 || o.Total != 2000 || o.OrderStatus != "new" {
		t.Errorf("a refused change was saved: %+v", o)
	}
	// Allowed changes call the hook in the transaction and its after-commit once saved.
	if st, eb := c.do("PATCH", "/api/v1/orders/"+made.ID, map[string]any{"note": "メモ"}, nil); st != 200 {
		t.Fatalf("edit: %d %+v", st, eb)
	}
	if _, err := s.ModifyOrder(ctx, made.ID, func(o *commerce.Order) error { o.PaymentMethod = "cod"; return nil }); err != nil {
		t.Fatal(err)
	}
	// The owning room's own change (ModifyOrderTx) does not call its hooks.
	err := s.DB().InTx(ctx, func(tx *db.Tx) error {
		_, err := s.ModifyOrderTx(ctx, tx, made.ID, func(o *commerce.Order) error { o.PaymentMethod = "kantan"; return nil })
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	room.refuse["cancel"] = ""
	if st, eb := c.do("POST", "/api/v1/orders/"+made.ID+"/cancel", map[string]any{}, nil); st != 200 {
		t.Fatalf("cancel: %d %+v", st, eb)
	}
	wantCalls := []string{"create " + made.Number, "edit", "edit+method", "cancel"}
	wantAfter := []string{"start " + made.Number, "edit", "edit+method", "cancel"}
	if !equal(room.calls, wantCalls) || !equal(room.after, wantAfter) {
		t.Errorf("calls %v after %v, want %v and %v", room.calls, room.after, wantCalls, wantAfter)
	}
}

func TestPaymentHandlerWiring(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	h := commerce.PaymentHandler{Room: "a"}
	s.AddPaymentHandler(h, "kantan", "credit_card")
	for name, f := range map[string]func(){
		"twice":   func() { s.AddPaymentHandler(commerce.PaymentHandler{Room: "b"}, "kantan") },
		"unknown": func() { s.AddPaymentHandler(commerce.PaymentHandler{Room: "b"}, "bitcoin") },
		"no room": func() { s.AddPaymentHandler(commerce.PaymentHandler{}, "cod") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
	if got, ok := s.PaymentHandlerOf("credit_card"); !ok || got.Room != "a" {
		t.Errorf("PaymentHandlerOf(credit_card) = %+v %v", got, ok)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
