package cardupdate

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"

	"kessai/internal/platform/attempt"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/provider/gmopg"
)

// CodeNotFound is an upload failed because the SFTP server does not have the file after
// NotFoundAfter: it never arrived (the server discards a cut-off upload).
const CodeNotFound = "not_found"

// Upload sends run's request file through the runner: claim (対象抽出済み or a failed run never
// uploaded → 送信中) → upload once → 送信済み. A crash or a lost answer leaves the attempt to the
// janitor, whose resolver asks the server whether the file is there.
func (s *Service) Upload(ctx context.Context, runID string) (Run, error) {
	if _, err := s.runner.Run(ctx, s.uploadOp(runID)); err != nil {
		return Run{}, err
	}
	return s.GetRun(ctx, s.db, runID)
}

func (s *Service) uploadOp(runID string) attempt.Op {
	return attempt.Op{
		Claim: func(ctx context.Context, tx *db.Tx) (attempt.Attempt, error) {
			run, err := s.GetRun(ctx, tx, runID)
			if err != nil {
				return attempt.Attempt{}, err
			}
			res, err := tx.ExecContext(ctx, `UPDATE cardupdate_runs SET status = ?, reason = '', updated_at = ?
				WHERE id = ? AND status IN (?, ?) AND uploaded_at IS NULL`, RunUploading, s.now(), runID, RunSelected, RunFailed)
			if err != nil {
				return attempt.Attempt{}, err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return attempt.Attempt{}, errs.Conflict(fmt.Sprintf("%s の洗替依頼は%sのため送信できません", run.Month, RunStatuses.Label(run.Status)))
			}
			return attempt.Attempt{Room: Room, RecordType: RecordRun, RecordID: runID, Operation: OpUpload,
				IdempotencyKey: run.FileName, RequestSummary: fmt.Sprintf("file=%s rows=%d", run.FileName, run.Targets)}, nil
		},
		Send:  s.sendUpload,
		Apply: s.applyUpload,
		Late: func(ctx context.Context, a attempt.Attempt, o attempt.Outcome) error {
			if o.State != attempt.Succeeded {
				return nil
			}
			// The file reached GMO-PG after the janitor concluded otherwise: it is there, so the
			// month is uploaded (a second upload would be refused anyway).
			return s.db.InTx(ctx, func(tx *db.Tx) error {
				if _, err := s.runner.Log().Overturn(ctx, tx, a.ID, o); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx, `UPDATE cardupdate_runs SET status = ?, reason = '', uploaded_at = ?, updated_at = ?
					WHERE id = ? AND uploaded_at IS NULL`, RunUploaded, s.now(), s.now(), a.RecordID)
				return err
			})
		},
	}
}

// sendUpload writes the request file and uploads it once. Failed only when nothing can have
// reached the server (the file could not be built, the login failed); Unknown once bytes may
// have been written.
func (s *Service) sendUpload(ctx context.Context, a attempt.Attempt) attempt.Outcome {
	f, err := s.tempFile("cardupdate-req-*.csv")
	if err != nil {
		return attempt.Outcome{State: attempt.Failed, Code: attempt.CodeNotSent, Message: "依頼ファイルを作れません: " + err.Error()}
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := s.WriteRequest(ctx, a.RecordID, f); err != nil {
		return attempt.Outcome{State: attempt.Failed, Code: attempt.CodeNotSent, Message: "依頼ファイルを作れません: " + err.Error()}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return attempt.Outcome{State: attempt.Failed, Code: attempt.CodeNotSent, Message: err.Error()}
	}
	c, err := s.dial(ctx)
	if err != nil {
		return attempt.Outcome{State: attempt.Failed, Code: attempt.CodeNotSent, Message: "SFTP に接続できません: " + reasonOf(err)}
	}
	defer c.Close()
	// The SFTP calls take no context: closing the session is how the call's deadline ends a
	// server that accepted the file and never answers.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	n, err := c.Upload(gmopg.RequestDir, a.IdempotencyKey, f)
	if err != nil {
		return attempt.Outcome{State: attempt.Unknown, Message: "送信の結果が不明です: " + err.Error()}
	}
	return attempt.Outcome{State: attempt.Succeeded, Response: "bytes=" + strconv.FormatInt(n, 10)}
}

func (s *Service) dial(ctx context.Context) (*gmopg.SFTPClient, error) {
	cn, err := s.conn.Get(ctx)
	if err != nil {
		return nil, err
	}
	cfg, err := s.conn.SFTP(ctx, cn)
	if err != nil {
		return nil, err
	}
	return gmopg.DialSFTP(ctx, cfg)
}

func (s *Service) applyUpload(ctx context.Context, tx *db.Tx, a attempt.Attempt, o attempt.Outcome) error {
	now := s.now()
	switch o.State {
	case attempt.Succeeded:
		_, err := tx.ExecContext(ctx, `UPDATE cardupdate_runs SET status = ?, reason = '', uploaded_at = ?, updated_at = ? WHERE id = ?`,
			RunUploaded, now, now, a.RecordID)
		return err
	case attempt.Failed:
		_, err := tx.ExecContext(ctx, `UPDATE cardupdate_runs SET status = ?, reason = ?, updated_at = ? WHERE id = ? AND uploaded_at IS NULL`,
			RunFailed, trim("依頼ファイルを送信できませんでした: "+o.Message, 2000), now, a.RecordID)
		return err
	}
	return nil // unknown: stays 送信中 until the janitor settles it
}

// Resolver settles an upload whose outcome is unknown by listing the request directory.
type Resolver struct{ s *Service }

// NewResolver returns the resolver of OpUpload.
func NewResolver(s *Service) *Resolver { return &Resolver{s} }

// Resolve asks the SFTP server whether the file is there; it never uploads.
func (r *Resolver) Resolve(ctx context.Context, a attempt.Attempt) (attempt.Outcome, error) {
	c, err := r.s.dial(ctx)
	if err != nil {
		return attempt.Outcome{}, err
	}
	defer c.Close()
	ok, err := c.Exists(gmopg.RequestDir, a.IdempotencyKey)
	if err != nil {
		return attempt.Outcome{}, err
	}
	if ok {
		return attempt.Outcome{State: attempt.Succeeded, Response: "file found on the server"}, nil
	}
	sent := a.SentAt
	if sent.IsZero() {
		sent = a.CreatedAt
	}
	if r.s.runner.Log().Now().Sub(sent) < r.s.NotFoundAfter {
		return attempt.Outcome{State: attempt.Unknown}, nil
	}
	return attempt.Outcome{State: attempt.Failed, Code: CodeNotFound, Message: "SFTP サーバーに依頼ファイルがありません（届いていません）。再実行してください"}, nil
}

// Apply is the upload's Apply.
func (r *Resolver) Apply(ctx context.Context, tx *db.Tx, a attempt.Attempt, o attempt.Outcome) error {
	return r.s.applyUpload(ctx, tx, a, o)
}
