// Package cardupdate is the monthly card update (自動洗替) room: once a month the stored GMO-PG
// cards that need it are selected, written as GMO-PG's request file and uploaded over SFTP
// through the money-call runner (a crash after the upload never uploads the month twice: the
// resolver asks the SFTP server whether the file is there); from the result day the result file
// is fetched (retried until it appears, failed past the deadline) and applied all or nothing:
// new expiries and numbers stored, each card's result recorded, and the card's 洗替ステータス —
// which every subscription using the card shows — set. Cards whose latest result failed are
// left out of later months until a new card is registered.
//
// The file layouts are gmopg's (cardupdatefile.go, docs/gmopg-cardupdate-files.md); the GMO-PG
// connection is the one shared with kantan (provider/gmopg/gmopgconn).
package cardupdate

import (
	"embed"

	"kessai/internal/platform/db"
	"kessai/internal/platform/status"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations creates the room's tables (after commerce and attempt).
var Migrations = db.Migrations{Module: "cardupdate", FS: migrationsFS}

// Room, record type and operation names used in attempts, jobs and the audit log.
const (
	Room          = "cardupdate"
	RecordRun     = "cardupdate_run"
	OpUpload      = "cardupdate.upload"
	ProviderGMOPG = "gmopg" // customer_cards.provider of GMO-PG cards
)

// Run statuses.
const (
	RunSelected  = "selected"  // targets chosen, not uploaded
	RunUploading = "uploading" // upload claimed (an attempt is open)
	RunUploaded  = "uploaded"  // GMO-PG has the request; waiting for the result day
	RunApplied   = "applied"
	RunFailed    = "failed" // reason says why; an admin reruns it
)

// RunStatuses is the one table of run statuses.
var RunStatuses = status.NewSet("洗替の状態",
	status.Status{Code: RunSelected, Label: "対象抽出済み", Level: "info"},
	status.Status{Code: RunUploading, Label: "送信中", Level: "info"},
	status.Status{Code: RunUploaded, Label: "送信済み（結果待ち）", Level: "info"},
	status.Status{Code: RunApplied, Label: "結果反映済み", Level: "ok"},
	status.Status{Code: RunFailed, Label: "失敗", Level: "error"},
)

// 洗替ステータス of a card (and of every subscription using it).
const (
	StatusUnchecked  = "unchecked"
	StatusOK         = "ok"
	StatusInvalid    = "invalid"
	StatusMismatch   = "mismatch"
	StatusInputError = "input_error"
)

// CardStatuses is the one table of 洗替ステータス.
var CardStatuses = status.NewSet("洗替ステータス",
	status.Status{Code: StatusUnchecked, Label: "未実施", Level: "info"},
	status.Status{Code: StatusOK, Label: "有効性OK", Level: "ok"},
	status.Status{Code: StatusInvalid, Label: "有効性NG", Level: "error"},
	status.Status{Code: StatusMismatch, Label: "照合エラー", Level: "error"},
	status.Status{Code: StatusInputError, Label: "入力データエラー", Level: "error"},
)

// Failed reports whether a 洗替ステータス keeps the card out of billing (要カード変更).
func Failed(status string) bool {
	return status == StatusInvalid || status == StatusMismatch || status == StatusInputError
}
