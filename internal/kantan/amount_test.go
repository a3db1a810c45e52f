package kantan_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"kessai/internal/kantan"
	"kessai/internal/provider/gmopg"
	"kessai/internal/sandbox/gmopgsim"
)

// TestAmountChangeRules: one row per amount-change rule, dates on the simulator clock. kessai
// refuses before calling (an edit that can never be sent is refused when made; the capture-day
// rules when sending), and the simulator, asked directly, refuses the same change with GMO-PG's
// code; an allowed change reaches GMO-PG and the unsent change is gone.
func TestAmountChangeRules(t *testing.T) {
	t.Parallel()
	start := jst(2026, 12, 3, 10, 0) // paid and (when captured) captured now
	tests := []struct {
		name     string
		buyer    gmopgsim.BuyerAction
		capture  bool
		at       time.Time
		amount   int64 // from 10,000
		editOK   bool
		sendOK   bool
		wantCode string // GMO-PG's refusal of the same change
	}{
		{"authorized decrease", gmopgsim.BuyerPay, false, start.Add(time.Hour), 8000, true, true, ""},
		{"authorized increase", gmopgsim.BuyerPay, false, start.Add(time.Hour), 12000, true, true, ""},
		{"points only increase", gmopgsim.BuyerPoints, false, start.Add(time.Hour), 12000, false, false, gmopg.InfoChangeAmountInvalid},
		{"points only decrease", gmopgsim.BuyerPoints, false, start.Add(time.Hour), 9000, true, true, ""},
		{"capture day", gmopgsim.BuyerPay, true, jst(2026, 12, 3, 23, 59), 8000, true, false, gmopg.InfoChangePeriod},
		{"next day 0:30", gmopgsim.BuyerPay, true, jst(2026, 12, 4, 0, 30), 8000, true, false, gmopg.InfoChangePeriod},
		{"next day 1:00", gmopgsim.BuyerPay, true, jst(2026, 12, 4, 1, 0), 8000, true, true, ""},
		{"increase after capture", gmopgsim.BuyerPay, true, jst(2026, 12, 10, 9, 0), 10001, false, false, gmopg.InfoChangeAmountInvalid},
		{"end of following month", gmopgsim.BuyerPay, true, jst(2027, 1, 31, 23, 0), 8000, true, true, ""},
		{"after following month", gmopgsim.BuyerPay, true, jst(2027, 2, 1, 0, 0), 8000, false, false, gmopg.InfoAfterCaptureDeadline},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, start)
			o := e.checkout(10000, tt.buyer)
			if tt.capture {
				if p, err := e.svc.Capture(e.ctx, o.ID); err != nil || p.Status != kantan.StatusCaptured {
					t.Fatalf("capture: %v %+v", err, p)
				}
			}
			e.setClock(tt.at)
			err := e.setAmount(o.ID, tt.amount)
			if (err == nil) != tt.editOK {
				t.Fatalf("edit to %d: err %v, want ok=%v", tt.amount, err, tt.editOK)
			}
			if err == nil {
				if e.payment(o.ID).Amount != 10000 {
					t.Fatal("the edit reached GMO-PG without 【変更内容をGMO-PGに送信】")
				}
				p, err := e.svc.SendChange(e.ctx, o.ID)
				if (err == nil) != tt.sendOK {
					t.Fatalf("send: err %v, want ok=%v", err, tt.sendOK)
				}
				if tt.sendOK {
					if p.Amount != tt.amount || e.trade(o).Amount != tt.amount {
						t.Errorf("after send: kessai %d, GMO-PG %d, want %d", p.Amount, e.trade(o).Amount, tt.amount)
					}
					if _, err := e.svc.SendChange(e.ctx, o.ID); err == nil {
						t.Error("a second send with nothing unsent was accepted")
					}
					return
				}
			}
			// GMO-PG itself refuses the same change with its code.
			p := e.payment(o.ID)
			cl := gmopg.New(e.sim.Config(strings.TrimSuffix(e.simURL, prefix)))
			_, err = cl.RecruitChange(context.Background(), gmopg.Access{OrderID: p.PGOrderID, AccessID: p.AccessID, AccessPass: e.accessPass(o.ID)}, tt.amount, 0)
			if !gmopg.HasInfo(err, tt.wantCode) {
				t.Errorf("GMO-PG's answer to the change: %v, want %s", err, tt.wantCode)
			}
		})
	}
}

// TestCaptureRefusedWhileChangeUnsent: a recorded change blocks 実売上処理 until it is sent
// (the seed system only warned, and the capture lost the difference).
func TestCaptureRefusedWhileChangeUnsent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jst(2026, 12, 3, 10, 0))
	o := e.checkout(10000, gmopgsim.BuyerPay)
	if err := e.setAmount(o.ID, 7000); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Capture(e.ctx, o.ID); err == nil || !strings.Contains(err.Error(), "未送信") {
		t.Fatalf("capture with an unsent change: %v", err)
	}
	if _, err := e.svc.SendChange(e.ctx, o.ID); err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.Capture(e.ctx, o.ID)
	if err != nil || p.Status != kantan.StatusCaptured || e.trade(o).Amount != 7000 || e.trade(o).Status != gmopg.StatusSales {
		t.Fatalf("capture after sending: %v %+v %+v", err, p, e.trade(o))
	}
}
