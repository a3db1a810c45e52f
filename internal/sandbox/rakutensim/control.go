package rakutensim

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"time"

	"kessai/internal/provider/rakuten"
)

// The control API: what Rakuten, the buyer and time do to orders. Each is a Go method (for
// tests and wiring) and a JSON endpoint under /_sim/ (for the sandbox page and scripts).

// withOrder runs f on an order under the lock, after the due time rules, and saves.
func (s *Sim) withOrder(number string, f func(o *order, now time.Time) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickLocked()
	o := s.byNumber[number]
	if o == nil {
		return ErrUnknownOrder
	}
	if err := f(o, s.now()); err != nil {
		return err
	}
	s.track(o)
	s.saveLocked()
	return nil
}

// Authorize gives Rakuten's authorization result for an order in 200: ok → 300 発送待ち with
// 発送指示日時 now; NG → stays 200 with paymentStatus 30400, cancelled after 7 days unless the
// buyer changes the payment method.
func (s *Sim) Authorize(number string, ok bool) error {
	return s.withOrder(number, func(o *order, now time.Time) error { return s.authorizeLocked(o, ok, now) })
}

// ChangePaymentMethod is the buyer choosing another method for an order in 200 (typically after
// a NG); Rakuten then authorizes again (Authorize).
func (s *Sim) ChangePaymentMethod(number string, m rakuten.SettlementCode) error {
	if !m.Known() {
		return errors.New("決済方法コードが楽天の一覧にありません")
	}
	return s.withOrder(number, func(o *order, now time.Time) error { return s.changeMethodLocked(o, m, now) })
}

// ChangeAmount is the shop changing the goods amount: a 300 order goes back to 200 for
// re-authorization (Authorize gives its result).
func (s *Sim) ChangeAmount(number string, goods int64) error {
	if goods <= 0 {
		return errors.New("金額は1円以上です")
	}
	return s.withOrder(number, func(o *order, now time.Time) error { return s.changeAmountLocked(o, goods, now) })
}

// SetReauthResult decides a long-lead order's re-authorization ("ok" or "ng") before it runs.
func (s *Sim) SetReauthResult(number, result string) error {
	if !validResult(result, false) {
		return errors.New(`result は "ok" か "ng" です`)
	}
	return s.withOrder(number, func(o *order, _ time.Time) error { o.ReauthResult = result; return nil })
}

// Settle is 決済確定 for an authorized order (paymentStatus 30600, paymentFixDatetime now).
func (s *Sim) Settle(number string) error {
	return s.withOrder(number, func(o *order, now time.Time) error { return s.settleLocked(o, now) })
}

// ConfirmCancel is Rakuten confirming a cancel request (800 → 900) now, without waiting.
func (s *Sim) ConfirmCancel(number string) error {
	return s.withOrder(number, func(o *order, now time.Time) error {
		if o.Progress != rakuten.ProgressCancelRequested {
			return &StateError{o.Number, o.Progress, "キャンセル確定"}
		}
		s.cancelNowLocked(o, now)
		return nil
	})
}

// SetShop registers a shop or changes its credentials or licenseKey expiry (zero: 90 days from
// now).
func (s *Sim) SetShop(sh Shop) error {
	if sh.Number == "" || sh.ServiceSecret == "" || sh.LicenseKey == "" {
		return errors.New("number, service_secret, license_key は必須です")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sh.ExpiresAt.IsZero() {
		sh.ExpiresAt = s.now().Add(LicenseKeyLife)
	}
	s.st.Shops[sh.Number] = &sh
	s.saveLocked()
	return nil
}

// ExpireLicenseKey makes a shop's licenseKey expired now: every call is refused with ES01-01.
func (s *Sim) ExpireLicenseKey(shop string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.st.Shops[shop]
	if sh == nil {
		return ErrUnknownShop
	}
	sh.ExpiresAt = s.now()
	s.saveLocked()
	return nil
}

// SetSettings changes the behaviour switches.
func (s *Sim) SetSettings(st Settings) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Settings = st
	s.saveLocked()
}

