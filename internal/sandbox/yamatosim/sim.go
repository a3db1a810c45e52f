package yamatosim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/yamato"
)

// APIPath is the provider's path below the mount prefix, so a base URL differs from the real
// one only in scheme, host and prefix.
const APIPath = "/kuroneko-atobarai-api/"

// Sandbox merchant, also shown on the admin screen.
const (
	DefaultStoreCode = "12345678901"
	DefaultPassword  = "sandbox1"
	// SMSCode is the code every SMS authentication of the sandbox "sends".
	SMSCode = "1234"
)

// Options configure a Sim. Zero values give the documented defaults.
type Options struct {
	Clock  clock.Clock // the system clock when nil
	Prefix string      // URL prefix the Sim is mounted under, e.g. "/sandbox/yamato"; used in links
	// StatePath, when set, is a JSON file the state is written to after every change and read
	// from at start.
	StatePath string
	// FollowUpWindow is how long after a credit the provider does not yet know the order:
	// result, status, shipment, cancel, reduction and reissue answer 存在しない受注番号 (5s).
	// Negative means no window.
	FollowUpWindow time.Duration
	// RepeatWindow and RepeatLimit: the RepeatLimit-th credit to one address within
	// RepeatWindow is refused, and the earlier approved, unshipped orders to that address are
	// withdrawn (OK → NG; 取消済 in KAAST0010). 1 hour and 3.
	RepeatWindow time.Duration
	RepeatLimit  int
	// CreditLimit is the amount above which a credit is 限度額超過 (300,000 yen).
	CreditLimit int64
	// ReviewDelay is how long a 審査中 result of the test data takes to resolve (30 minutes).
	ReviewDelay time.Duration
	// SMSValidity is how long an SMS code is valid (10 minutes); SMSMaxTries wrong codes
	// (3) lock it.
	SMSValidity time.Duration
	SMSMaxTries int
	// DeliveryDelay is how long after shipment registration a parcel is delivered (送り状番号
	// 登録済 → 売上確定, 24 hours); InvoiceDelay how long after that the invoice is issued
	// (売上確定 → 請求書発行済, 24 hours). 入金済 is set from the admin screen or /_sim.
	DeliveryDelay time.Duration
	InvoiceDelay  time.Duration
	// Enclosed is true when the merchant has the 同梱 contract option (sendDiv 2).
	Enclosed bool
}

func (o *Options) defaults() {
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	o.Prefix = strings.TrimRight(o.Prefix, "/")
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.FollowUpWindow, 5*time.Second)
	def(&o.RepeatWindow, time.Hour)
	def(&o.ReviewDelay, 30*time.Minute)
	def(&o.SMSValidity, 10*time.Minute)
	def(&o.DeliveryDelay, 24*time.Hour)
	def(&o.InvoiceDelay, 24*time.Hour)
	if o.RepeatLimit == 0 {
		o.RepeatLimit = 3
	}
	if o.CreditLimit == 0 {
		o.CreditLimit = 300000
	}
	if o.SMSMaxTries == 0 {
		o.SMSMaxTries = 3
	}
}

// Sim plays Yamato's クロネコ代金後払い over HTTP. It is an http.Handler; mount it with
// http.StripPrefix(opts.Prefix, sim). All state is in memory behind one mutex.
type Sim struct {
	opts Options
	mux  *http.ServeMux

	mu        sync.Mutex
	st        *state
	byAddress map[string][]*Order // orders by the address they were placed to; nil = rebuild
	fault     *faultState
	warnings  []string
}

// New returns a simulator; with StatePath the saved state is loaded. A state file that cannot
// be read is moved aside and reported in Status.
func New(opts Options) *Sim {
	opts.defaults()
	s := &Sim{opts: opts, st: newState()}
	if opts.StatePath != "" {
		if err := s.load(); err != nil {
			s.warnings = append(s.warnings, err.Error())
		}
	}
	s.mux = s.routes()
	return s
}

// ServeHTTP serves the API, the admin screen and the /_sim JSON API.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// BaseURL returns the yamato.Config.BaseURL for a Sim reachable at origin (e.g.
// "http://127.0.0.1:8080"), with the mount prefix.
func (s *Sim) BaseURL(origin string) string {
	return strings.TrimRight(origin, "/") + s.opts.Prefix + APIPath
}

