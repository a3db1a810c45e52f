package attempt

import (
	"context"
	"errors"
	"fmt"
	"time"

	"kessai/internal/platform/db"
	"kessai/internal/platform/logs"
)

// Resolver settles one room's operation. Resolve only asks the provider what became of the
// call (it must never send the call again) and returns Unknown when the provider cannot tell
// yet. Apply writes a settled outcome onto the room's record, in the transaction that finishes
// the attempt, so the record and the attempt never disagree.
type Resolver interface {
	Resolve(ctx context.Context, a Attempt) (Outcome, error)
	Apply(ctx context.Context, tx *db.Tx, a Attempt, o Outcome) error
}

// Janitor settles open attempts by asking the provider through each operation's Resolver. Run it
// from a periodic job; running it on several instances at once is safe, because Finish only
// changes an open attempt and Apply runs in Finish's transaction.
type Janitor struct {
	db  *db.DB
	log *Log
	// StaleAfter is how long a pending attempt may stay pending before the janitor fails it as
	// never sent, and a sending one before it is asked about. It must be longer than any call's
	// timeout, so a call still in flight is not asked about.
	StaleAfter time.Duration
	// Batch is how many open attempts one Run looks at (500), least recently checked first:
	// an attempt the provider cannot settle yet goes to the back, so it never starves others.
	Batch     int
	resolvers map[string]Resolver
	// stale overrides StaleAfter per operation (HandleAfter): an SFTP upload needs longer than
	// an HTTP call before it may be asked about.
	stale map[string]time.Duration
}

// NewJanitor returns a janitor over d and l with StaleAfter of 2 minutes.
func NewJanitor(d *db.DB, l *Log) *Janitor {
	return &Janitor{db: d, log: l, StaleAfter: 2 * time.Minute, Batch: 500, resolvers: map[string]Resolver{}, stale: map[string]time.Duration{}}
}

// Handle registers r for room's operation. Attempts with no resolver are left alone (and
// logged), never guessed.
func (j *Janitor) Handle(room, operation string, r Resolver) { j.resolvers[room+"/"+operation] = r }

// HandleAfter is Handle with the operation's own stale-after (longer than its call's timeout);
// zero keeps StaleAfter.
func (j *Janitor) HandleAfter(room, operation string, r Resolver, staleAfter time.Duration) {
	j.Handle(room, operation, r)
	if staleAfter > 0 {
		j.stale[room+"/"+operation] = staleAfter
	}
}

// staleAfter is how long an attempt of room/operation may stay pending or sending.
func (j *Janitor) staleAfter(room, operation string) time.Duration {
	if d, ok := j.stale[room+"/"+operation]; ok {
		return d
	}
	return j.StaleAfter
}

// Report says what one Run did.
type Report struct {
	Checked int // open attempts looked at
	Settled int // attempts that reached succeeded or failed
}

// Run looks at every open attempt once.
func (j *Janitor) Run(ctx context.Context) (Report, error) {
	var rep Report
	shortest := j.StaleAfter
	for _, d := range j.stale {
		shortest = min(shortest, d)
	}
	now := j.log.Now()
	open, err := j.log.Open(ctx, j.db, now.Add(-shortest), j.Batch)
	if err != nil {
		return rep, err
	}
	var errs []error
	for _, a := range open {
		if a.State != Unknown && !a.UpdatedAt.Before(now.Add(-j.staleAfter(a.Room, a.Operation))) {
			continue // still within its own operation's time
		}
		rep.Checked++
		ok, err := j.Settle(ctx, a)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			rep.Settled++
		}
	}
	return rep, errors.Join(errs...)
}

// Settle asks about one attempt and, when the provider knows, finishes it and applies the
// outcome. It reports whether the attempt is now settled.
func (j *Janitor) Settle(ctx context.Context, a Attempt) (bool, error) {
	r, ok := j.resolvers[a.Room+"/"+a.Operation]
	if !ok {
		logs.From(ctx).WarnContext(ctx, "attempt: no resolver", "attempt", a.ID, "room", a.Room, "operation", a.Operation)
		return false, nil
	}
	if a.State == Pending {
		// Never sent, and MarkSending can no longer succeed once this commits: failing it is a
		// fact, not a guess, so the provider need not be asked.
		o := Outcome{State: Failed, Code: CodeNotSent, Message: "送信前に処理が止まったため送信していません。内容を確認して再実行してください"}
		var abandoned bool
		err := j.db.InTx(ctx, func(tx *db.Tx) error {
			var err error
			if abandoned, err = j.log.Abandon(ctx, tx, a.ID, o.Message); err != nil || !abandoned {
				return err
			}
			done, err := j.log.Get(ctx, tx, a.ID)
			if err != nil {
				return err
			}
			return r.Apply(ctx, tx, done, o)
		})
		if err != nil {
			return false, fmt.Errorf("attempt %s: abandon: %w", a.ID, err)
		}
		if abandoned {
			return true, nil
		}
		// It moved on meanwhile (now sending, or settled): look at it as it is now.
		if a, err = j.log.Get(ctx, j.db, a.ID); err != nil {
			return false, err
		}
		if a.State.Final() || a.State == Sending {
			return a.State.Final(), nil // a sending one is asked about once it is stale
		}
	}
	if a.State == Sending {
		if err := j.log.MarkUnknown(ctx, j.db, a.ID, "応答がないまま時間が経過したため、結果を確認しています"); err != nil {
			return false, err
		}
	}
	o, err := r.Resolve(ctx, a)
	if err != nil || !o.State.Final() {
		if terr := j.log.Touch(ctx, j.db, a.ID); terr != nil {
			return false, terr
		}
	}
	if err != nil {
		return false, fmt.Errorf("attempt %s (%s %s %s): resolve: %w", a.ID, a.Operation, a.RecordType, a.RecordID, err)
	}
	if !o.State.Final() {
		return false, nil
	}
	err = j.db.InTx(ctx, func(tx *db.Tx) error {
		done, err := j.log.Finish(ctx, tx, a.ID, o)
		if err != nil {
			return err
		}
		return r.Apply(ctx, tx, done, o)
	})
	if errors.Is(err, ErrSettled) {
		return true, nil // settled by someone else meanwhile
	}
	if err != nil {
		return false, fmt.Errorf("attempt %s: settle: %w", a.ID, err)
	}
	return true, nil
}
