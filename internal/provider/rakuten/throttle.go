package rakuten

import (
	"context"
	"sync"
	"time"
)

// Throttle spaces a shop's requests. Rakuten publishes no rate limit; clients in the wild wait
// about a second per call, which is the default. Share one Throttle between all clients of a
// shop. It runs on the wall clock, not the sandbox clock: it is about Rakuten's servers, and a
// frozen sandbox clock would make it wait for ever.
type Throttle struct {
	interval time.Duration
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error

	mu   sync.Mutex
	next time.Time
}

// DefaultRequestsPerSecond is the throttle a Client gets when Config.Throttle is nil.
const DefaultRequestsPerSecond = 1

// NewThrottle allows perSecond requests a second; 0 (or less) turns throttling off.
func NewThrottle(perSecond float64) *Throttle {
	t := &Throttle{now: time.Now, sleep: sleepCtx}
	if perSecond > 0 {
		t.interval = time.Duration(float64(time.Second) / perSecond)
	}
	return t
}

// WithTime replaces the throttle's clock and sleep, for tests that must not really wait.
func (t *Throttle) WithTime(now func() time.Time, sleep func(ctx context.Context, d time.Duration) error) *Throttle {
	t.now, t.sleep = now, sleep
	return t
}

// Interval is the spacing between two requests (0 when off).
func (t *Throttle) Interval() time.Duration { return t.interval }

// Wait blocks until the next request may go, or ctx ends. Each caller reserves its own slot,
// so concurrent callers are spaced too.
func (t *Throttle) Wait(ctx context.Context) error {
	if t == nil || t.interval <= 0 {
		return ctx.Err()
	}
	t.mu.Lock()
	now := t.now()
	at := t.next
	if at.Before(now) {
		at = now
	}
	t.next = at.Add(t.interval)
	t.mu.Unlock()
	if d := at.Sub(now); d > 0 {
		return t.sleep(ctx, d)
	}
	return ctx.Err()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Throttles hands out one Throttle per shop, so that every client of a shop (the poller, a
// cancel sent from a page, a 接続テスト) shares the shop's pace while shops do not slow each
// other down.
type Throttles struct {
	perSecond float64
	mu        sync.Mutex
	byShop    map[string]*Throttle
}

// NewThrottles returns a set whose throttles allow perSecond requests a second (0 = off).
func NewThrottles(perSecond float64) *Throttles {
	return &Throttles{perSecond: perSecond, byShop: map[string]*Throttle{}}
}

// For returns shop's throttle, creating it on first use.
func (t *Throttles) For(shop string) *Throttle {
	t.mu.Lock()
	defer t.mu.Unlock()
	th := t.byShop[shop]
	if th == nil {
		th = NewThrottle(t.perSecond)
		t.byShop[shop] = th
	}
	return th
}
