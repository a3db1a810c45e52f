package attempttest_test

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"kessai/internal/platform/attempt"
	"kessai/internal/platform/attempt/attempttest"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
	"kessai/internal/platform/outbound"
)

//go:embed testdata/migrations
var chargesFS embed.FS

// TestSuiteOnASmallRoom runs the suite on the smallest room that moves money: a charge sent to
// a provider on a real HTTP server that dedupes by Idempotency-Key and can be asked about a
// key. It is the template for a new room's own test, and keeps the suite honest without payout.
func TestSuiteOnASmallRoom(t *testing.T) {
	t.Parallel()
	attempttest.Run(t, attempttest.Room{New: newChargeWorld})
}

// provider holds charges by key and injects one armed fault.
type provider struct {
	mu      sync.Mutex
	charges map[string]string // key → ref
	created map[string]int    // record → charges created for it
	fault   attempttest.Fault
	srv     *httptest.Server
}

func newProvider(t *testing.T) *provider {
	p := &provider{charges: map[string]string{}, created: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /charges", func(w http.ResponseWriter, r *http.Request) {
		key, record := r.Header.Get("Idempotency-Key"), r.URL.Query().Get("record")
		p.mu.Lock()
		f := p.fault
		p.fault = ""
		if f == attempttest.ServerErrorBeforeAccept {
			p.mu.Unlock()
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		ref, ok := p.charges[key]
		if !ok {
			ref = fmt.Sprintf("ch_%d", len(p.charges)+1)
			p.charges[key] = ref
			p.created[record]++
		}
		p.mu.Unlock()
		switch f {
		case attempttest.TimeoutAfterAccept:
			<-r.Context().Done()
			return
		case attempttest.CloseAfterAccept:
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		case attempttest.ServerErrorAfterAccept:
			http.Error(w, "boom", http.StatusBadGateway)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"ref": ref})
	})
	mux.HandleFunc("GET /charges/{key}", func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		ref, ok := p.charges[r.PathValue("key")]
		p.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"ref": ref})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// chargeRoom is one instance of the small room.
type chargeRoom struct {
	d       *db.DB
	log     *attempt.Log
	janitor *attempt.Janitor
	p       *provider
}

const notFoundAfter = time.Minute

func newChargeWorld(t *testing.T) attempttest.World {
	sub, err := fs.Sub(chargesFS, "testdata")
	if err != nil {
		t.Fatal(err)
	}
	d := dbtest.Open(t, attempt.Migrations, db.Migrations{Module: "test_charges", FS: sub})
	wall := clock.NewFrozen(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))
	p := newProvider(t)
	var mu sync.Mutex
	n := 0
	open := func(second bool) attempttest.Instance {
		pool := d
		if second && d.Dialect() == db.Postgres {
			d2, err := db.Open(context.Background(), d.URL, "")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { d2.Close() })
			pool = d2
		}
		r := &chargeRoom{d: pool, log: attempt.New(wall), p: p}
		r.janitor = attempt.NewJanitor(pool, r.log)
		r.janitor.Handle("test", "charge", r)
		return r
	}
	return attempttest.World{
		Prepare: func() string {
			mu.Lock()
			n++
			id := fmt.Sprintf("chg_%d", n)
			mu.Unlock()
			if _, err := d.ExecContext(context.Background(), `INSERT INTO test_charges (id, amount, status) VALUES (?, 1000, 'new')`, id); err != nil {
				t.Fatal(err)
			}
			return id
		},
		Open:    open,
		Arm:     func(f attempttest.Fault) { p.mu.Lock(); p.fault = f; p.mu.Unlock() },
		Held:    func(id string) int { p.mu.Lock(); defer p.mu.Unlock(); return p.created[id] },
		Agree:   func(id string) error { return agree(d, attempt.New(wall), p, id) },
		Advance: wall.Advance,
		Settled: 5 * time.Minute,
	}
}

func agree(d *db.DB, l *attempt.Log, p *provider, id string) error {
	var status, attID, ref string
	if err := d.QueryRowContext(context.Background(), `SELECT status, attempt_id, ref FROM test_charges WHERE id = ?`, id).Scan(&status, &attID, &ref); err != nil {
		return err
	}
	a, err := l.Get(context.Background(), d, attID)
	if err != nil {
		return err
	}
	p.mu.Lock()
	held := p.charges[a.IdempotencyKey]
	p.mu.Unlock()
	if status != "charged" || ref == "" || ref != held || a.State != attempt.Succeeded {
		return fmt.Errorf("charge %s ref %q attempt %s; provider holds %q", status, ref, a.State, held)
	}
	atts, err := l.ForRecord(context.Background(), d, "charge", id)
	if err != nil {
		return err
	}
	for _, x := range atts {
		if !x.State.Final() {
			return fmt.Errorf("attempt %s left %s", x.ID, x.State)
		}
	}
	return nil
}

