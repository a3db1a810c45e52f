package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/robfig/cron/v3"

	"kessai/internal/platform/clock"
)

// Periodic is a job enqueued once per period of its schedule.
//
// River's own scheduler runs on wall time, keeps its schedule in memory and only on the leader;
// kessai's business periods ("the 27th at 0:00 JST") run on clock.Clock, which the sandbox
// moves forward. So kessai schedules periodic jobs itself:
//
//   - every instance compares each schedule with Clock every Config.ScheduleEvery (and when
//     someone calls CheckSchedules, e.g. right after the sandbox clock moved);
//   - the period due is the latest firing time ≤ now; if it is later than the schedule's
//     job_schedule.last_period, the job is inserted as a River unique job whose args carry the
//     period (ByArgs), then last_period moves forward;
//   - two instances racing for the same period insert the same unique key, so River keeps one
//     job (the unique index on river_job makes this atomic on PostgreSQL); a crash between the
//     insert and the row update only makes the next check find the duplicate and move on.
//
// Periods missed while kessai was down, or skipped by a clock jump, collapse into one run for
// the latest period: a worker that must cover "everything since the last run" reads the period
// with PeriodOf and keeps its own high-water mark.
type Periodic struct {
	// Name is stable: it keys the job_schedule row. Use the job kind unless a kind has several
	// schedules.
	Name     string
	Schedule Schedule
	// Args returns the job's args (JSON object). Its InsertOpts (queue, max attempts) apply.
	Args func() river.JobArgs
	// RunOnStart runs the current period at once when the schedule has never run in this
	// database; otherwise a new schedule waits for its next firing. (Restarts never rerun a
	// period that already ran: last_period is durable.)
	RunOnStart bool
}

// Schedule says when a periodic job is due.
type Schedule interface {
	// Prev returns the latest firing time at or before t (zero if none in the last five years).
	Prev(t time.Time) time.Time
}

type every time.Duration

// Every fires every d, aligned to the Unix epoch (so every 5 minutes fires at :00, :05, …
// in JST too). Use Cron for calendar times: Every(24*time.Hour) fires at 9:00 JST.
func Every(d time.Duration) Schedule { return every(max(d, time.Second)) }

func (e every) Prev(t time.Time) time.Time { return t.Truncate(time.Duration(e)).UTC() }

type cronSchedule struct{ s *cron.SpecSchedule }

// Cron parses a standard five-field cron spec ("0 0 27 * *") or a descriptor ("@daily"),
// evaluated in JST.
func Cron(spec string) (Schedule, error) {
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("jobs: cron %q: %w", spec, err)
	}
	ss, ok := s.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("jobs: cron %q: use jobs.Every for fixed intervals", spec)
	}
	if !strings.HasPrefix(spec, "CRON_TZ=") && !strings.HasPrefix(spec, "TZ=") {
		ss.Location = clock.JST
	}
	return cronSchedule{ss}, nil
}

// MustCron is Cron for specs written in code; it panics on a bad spec at start-up.
func MustCron(spec string) Schedule {
	s, err := Cron(spec)
	if err != nil {
		panic(err)
	}
	return s
}

// Prev steps back through growing windows until one holds a firing, then walks forward to the
// last firing ≤ t. robfig/cron only computes Next; the windows keep the walk short for any
// schedule from every minute to once a year.
func (c cronSchedule) Prev(t time.Time) time.Time {
	for _, w := range []time.Duration{time.Minute, time.Hour, 24 * time.Hour, 32 * 24 * time.Hour,
		367 * 24 * time.Hour, 5 * 366 * 24 * time.Hour} {
		s := c.s.Next(t.Add(-w))
		if s.IsZero() || s.After(t) {
			continue
		}
		for {
			n := c.s.Next(s)
			if n.IsZero() || n.After(t) {
				return s.UTC()
			}
			s = n
		}
	}
	return time.Time{}
}

// AddPeriodic registers p. Call it before the queue starts.
func (q *Queue) AddPeriodic(p Periodic) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.built {
		return fmt.Errorf("jobs: periodic %s added after the queue started", p.Name)
	}
	if p.Name == "" || p.Schedule == nil || p.Args == nil {
		return fmt.Errorf("jobs: periodic %q needs Name, Schedule and Args", p.Name)
	}
	for _, o := range q.periodic {
		if o.Name == p.Name {
			return fmt.Errorf("jobs: periodic %s registered twice", p.Name)
		}
	}
	q.periodic = append(q.periodic, p)
	return nil
}