// SetFollowUpWindow changes the follow-up window at run time (the admin API uses it).
func (s *Sim) SetFollowUpWindow(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.FollowUpWindow = d
}

func (s *Sim) now() time.Time { return s.opts.Clock.Now() }

// options returns the options as they are now (the follow-up window can change).
func (s *Sim) options() Options {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts
}

// Order is one transaction as the provider holds it.
type Order struct {
	OrderNo      string              `json:"order_no"`
	Source       string              `json:"source"` // "api" or "csv:<batch id>"
	OrderYmd     string              `json:"order_ymd"`
	ShipYmd      string              `json:"ship_ymd"`
	Name         string              `json:"name"`
	NameKana     string              `json:"name_kana,omitempty"`
	PostCode     string              `json:"post_code"`
	Address1     string              `json:"address1"`
	Address2     string              `json:"address2,omitempty"`
	Tel          string              `json:"tel"`
	Email        string              `json:"email,omitempty"`
	SendDiv      yamato.SendDiv      `json:"send_div"`
	Items        []yamato.Item       `json:"items"`
	Total        int64               `json:"total"`
	InitialTotal int64               `json:"initial_total"`
	Result       yamato.CreditResult `json:"result"`
	// ResolveAt/ResolveTo: a 審査中 result becomes ResolveTo at ResolveAt.
	ResolveAt   time.Time           `json:"resolve_at,omitzero"`
	ResolveTo   yamato.CreditResult `json:"resolve_to,omitempty"`
	SMSExpires  time.Time           `json:"sms_expires,omitzero"`
	SMSTries    int                 `json:"sms_tries,omitempty"`
	Status      yamato.Status       `json:"status"`
	Flipped     bool                `json:"flipped,omitempty"` // withdrawn by the repeat-address rule
	TrackingNo  string              `json:"tracking_no,omitempty"`
	ShippedAt   time.Time           `json:"shipped_at,omitzero"`
	DeliveredAt time.Time           `json:"delivered_at,omitzero"`
	Reissues    int                 `json:"reissues,omitempty"`
	ReissueOpen bool                `json:"reissue_open,omitempty"`
	CreatedAt   time.Time           `json:"created_at"`
	DecidedAt   time.Time           `json:"decided_at,omitzero"`
	History     []Event             `json:"history"`
}

// Event is one change of an order, for the admin screen.
type Event struct {
	At   time.Time `json:"at"`
	What string    `json:"what"`
}

// Warning is the KAAST0010 warning the order shows now.
func (o *Order) Warning(now time.Time) yamato.Warning {
	switch o.Status {
	case yamato.StatusApproved:
		if o.ShipYmd != "" && now.In(clock.JST).Format("20060102") > o.ShipYmd {
			return yamato.WarningNoTracking
		}
	case yamato.StatusShipped:
		return yamato.WarningUndelivered
	case yamato.StatusInvestigating:
		return yamato.WarningInvestigate
	}
	return yamato.WarningNone
}

func (o *Order) log(at time.Time, format string, args ...any) {
	o.History = append(o.History, Event{At: at, What: fmt.Sprintf(format, args...)})
}

// Batch is one buyer CSV upload of the admin screen.
type Batch struct {
	ID       string    `json:"id"`
	At       time.Time `json:"at"`
	FileName string    `json:"file_name"`
	OrderNos []string  `json:"order_nos"`
}

// state is everything the Sim remembers; it is what StatePath holds.
type state struct {
	Seq     int64             `json:"seq"`
	Orders  map[string]*Order `json:"orders"`
	Batches []*Batch          `json:"batches"`
}

func newState() *state { return &state{Orders: map[string]*Order{}} }

// Reset forgets every order and batch.
func (s *Sim) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = newState()
	s.byAddress = nil
	s.fault = nil
	s.saveLocked()
}

// Orders returns a copy of every order, newest first, with time-driven changes applied.
func (s *Sim) Orders() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickLocked()
	out := make([]Order, 0, len(s.st.Orders))
	for _, o := range s.st.Orders {
		c := *o
		c.Items = slices.Clone(o.Items)
		c.History = slices.Clone(o.History)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Order) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.OrderNo, a.OrderNo)
	})
	return out
}

