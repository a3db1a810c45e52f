package atobarai_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"kessai/internal/atobarai"
	"kessai/internal/commerce"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/mail"
	"kessai/internal/provider/yamato"
	"kessai/internal/sandbox/mailsim"
	"kessai/internal/sandbox/yamatosim"
)

// roomEnv is kessai's database with commerce and the room, the simulator over real HTTP and
// the room's service, on one frozen clock.
type roomEnv struct {
	*simEnv
	t     *testing.T
	ctx   context.Context
	db    *db.DB
	store *commerce.Store
	svc   *atobarai.Service
	shop  commerce.Shop
}

func newRoom(t *testing.T, opts ...func(*yamatosim.Options)) *roomEnv {
	t.Helper()
	e := &roomEnv{simEnv: newSim(t, opts...), t: t}
	e.db = dbtest.Open(t, audit.Migrations, commerce.Migrations, attempt.Migrations, atobarai.Migrations)
	e.store = commerce.NewStore(e.db, e.clk, &audit.Log{Now: e.clk.Now})
	e.svc = atobarai.NewService(e.db, e.clk, attempt.NewRunner(e.db, attempt.New(e.clk)), e.clients, e.store, nil)
	e.svc.FollowUp = 0
	e.ctx = auth.WithPrincipal(context.Background(), &auth.Principal{Kind: auth.KindUser, ID: "u1", Name: "staff@example.com", Role: auth.RoleAdmin})
	var err error
	if e.shop, err = e.store.CreateShop(e.ctx, commerce.Shop{Code: "S1", Name: "本店"}); err != nil {
		t.Fatal(err)
	}
	return e
}

// order creates a commerce order paid by atobarai with a transaction for req, credited.
func (e *roomEnv) order(req yamato.CreditRequest) (commerce.Order, atobarai.Txn) {
	e.t.Helper()
	o, err := e.store.CreateOrder(e.ctx, commerce.Order{ShopID: e.shop.ID, PaymentMethod: atobarai.PaymentMethod,
		ShipName: req.Name, ShipPostalCode: req.PostCode, ShipAddress: req.Address, ShipPhone: req.Tel,
		Lines: []commerce.OrderLine{{Name: "りんご", UnitPrice: req.TotalAmount, Quantity: 1}}})
	if err != nil {
		e.t.Fatal(err)
	}
	tx, err := e.svc.Prepare(e.ctx, o.ID, atobarai.ModeAPI, req)
	if err != nil {
		e.t.Fatal(err)
	}
	if tx, err = e.svc.Credit(e.ctx, tx.ID); err != nil {
		e.t.Fatal(err)
	}
	return o, tx
}

// TestCreditDecisions: each documented test datum gives its decision, and a request Yamato
// refuses is a 与信エラー naming Yamato's code.
func TestCreditDecisions(t *testing.T) {
	t.Parallel()
	e := newRoom(t)
	// An order number Yamato holds already (sent by another system), unknown to kessai.
	used := creditRequest("山田 太郎", 3000)
	used.OrderNo = "OTHER-SYSTEM-1"
	cl, _, _ := e.clients.Client(e.ctx)
	if _, err := cl.Credit(e.ctx, used); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		req      func() yamato.CreditRequest
		credit   string
		result   string
		errorHas string
	}{
		{"ご利用可", func() yamato.CreditRequest { return creditRequest("山田 太郎", 3000) }, atobarai.CreditOK, "0", ""},
		{"ご利用不可", func() yamato.CreditRequest { return creditRequest("不可 花子", 3000) }, atobarai.CreditNG, "1", ""},
		{"限度額超過（氏名）", func() yamato.CreditRequest { return creditRequest("限度 一郎", 3000) }, atobarai.CreditNG, "2", ""},
		{"限度額超過（30万円超）", func() yamato.CreditRequest { return creditRequest("山田 太郎", 300001) }, atobarai.CreditNG, "2", ""},
		{"審査中", func() yamato.CreditRequest { return creditRequest("審査 次郎", 3000) }, atobarai.CreditHold, "3", ""},
		{"実在しない郵便番号 kaara029E", func() yamato.CreditRequest {
			r := creditRequest("山田 太郎", 3000)
			r.PostCode = yamatosim.PostCodeUnknown
			return r
		}, atobarai.CreditFailed, "", "kaara029E"},
		{"使用済みの受注番号 kaara009E", func() yamato.CreditRequest {
			r := creditRequest("山田 太郎", 3000)
			r.OrderNo = used.OrderNo
			return r
		}, atobarai.CreditFailed, "", "kaara009E"},
		{"明細の合計が合わない（送る前に kaara101E）", func() yamato.CreditRequest {
			r := creditRequest("山田 太郎", 3000)
			r.TotalAmount = 2999
			return r
		}, atobarai.CreditFailed, "", "kaara101E"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, tx := e.order(c.req())
			if tx.Credit != c.credit || tx.CreditResult != c.result {
				t.Fatalf("credit %s result %q, want %s %q", tx.Credit, tx.CreditResult, c.credit, c.result)
			}
			if !strings.Contains(tx.LastError, c.errorHas) {
				t.Errorf("last error %q, want it to name %s", tx.LastError, c.errorHas)
			}
			if c.credit == atobarai.CreditOK && tx.Status != "1" {
				t.Errorf("status %q, want 1 承認済", tx.Status)
			}
		})
	}
}

