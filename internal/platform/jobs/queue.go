// Package jobs is kessai's job queue: River on SQLite or PostgreSQL behind one non-generic
// Queue, periodic schedules that follow the injectable clock, and per-job results (progress,
// counts, a CSV) that the ジョブ管理 page shows.
package jobs

// Queue is the job queue of one kessai instance.
type Queue struct{}
