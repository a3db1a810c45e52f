package attempt

import (
	"context"
	"errors"
	"fmt"
	"time"

	"kessai/internal/platform/db"
	"kessai/internal/platform/logs"
)

// Step names a point of Runner.Run, for Runner.StepHook.
type Step string

const (
	StepBeforeClaim Step = "before_attempt" // nothing written yet
	StepAfterClaim  Step = "after_attempt"  // record claimed and attempt written (committed), not sent
	StepBeforeSend  Step = "before_send"    // attempt marked sending, the call not made yet
	StepAfterSend   Step = "after_send"     // the provider answered (or not), nothing recorded
	StepAfterRecord Step = "after_record"   // the outcome is recorded
)

// Steps lists every step in order: a crash test stops a run at each.
var Steps = []Step{StepBeforeClaim, StepAfterClaim, StepBeforeSend, StepAfterSend, StepAfterRecord}

// Op is one money call of a room, as the Runner runs it. Claim, Send and Apply are required.
type Op struct {
	// Claim moves the record into its "sending" state in tx — a conditional UPDATE, so that of
	// two concurrent claims (two requests, two instances) exactly one changes the row — and
	// returns the attempt to write: Room, RecordType, RecordID, Operation, IdempotencyKey and
	// the RequestSummary that Send will send. The Runner writes it with Begin in the same tx.
	// An error rolls everything back; nothing is sent.
	Claim func(ctx context.Context, tx *db.Tx) (Attempt, error)
	// Send makes the call a describes (what was committed, nothing else) exactly once and
	// classifies the answer: Succeeded, Failed only when the provider refused or the request
	// certainly never left (outbound.Sent), Unknown otherwise. It must not retry.
	Send func(ctx context.Context, a Attempt) Outcome
	// Apply writes an outcome onto the record, in the transaction that finishes the attempt
	// (the same function as the operation's Resolver.Apply).
	Apply func(ctx context.Context, tx *db.Tx, a Attempt, o Outcome) error
	// Late handles an answer that arrived after the attempt had been settled by someone else
	// (the janitor concluded first). It must never drop a success: without Late, a late
	// success is logged as an error for a person to reconcile.
	Late func(ctx context.Context, a Attempt, o Outcome) error
}

// ErrAbandoned is returned by Send when the attempt was no longer pending when the call was
// about to be made: the janitor failed it as never sent while this process stalled, and wins.
var ErrAbandoned = errors.New("attempt: settled before it was sent")

// Runner runs the one sequence every money call follows:
//
//	claim the record and write the attempt (one transaction) → commit → mark sending → call →
//	record the outcome on the attempt and the record (one transaction)
//
// A crash at any point leaves an attempt the Janitor settles without sending anything again:
// pending (never sent: failed as such), sending or unknown (asked about through the Resolver).
type Runner struct {
	db  *db.DB
	log *Log
	// CallTimeout bounds one call (30 s). It must stay well below the Janitor's StaleAfter, so
	// the janitor never asks about a call still in flight. It starts before the attempt is
	// marked sending, so a process that stalls after the mark cannot start the call late.
	CallTimeout time.Duration
	// StepHook is for tests only: it is called at each Step; an error stops the run right
	// there, as if the process had died.
	StepHook func(Step) error
}

// NewRunner returns a runner writing attempts to l in d.
func NewRunner(d *db.DB, l *Log) *Runner {
	return &Runner{db: d, log: l, CallTimeout: 30 * time.Second}
}

// Log is the attempt log the runner writes.
func (r *Runner) Log() *Log { return r.log }

func (r *Runner) step(s Step) error {
	if r.StepHook == nil {
		return nil
	}
	if err := r.StepHook(s); err != nil {
		return fmt.Errorf("stopped at %s: %w", s, err)
	}
	return nil
}

// Run claims, sends and records op. It returns the attempt as recorded. An error from Claim
// is returned as is (nothing was written); after the claim, errors concern recording only.
func (r *Runner) Run(ctx context.Context, op Op) (Attempt, error) {
	if err := r.step(StepBeforeClaim); err != nil {
		return Attempt{}, err
	}
	var a Attempt
	err := r.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		a, err = r.Claim(ctx, tx, op)
		return err
	})
	if err != nil {
		return a, err
	}
	return r.Send(ctx, op, a)
}

// Claim runs op's claim and writes its attempt in tx, the caller's transaction (a bulk batch
// claims many records in one). After tx commits, Send makes the call.
func (r *Runner) Claim(ctx context.Context, tx *db.Tx, op Op) (Attempt, error) {
	a, err := op.Claim(ctx, tx)
	if err != nil {
		return a, err
	}
	return r.log.Begin(ctx, tx, a)
}

// Send makes the call of an attempt whose claim has committed, and records the outcome.
func (r *Runner) Send(ctx context.Context, op Op, a Attempt) (Attempt, error) {
	// Claimed: from here on a caller that goes away (a closed page, an API timeout) must not
	// stop the call or the recording of its answer half way. CallTimeout bounds the call.
	ctx = context.WithoutCancel(ctx)
	if err := r.step(StepAfterClaim); err != nil {
		return a, err
	}
	cctx, cancel := context.WithTimeout(ctx, r.CallTimeout)
	defer cancel()
	sending, err := r.log.MarkSending(ctx, r.db, a.ID)
	if err != nil {
		return a, err
	}
	if !sending {
		cur, err := r.log.Get(ctx, r.db, a.ID)
		if err != nil {
			return a, err
		}
		return cur, ErrAbandoned
	}
	if err := r.step(StepBeforeSend); err != nil {
		return a, err
	}
	o := op.Send(cctx, a)
	cancel()
	if err := r.step(StepAfterSend); err != nil {
		return a, err
	}
	var done Attempt
	err = r.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if done, err = r.log.Finish(ctx, tx, a.ID, o); err != nil {
			return err
		}
		return op.Apply(ctx, tx, done, o)
	})
	if errors.Is(err, ErrSettled) {
		err = r.late(ctx, op, a, o)
		done, _ = r.log.Get(ctx, r.db, a.ID)
	}
	if err != nil {
		return a, fmt.Errorf("record the answer to %s %s %s (attempt %s): %w", a.Operation, a.RecordType, a.RecordID, a.ID, err)
	}
	if err := r.step(StepAfterRecord); err != nil {
		return done, err
	}
	return done, nil
}

func (r *Runner) late(ctx context.Context, op Op, a Attempt, o Outcome) error {
	if op.Late != nil {
		return op.Late(ctx, a, o)
	}
	if o.State == Succeeded {
		logs.From(ctx).ErrorContext(ctx, "attempt: the provider's success answer came after the attempt was settled",
			"attempt", a.ID, "operation", a.Operation, "record", a.RecordID, "code", o.Code, "response", o.Response)
	}
	return nil
}
