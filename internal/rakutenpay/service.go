package rakutenpay

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"kessai/internal/commerce"
	"kessai/internal/platform/attempt"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/connection"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/lease"
	"kessai/internal/provider/rakuten"
)

// Options tune a Service; zero values are the defaults.
type Options struct {
	// Throttles pace each shop's calls (rakuten.DefaultRequestsPerSecond when nil).
	Throttles *rakuten.Throttles
	// CallTimeout bounds each Rakuten call (30 s).
	CallTimeout time.Duration
	// InitialLookback is how far back the first poll of a shop searches (30 days).
	InitialLookback time.Duration
	// Overlap is how far before the last searched point each poll starts again, for orders
	// Rakuten lists late (10 minutes).
	Overlap time.Duration
	Log     *slog.Logger
}

// PollLease is how long one instance's poll of a shop keeps the others out (a first import of
// 100,000 orders at the default throttle takes about 19 minutes); a holder that died frees it
// after this.
const PollLease = 30 * time.Minute

// Service is the room's logic: polls, rules, the slip actions and the cancel request.
type Service struct {
	db          *db.DB
	clock       clock.Clock
	store       *commerce.Store
	conns       *connection.Registry
	runner      *attempt.Runner
	throttles   *rakuten.Throttles
	httpClient  *http.Client
	callTimeout time.Duration
	lookback    time.Duration
	overlap     time.Duration
	log         *slog.Logger

	locks  sync.Map // shop ID → *sync.Mutex
	leases *lease.Leases
	holder string

	// BeforeWrite, when set (tests), runs after a sync decided and before it writes: a staff
	// edit made there must win over the poll.
	BeforeWrite func(ctx context.Context, orderID string)
}

// NewService returns the room's service.
func NewService(d *db.DB, c clock.Clock, store *commerce.Store, conns *connection.Registry, runner *attempt.Runner, o Options) *Service {
	s := &Service{db: d, clock: c, store: store, conns: conns, runner: runner, throttles: o.Throttles,
		callTimeout: o.CallTimeout, lookback: o.InitialLookback, overlap: o.Overlap, log: o.Log}
	if s.throttles == nil {
		s.throttles = rakuten.NewThrottles(rakuten.DefaultRequestsPerSecond)
	}
	if s.callTimeout <= 0 {
		s.callTimeout = rakuten.DefaultTimeout
	}
	if s.lookback <= 0 {
		s.lookback = 30 * 24 * time.Hour
	}
	if s.overlap <= 0 {
		s.overlap = 10 * time.Minute
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.httpClient = connection.HTTPClient(s.callTimeout + 5*time.Second)
	s.leases, s.holder = lease.New(d, clock.System{}), db.NewID("rkpoll")
	return s
}

// Declare declares the Rakuten connection (per shop) with the simulator at sandboxURL ("" for
// none).
func (s *Service) Declare(sandboxURL string) error {
	_, err := s.conns.Declare(s.provider(sandboxURL))
	return err
}

// Shops lists the shops whose Rakuten settings were saved.
func (s *Service) Shops(ctx context.Context) ([]string, error) {
	return db.Strings(ctx, s.db, `SELECT shop_id FROM provider_settings WHERE provider = ? AND shop_id <> '' ORDER BY shop_id`, ProviderKey)
}

// The 出荷可能 setting.
const settingShippable = "shippable"

// Shippable is the 出荷可能 setting: the 入金状況 that let a slip move to printing (入金済 by
// default).
func (s *Service) Shippable(ctx context.Context) ([]string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM rakutenpay_settings WHERE key = ?`, settingShippable).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return []string{"paid"}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("rakutenpay: 出荷可能: %w", err)
	}
	var out []string
	for _, c := range strings.Split(v, ",") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out, nil
}

// SetShippable saves the 出荷可能 setting.
func (s *Service) SetShippable(ctx context.Context, codes []string) error {
	if len(codes) == 0 {
		return errs.Invalid("出荷可能にする入金状況を1つ以上選んでください").Field("shippable", "例: 入金済")
	}
	for _, c := range codes {
		if !commerce.PaymentStatuses.Valid(c) {
			return errs.Invalid("入金状況の値が正しくありません: "+c).Field("shippable", "未入金・一部入金・入金済・返金済・入金不要から選んでください")
		}
	}
	v := strings.Join(codes, ",")
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO rakutenpay_settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, settingShippable, v)
		return err
	})
}

func (s *Service) shopLock(shopID string) *sync.Mutex {
	m, _ := s.locks.LoadOrStore(shopID, &sync.Mutex{})
	return m.(*sync.Mutex)
}
