// Package attempttest is the conformance suite of money calls, in the manner of River's driver
// test suite: a room hands it one operation — a way to build a fresh world (database, the
// provider's simulator with its fault switches, instances of the room), to read what the
// provider holds, and to check its own record — and Run drives that operation through every
// way a call can go wrong: a crash at every step of attempt.Runner, a timeout, a closed
// connection or a 5xx after the provider accepted, a 5xx before, two concurrent executions
// (two connection pools on PostgreSQL), a stalled sender racing the janitor, and a late answer.
//
// After each scenario the suite restarts the room, tries to execute again at once (nobody may
// send an open operation twice), lets the janitor settle, executes once more (which must send
// only if the provider does not hold the operation), settles again, and asserts that the
// provider holds the operation exactly once and that kessai's record agrees (World.Agree).
//
// Every room that moves money runs it from a test of its own:
//
//	func TestMoneyCalls(t *testing.T) { attempttest.Run(t, attempttest.Room{New: newWorld}) }
package attempttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"kessai/internal/platform/attempt"
)

// Fault is a failure the room's simulator injects on the next money call.
type Fault string

const (
	// TimeoutAfterAccept: the provider records the operation, then never answers; the call
	// gives up at its CallTimeout (the suite sets a short one).
	TimeoutAfterAccept Fault = "timeout_after_accept"
	// CloseAfterAccept: the provider records it, then closes the connection without an answer.
	CloseAfterAccept Fault = "close_after_accept"
	// ServerErrorAfterAccept: the provider records it, then answers 5xx.
	ServerErrorAfterAccept Fault = "5xx_after_accept"
	// ServerErrorBeforeAccept: the provider answers 5xx without recording anything.
	ServerErrorBeforeAccept Fault = "5xx_before_accept"
)

// Faults lists every fault, in the order the suite runs them.
var Faults = []Fault{TimeoutAfterAccept, CloseAfterAccept, ServerErrorAfterAccept, ServerErrorBeforeAccept}

// accepted reports whether the provider holds the operation after f.
func (f Fault) accepted() bool { return f != ServerErrorBeforeAccept }

// Room is one money operation of a room, as the suite sees it.
type Room struct {
	// New builds a fresh world for one scenario. Scenarios run in parallel, each in its own
	// world; t is the scenario's test, for t.Cleanup and t.Fatal.
	New func(t *testing.T) World
}

// World is one scenario's database, provider simulator and clocks.
type World struct {
	// Prepare creates a record ready for the operation and returns its ID.
	Prepare func() string
	// Open starts an instance of the room over the world's database, as a (re)started process
	// does: no state is carried over from another instance. With second set, the instance has
	// its own connection pool where the engine allows it (PostgreSQL), so two instances
	// really run at once.
	Open func(second bool) Instance
	// Arm makes the simulator inject f on the next money call.
	Arm func(f Fault)
	// Held is how many times the provider holds the record's operation (its requests, found
	// by what the record sent: amount, reference).
	Held func(recordID string) int
	// Agree checks kessai's side once the provider holds the operation exactly once and
	// everything was settled: the record shows the provider's reference and state, and no
	// attempt of the record is left open. It returns what disagrees.
	Agree func(recordID string) error
	// Advance moves every clock the room's staleness and conclusions run on.
	Advance func(time.Duration)
	// Settled is how far Advance must move for the janitor to settle any open attempt (past
	// the janitor's StaleAfter and any "not found after" of the resolver).
	Settled time.Duration
}

// Options are what the suite sets on one execution.
type Options struct {
	// Step is the runner's StepHook: an error stops the execution there, as a crash would.
	Step func(attempt.Step) error
	// CallTimeout, when > 0, replaces the runner's CallTimeout.
	CallTimeout time.Duration
}

// Apply sets o on r for one execution; the returned func puts r back as it was. Every room's
// Instance.Execute starts with it.
func (o Options) Apply(r *attempt.Runner) (restore func()) {
	step, timeout := r.StepHook, r.CallTimeout
	r.StepHook = o.Step
	if o.CallTimeout > 0 {
		r.CallTimeout = o.CallTimeout
	}
	return func() { r.StepHook, r.CallTimeout = step, timeout }
}

// Concluded is what every room's Agree checks of a record's attempts (oldest first): none is
// left open and the last one succeeded.
func Concluded(atts []attempt.Attempt) error {
	for _, a := range atts {
		if !a.State.Final() {
			return fmt.Errorf("attempt %s (%s) left %s", a.ID, a.Operation, a.State)
		}
	}
	if len(atts) == 0 || atts[len(atts)-1].State != attempt.Succeeded {
		return fmt.Errorf("the last of %d attempts did not succeed", len(atts))
	}
	return nil
}

// Instance is one process of the room.
type Instance interface {
	// Execute runs the operation on recordID through the room's attempt.Runner. It may
	// return an error (refused, stopped, abandoned): the suite judges by what the provider
	// holds and what the record says, not by the error.
	Execute(ctx context.Context, recordID string, o Options) error
	// Settle runs the janitor once, and whatever else the room runs periodically to follow
	// its records (a poller).
	Settle(ctx context.Context) error
}

// ErrCrash is what the suite's step hooks return to stop an execution.
var ErrCrash = errors.New("attempttest: crashed here")