func (q *Queue) scheduleLoop(stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(q.cfg.ScheduleEvery)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), max(q.cfg.ScheduleEvery, 30*time.Second))
		if err := q.CheckSchedules(ctx); err != nil {
			q.log.Error("periodic jobs: check failed", "err", err)
		}
		cancel()
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// CheckSchedules enqueues every periodic job whose period is due by Clock. It is safe to call
// from any number of instances at once; the sandbox calls it right after moving the clock.
func (q *Queue) CheckSchedules(ctx context.Context) error {
	if _, err := q.client(); err != nil {
		return err
	}
	q.mu.Lock()
	periodic := append([]Periodic(nil), q.periodic...)
	q.mu.Unlock()
	last, err := q.lastPeriods(ctx)
	if err != nil {
		return err
	}
	now := q.cfg.Clock.Now()
	var errs []error
	for _, p := range periodic {
		cur := p.Schedule.Prev(now)
		if cur.IsZero() {
			continue
		}
		l, seen := last[p.Name]
		switch {
		case !seen && !p.RunOnStart:
			// A new schedule starts counting from now: remember the current period as done.
			errs = append(errs, q.markPeriod(ctx, p.Name, cur))
			continue
		case seen && !cur.After(l):
			continue
		}
		id, dup, err := q.Insert(ctx, periodArgs{inner: p.Args(), period: cur}, &river.InsertOpts{
			UniqueOpts: river.UniqueOpts{ByArgs: true},
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("periodic %s for %s: %w", p.Name, cur.Format(time.RFC3339), err))
			continue
		}
		if !dup {
			q.log.Info("periodic job enqueued", "name", p.Name, "period", cur.In(clock.JST).Format(time.RFC3339), "job_id", id)
		}
		errs = append(errs, q.markPeriod(ctx, p.Name, cur))
	}
	return errors.Join(errs...)
}

func (q *Queue) lastPeriods(ctx context.Context) (map[string]time.Time, error) {
	rows, err := q.d.QueryContext(ctx, `SELECT name, last_period FROM job_schedule`)
	if err != nil {
		return nil, fmt.Errorf("jobs: read schedule: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var name string
		var t time.Time
		if err := rows.Scan(&name, &t); err != nil {
			return nil, fmt.Errorf("jobs: read schedule: %w", err)
		}
		out[name] = t.UTC()
	}
	return out, rows.Err()
}

// markPeriod moves the schedule's last period forward, never back.
func (q *Queue) markPeriod(ctx context.Context, name string, period time.Time) error {
	_, err := q.d.ExecContext(ctx, `INSERT INTO job_schedule (name, last_period, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET last_period = excluded.last_period, updated_at = excluded.updated_at
		WHERE job_schedule.last_period < excluded.last_period`,
		name, period.UTC(), q.cfg.Clock.Now().UTC())
	if err != nil {
		return fmt.Errorf("jobs: mark %s done for %s: %w", name, period.Format(time.RFC3339), err)
	}
	return nil
}

// periodKey is the args field that carries a periodic job's period. Being part of the args, it
// is part of River's unique key (ByArgs), which is what makes each period run once.
const periodKey = "kessai_period"

// periodArgs wraps a periodic job's args to add the period; workers decode their own args type
// from the same JSON and ignore the extra field.
type periodArgs struct {
	inner  river.JobArgs
	period time.Time
}

func (a periodArgs) Kind() string { return a.inner.Kind() }

func (a periodArgs) InsertOpts() river.InsertOpts {
	if o, ok := a.inner.(river.JobArgsWithInsertOpts); ok {
		return o.InsertOpts()
	}
	return river.InsertOpts{}
}

func (a periodArgs) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(a.inner)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	if len(b) < 2 || b[0] != '{' {
		return nil, fmt.Errorf("jobs: args of periodic %s must encode as a JSON object", a.inner.Kind())
	}
	p, _ := json.Marshal(a.period.UTC().Format(time.RFC3339))
	out := append([]byte(`{"`+periodKey+`":`), p...)
	if rest := bytes.TrimSpace(b[1:]); len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
	}
	return append(out, b[1:]...), nil
}

// PeriodOf returns the period a periodic job was enqueued for; ok is false for jobs enqueued
// by hand.
func PeriodOf(job *rivertype.JobRow) (period time.Time, ok bool) {
	var v map[string]json.RawMessage
	if err := json.Unmarshal(job.EncodedArgs, &v); err != nil {
		return time.Time{}, false
	}
	var s string
	if err := json.Unmarshal(v[periodKey], &s); err != nil {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	return t.UTC(), err == nil
}
