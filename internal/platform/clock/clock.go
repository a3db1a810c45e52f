// Package clock is kessai's one source of "now". Production uses the wall clock; tests and the
// sandbox use a Sandbox clock that can be moved forward, so rules such as "the 27th at 0:00" or
// "the mail token expired" can be shown and tested in seconds.
package clock

import (
	"sync"
	"time"
)

// JST is Japan Standard Time. Japan has no daylight saving, so a fixed zone is exact and does not
// depend on the machine's tzdata.
var JST = time.FixedZone("JST", 9*60*60)

// Clock tells the time. Now always returns UTC; use InJST to show it.
type Clock interface {
	Now() time.Time
}

// System is the wall clock.
type System struct{}

// Now returns the current time in UTC.
func (System) Now() time.Time { return time.Now().UTC() }

// Sandbox is a clock that runs with the wall clock but can be moved forward by an offset.
// It is safe for concurrent use.
type Sandbox struct {
	mu     sync.RWMutex
	offset time.Duration
	frozen *time.Time
	wall   func() time.Time
}

// NewSandbox returns a sandbox clock that starts at the wall time.
func NewSandbox() *Sandbox { return &Sandbox{wall: time.Now} }

// NewFrozen returns a sandbox clock that stands still at t until it is advanced; tests use it
// so that results do not depend on when they run.
func NewFrozen(t time.Time) *Sandbox {
	t = t.UTC()
	return &Sandbox{wall: time.Now, frozen: &t}
}

// Now returns the sandbox time in UTC.
func (c *Sandbox) Now() time.Time {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.frozen != nil {
		return *c.frozen
	}
	return c.wall().UTC().Add(c.offset)
}

// Advance moves the clock forward by d. A negative d is ignored: time never runs backwards,
// because state machines and expiry rules assume it does not.
func (c *Sandbox) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen != nil {
		t := c.frozen.Add(d)
		c.frozen = &t
		return
	}
	c.offset += d
}

// Offset reports how far the clock is ahead of the wall clock (zero for a frozen clock that was
// never advanced past the wall).
func (c *Sandbox) Offset() time.Duration {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.frozen != nil {
		return c.frozen.Sub(c.wall().UTC())
	}
	return c.offset
}

// InJST returns t in Japan Standard Time.
func InJST(t time.Time) time.Time { return t.In(JST) }

// Today returns the JST calendar date of c's now, at 00:00 JST.
func Today(c Clock) time.Time {
	n := c.Now().In(JST)
	return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, JST)
}