// Run runs every scenario against room, each as a parallel subtest.
func Run(t *testing.T, room Room) {
	t.Helper()
	for _, step := range attempt.Steps {
		t.Run("crash at "+string(step), func(t *testing.T) {
			t.Parallel()
			w, id := start(t, room)
			err := w.Open(false).Execute(ctx(), id, Options{Step: crashAt(step)})
			if !errors.Is(err, ErrCrash) {
				t.Fatalf("execution crashed at %s returned %v, want the crash", step, err)
			}
			sent := step == attempt.StepAfterSend || step == attempt.StepAfterRecord
			expectHeld(t, w, id, sent, "right after the crash")
			finish(t, w, id)
		})
	}
	for _, f := range Faults {
		t.Run(string(f), func(t *testing.T) {
			t.Parallel()
			w, id := start(t, room)
			w.Arm(f)
			o := Options{}
			if f == TimeoutAfterAccept {
				o.CallTimeout = 300 * time.Millisecond
			}
			_ = w.Open(false).Execute(ctx(), id, o)
			expectHeld(t, w, id, f.accepted(), "right after the fault")
			finish(t, w, id)
		})
	}
	t.Run("two concurrent executions", func(t *testing.T) {
		t.Parallel()
		w, id := start(t, room)
		a, b := w.Open(true), w.Open(true)
		// Both pass the start line before either claims, so the claims really race.
		var ready sync.WaitGroup
		ready.Add(2)
		gate := func(s attempt.Step) error {
			if s == attempt.StepBeforeClaim {
				ready.Done()
				ready.Wait()
			}
			return nil
		}
		var wg sync.WaitGroup
		for _, in := range []Instance{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = in.Execute(ctx(), id, Options{Step: gate})
			}()
		}
		wg.Wait()
		if n := w.Held(id); n != 1 {
			t.Fatalf("two concurrent executions: the provider holds %d, want exactly 1", n)
		}
		finish(t, w, id)
	})
	for _, step := range []attempt.Step{attempt.StepAfterClaim, attempt.StepBeforeSend} {
		t.Run("stalled at "+string(step)+" while the janitor settles", func(t *testing.T) {
			t.Parallel()
			w, id := start(t, room)
			other := w.Open(true)
			stall := func(s attempt.Step) error {
				if s == step {
					w.Advance(w.Settled)
					if err := other.Settle(ctx()); err != nil {
						t.Errorf("janitor of another instance: %v", err)
					}
				}
				return nil
			}
			_ = w.Open(false).Execute(ctx(), id, Options{Step: stall})
			if n := w.Held(id); n > 1 {
				t.Fatalf("stalled sender resumed: the provider holds %d", n)
			}
			finish(t, w, id)
		})
	}
	t.Run("late answer after the janitor settled", func(t *testing.T) {
		t.Parallel()
		w, id := start(t, room)
		other := w.Open(true)
		// The provider has answered; before the answer is recorded, another instance's
		// janitor asks the provider and settles the attempt. The answer then arrives late.
		late := func(s attempt.Step) error {
			if s == attempt.StepAfterSend {
				w.Advance(w.Settled)
				if err := other.Settle(ctx()); err != nil {
					t.Errorf("janitor of another instance: %v", err)
				}
			}
			return nil
		}
		if err := w.Open(false).Execute(ctx(), id, Options{Step: late}); err != nil {
			t.Fatalf("recording a late answer: %v", err)
		}
		expectHeld(t, w, id, true, "after the late answer")
		finish(t, w, id)
	})
}

func ctx() context.Context { return context.Background() }

func start(t *testing.T, room Room) (World, string) {
	t.Helper()
	w := room.New(t)
	if w.Prepare == nil || w.Open == nil || w.Arm == nil || w.Held == nil || w.Agree == nil || w.Advance == nil || w.Settled <= 0 {
		t.Fatal("attempttest: World needs Prepare, Open, Arm, Held, Agree, Advance and Settled")
	}
	return w, w.Prepare()
}

func crashAt(step attempt.Step) func(attempt.Step) error {
	return func(s attempt.Step) error {
		if s == step {
			return ErrCrash
		}
		return nil
	}
}

func expectHeld(t *testing.T, w World, id string, held bool, when string) {
	t.Helper()
	want := 0
	if held {
		want = 1
	}
	if n := w.Held(id); n != want {
		t.Fatalf("%s: the provider holds %d, want %d", when, n, want)
	}
}

// finish restarts, retries at once, settles, executes once more and settles again; then the
// provider must hold the operation exactly once and kessai must agree.
func finish(t *testing.T, w World, id string) {
	t.Helper()
	in := w.Open(false)
	_ = in.Execute(ctx(), id, Options{}) // while the outcome may be open: must not send twice
	if n := w.Held(id); n > 1 {
		t.Fatalf("executed again after a restart: the provider holds %d", n)
	}
	settle(t, w, in)
	_ = in.Execute(ctx(), id, Options{}) // sends only if the provider does not hold it
	settle(t, w, in)
	if n := w.Held(id); n != 1 {
		t.Fatalf("at the end the provider holds %d, want exactly 1", n)
	}
	if err := w.Agree(id); err != nil {
		t.Fatalf("kessai's record disagrees with the provider: %v", err)
	}
}

func settle(t *testing.T, w World, in Instance) {
	t.Helper()
	w.Advance(w.Settled)
	if err := in.Settle(ctx()); err != nil {
		t.Fatalf("settle: %v", err)
	}
}