// TestFlipOKToNG: the third order to one address within the hour is refused and Yamato
// withdraws the earlier approved, unshipped ones; the status read shows them as 与信NG
// (ヤマトが与信取消), on the list's cells, the 後払い filter and the top page.
func TestFlipOKToNG(t *testing.T) {
	t.Parallel()
	e := newRoom(t)
	e.svc.OnCredit = func(ctx context.Context, tx *db.Tx, t atobarai.Txn) error {
		return atobarai.SyncOrder(ctx, tx, e.store, t)
	}
	req := creditRequest("山田 太郎", 3000)
	var orders []commerce.Order
	var txns []atobarai.Txn
	for i := range 3 {
		r := req
		r.OrderNo = ""
		o, tx := e.order(r)
		orders, txns = append(orders, o), append(txns, tx)
		e.clk.Advance(time.Minute)
		if want := map[bool]string{true: atobarai.CreditNG, false: atobarai.CreditOK}[i == 2]; tx.Credit != want {
			t.Fatalf("order %d: credit %s, want %s", i+1, tx.Credit, want)
		}
	}
	// The third order ships nothing: only the first two were approved and are withdrawn.
	e.clk.Advance(atobarai.PollEvery)
	rep, err := e.svc.PollStatus(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Flipped != 2 || rep.Checked != 2 {
		t.Fatalf("poll %+v, want 2 checked and 2 flipped", rep)
	}
	for _, tx := range txns[:2] {
		got, _ := e.svc.Txn(e.ctx, tx.ID)
		if got.Credit != atobarai.CreditNG || !got.Flipped || got.Status != "2" {
			t.Errorf("%s after the poll: credit %s flipped %v status %s", got.OrderNo, got.Credit, got.Flipped, got.Status)
		}
		if c := atobarai.Cell(got); c.Text != "与信NG" || c.Level != "error" || !strings.Contains(c.Detail, "ヤマトが与信取消") {
			t.Errorf("cell %+v", c)
		}
	}
	// The orders follow: 承認NG and 保留, not to be shipped.
	for _, o := range orders[:2] {
		got, err := e.store.GetOrder(e.ctx, o.ID)
		if err != nil || got.AuthorizationStatus != "failed" || got.OrderStatus != "on_hold" {
			t.Errorf("order %s after the flip: %s / %s, %v", got.Number, got.AuthorizationStatus, got.OrderStatus, err)
		}
	}
	hist, err := e.store.OrderHistory(e.ctx, orders[0].ID)
	if err != nil || !strings.Contains(hist[len(hist)-1].Summary, "ヤマトが与信を取り消しました") {
		t.Errorf("history %+v, %v", hist, err)
	}
	cond, err := atobarai.OrderCond(map[string][]string{"x_atobarai": {"flipped"}})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := db.Strings(e.ctx, e.db, `SELECT o.id FROM orders o WHERE `+cond.SQL+` ORDER BY o.id`, cond.Args...)
	if err != nil || len(ids) != 2 || ids[0] != orders[0].ID || ids[1] != orders[1].ID {
		t.Errorf("flipped filter %v, %v", ids, err)
	}
	att, err := e.svc.Attention(e.ctx)
	if err != nil || len(att) == 0 || att[0].Count != 2 || att[0].Link != "/orders?x_atobarai=flipped" {
		t.Errorf("attention %+v, %v", att, err)
	}
	// Read again: nothing changes twice.
	e.clk.Advance(atobarai.PollEvery)
	if rep, err = e.svc.PollStatus(e.ctx); err != nil || rep.Flipped != 0 || rep.Checked != 0 {
		t.Errorf("second poll %+v, %v (withdrawn transactions are final)", rep, err)
	}
}

// TestHoldResolves: a credit 審査中 is 与信保留 and the status read turns it into the result
// once Yamato decided (30 minutes in the sandbox).
func TestHoldResolves(t *testing.T) {
	t.Parallel()
	e := newRoom(t)
	_, tx := e.order(creditRequest("審査 次郎", 3000))
	if tx.Credit != atobarai.CreditHold {
		t.Fatalf("credit %s", tx.Credit)
	}
	e.clk.Advance(atobarai.PollEvery)
	if _, err := e.svc.PollStatus(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.svc.Txn(e.ctx, tx.ID); got.Credit != atobarai.CreditHold {
		t.Fatalf("after 10 minutes: %s, want still 与信保留", got.Credit)
	}
	e.clk.Advance(30 * time.Minute)
	rep, err := e.svc.PollStatus(e.ctx)
	if err != nil || rep.Changed != 1 {
		t.Fatalf("poll %+v, %v", rep, err)
	}
	if got, _ := e.svc.Txn(e.ctx, tx.ID); got.Credit != atobarai.CreditOK || got.CreditResult != "0" || got.Status != "1" {
		t.Fatalf("after review: %+v", got)
	}
}

// TestFollowUpWindow: right after a credit Yamato answers 存在しない受注番号. A shipment asked
// for inside kessai's window is queued without a call; one refused with kaasl008E (kessai's
// window shorter than Yamato's) is queued again instead of failing; both go once the window
// passed.
func TestFollowUpWindow(t *testing.T) {
	t.Parallel()
	e := newRoom(t, func(o *yamatosim.Options) { o.FollowUpWindow = 5 * time.Second })
	no := yamato.WithCheckDigit("30000000001")

	e.svc.FollowUp = 10 * time.Second
	_, tx := e.order(creditRequest("山田 太郎", 3000))
	tx, err := e.svc.Ship(e.ctx, tx.ID, atobarai.ShipmentInput{TrackingNo: no})
	if err != nil || tx.QueuedOp != atobarai.OpShipment || tx.Status != "1" {
		t.Fatalf("shipment inside the window: %+v, %v", tx, err)
	}
	if n := historyCount(e.sim, tx.OrderNo, "出荷情報登録"); n != 0 {
		t.Fatal("a queued shipment was sent")
	}
	if n, err := e.svc.RunQueued(e.ctx); n != 0 || err != nil {
		t.Fatalf("before the window: ran %d, %v", n, err)
	}
	e.clk.Advance(10 * time.Second)
	if n, err := e.svc.RunQueued(e.ctx); n != 1 || err != nil {
		t.Fatalf("after the window: ran %d, %v", n, err)
	}
	if got, _ := e.svc.Txn(e.ctx, tx.ID); got.Status != "3" || got.TrackingNo != no || got.QueuedOp != "" {
		t.Fatalf("after the queued shipment: %+v", got)
	}

	e.svc.FollowUp = 0 // kessai does not wait: Yamato's own answer queues it
	_, tx2 := e.order(creditRequest("山田 花子", 3000))
	tx2, err = e.svc.Cancel(e.ctx, tx2.ID)
	if err != nil || tx2.QueuedOp != atobarai.OpCancel || tx2.LastError != "" {
		t.Fatalf("cancel refused with kaacl008E: %+v, %v (want queued, no error)", tx2, err)
	}
	e.clk.Advance(5 * time.Second)
	if n, err := e.svc.RunQueued(e.ctx); n != 1 || err != nil {
		t.Fatalf("queued cancel: ran %d, %v", n, err)
	}
	if got, _ := e.svc.Txn(e.ctx, tx2.ID); got.Status != "2" {
		t.Fatalf("after the queued cancel: %+v", got)
	}
}

// TestOperationRules: each refusal names the reason, Yamato's codes included, and nothing
// changes.
func TestOperationRules(t *testing.T) {
	t.Parallel()
	e := newRoom(t)
	items := func(total int64) []yamato.Item {
		return []yamato.Item{{Name: "りんご", Count: 1, UnitPrice: total - 500, SubTotal: total - 500}, {Name: "送料", Count: 1, UnitPrice: 500, SubTotal: 500}}
	}
	_, ok := e.order(creditRequest("山田 太郎", 5000))
	_, ng := e.order(creditRequest("不可 花子", 5000))
	shared := yamato.WithCheckDigit("40000000001")
	cases := []struct {
		name string
		run  func() (atobarai.Txn, error)
		kind errs.Kind
		has  string
	}{
		{"送り状番号のチェックデジット", func() (atobarai.Txn, error) {
			return e.svc.Ship(e.ctx, ok.ID, atobarai.ShipmentInput{TrackingNo: "123456789010"})
		}, errs.KindInvalid, "チェックデジット"},
		{"送り状番号の桁数", func() (atobarai.Txn, error) {
			return e.svc.Ship(e.ctx, ok.ID, atobarai.ShipmentInput{TrackingNo: "1234"})
		}, errs.KindInvalid, "12桁"},
		{"与信NGは出荷登録できない", func() (atobarai.Txn, error) {
			return e.svc.Ship(e.ctx, ng.ID, atobarai.ShipmentInput{TrackingNo: shared})
		}, errs.KindConflict, "与信NG"},
		{"後払いに使えない送り状番号 kaasl015E", func() (atobarai.Txn, error) {
			return e.svc.Ship(e.ctx, ok.ID, atobarai.ShipmentInput{TrackingNo: yamato.WithCheckDigit("00001234567")})
		}, errs.KindConflict, "kaasl015E"},
		{"同じ金額で内容だけの変更", func() (atobarai.Txn, error) {
			return e.svc.Reduce(e.ctx, ok.ID, atobarai.ReduceInput{Total: 5000, Items: items(5000)})
		}, errs.KindConflict, "支払方法をいったん後払い以外"},
		{"増額", func() (atobarai.Txn, error) {
			return e.svc.Reduce(e.ctx, ok.ID, atobarai.ReduceInput{Total: 6000, Items: items(6000)})
		}, errs.KindConflict, "増額できません"},
		{"明細の合計が合わない減額", func() (atobarai.Txn, error) {
			return e.svc.Reduce(e.ctx, ok.ID, atobarai.ReduceInput{Total: 4000, Items: items(4500)})
		}, errs.KindInvalid, "合いません"},
		{"出荷日の形式", func() (atobarai.Txn, error) {
			return e.svc.Ship(e.ctx, ok.ID, atobarai.ShipmentInput{TrackingNo: shared, ShipDate: "2026/03/02"})
		}, errs.KindInvalid, "YYYY-MM-DD"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.run()
			if errs.KindOf(err) != c.kind || !strings.Contains(errText(err), c.has) {
				t.Fatalf("error %v (kind %v), want %v naming %q", err, errs.KindOf(err), c.kind, c.has)
			}
		})
	}
	if got, _ := e.svc.Txn(e.ctx, ok.ID); got.Total != 5000 || got.Status != "1" || got.TrackingNo != "" {
		t.Fatalf("refusals changed the transaction: %+v", got)
	}

	// A reduction, a shipment, then a cancel after shipping; a paid order cannot be cancelled.
	tx, err := e.svc.Reduce(e.ctx, ok.ID, atobarai.ReduceInput{Total: 4000, Items: items(4000)})
	if err != nil || tx.Total != 4000 || tx.InitialTotal != 5000 {
		t.Fatalf("reduce: %+v, %v", tx, err)
	}
	if tx, err = e.svc.Ship(e.ctx, ok.ID, atobarai.ShipmentInput{TrackingNo: shared}); err != nil || tx.Status != "3" {
		t.Fatalf("ship: %+v, %v", tx, err)
	}
	if _, err := e.svc.Ship(e.ctx, ok.ID, atobarai.ShipmentInput{TrackingNo: shared}); err != nil {
		t.Fatalf("the same number again is a no-op: %v", err)
	}
	if n := historyCount(e.sim, ok.OrderNo, "出荷情報登録"); n != 1 {
		t.Fatalf("registered %d times", n)
	}
	// Yamato allows three orders per tracking number (kaasl045E for the fourth).
	for i := range 3 {
		_, o := e.order(creditRequest("山田 太郎", 3000))
		_, err := e.svc.Ship(e.ctx, o.ID, atobarai.ShipmentInput{TrackingNo: shared})
		if i < 2 && err != nil || i == 2 && !strings.Contains(errString(err), "kaasl045E") {
			t.Fatalf("order %d on one tracking number: %v", i+2, err)
		}
	}
	if err := e.sim.SetStatus(ok.OrderNo, yamato.StatusPaid); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(atobarai.PollEvery)
	if _, err := e.svc.Refresh(e.ctx, ok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Cancel(e.ctx, ok.ID); errs.KindOf(err) != errs.KindConflict || !strings.Contains(err.Error(), "入金済み") {
		t.Fatalf("cancel of a paid order: %v", err)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// errText is an error's message with its field messages, as a person sees them.
func errText(err error) string {
	s := errString(err)
	if e := errs.As(err); e != nil {
		for k, v := range e.Fields {
			s += " " + k + ": " + v
		}
	}
	return s
}

// TestCheckoutUnknownOutcome: a checkout whose credit answer is lost is refused (the buyer
// tries later) and no order is made; the janitor learns from Yamato that the credit was
// approved, and the status job cancels that credit at Yamato, since no order uses it.
func TestCheckoutUnknownOutcome(t *testing.T) {
	t.Parallel()
	e := newRoom(t)
	h := e.svc.Handler(e.store)
	l := attempt.New(e.clk)
	jan := attempt.NewJanitor(e.db, l)
	for op, r := range e.svc.Resolvers() {
		jan.Handle(atobarai.Room, op, r)
	}
	if err := e.sim.SetFault(yamatosim.FaultDropAfter, 1); err != nil {
		t.Fatal(err)
	}
	o := commerce.Order{ShopID: e.shop.ID, PaymentMethod: atobarai.PaymentMethod, ShipName: "山田 太郎", ShipPostalCode: "100-0005",
		ShipAddress: "東京都千代田区丸の内3-1-1", ShipPhone: "03-1234-5678", Lines: []commerce.OrderLine{{Name: "りんご", UnitPrice: 3000, Quantity: 1}}}
	_, _, err := h.Authorize(e.ctx, o)
	if errs.KindOf(err) != errs.KindUnavailable {
		t.Fatalf("checkout with a lost answer: %v, want unavailable", err)
	}
	var no string
	if err := e.db.QueryRowContext(e.ctx, `SELECT order_no FROM atobarai_transactions WHERE order_id IS NULL AND credit = 'sending'`).Scan(&no); err != nil {
		t.Fatalf("the open credit: %v", err)
	}
	if so, ok := e.sim.Order(no); !ok || so.Result != yamato.CreditOK {
		t.Fatalf("Yamato holds %+v", so)
	}
	e.clk.Advance(5 * time.Minute)
	if rep, err := jan.Run(e.ctx); err != nil || rep.Settled != 1 {
		t.Fatalf("janitor %+v, %v", rep, err)
	}
	e.clk.Advance(10 * time.Minute)
	rep, err := e.svc.PollStatus(e.ctx)
	if err != nil || rep.Orphans != 1 {
		t.Fatalf("poll %+v, %v", rep, err)
	}
	if so, _ := e.sim.Order(no); so.Status != yamato.StatusCancelled {
		t.Fatalf("the orphan credit at Yamato: %s, want 取消済", so.Status)
	}
	var orders int
	_ = e.db.QueryRowContext(e.ctx, `SELECT COUNT(*) FROM orders`).Scan(&orders)
	if orders != 0 {
		t.Fatalf("%d orders", orders)
	}
}

// TestSlowCheckoutAndOrphanCancel: a checkout whose order is saved more than the orphan delay
// after its credit never ends as an order on a withdrawn credit, nor has its order's credit
// withdrawn: the orphan cancel claims only a credit still without an order, and the order is
// refused on a credit the orphan cancel has claimed or withdrawn.
func TestSlowCheckoutAndOrphanCancel(t *testing.T) {
	t.Parallel()
	e := newRoom(t)
	h := e.svc.Handler(e.store)
	checkout := func() (context.Context, commerce.Order) {
		o := commerce.Order{ShopID: e.shop.ID, PaymentMethod: atobarai.PaymentMethod, ShipName: "山田 太郎", ShipPostalCode: "100-0005",
			ShipAddress: "東京都千代田区丸の内3-1-1", ShipPhone: "03-1234-5678", Lines: []commerce.OrderLine{{Name: "りんご", UnitPrice: 3000, Quantity: 1}}}
		ctx, o, err := h.Authorize(e.ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		return ctx, o
	}
	// commerce's create: the order inserted, then the Create hook, in one transaction.
	save := func(ctx context.Context, o commerce.Order) error {
		return e.db.InTx(ctx, func(tx *db.Tx) error {
			out, err := e.store.CreateOrdersTx(ctx, tx, []commerce.Order{o})
			if err != nil {
				return err
			}
			_, err = h.Create(ctx, tx, out[0])
			return err
		})
	}
	orderNo := func(ctx context.Context) string {
		var no string
		if err := e.db.QueryRowContext(e.ctx, `SELECT order_no FROM atobarai_transactions ORDER BY created_at DESC, id DESC LIMIT 1`).Scan(&no); err != nil {
			t.Fatal(err)
		}
		return no
	}

	// 1. The order is saved between the orphan job's pick and its claim: nothing is cancelled.
	ctx1, o1 := checkout()
	no1 := orderNo(ctx1)
	e.clk.Advance(11 * time.Minute)
	r := attempt.NewRunner(e.db, attempt.New(e.clk))
	saved := false
	r.StepHook = func(s attempt.Step) error {
		if s == attempt.StepBeforeClaim && !saved {
			saved = true
			if err := save(ctx1, o1); err != nil {
				t.Errorf("the slow checkout's order: %v", err)
			}
		}
		return nil
	}
	if rep, err := e.svc.WithRunner(r).PollStatus(e.ctx); err != nil || rep.Orphans != 0 || !saved {
		t.Fatalf("poll %+v, %v (order saved meanwhile: %v)", rep, err, saved)
	}
	if so, _ := e.sim.Order(no1); so.Status == yamato.StatusCancelled {
		t.Fatalf("the credit of a saved order was cancelled at Yamato as an orphan")
	}

	// 2. The order comes after the orphan cancel withdrew its credit: it is refused.
	ctx2, o2 := checkout()
	no2 := orderNo(ctx2)
	e.clk.Advance(11 * time.Minute)
	if rep, err := e.svc.PollStatus(e.ctx); err != nil || rep.Orphans != 1 {
		t.Fatalf("poll %+v, %v", rep, err)
	}
	if so, _ := e.sim.Order(no2); so.Status != yamato.StatusCancelled {
		t.Fatalf("the orphan at Yamato: %s, want 取消済", so.Status)
	}
	if err := save(ctx2, o2); errs.KindOf(err) != errs.KindConflict {
		t.Fatalf("an order on a withdrawn credit: %v, want a conflict", err)
	}
	var orders int
	_ = e.db.QueryRowContext(e.ctx, `SELECT COUNT(*) FROM orders`).Scan(&orders)
	if orders != 1 {
		t.Fatalf("%d orders, want the first checkout's only", orders)
	}
}

// TestQueuedOperationCrash: a process that dies after picking a queued operation and before
// claiming it leaves it queued, and the next run sends it once; a queued operation refused
// before it is sent leaves the queue as a 送信エラー naming the reason, not silently.
func TestQueuedOperationCrash(t *testing.T) {
	t.Parallel()
	e := newRoom(t)
	e.svc.FollowUp = 10 * time.Second
	no := yamato.WithCheckDigit("30000000002")
	_, tx := e.order(creditRequest("山田 太郎", 3000))
	if tx, err := e.svc.Ship(e.ctx, tx.ID, atobarai.ShipmentInput{TrackingNo: no}); err != nil || tx.QueuedOp != atobarai.OpShipment {
		t.Fatalf("shipment inside the window: %+v, %v", tx, err)
	}
	e.clk.Advance(10 * time.Second)
	r := attempt.NewRunner(e.db, attempt.New(e.clk))
	r.StepHook = func(s attempt.Step) error {
		if s == attempt.StepBeforeClaim {
			return errors.New("process died")
		}
		return nil
	}
	if _, err := e.svc.WithRunner(r).RunQueued(e.ctx); err == nil {
		t.Fatal("the crashed run reported no error")
	}
	if got, _ := e.svc.Txn(e.ctx, tx.ID); got.QueuedOp != atobarai.OpShipment {
		t.Fatalf("after a crash before the claim: %+v, want the shipment still queued", got)
	}
	if n, err := e.svc.RunQueued(e.ctx); n != 1 || err != nil {
		t.Fatalf("the next run: ran %d, %v", n, err)
	}
	if got, _ := e.svc.Txn(e.ctx, tx.ID); got.Status != "3" || got.TrackingNo != no || got.QueuedOp != "" {
		t.Fatalf("after the next run: %+v", got)
	}
	if n := historyCount(e.sim, tx.OrderNo, "出荷情報登録"); n != 1 {
		t.Fatalf("Yamato registered the shipment %d times, want once", n)
	}
	if n, err := e.svc.RunQueued(e.ctx); n != 0 || err != nil {
		t.Fatalf("a third run: ran %d, %v", n, err)
	}

	// Refused before it is sent: Yamato withdrew the credit while the shipment waited.
	_, tx2 := e.order(creditRequest("山田 花子", 3000))
	if _, err := e.svc.Ship(e.ctx, tx2.ID, atobarai.ShipmentInput{TrackingNo: no}); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.SetStatus(tx2.OrderNo, yamato.StatusCancelled); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(10 * time.Second)
	if _, err := e.svc.Refresh(e.ctx, tx2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RunQueued(e.ctx); errs.KindOf(err) != errs.KindConflict {
		t.Fatalf("the refused queued shipment: %v, want its conflict", err)
	}
	got, _ := e.svc.Txn(e.ctx, tx2.ID)
	if got.QueuedOp != "" || !strings.Contains(got.LastError, "与信OK") {
		t.Fatalf("after the refusal: queued %q, last error %q (want off the queue, the reason shown)", got.QueuedOp, got.LastError)
	}
	if n, err := e.svc.RunQueued(e.ctx); n != 0 || err != nil {
		t.Fatalf("after the refusal: ran %d, %v", n, err)
	}
}

// TestShippedMailOnce: the 発送完了メール of a 後払い order goes once, even when a second
// request asks while the first is sending; a send the server refused is tried again.
func TestShippedMailOnce(t *testing.T) {
	t.Parallel()
	e := newRoom(t)
	catcher := mailsim.New(e.clk)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() { _ = catcher.Serve(ln) }()
	cu, err := e.store.CreateCustomer(e.ctx, commerce.Customer{Code: "C1", Name: "山田 太郎", NameKana: "ヤマダ タロウ", Email: "taro@example.jp"})
	if err != nil {
		t.Fatal(err)
	}
	req := creditRequest("山田 太郎", 3000)
	o, err := e.store.CreateOrder(e.ctx, commerce.Order{ShopID: e.shop.ID, CustomerID: cu.ID, PaymentMethod: atobarai.PaymentMethod,
		ShipName: req.Name, ShipPostalCode: req.PostCode, ShipAddress: req.Address, ShipPhone: req.Tel,
		Lines: []commerce.OrderLine{{Name: "りんご", UnitPrice: 3000, Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Prepare(e.ctx, o.ID, atobarai.ModeAPI, req); err != nil {
		t.Fatal(err)
	}

	// The server is down at first: nothing is marked sent.
	addr := "127.0.0.1:1"
	e.svc.Mailer = &mail.Sender{Addr: func() string { return addr }, From: "shop@example.jp"}
	if err := e.svc.NotifyShipped(e.ctx, o, "300000000020"); err == nil {
		t.Fatal("a mail to a closed port reported sent")
	}
	// Then a second request arrives while the first is sending (the sender asks for the
	// server's address at each send).
	inner, nested := error(nil), false
	e.svc.Mailer.Addr = func() string {
		if !nested {
			nested = true
			inner = e.svc.NotifyShipped(e.ctx, o, "300000000020")
		}
		return ln.Addr().String()
	}
	if err := e.svc.NotifyShipped(e.ctx, o, "300000000020"); err != nil || inner != nil {
		t.Fatalf("sends: %v, the second request's %v", err, inner)
	}
	if err := e.svc.NotifyShipped(e.ctx, o, "300000000020"); err != nil {
		t.Fatal(err)
	}
	if n := len(catcher.Messages()); n != 1 {
		t.Fatalf("the buyer got %d 発送完了メール, want 1", n)
	}
	if tx, _ := e.svc.TxnOfOrder(e.ctx, o.ID); tx.MailSentAt.IsZero() {
		t.Fatal("the mail is not marked sent")
	}
}

// TestSwitchCreditResumed: an order switched to 後払い whose after-commit credit never ran
// (the process died) is credited by the periodic run once, and not for a cancelled order.
func TestSwitchCreditResumed(t *testing.T) {
	t.Parallel()
	e := newRoom(t)
	h := e.svc.Handler(e.store)
	switchTo := func(name string) commerce.Order {
		before, err := e.store.CreateOrder(e.ctx, commerce.Order{ShopID: e.shop.ID, PaymentMethod: "bank_transfer", ShipName: name, ShipPostalCode: "100-0005",
			ShipAddress: "東京都千代田区丸の内3-1-1", ShipPhone: "03-1234-5678", Lines: []commerce.OrderLine{{Name: "りんご", UnitPrice: 3000, Quantity: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		after := before
		after.PaymentMethod = atobarai.PaymentMethod
		// The change commits; its after-commit step is never run (the process died).
		if err := e.db.InTx(e.ctx, func(tx *db.Tx) error {
			if _, err := h.Change(e.ctx, tx, commerce.OrderChange{Before: before, After: after}); err != nil {
				return err
			}
			_, err := tx.ExecContext(e.ctx, `UPDATE orders SET payment_method = ? WHERE id = ?`, after.PaymentMethod, after.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return before
	}
	o := switchTo("山田 太郎")
	gone := switchTo("山田 花子")
	if _, err := e.db.ExecContext(e.ctx, `UPDATE orders SET order_status = 'cancelled' WHERE id = ?`, gone.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := e.svc.RunQueued(e.ctx); n != 0 || err != nil {
		t.Fatalf("right after the switch (its own step may still run): ran %d, %v", n, err)
	}
	e.clk.Advance(3 * time.Minute)
	if n, err := e.svc.RunQueued(e.ctx); n != 1 || err != nil {
		t.Fatalf("the unsent credit: ran %d, %v", n, err)
	}
	if tx, err := e.svc.TxnOfOrder(e.ctx, o.ID); err != nil || tx.Credit != atobarai.CreditOK {
		t.Fatalf("the switched order's credit: %+v, %v", tx, err)
	}
	if tx, _ := e.svc.TxnOfOrder(e.ctx, gone.ID); tx.Credit != atobarai.CreditNew {
		t.Fatalf("a cancelled order was credited: %s", tx.Credit)
	}
	if n, err := e.svc.RunQueued(e.ctx); n != 0 || err != nil {
		t.Fatalf("a second run: ran %d, %v", n, err)
	}
}

// TestQueuedShipmentNotReplaced: a lower total saved while the shipment waits for Yamato's
// follow-up window is refused with the reason, not queued over the shipment (which Yamato
// would then never get); a cancel still replaces it.
func TestQueuedShipmentNotReplaced(t *testing.T) {
	t.Parallel()
	e := newRoom(t)
	h := e.svc.Handler(e.store)
	e.svc.FollowUp = 10 * time.Second
	o, tx := e.order(creditRequest("山田 太郎", 3000))
	if tx, err := e.svc.Ship(e.ctx, tx.ID, atobarai.ShipmentInput{TrackingNo: yamato.WithCheckDigit("30000000003")}); err != nil || tx.QueuedOp != atobarai.OpShipment {
		t.Fatalf("shipment inside the window: %+v, %v", tx, err)
	}
	change := func(after commerce.Order) error {
		return e.db.InTx(e.ctx, func(dtx *db.Tx) error {
			_, err := h.Change(e.ctx, dtx, commerce.OrderChange{Before: o, After: after})
			return err
		})
	}
	lower := o
	lower.Lines = []commerce.OrderLine{{Name: "りんご", UnitPrice: 2000, Quantity: 1}}
	lower.Total = 2000
	if err := change(lower); errs.KindOf(err) != errs.KindConflict || !strings.Contains(err.Error(), "出荷登録") {
		t.Fatalf("a reduction over the waiting shipment: %v, want a conflict naming it", err)
	}
	if got, _ := e.svc.Txn(e.ctx, tx.ID); got.QueuedOp != atobarai.OpShipment {
		t.Fatalf("waiting: %q, want the shipment", got.QueuedOp)
	}
	cancelled := o
	cancelled.OrderStatus = "cancelled"
	if err := change(cancelled); err != nil {
		t.Fatalf("a cancel over the waiting shipment: %v", err)
	}
	if got, _ := e.svc.Txn(e.ctx, tx.ID); got.QueuedOp != atobarai.OpCancel {
		t.Fatalf("waiting: %q, want the cancel", got.QueuedOp)
	}
}