// Execute charges the record once through the runner.
func (r *chargeRoom) Execute(ctx context.Context, id string, o attempttest.Options) error {
	run := attempt.NewRunner(r.d, r.log)
	run.StepHook = o.Step
	if o.CallTimeout > 0 {
		run.CallTimeout = o.CallTimeout
	}
	_, err := run.Run(ctx, attempt.Op{
		Claim: func(ctx context.Context, tx *db.Tx) (attempt.Attempt, error) {
			attID := db.NewID("att")
			// The key is the record's: a charge the provider may hold is sent again only
			// under the same key, which it dedupes.
			res, err := tx.ExecContext(ctx, `UPDATE test_charges SET status = 'sending', attempt_id = ? WHERE id = ? AND status IN ('new', 'failed')`, attID, id)
			if err != nil {
				return attempt.Attempt{}, err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return attempt.Attempt{}, errors.New("not chargeable now")
			}
			return attempt.Attempt{ID: attID, Room: "test", RecordType: "charge", RecordID: id, Operation: "charge", IdempotencyKey: "key-" + id}, nil
		},
		Send:  r.send,
		Apply: r.Apply,
		Late: func(ctx context.Context, a attempt.Attempt, o attempt.Outcome) error {
			if o.State != attempt.Succeeded {
				return nil
			}
			return r.d.InTx(ctx, func(tx *db.Tx) error {
				if ok, err := r.log.Overturn(ctx, tx, a.ID, o); err != nil || !ok {
					return err
				}
				return r.Apply(ctx, tx, a, o)
			})
		},
	})
	return err
}

func (r *chargeRoom) send(ctx context.Context, a attempt.Attempt) attempt.Outcome {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.p.srv.URL+"/charges?record="+a.RecordID, nil)
	req.Header.Set("Idempotency-Key", a.IdempotencyKey)
	req, sent := outbound.Once(req)
	res, err := http.DefaultClient.Do(req)
	switch {
	case err != nil && sent.Left():
		return attempt.Outcome{State: attempt.Unknown, Message: err.Error()}
	case err != nil:
		return attempt.Outcome{State: attempt.Failed, Message: err.Error()}
	}
	defer res.Body.Close()
	var body struct{ Ref string }
	if res.StatusCode >= 500 || json.NewDecoder(res.Body).Decode(&body) != nil {
		return attempt.Outcome{State: attempt.Unknown, Code: res.Status}
	}
	return attempt.Outcome{State: attempt.Succeeded, Response: body.Ref}
}

// Resolve asks the provider about the key; "not found" counts once the request is old enough.
func (r *chargeRoom) Resolve(ctx context.Context, a attempt.Attempt) (attempt.Outcome, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.p.srv.URL+"/charges/"+a.IdempotencyKey, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return attempt.Outcome{}, err
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusOK {
		var body struct{ Ref string }
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
			return attempt.Outcome{}, err
		}
		return attempt.Outcome{State: attempt.Succeeded, Response: body.Ref}, nil
	}
	if r.log.Now().Sub(a.SentAt) < notFoundAfter {
		return attempt.Outcome{State: attempt.Unknown}, nil
	}
	return attempt.Outcome{State: attempt.Failed, Code: "not_found"}, nil
}

// Apply writes the outcome onto the charge while it still belongs to the attempt.
func (r *chargeRoom) Apply(ctx context.Context, tx *db.Tx, a attempt.Attempt, o attempt.Outcome) error {
	var err error
	switch o.State {
	case attempt.Succeeded:
		_, err = tx.ExecContext(ctx, `UPDATE test_charges SET status = 'charged', ref = ? WHERE id = ? AND attempt_id = ?`, o.Response, a.RecordID, a.ID)
	case attempt.Failed:
		_, err = tx.ExecContext(ctx, `UPDATE test_charges SET status = 'failed' WHERE id = ? AND attempt_id = ?`, a.RecordID, a.ID)
	}
	return err
}

// Settle runs the janitor once.
func (r *chargeRoom) Settle(ctx context.Context) error {
	_, err := r.janitor.Run(ctx)
	return err
}