// OrderView is the control API's view of an order.
type OrderView struct {
	Number        string                 `json:"order_number"`
	Shop          string                 `json:"shop"`
	Progress      rakuten.OrderProgress  `json:"order_progress"`
	ProgressLabel string                 `json:"order_progress_label"`
	Method        rakuten.SettlementCode `json:"settlement_method_code"`
	MethodLabel   string                 `json:"settlement_method"`
	RakutenPay    bool                   `json:"rakuten_pay"`
	PaymentStatus rakuten.PaymentStatus  `json:"payment_status"`
	PaymentLabel  string                 `json:"payment_status_label"`
	GoodsPrice    int64                  `json:"goods_price"`
	RequestPrice  int64                  `json:"request_price"`
	OrderedAt     time.Time              `json:"ordered_at"`
	ShippingInst  time.Time              `json:"shipping_inst_datetime,omitzero"`
	ShipBy        time.Time              `json:"ship_by,omitzero"`
	NGAt          time.Time              `json:"ng_at,omitzero"`
	NextRuleAt    time.Time              `json:"next_rule_at,omitzero"`
}

func (s *Sim) viewLocked(o *order) OrderView {
	return OrderView{Number: o.Number, Shop: o.Shop, Progress: o.Progress, ProgressLabel: o.Progress.Label(),
		Method: o.Method, MethodLabel: o.Method.Label(), RakutenPay: o.RPay, PaymentStatus: o.Pay.Status,
		PaymentLabel: o.Pay.Status.Label(), GoodsPrice: o.Goods, RequestPrice: o.request(), OrderedAt: o.OrderedAt,
		ShippingInst: o.ShippingInstAt, ShipBy: o.ShipBy, NGAt: o.NGAt, NextRuleAt: s.nextDue(o)}
}

// Order returns the control view of one order.
func (s *Sim) Order(number string) (OrderView, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickLocked()
	o := s.byNumber[number]
	if o == nil {
		return OrderView{}, ErrUnknownOrder
	}
	return s.viewLocked(o), nil
}

// Status is the Sim's summary.
type Status struct {
	Now        time.Time      `json:"now"`
	Orders     int            `json:"orders"`
	ByProgress map[string]int `json:"by_progress"` // "300 発送待ち" → count
	Shops      []ShopStatus   `json:"shops"`
	Settings   Settings       `json:"settings"`
	Warnings   []string       `json:"warnings,omitempty"`
}

// ShopStatus is a shop in Status; the credentials are shown because they are sandbox ones.
type ShopStatus struct {
	Shop
	Expired bool `json:"expired"`
}

// Status reports the Sim's state.
func (s *Sim) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickLocked()
	now := s.now()
	st := Status{Now: now, Orders: len(s.st.Orders), ByProgress: map[string]int{}, Settings: s.st.Settings,
		Warnings: append([]string(nil), s.warnings...)}
	for _, o := range s.st.Orders {
		st.ByProgress[o.Progress.Label()]++
	}
	for _, sh := range s.st.Shops {
		st.Shops = append(st.Shops, ShopStatus{Shop: *sh, Expired: !now.Before(sh.ExpiresAt)})
	}
	sort.Slice(st.Shops, func(i, j int) bool { return st.Shops[i].Number < st.Shops[j].Number })
	return st
}

func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "JSONを読めません: " + err.Error()})
		return false
	}
	return true
}

func controlResult(w http.ResponseWriter, err error, ok any) {
	var se *StateError
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, ok)
	case errors.Is(err, ErrUnknownOrder), errors.Is(err, ErrUnknownShop):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
	case errors.As(err, &se):
		writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	}
}

// orderControl answers with the order's new view.
func (s *Sim) orderControl(w http.ResponseWriter, number string, err error) {
	if err != nil {
		controlResult(w, err, nil)
		return
	}
	v, err := s.Order(number)
	controlResult(w, err, v)
}