// Order returns a copy of one order.
func (s *Sim) Order(orderNo string) (Order, bool) {
	for _, o := range s.Orders() {
		if o.OrderNo == orderNo {
			return o, true
		}
	}
	return Order{}, false
}

// ErrUnknownOrder is returned by the admin operations for an order the Sim does not have.
var ErrUnknownOrder = errors.New("yamatosim: 受注番号が見つかりません")

// SetStatus forces an order's 取引状況 (the admin screen's 入金済にする, or a test putting an
// order into 配送要調査).
func (s *Sim) SetStatus(orderNo string, st yamato.Status) error {
	if !st.Known() {
		return fmt.Errorf("yamatosim: 取引状況 %q は使えません", st)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickLocked()
	o := s.st.Orders[orderNo]
	if o == nil {
		return ErrUnknownOrder
	}
	o.Status = st
	o.log(s.now(), "取引状況を %s に変更（サンドボックス操作）", st.Label())
	s.saveLocked()
	return nil
}

// SetResult forces an order's 審査結果; making an approved order NG is what the provider does
// when it withdraws a credit, so the order also becomes 取消済.
func (s *Sim) SetResult(orderNo string, r yamato.CreditResult) error {
	if !r.Known() {
		return fmt.Errorf("yamatosim: 審査結果 %q は使えません", r)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickLocked()
	o := s.st.Orders[orderNo]
	if o == nil {
		return ErrUnknownOrder
	}
	now := s.now()
	if o.Result == yamato.CreditOK && r != yamato.CreditOK {
		s.withdrawLocked(o, now, "サンドボックス操作")
	} else {
		o.Result, o.DecidedAt, o.ResolveAt = r, now, time.Time{}
		o.log(now, "審査結果を %s に変更（サンドボックス操作）", r.Label())
	}
	s.saveLocked()
	return nil
}

// withdrawLocked turns an approved order into NG: the provider withdraws the credit.
func (s *Sim) withdrawLocked(o *Order, now time.Time, why string) {
	o.Result, o.DecidedAt, o.Flipped = yamato.CreditNG, now, true
	o.Status = yamato.StatusCancelled
	o.log(now, "与信OK → ご利用不可（%s）。取引は取消済", why)
}

// load reads StatePath. A missing file is a fresh start.
func (s *Sim) load() error {
	b, err := os.ReadFile(s.opts.StatePath)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("yamatosim: read state: %w", err)
	}
	st := newState()
	if err := json.Unmarshal(b, st); err != nil {
		aside := s.opts.StatePath + ".corrupt-" + s.now().Format("20060102T150405")
		_ = os.Rename(s.opts.StatePath, aside)
		return fmt.Errorf("yamatosim: state file unreadable, moved to %s, starting empty: %w", aside, err)
	}
	if st.Orders == nil {
		st.Orders = map[string]*Order{}
	}
	s.st = st
	return nil
}

// saveLocked writes the state atomically (temp file and rename). Errors are kept for Status
// rather than failing the call that caused them.
func (s *Sim) saveLocked() {
	if s.opts.StatePath == "" {
		return
	}
	if err := writeJSONFile(s.opts.StatePath, s.st); err != nil {
		s.warnings = append(s.warnings, err.Error())
	}
}

func writeJSONFile(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("yamatosim: encode state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("yamatosim: save state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("yamatosim: save state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("yamatosim: save state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("yamatosim: save state: %w", err)
	}
	return nil
}

// Status summarises the Sim for the sandbox page.
type Status struct {
	Orders         int      `json:"orders"`
	ByStatus       []Count  `json:"by_status"`
	FollowUpWindow string   `json:"follow_up_window"`
	Warnings       []string `json:"warnings,omitempty"`
}

// Count is a number of orders in one status.
type Count struct {
	Status yamato.Status `json:"status"`
	Label  string        `json:"label"`
	N      int           `json:"n"`
}

// Status returns the summary.
func (s *Sim) Status() Status {
	orders := s.Orders()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{Orders: len(orders), FollowUpWindow: followUp(s.opts.FollowUpWindow), Warnings: slices.Clone(s.warnings)}
	for _, code := range yamato.Statuses {
		n := 0
		for _, o := range orders {
			if o.Status == code {
				n++
			}
		}
		st.ByStatus = append(st.ByStatus, Count{Status: code, Label: code.Label(), N: n})
	}
	return st
}
