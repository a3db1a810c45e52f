// Package jobs is kessai's job queue: River on SQLite or PostgreSQL behind one non-generic
// Queue, periodic schedules that follow the injectable clock, and per-job results (progress,
// counts, a CSV) that the ジョブ管理 page shows.
//
// A room wires itself like this, before the queue starts:
//
//	jobs.AddWorker(q, &runWorker{…})                     // river.Worker[RunArgs]
//	q.AddPeriodic(jobs.Periodic{Name: "cardupdate.apply", Schedule: jobs.MustCron("0 0 27 * *"),
//		Args: func() river.JobArgs { return ApplyArgs{} }})
//
// and enqueues with q.Insert after its transaction committed. Retries use River's backoff
// (attempt⁴ seconds plus jitter); a kind picks its max attempts with InsertOpts() on its args.
//
// Enqueueing is never part of a business transaction: on SQLite the app and River share one
// connection, so Insert inside db.InTx would wait for itself forever; on PostgreSQL River has
// its own pgx pool. Rooms therefore write their intent rows first, enqueue after commit, and
// keep a periodic sweeper that finds intents whose job was lost to a crash in between.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
)

// Config tunes a Queue; the zero value (plus a DB) is a sensible production setup.
type Config struct {
	// Clock is the business clock periodic schedules follow (default: the wall clock).
	Clock clock.Clock
	Log   *slog.Logger
	// PollInterval is River's fetch poll interval (default DefaultPollInterval); tests use a
	// short one.
	PollInterval time.Duration
	// ScheduleEvery is how often periodic schedules are compared with Clock (default 5s).
	ScheduleEvery time.Duration
	// HeartbeatEvery is the period of the built-in system.heartbeat job (default 1 minute).
	HeartbeatEvery time.Duration
	// MaxWorkers is how many jobs of the default queue one instance runs at once (default 10).
	MaxWorkers int
	// JobTimeout bounds one attempt unless a worker's Timeout says otherwise (default 10 minutes;
	// River's own default of one minute is too short for a card-update run).
	JobTimeout time.Duration
}

// DefaultPollInterval is how often an idle queue looks for work. A job inserted by this
// process is fetched at once whatever the interval (River triggers the fetch on insert; on
// PostgreSQL another instance's insert arrives by LISTEN/NOTIFY, at most one per queue every
// 100 ms: a burst's later inserts wait for the next poll), so polling only finds retries
// and scheduled jobs coming due: River's default of 1 s cost an idle SQLite instance most of
// its CPU a minute for nothing.
const DefaultPollInterval = 5 * time.Second

// riverClient is what Queue uses of river.Client[TTx]; both engines' clients satisfy it, which
// keeps the rest of kessai free of River's transaction type parameter.
type riverClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobRetry(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobCancel(ctx context.Context, id int64) (*rivertype.JobRow, error)
	ID() string
}

// Queue is the job queue of one kessai instance. Register workers, queues and periodic jobs,
// then Start; registration closes at the first Start or Insert.
type Queue struct {
	d    *db.DB
	cfg  Config
	log  *slog.Logger
	pool *pgxpool.Pool // PostgreSQL only: River's own pgx pool

	mu       sync.Mutex
	workers  *river.Workers
	kinds    []string
	queues   map[string]int
	periodic []Periodic
	kindInfo kindInfo    // labels and links of kinds (kinds.go)
	cl       riverClient // built once registration closes
	clErr    error
	built    bool

	started  bool
	tickStop chan struct{}
	tickDone chan struct{}
}