func (s *Sim) controlRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /_sim/status", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, s.Status()) })
	m.HandleFunc("POST /_sim/reset", func(w http.ResponseWriter, _ *http.Request) {
		s.Reset()
		controlResult(w, nil, map[string]bool{"ok": true})
	})
	m.HandleFunc("POST /_sim/settings", func(w http.ResponseWriter, r *http.Request) {
		var st Settings
		if decodeControl(w, r, &st) {
			s.SetSettings(st)
			controlResult(w, nil, st)
		}
	})
	m.HandleFunc("POST /_sim/shops", func(w http.ResponseWriter, r *http.Request) {
		var sh Shop
		if decodeControl(w, r, &sh) {
			controlResult(w, s.SetShop(sh), map[string]bool{"ok": true})
		}
	})
	m.HandleFunc("POST /_sim/shops/{shop}/expire-license-key", func(w http.ResponseWriter, r *http.Request) {
		controlResult(w, s.ExpireLicenseKey(r.PathValue("shop")), map[string]bool{"ok": true})
	})
	m.HandleFunc("POST /_sim/orders", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			NewOrder
			Count      int  `json:"count"`
			AllMethods bool `json:"all_methods"`
		}
		if !decodeControl(w, r, &req) {
			return
		}
		var nums []string
		methods := []rakuten.SettlementCode{req.Method}
		if req.AllMethods {
			methods = rakuten.SettlementCodes()
		}
		if max(req.Count, 1)*len(methods) > 100000 {
			controlResult(w, errors.New("一度に作成できる注文は100000件までです"), nil)
			return
		}
		for _, m := range methods {
			n := req.NewOrder
			n.Method = m
			got, err := s.CreateOrders(n, req.Count)
			if err != nil {
				controlResult(w, err, nil)
				return
			}
			nums = append(nums, got...)
		}
		controlResult(w, nil, map[string][]string{"order_numbers": nums})
	})
	m.HandleFunc("GET /_sim/orders/{number}", func(w http.ResponseWriter, r *http.Request) {
		v, err := s.Order(r.PathValue("number"))
		controlResult(w, err, v)
	})
	m.HandleFunc("POST /_sim/orders/{number}/authorize", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Result string `json:"result"`
		}
		if !decodeControl(w, r, &req) {
			return
		}
		if !validResult(req.Result, false) {
			controlResult(w, errors.New(`result は "ok" か "ng" です`), nil)
			return
		}
		n := r.PathValue("number")
		s.orderControl(w, n, s.Authorize(n, req.Result == "ok"))
	})
	m.HandleFunc("POST /_sim/orders/{number}/payment-method", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Method rakuten.SettlementCode `json:"method"`
		}
		if decodeControl(w, r, &req) {
			n := r.PathValue("number")
			s.orderControl(w, n, s.ChangePaymentMethod(n, req.Method))
		}
	})
	m.HandleFunc("POST /_sim/orders/{number}/amount", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			GoodsPrice int64 `json:"goods_price"`
		}
		if decodeControl(w, r, &req) {
			n := r.PathValue("number")
			s.orderControl(w, n, s.ChangeAmount(n, req.GoodsPrice))
		}
	})
	m.HandleFunc("POST /_sim/orders/{number}/reauth-result", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Result string `json:"result"`
		}
		if decodeControl(w, r, &req) {
			n := r.PathValue("number")
			s.orderControl(w, n, s.SetReauthResult(n, req.Result))
		}
	})
	m.HandleFunc("POST /_sim/orders/{number}/settle", func(w http.ResponseWriter, r *http.Request) {
		n := r.PathValue("number")
		s.orderControl(w, n, s.Settle(n))
	})
	m.HandleFunc("POST /_sim/orders/{number}/confirm-cancel", func(w http.ResponseWriter, r *http.Request) {
		n := r.PathValue("number")
		s.orderControl(w, n, s.ConfirmCancel(n))
	})
}
