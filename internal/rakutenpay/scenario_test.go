package rakutenpay_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/lease"
	"kessai/internal/provider/rakuten"
	"kessai/internal/rakutenpay"
	"kessai/internal/sandbox/rakutensim"
)

func historyHas(t *testing.T, e *env, orderID, want string) {
	t.Helper()
	for _, h := range e.history(orderID) {
		if strings.Contains(h, want) {
			return
		}
	}
	t.Fatalf("history of %s lacks %q:\n%s", orderID, want, strings.Join(e.history(orderID), "\n"))
}

// edit changes a slip as staff would (through commerce, version-checked).
func edit(t *testing.T, e *env, o commerce.Order, f func(*commerce.Order)) commerce.Order {
	t.Helper()
	f(&o)
	o.Lines = nil
	got, err := e.store.UpdateOrder(e.ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestImportMakesSlipsOnceAndReportsUnmapped(t *testing.T) {
	e := newEnv(t)
	waiting := e.order(rakutensim.NewOrder{Method: card})
	handling := e.order(rakutensim.NewOrder{Method: rakuten.SettleBankTransfer, Confirmed: true})
	cod := e.order(rakutensim.NewOrder{Method: rakuten.SettleCOD, Confirmed: true, Postage: 500})
	loan := e.order(rakutensim.NewOrder{Method: rakuten.SettleShoppingCredit})
	rep := e.poll()
	if rep.Imported != 3 || rep.Unmapped != 1 {
		t.Fatalf("report %+v, want 3 imported and 1 unmapped", rep)
	}
	for _, n := range []string{waiting, handling} {
		s := e.slip(n)
		e.wantSlip(s, initial)
		if s.Source != "api" || s.PaymentMethod != rakutenPay || s.ExternalRef != n {
			t.Fatalf("slip %+v", s)
		}
	}
	c := e.slip(cod)
	if c.PaymentMethod != "cod" || c.Total != 3000+500+330 || c.ShippingFee != 830 {
		t.Fatalf("COD slip: method %s total %d shipping %d", c.PaymentMethod, c.Total, c.ShippingFee)
	}
	un, err := e.svc.UnmappedOrders(e.ctx, e.shop.ID, 10)
	if err != nil || len(un) != 1 || un[0].Number != loan || un[0].SettlementCode != 4 {
		t.Fatalf("unmapped %+v %v", un, err)
	}
	before := len(e.history(e.slip(waiting).ID))
	e.advance(time.Minute)
	rep = e.poll()
	if rep.Imported != 0 || rep.Updated != 0 || rep.Noted != 0 {
		t.Fatalf("second poll wrote: %+v", rep)
	}
	if n := len(e.history(e.slip(waiting).ID)); n != before {
		t.Fatalf("second poll added history: %d → %d", before, n)
	}
	rows, err := e.store.ListOrders(e.ctx, commerce.OrderFilter{Sources: []string{"api"}}, false)
	if err != nil || len(rows) != 3 {
		t.Fatalf("slips after two polls: %d %v", len(rows), err)
	}
	// Mapping the method later imports the order and clears its listing.
	e.saveSetting(rakutenpay.MapField(rakuten.SettleShoppingCredit), "credit_card")
	e.advance(time.Minute)
	if rep = e.poll(); rep.Imported != 1 {
		t.Fatalf("after mapping: %+v", rep)
	}
	if un, _ := e.svc.UnmappedOrders(e.ctx, e.shop.ID, 10); len(un) != 0 {
		t.Fatalf("still listed: %+v", un)
	}
}

func (e *env) saveSetting(k, v string) {
	e.t.Helper()
	c, err := e.reg.Get(e.ctx, rakutenpay.ProviderKey, e.shop.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	in := map[string]string{"_environment": "sandbox"}
	for kk, vv := range c.Values {
		in[kk] = vv
	}
	in[k] = v
	if err := e.reg.Save(e.ctx, rakutenpay.ProviderKey, e.shop.ID, in); err != nil {
		e.t.Fatal(err)
	}
}

func TestImportRefusedWithoutMappingOrWithExpiredKey(t *testing.T) {
	t.Run("no mapping", func(t *testing.T) {
		off := map[string]string{}
		for _, c := range rakuten.SettlementCodes() {
			off[rakutenpay.MapField(c)] = ""
		}
		e := newEnv(t, off)
		e.order(rakutensim.NewOrder{})
		if _, err := e.svc.Poll(e.ctx, e.shop.ID); err == nil || !strings.Contains(err.Error(), "対応付け") {
			t.Fatalf("poll without mapping: %v", err)
		}
		if e.callCount("searchOrder") != 0 {
			t.Fatal("called Rakuten without a mapping")
		}
	})
	t.Run("expiry date passed", func(t *testing.T) {
		e := newEnv(t, map[string]string{rakutenpay.FieldLicenseExpiry: jstDate(start.Add(-day))})
		_, err := e.svc.Poll(e.ctx, e.shop.ID)
		if err == nil || !strings.Contains(err.Error(), "有効期限") || e.callCount("searchOrder") != 0 {
			t.Fatalf("poll with an expired key: %v, calls %d", err, e.callCount("searchOrder"))
		}
		st, _ := e.svc.PollState(e.ctx, e.shop.ID)
		if !strings.Contains(st.LastError, "有効期限") {
			t.Fatalf("poll state %+v", st)
		}
	})
	t.Run("Rakuten refuses the expired key", func(t *testing.T) {
		e := newEnv(t)
		if err := e.sim.ExpireLicenseKey(rakutensim.DefaultShopNumber); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.Poll(e.ctx, e.shop.ID)
		if err == nil || !strings.Contains(err.Error(), "ES01-01") {
			t.Fatalf("poll: %v", err)
		}
		c, _ := e.reg.Get(e.ctx, rakutenpay.ProviderKey, e.shop.ID)
		if c.State.Enabled || !strings.Contains(c.State.LastError, "ES01-01") {
			t.Fatalf("connection state %+v", c.State)
		}
	})
}

func TestAutoConfirm(t *testing.T) {
	e := newEnv(t, map[string]string{rakutenpay.FieldAutoConfirm: "on"})
	n := e.order(rakutensim.NewOrder{})
	if rep := e.poll(); rep.Confirmed != 1 {
		t.Fatalf("report %+v", rep)
	}
	if v, _ := e.sim.Order(n); v.Progress != rakuten.ProgressRakutenHandling {
		t.Fatalf("sim order %d", v.Progress)
	}
	historyHas(t, e, e.slip(n).ID, "注文確認")
}

func TestAuthorizedOrderBecomesPaidOnce(t *testing.T) {
	e := newEnv(t)
	n := e.order(rakutensim.NewOrder{Confirmed: true})
	e.poll()
	e.advance(26 * time.Hour)
	authAt := e.clk.Now()
	if err := e.sim.Authorize(n, true); err != nil {
		t.Fatal(err)
	}
	e.advance(time.Minute)
	if rep := e.poll(); rep.Updated != 1 {
		t.Fatalf("report %+v", rep)
	}
	s := e.slip(n)
	e.wantSlip(s, paidOn(authAt))
	historyHas(t, e, s.ID, "paymentStatus=30300 決済手続き完了")
	historyHas(t, e, s.ID, "入金状況 未入金→入金済")
	h := len(e.history(s.ID))
	payments := e.callCount("getPayment")
	e.advance(time.Minute)
	if rep := e.poll(); rep.Updated != 0 || rep.Noted != 0 {
		t.Fatalf("same state again: %+v", rep)
	}
	if len(e.history(s.ID)) != h || e.slip(n).Version != s.Version || e.callCount("getPayment") != payments {
		t.Fatal("the same Rakuten state applied twice changed something")
	}
	// Applied and settled: later polls do not read the order at all.
	reads := e.callCount("getOrder")
	e.advance(time.Minute)
	e.poll()
	if e.callCount("getOrder") != reads {
		t.Fatalf("a settled order was read again: getOrder %d → %d", reads, e.callCount("getOrder"))
	}
	// Forgetting what was decided (as if the link were lost) and applying the same state again
	// leaves the slip as it is.
	if _, err := e.db.ExecContext(e.ctx, `UPDATE rakutenpay_orders SET watch = TRUE, fingerprint = '', rk_state = ''`); err != nil {
		t.Fatal(err)
	}
	e.advance(time.Minute)
	if rep := e.poll(); rep.Updated != 0 || rep.Read != 1 {
		t.Fatalf("re-applied: %+v", rep)
	}
	if got := e.slip(n); got.Version != s.Version {
		t.Fatalf("slip version %d → %d", s.Version, got.Version)
	}
}

func TestTargetsAndExclusions(t *testing.T) {
	tests := []struct {
		name string
		// prepare runs on the imported slip (still 200) before Rakuten authorizes it.
		prepare func(t *testing.T, e *env, s commerce.Order)
		late    time.Duration // how long after the order Rakuten authorizes
		want    func(s commerce.Order, authAt time.Time) slipWant
		manual  bool
	}{
		{name: "target", want: func(_ commerce.Order, at time.Time) slipWant { return paidOn(at) }},
		{name: "on day 15", late: 15*day - time.Hour, want: func(_ commerce.Order, at time.Time) slipWant { return paidOn(at) }},
		{name: "after 15 days: listed for manual entry", late: 15*day + time.Hour, manual: true,
			want: func(commerce.Order, time.Time) slipWant { return initial }},
		{name: "source csv", prepare: func(t *testing.T, e *env, s commerce.Order) {
			edit(t, e, s, func(o *commerce.Order) { o.Source = "csv" })
		},
			want: func(commerce.Order, time.Time) slipWant { return initial }},
		{name: "source manual", prepare: func(t *testing.T, e *env, s commerce.Order) {
			edit(t, e, s, func(o *commerce.Order) { o.Source = "manual" })
		},
			want: func(commerce.Order, time.Time) slipWant { return initial }},
		{name: "not 楽天ペイ", prepare: func(t *testing.T, e *env, s commerce.Order) {
			edit(t, e, s, func(o *commerce.Order) { o.PaymentMethod = "credit_card" })
		}, want: func(commerce.Order, time.Time) slipWant { return initial }},
		{name: "already paid by staff", prepare: func(t *testing.T, e *env, s commerce.Order) {
			edit(t, e, s, func(o *commerce.Order) { o.PaymentStatus = "paid" })
		}, want: func(commerce.Order, time.Time) slipWant { return slipWant{"new", "paid", "pending", ""} }},
		{name: "承認日 set", prepare: func(t *testing.T, e *env, s commerce.Order) {
			edit(t, e, s, func(o *commerce.Order) { o.AuthorizedOn = "2026-03-01" })
		}, want: func(commerce.Order, time.Time) slipWant { return slipWant{"new", "unpaid", "pending", "2026-03-01"} }},
		{name: "受注状態 not 新規受付", prepare: func(t *testing.T, e *env, s commerce.Order) {
			edit(t, e, s, func(o *commerce.Order) { o.OrderStatus = "on_hold" })
		}, want: func(commerce.Order, time.Time) slipWant { return slipWant{"on_hold", "unpaid", "pending", ""} }},
		{name: "restored from merge cancellation", prepare: func(t *testing.T, e *env, s commerce.Order) {
			s = edit(t, e, s, func(o *commerce.Order) { o.CancelType = "3" })
			edit(t, e, s, func(o *commerce.Order) { o.CancelType = "0" })
		}, want: func(commerce.Order, time.Time) slipWant { return initial }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			n := e.order(rakutensim.NewOrder{Confirmed: true})
			e.poll()
			s := e.slip(n)
			if tc.prepare != nil {
				tc.prepare(t, e, s)
			}
			e.advance(tc.late + time.Minute)
			authAt := e.clk.Now()
			if err := e.sim.Authorize(n, true); err != nil {
				t.Fatal(err)
			}
			e.advance(time.Minute)
			e.poll()
			got := e.slip(n)
			e.wantSlip(got, tc.want(got, authAt))
			l := e.link(got.ID)
			if (l.ManualReason != "") != tc.manual {
				t.Fatalf("manual listing %q, want %v", l.ManualReason, tc.manual)
			}
			if tc.name != "target" && tc.name != "on day 15" {
				historyHas(t, e, got.ID, "変更なし")
			}
		})
	}
}

func TestCopiedSlipIsNeverATarget(t *testing.T) {
	e := newEnv(t)
	n := e.order(rakutensim.NewOrder{Confirmed: true})
	e.poll()
	orig := e.slip(n)
	cp := orig
	cp.ID, cp.Number, cp.Source, cp.Version = "", "", "copy", 0
	for i := range cp.Lines {
		cp.Lines[i].ID = ""
	}
	cp, err := e.store.CreateOrder(e.ctx, cp)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.Authorize(n, true); err != nil {
		t.Fatal(err)
	}
	e.advance(time.Minute)
	e.poll()
	e.wantSlip(e.slip(n), paidOn(e.clk.Now().Add(-time.Minute)))
	got, _ := e.store.GetOrder(e.ctx, cp.ID)
	e.wantSlip(got, initial)
}

func TestSplitSlipsAreUpdatedTogether(t *testing.T) {
	e := newEnv(t)
	n := e.order(rakutensim.NewOrder{Confirmed: true})
	e.poll()
	parent := e.slip(n)
	child := parent
	child.ID, child.Number, child.Source, child.ParentOrderID, child.Version = "", "", "manual", parent.ID, 0
	for i := range child.Lines {
		child.Lines[i].ID = ""
	}
	child, err := e.store.CreateOrder(e.ctx, child)
	if err != nil {
		t.Fatal(err)
	}
	authAt := e.clk.Now()
	if err := e.sim.Authorize(n, true); err != nil {
		t.Fatal(err)
	}
	e.advance(time.Minute)
	e.poll()
	e.wantSlip(e.slip(n), paidOn(authAt))
	got, _ := e.store.GetOrder(e.ctx, child.ID)
	e.wantSlip(got, paidOn(authAt))
	historyHas(t, e, child.ID, "分割元 "+parent.Number)
}

func TestAuthorizationNGThenRakutenCancelsAfter7Days(t *testing.T) {
	e := newEnv(t)
	n := e.order(rakutensim.NewOrder{Confirmed: true, Authorize: "ng"})
	e.poll()
	s := e.slip(n)
	e.wantSlip(s, initial)
	historyHas(t, e, s.ID, "与信NG")
	historyHas(t, e, s.ID, "paymentStatus=30400")
	e.advance(6 * day)
	e.poll()
	e.wantSlip(e.slip(n), initial)
	e.advance(day + time.Minute)
	if rep := e.poll(); rep.Updated != 1 {
		t.Fatalf("report %+v", rep)
	}
	got := e.slip(n)
	e.wantSlip(got, cancelled)
	if got.CancelType != "1" {
		t.Fatalf("cancel type %s", got.CancelType)
	}
	historyHas(t, e, got.ID, "キャンセル確定（900）")
}

func TestLaterNGIsReadAndNoted(t *testing.T) {
	e := newEnv(t)
	n := e.order(rakutensim.NewOrder{Confirmed: true})
	e.poll()
	payments := e.callCount("getPayment")
	e.advance(time.Minute)
	e.poll()
	if e.callCount("getPayment") != payments {
		t.Fatal("getPayment read for an order still being authorized")
	}
	if err := e.sim.Authorize(n, false); err != nil {
		t.Fatal(err)
	}
	e.advance(time.Minute)
	if rep := e.poll(); rep.Noted != 1 {
		t.Fatalf("report %+v", rep)
	}
	s := e.slip(n)
	e.wantSlip(s, initial)
	historyHas(t, e, s.ID, "paymentStatus=30400")
}

func TestNGThenPaymentMethodChangeThenAuthorized(t *testing.T) {
	t.Run("to another 楽天ペイ method", func(t *testing.T) {
		e := newEnv(t)
		n := e.order(rakutensim.NewOrder{Confirmed: true, Authorize: "ng"})
		e.poll()
		e.advance(2 * day)
		if err := e.sim.ChangePaymentMethod(n, rakuten.SettleSevenEleven); err != nil {
			t.Fatal(err)
		}
		e.advance(3 * time.Hour)
		authAt := e.clk.Now()
		if err := e.sim.Authorize(n, true); err != nil {
			t.Fatal(err)
		}
		e.advance(time.Minute)
		e.poll()
		s := e.slip(n)
		e.wantSlip(s, paidOn(authAt))
		if l := e.link(s.ID); l.Settlement != rakuten.SettleSevenEleven {
			t.Fatalf("link settlement %d", l.Settlement)
		}
	})
	t.Run("to a method mapped elsewhere", func(t *testing.T) {
		e := newEnv(t, map[string]string{rakutenpay.MapField(rakuten.SettleBankTransfer): "bank_transfer"})
		n := e.order(rakutensim.NewOrder{Confirmed: true, Authorize: "ng"})
		e.poll()
		if err := e.sim.ChangePaymentMethod(n, rakuten.SettleBankTransfer); err != nil {
			t.Fatal(err)
		}
		if err := e.sim.Authorize(n, true); err != nil {
			t.Fatal(err)
		}
		e.advance(time.Minute)
		e.poll()
		s := e.slip(n)
		e.wantSlip(s, initial)
		if s.PaymentMethod != "bank_transfer" {
			t.Fatalf("payment method %s", s.PaymentMethod)
		}
	})
	t.Run("method change 20 days after the order reopens the window", func(t *testing.T) {
		e := newEnv(t)
		n := e.order(rakutensim.NewOrder{Confirmed: true, Authorize: "ng"})
		e.poll()
		e.advance(6 * day)
		if err := e.sim.ChangePaymentMethod(n, rakuten.SettlePayPal); err != nil {
			t.Fatal(err)
		}
		e.poll()            // the poll sees the change: the slip is a target for 15 days from it
		e.advance(14 * day) // no NG pending any more: Rakuten does not cancel
		if err := e.sim.Authorize(n, true); err != nil {
			t.Fatal(err)
		}
		authAt := e.clk.Now()
		e.advance(time.Minute)
		e.poll()
		e.wantSlip(e.slip(n), paidOn(authAt))
	})
}

func TestAmountChangeRevertAnd15DayRule(t *testing.T) {
	for _, tc := range []struct {
		name   string
		after  time.Duration
		manual bool
	}{{"within 15 days", 5 * day, false}, {"after 15 days", 20 * day, true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			n := e.order(rakutensim.NewOrder{Confirmed: true, Authorize: "ok"})
			e.poll()
			s := e.slip(n)
			e.wantSlip(s, paidOn(start))
			e.advance(tc.after)
			if err := e.sim.ChangeAmount(n, 5000); err != nil {
				t.Fatal(err)
			}
			s, err := e.svc.RevertToAwaitingPayment(e.ctx, s.ID, s.Version)
			if err != nil {
				t.Fatal(err)
			}
			e.wantSlip(s, initial)
			e.advance(time.Minute)
			e.poll()
			e.wantSlip(e.slip(n), initial)
			reauth := e.clk.Now()
			if err := e.sim.Authorize(n, true); err != nil {
				t.Fatal(err)
			}
			e.advance(time.Minute)
			e.poll()
			got := e.slip(n)
			l := e.link(got.ID)
			if tc.manual {
				e.wantSlip(got, initial)
				if !strings.Contains(l.ManualReason, "15日") {
					t.Fatalf("manual reason %q", l.ManualReason)
				}
				rows, err := e.store.ListOrders(e.ctx, commerce.OrderFilter{Extra: []commerce.Cond{*rakutenpay.FilterCond(rakutenpay.FilterManual)}}, false)
				if err != nil || len(rows) != 1 || rows[0].ID != got.ID {
					t.Fatalf("manual list %d %v", len(rows), err)
				}
				return
			}
			e.wantSlip(got, paidOn(reauth))
			if l.ManualReason != "" {
				t.Fatalf("listed: %q", l.ManualReason)
			}
		})
	}
}

func TestLongLeadCardOrders(t *testing.T) {
	for _, tc := range []struct {
		name, result string
		want         func(reauth time.Time) slipWant
	}{
		{"ok", "ok", func(at time.Time) slipWant { return slipWant{"awaiting_shipment", "paid", "authorized", jstDate(at)} }},
		{"ng", "ng", func(time.Time) slipWant { return slipWant{"awaiting_shipment", "unpaid", "pending", ""} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			shipBy := start.Add(40 * day)
			n := e.order(rakutensim.NewOrder{Confirmed: true, Authorize: "ok", ShipBy: shipBy, ReauthResult: tc.result})
			e.poll()
			s := e.slip(n)
			e.wantSlip(s, paidOn(start))
			s = edit(t, e, s, func(o *commerce.Order) { o.OrderStatus, o.DeliveryNotePrintOn = "awaiting_shipment", jstDate(shipBy) })
			child := s
			child.ID, child.Number, child.Source, child.ParentOrderID, child.Version = "", "", "manual", s.ID, 0
			for i := range child.Lines {
				child.Lines[i].ID = ""
			}
			child, err := e.store.CreateOrder(e.ctx, child)
			if err != nil {
				t.Fatal(err)
			}
			// 8 days before: not selected yet, Rakuten has not re-authorized.
			e.advance(32 * day)
			e.poll()
			e.wantSlip(e.slip(n), slipWant{"awaiting_shipment", "paid", "authorized", jstDate(start)})
			e.advance(day + time.Hour) // Rakuten re-authorizes 7 days before 発送日
			reauth := shipBy.Add(-7 * day)
			e.poll()
			e.wantSlip(e.slip(n), tc.want(reauth))
			got, _ := e.store.GetOrder(e.ctx, child.ID)
			e.wantSlip(got, tc.want(reauth))
			e.poll()
			if tc.result == "ng" {
				e.advance(7*day + time.Minute)
				e.poll()
				e.wantSlip(e.slip(n), slipWant{"cancelled", "unpaid", "pending", ""})
			}
		})
	}
}

// TestLongLeadSkipsSlipsNotRakutenPay: a long-lead card slip whose payment method staff changed
// is left alone by the re-authorization.
func TestLongLeadSkipsSlipsNotRakutenPay(t *testing.T) {
	e := newEnv(t)
	shipBy := start.Add(40 * day)
	n := e.order(rakutensim.NewOrder{Confirmed: true, Authorize: "ok", ShipBy: shipBy, ReauthResult: "ng"})
	e.poll()
	s := edit(t, e, e.slip(n), func(o *commerce.Order) {
		o.OrderStatus, o.DeliveryNotePrintOn, o.PaymentMethod = "awaiting_shipment", jstDate(shipBy), "credit_card"
	})
	e.advance(33*day + time.Hour)
	e.poll()
	e.wantSlip(e.slip(n), slipWant{"awaiting_shipment", "paid", "authorized", jstDate(start)})
	if got := e.slip(n); got.Version != s.Version {
		t.Fatalf("slip changed: %d → %d", s.Version, got.Version)
	}
}

func TestStaffEditDuringPollIsNotOverwritten(t *testing.T) {
	e := newEnv(t)
	n := e.order(rakutensim.NewOrder{Confirmed: true})
	e.poll()
	if err := e.sim.Authorize(n, true); err != nil {
		t.Fatal(err)
	}
	e.svc.BeforeWrite = func(ctx context.Context, id string) {
		s, err := e.store.GetOrder(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		edit(t, e, s, func(o *commerce.Order) { o.Note = "スタッフの編集" })
	}
	e.advance(time.Minute)
	if rep := e.poll(); rep.Conflicts != 1 || rep.Updated != 0 {
		t.Fatalf("report %+v", rep)
	}
	s := e.slip(n)
	e.wantSlip(s, initial)
	if s.Note != "スタッフの編集" {
		t.Fatalf("note %q", s.Note)
	}
	e.svc.BeforeWrite = nil
	e.advance(time.Minute)
	if rep := e.poll(); rep.Updated != 1 {
		t.Fatalf("retry: %+v", rep)
	}
	s = e.slip(n)
	e.wantSlip(s, paidOn(start))
	if s.Note != "スタッフの編集" {
		t.Fatalf("note lost: %q", s.Note)
	}
}

func TestPollThatFailsHalfWayIsRepeated(t *testing.T) {
	e := newEnv(t)
	nums := e.orders(rakutensim.NewOrder{Confirmed: true, Authorize: "ok"}, 250)
	failed := false
	e.wrap = func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if strings.Contains(r.URL.Path, "getOrder") && e.callCount("getOrder") == 2 && !failed {
			failed = true
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		next.ServeHTTP(w, r)
	}
	if _, err := e.svc.Poll(e.ctx, e.shop.ID); err == nil {
		t.Fatal("poll should fail on the second getOrder")
	}
	rows, _ := e.store.ListOrders(e.ctx, commerce.OrderFilter{Sources: []string{"api"}}, false)
	if len(rows) != 100 {
		t.Fatalf("after the failed poll: %d slips, want the first batch of 100", len(rows))
	}
	e.advance(time.Minute)
	rep := e.poll()
	if rep.Imported != 150 {
		t.Fatalf("repeat: %+v", rep)
	}
	rows, _ = e.store.ListOrders(e.ctx, commerce.OrderFilter{Sources: []string{"api"}}, false)
	if len(rows) != 250 {
		t.Fatalf("slips %d", len(rows))
	}
	for _, n := range []string{nums[0], nums[249]} {
		e.wantSlip(e.slip(n), paidOn(start))
	}
}

func TestCancelRequestUntil900(t *testing.T) {
	e := newEnv(t)
	n := e.order(rakutensim.NewOrder{Confirmed: true, Authorize: "ok"})
	e.poll()
	s := e.slip(n)
	if _, err := e.svc.RequestCancel(e.ctx, s.ID, rakuten.CancelReasonBuyerCancel); err == nil {
		t.Fatal("a slip not cancelled in kessai was sent")
	}
	s, err := e.store.CancelOrder(e.ctx, s.ID, s.Version)
	if err != nil {
		t.Fatal(err)
	}
	l, err := e.svc.RequestCancel(e.ctx, s.ID, rakuten.CancelReasonBuyerCancel)
	if err != nil {
		t.Fatal(err)
	}
	if l.CancelState != rakutenpay.CancelRequested {
		t.Fatalf("cancel state %s", l.CancelState)
	}
	if v, _ := e.sim.Order(n); v.Progress != rakuten.ProgressCancelRequested {
		t.Fatalf("sim %d", v.Progress)
	}
	if _, err := e.svc.RequestCancel(e.ctx, s.ID, rakuten.CancelReasonBuyerCancel); err == nil {
		t.Fatal("sent twice")
	}
	e.advance(time.Minute)
	e.poll()
	if l := e.link(s.ID); l.CancelState != rakutenpay.CancelRequested {
		t.Fatalf("before 900: %s", l.CancelState)
	}
	e.advance(10 * time.Minute)
	e.poll()
	if l := e.link(s.ID); l.CancelState != rakutenpay.CancelConfirmed {
		t.Fatalf("after 900: %s", l.CancelState)
	}
	historyHas(t, e, s.ID, "キャンセル申請中")
}

// TestPollIsSkippedWhileAnotherInstancePolls: a second instance (its own service) finds the
// shop's poll lease taken and skips instead of importing alongside.
func TestPollIsSkippedWhileAnotherInstancePolls(t *testing.T) {
	e := newEnv(t)
	e.order(rakutensim.NewOrder{})
	other := lease.New(e.db, clock.System{})
	le, ok, err := other.TryTake(e.ctx, "rakutenpay.poll:"+e.shop.ID, "other-instance", time.Minute)
	if err != nil || !ok {
		t.Fatalf("take: %v %v", ok, err)
	}
	if rep := e.poll(); rep.Skipped == "" || rep.Imported != 0 || e.callCount("searchOrder") != 0 {
		t.Fatalf("polled alongside: %+v", rep)
	}
	if err := other.Release(e.ctx, le); err != nil {
		t.Fatal(err)
	}
	if rep := e.poll(); rep.Imported != 1 {
		t.Fatalf("after release: %+v", rep)
	}
}

// TestAutoConfirmLostIsSentNextPoll: a confirmOrder that fails after its slip was committed (a
// crash or an error between the two) is sent by the next poll, which finds the slip made and
// the order still 注文確認待ち; without it the order would stay 100 until Rakuten cancels it.
func TestAutoConfirmLostIsSentNextPoll(t *testing.T) {
	e := newEnv(t, map[string]string{rakutenpay.FieldAutoConfirm: "on"})
	n := e.order(rakutensim.NewOrder{})
	failed := false
	e.wrap = func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if strings.Contains(r.URL.Path, "confirmOrder") && !failed {
			failed = true
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		next.ServeHTTP(w, r)
	}
	if _, err := e.svc.Poll(e.ctx, e.shop.ID); err == nil {
		t.Fatal("poll should fail on confirmOrder")
	}
	e.slip(n) // imported before the confirm failed
	if v, _ := e.sim.Order(n); v.Progress != rakuten.ProgressAwaitingConfirm {
		t.Fatalf("sim order %d before the repeat", v.Progress)
	}
	e.advance(time.Minute)
	if rep := e.poll(); rep.Confirmed != 1 || rep.Imported != 0 {
		t.Fatalf("repeat: %+v", rep)
	}
	if v, _ := e.sim.Order(n); v.Progress != rakuten.ProgressRakutenHandling {
		t.Fatalf("sim order %d after the repeat", v.Progress)
	}
	e.advance(time.Minute)
	if rep := e.poll(); rep.Confirmed != 0 {
		t.Fatalf("confirmed again: %+v", rep)
	}
}

// TestMappingLaterImportsAnOrderOutsideTheWindow: staff map a settlement method an hour after
// its order was listed as unmapped, long after the poll's 10-minute overlap passed it; the
// next poll still imports it (read by its number) and clears the listing.
func TestMappingLaterImportsAnOrderOutsideTheWindow(t *testing.T) {
	e := newEnv(t)
	loan := e.order(rakutensim.NewOrder{Method: rakuten.SettleShoppingCredit, Confirmed: true})
	if rep := e.poll(); rep.Unmapped != 1 {
		t.Fatalf("report %+v", rep)
	}
	for range 6 {
		e.advance(10 * time.Minute)
		e.poll()
	}
	e.saveSetting(rakutenpay.MapField(rakuten.SettleShoppingCredit), "credit_card")
	e.advance(time.Minute)
	if rep := e.poll(); rep.Imported != 1 {
		t.Fatalf("after mapping an hour later: %+v", rep)
	}
	if s := e.slip(loan); s.PaymentMethod != "credit_card" {
		t.Fatalf("slip method %s", s.PaymentMethod)
	}
	if un, _ := e.svc.UnmappedOrders(e.ctx, e.shop.ID, 10); len(un) != 0 {
		t.Fatalf("still listed: %+v", un)
	}
	e.advance(time.Minute)
	if rep := e.poll(); rep.Imported != 0 {
		t.Fatalf("imported again: %+v", rep)
	}
}

// TestMappingLaterDropsACancelledOrder: an unmapped order Rakuten cancelled before its method
// was mapped (the simulator cancels an unconfirmed order after 14 days) is not a new slip; its
// listing is cleared instead of being read again every poll.
func TestMappingLaterDropsACancelledOrder(t *testing.T) {
	e := newEnv(t)
	loan := e.order(rakutensim.NewOrder{Method: rakuten.SettleShoppingCredit})
	e.poll()
	e.advance(15 * 24 * time.Hour)
	if v, _ := e.sim.Order(loan); v.Progress.Cancellable() {
		t.Fatalf("sim order still %d", v.Progress)
	}
	e.saveSetting(rakutenpay.MapField(rakuten.SettleShoppingCredit), "credit_card")
	if rep := e.poll(); rep.Imported != 0 || len(rep.Problems) != 1 {
		t.Fatalf("report %+v", rep)
	}
	if un, _ := e.svc.UnmappedOrders(e.ctx, e.shop.ID, 10); len(un) != 0 {
		t.Fatalf("still listed: %+v", un)
	}
	reads := e.callCount("getOrder")
	e.advance(time.Minute)
	e.poll()
	if e.callCount("getOrder") != reads {
		t.Fatalf("read again: getOrder %d → %d", reads, e.callCount("getOrder"))
	}
}

// TestCancelRequestDuringPollIsKept: a cancel request sent while a poll is between reading the
// link and writing it is not overwritten by the poll's stale link (キャンセル申請中 lost, the
// request sendable again); the poll counts a conflict and reads the order again next time.
func TestCancelRequestDuringPollIsKept(t *testing.T) {
	e := newEnv(t)
	n := e.order(rakutensim.NewOrder{Confirmed: true})
	e.poll()
	s := e.slip(n)
	s, err := e.store.CancelOrder(e.ctx, s.ID, s.Version)
	if err != nil {
		t.Fatal(err)
	}
	sent := false
	e.svc.BeforeWrite = func(ctx context.Context, id string) {
		if sent {
			return
		}
		sent = true
		if _, err := e.svc.RequestCancel(ctx, id, rakuten.CancelReasonBuyerCancel); err != nil {
			t.Fatal(err)
		}
	}
	e.advance(time.Minute)
	if rep := e.poll(); !sent || rep.Conflicts != 1 {
		t.Fatalf("report %+v (sent %v)", rep, sent)
	}
	if l := e.link(s.ID); l.CancelState != rakutenpay.CancelRequested {
		t.Fatalf("cancel state after the poll: %q", l.CancelState)
	}
	if _, err := e.svc.RequestCancel(e.ctx, s.ID, rakuten.CancelReasonBuyerCancel); err == nil {
		t.Fatal("sent twice")
	}
	e.advance(11 * time.Minute)
	e.poll()
	if l := e.link(s.ID); l.CancelState != rakutenpay.CancelConfirmed {
		t.Fatalf("after 900: %q", l.CancelState)
	}
}