// New opens the queue on d: it migrates River's tables and the jobs package's own (job_runs,
// job_schedule, job_heartbeats), and on PostgreSQL opens River's pgx pool from d.URL. On SQLite
// River shares d.SQL, the app's single connection.
func New(ctx context.Context, d *db.DB, cfg Config) (*Queue, error) {
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.ScheduleEvery <= 0 {
		cfg.ScheduleEvery = 5 * time.Second
	}
	if cfg.HeartbeatEvery <= 0 {
		cfg.HeartbeatEvery = time.Minute
	}
	if cfg.MaxWorkers <= 0 {
		cfg.MaxWorkers = 10
	}
	if cfg.JobTimeout == 0 {
		cfg.JobTimeout = 10 * time.Minute
	}
	q := &Queue{d: d, cfg: cfg, log: cfg.Log, workers: river.NewWorkers(),
		queues: map[string]int{river.QueueDefault: cfg.MaxWorkers}}
	// Pending first: the app usually migrated these already, and Migrate takes a lock.
	if n, err := d.Pending(ctx, Migrations); err != nil || n > 0 {
		if _, err := d.Migrate(ctx, Migrations); err != nil {
			return nil, err
		}
	}
	switch d.Dialect() {
	case db.SQLite:
		m, err := rivermigrate.New(riversqlite.New(d.SQL), &rivermigrate.Config{Logger: q.log})
		if err != nil {
			return nil, fmt.Errorf("jobs: river migrator: %w", err)
		}
		if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
			return nil, fmt.Errorf("jobs: migrate river tables on sqlite: %w", err)
		}
	case db.Postgres:
		pool, err := pgxpool.New(ctx, d.URL)
		if err != nil {
			return nil, fmt.Errorf("jobs: open pgx pool: %w", err)
		}
		q.pool = pool
		if err := migratePostgres(ctx, pool, q.log); err != nil {
			pool.Close()
			return nil, err
		}
	default:
		return nil, fmt.Errorf("jobs: unsupported database %q", d.Dialect())
	}
	if err := AddWorker(q, &heartbeatWorker{q: q}); err != nil {
		q.Close()
		return nil, err
	}
	q.AddPeriodic(Periodic{Name: HeartbeatArgs{}.Kind(), Schedule: Every(cfg.HeartbeatEvery), RunOnStart: true,
		Args: func() river.JobArgs { return HeartbeatArgs{} }})
	return q, nil
}

// pollOnly is River's SQLite driver without its listener. SQLite has no LISTEN/NOTIFY: the
// driver emulates it by reading a notification table every 50 ms, which was nearly all an idle
// instance's CPU, and only one process uses the file. Without a listener River fetches at once
// after this process inserts a job, polls for the rest (PollInterval) and elects its leader by
// polling.
type pollOnly struct{ *riversqlite.Driver }

func (pollOnly) SupportsListener() bool { return false }

// riverMigrateLock serialises rivermigrate between instances starting at once (it takes no lock
// of its own); the lock is held by one pooled session while the migrator uses others.
const riverMigrateLock = 0x6b65737361690002

func migratePostgres(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("jobs: migrate river tables: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(riverMigrateLock)); err != nil {
		return fmt.Errorf("jobs: migrate river tables: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(riverMigrateLock))
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: log})
	if err != nil {
		return fmt.Errorf("jobs: river migrator: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: migrate river tables on postgres: %w", err)
	}
	return nil
}

// AddWorker registers w for its args' kind. Call it before the queue starts.
func AddWorker[T river.JobArgs](q *Queue, w river.Worker[T]) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	var zero T
	if q.built {
		return fmt.Errorf("jobs: worker for %s added after the queue started", zero.Kind())
	}
	if err := river.AddWorkerSafely(q.workers, w); err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	q.kinds = append(q.kinds, zero.Kind())
	addArgs[T](&q.kindInfo, zero.Kind())
	return nil
}

// AddQueue declares a named queue with its own concurrency (e.g. "bulk" with 2 workers so a
// large bulk action can't starve polling jobs). Jobs choose it with InsertOpts{Queue: name}.
func (q *Queue) AddQueue(name string, maxWorkers int) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.built {
		return fmt.Errorf("jobs: queue %s added after the queue started", name)
	}
	q.queues[name] = max(maxWorkers, 1)
	return nil
}

// Kinds lists the registered job kinds, sorted (the ジョブ管理 page filters by them).
func (q *Queue) Kinds() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := append([]string(nil), q.kinds...)
	sort.Strings(out)
	return out
}

// client builds the River client once; registration is closed from then on.
func (q *Queue) client() (riverClient, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.built {
		return q.cl, q.clErr
	}
	q.built = true
	queues := map[string]river.QueueConfig{}
	for name, n := range q.queues {
		queues[name] = river.QueueConfig{MaxWorkers: n}
	}
	rc := &river.Config{
		Logger:                      q.log,
		Queues:                      queues,
		Workers:                     q.workers,
		JobTimeout:                  q.cfg.JobTimeout,
		ErrorHandler:                errorRecorder{q: q},
		Middleware:                  []rivertype.Middleware{river.WorkerMiddlewareFunc(q.workContext)},
		CompletedJobRetentionPeriod: 7 * 24 * time.Hour, // the ジョブ管理 page shows a week
		CancelledJobRetentionPeriod: 7 * 24 * time.Hour,
		DiscardedJobRetentionPeriod: 30 * 24 * time.Hour,
	}
	rc.FetchPollInterval = q.cfg.PollInterval
	rc.FetchCooldown = min(q.cfg.PollInterval, river.FetchCooldownDefault)
	switch q.d.Dialect() {
	case db.SQLite:
		q.cl, q.clErr = river.NewClient[*sql.Tx](pollOnly{riversqlite.New(q.d.SQL)}, rc)
	case db.Postgres:
		q.cl, q.clErr = river.NewClient(riverpgxv5.New(q.pool), rc)
	}
	if q.clErr != nil {
		q.clErr = fmt.Errorf("jobs: river client: %w", q.clErr)
	}
	return q.cl, q.clErr
}

