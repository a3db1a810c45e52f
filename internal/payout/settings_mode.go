package payout

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/web"
)

// settingExecuteMode is the payout_settings key of the default 実行方法.
const settingExecuteMode = "execute_mode"

// ModeLabel is how the screens name an execution mode.
func ModeLabel(mode string) string {
	if mode == ModeSingle {
		return "1件ずつ"
	}
	return "まとめて（総合振込・銀行の承認1回）"
}

// ExecuteMode is the default 実行方法 (ModeBulk unless an administrator chose ModeSingle): what
// 銀行振込一覧 preselects and what the API uses when a request names no mode.
func (s *Service) ExecuteMode(ctx context.Context) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM payout_settings WHERE key = ?`, settingExecuteMode).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && v != ModeSingle) {
		return ModeBulk, nil
	}
	if err != nil {
		return ModeBulk, fmt.Errorf("payout settings: %w", err)
	}
	return v, nil
}

// SetExecuteMode saves the default 実行方法 (audited).
func (s *Service) SetExecuteMode(ctx context.Context, mode string) error {
	if mode != ModeBulk && mode != ModeSingle {
		return errs.Invalid("実行方法は bulk（まとめて）か single（1件ずつ）を選んでください").Field("mode", "bulk または single")
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		var before string
		_ = tx.QueryRowContext(ctx, `SELECT value FROM payout_settings WHERE key = ?`, settingExecuteMode).Scan(&before)
		if _, err := tx.ExecContext(ctx, `INSERT INTO payout_settings (key, value, updated_by, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			settingExecuteMode, mode, actor(ctx), s.now()); err != nil {
			return fmt.Errorf("save execute mode: %w", err)
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "payout.settings", RecordType: "payout_settings", RecordID: settingExecuteMode,
			Before: map[string]string{"execute_mode": before}, After: map[string]string{"execute_mode": mode},
			Note: "振込実行の方法（既定）: " + ModeLabel(mode)})
	})
}

// saveMode is the settings page's 振込実行の方法 form.
func (p *Pages) saveMode(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	if err := p.svc.SetExecuteMode(r.Context(), r.PostForm.Get("mode")); err != nil {
		web.SetFlashError(w, errMessage(err))
	} else {
		web.SetFlash(w, "振込実行の方法（既定）を「"+ModeLabel(r.PostForm.Get("mode"))+"」にしました")
	}
	http.Redirect(w, r, settingsPath, http.StatusSeeOther)
}