// Start starts working jobs and checking the periodic schedules. Cancelling ctx does not stop
// the queue: Stop does, so that serve can drain HTTP first and jobs second.
func (q *Queue) Start(ctx context.Context) error {
	cl, err := q.client()
	if err != nil {
		return err
	}
	if err := cl.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	q.mu.Lock()
	q.started = true
	q.tickStop, q.tickDone = make(chan struct{}), make(chan struct{})
	q.mu.Unlock()
	go q.scheduleLoop(q.tickStop, q.tickDone)
	q.log.Info("job queue started", "engine", q.d.Dialect(), "client_id", cl.ID())
	return nil
}

// Stop stops the schedule and drains: no new jobs are fetched and running ones get until ctx's
// deadline, minus a margin, to finish. Jobs still running then have their context cancelled;
// River records the attempt as failed and retries it later (on any instance), so a job cut off
// by shutdown is never lost and never runs twice at the same time.
func (q *Queue) Stop(ctx context.Context) error {
	q.mu.Lock()
	if !q.started {
		q.mu.Unlock()
		return nil
	}
	q.started = false
	close(q.tickStop)
	done := q.tickDone
	cl := q.cl
	q.mu.Unlock()
	<-done

	soft := ctx
	margin := 5 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		margin = min(margin, time.Until(dl)/4)
		var cancel context.CancelFunc
		soft, cancel = context.WithDeadline(ctx, dl.Add(-margin))
		defer cancel()
	}
	err := cl.Stop(soft)
	if err == nil {
		return nil
	}
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("jobs: stop: %w", err)
	}
	q.log.Warn("jobs still running at shutdown: cancelling them; River retries them later")
	hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), max(margin, time.Second))
	defer cancel()
	if err := cl.StopAndCancel(hard); err != nil {
		return fmt.Errorf("jobs: stop and cancel: %w", err)
	}
	return nil
}

// Close releases River's pgx pool (PostgreSQL). Call it after Stop.
func (q *Queue) Close() error {
	if q.pool != nil {
		q.pool.Close()
	}
	return nil
}

// Insert enqueues a job and returns its ID; duplicate is true when a unique job with the same
// key already existed (jobID is then that job's). Never call it inside a transaction: see the
// package doc.
func (q *Queue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (jobID int64, duplicate bool, err error) {
	cl, err := q.client()
	if err != nil {
		return 0, false, err
	}
	res, err := cl.Insert(ctx, args, opts)
	if err != nil {
		return 0, false, fmt.Errorf("jobs: enqueue %s: %w", args.Kind(), err)
	}
	return res.Job.ID, res.UniqueSkippedAsDuplicate, nil
}

// Get returns River's row of a job (state, attempts, errors).
func (q *Queue) Get(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	cl, err := q.client()
	if err != nil {
		return nil, err
	}
	row, err := cl.JobGet(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return nil, db.ErrNotFound
	}
	return row, err
}

// Retry makes a finished, failed or waiting job run again as soon as possible.
func (q *Queue) Retry(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	cl, err := q.client()
	if err != nil {
		return nil, err
	}
	row, err := cl.JobRetry(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return nil, db.ErrNotFound
	}
	return row, err
}

// Cancel cancels a job: a waiting one never runs, a running one has its context cancelled.
func (q *Queue) Cancel(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	cl, err := q.client()
	if err != nil {
		return nil, err
	}
	row, err := cl.JobCancel(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return nil, db.ErrNotFound
	}
	return row, err
}

// ClientID is this instance's River client ID (shown in logs and heartbeats).
func (q *Queue) ClientID() string {
	cl, err := q.client()
	if err != nil {
		return ""
	}
	return cl.ID()
}

// Dialect is the engine the queue runs on.
func (q *Queue) Dialect() db.Dialect { return q.d.Dialect() }
