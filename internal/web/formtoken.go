package web

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/db"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations creates the form_tokens table of the create forms' one-time tokens.
var Migrations = db.Migrations{Module: "web", FS: migrationsFS}

// FormTokenField is the hidden input every create form carries:
//
//	<input type="hidden" name="form_token" value="{{.FormToken}}">
//
// The renderer fills View.FormToken: a new random token, or the posted one when a form is shown
// again with its errors (so the corrected submit and a Back-and-resubmit share one token).
const FormTokenField = "form_token"

// formTokenTTL is how long a claimed token is remembered.
const formTokenTTL = 24 * time.Hour

// errRepeatSubmit is returned by Claim when another submit of the same form already created
// its record; the transaction it runs in must roll back.
var errRepeatSubmit = errors.New("form token already claimed")

// FormTokens makes each create form create at most one record. Tokens are issued without
// storage (random, in the form); a submit claims its token in the transaction that inserts the
// record, with the record's path. The table's primary key lets only one claim commit: a double
// click, a Back-and-resubmit, or two concurrent posts end on the first record's page.
type FormTokens struct {
	db  *db.DB
	now func() time.Time
}

// NewFormTokens returns the tokens stored in d (see Migrations).
func NewFormTokens(d *db.DB, now func() time.Time) *FormTokens {
	return &FormTokens{db: d, now: now}
}

// NewFormToken returns a fresh random token.
func NewFormToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Once is one submit of a create form.
type Once struct {
	f         *FormTokens
	token     string
	principal string
}

// Once reads the submitted form's token. A form without one (an old page, a script) is not
// protected: Seen and Repeat report false and Claim does nothing.
func (f *FormTokens) Once(r *http.Request) Once {
	_ = r.ParseForm()
	o := Once{f: f, token: r.PostForm.Get(FormTokenField)}
	if len(o.token) > 64 {
		o.token = o.token[:64]
	}
	if p := auth.FromContext(r.Context()); p != nil {
		o.principal = string(p.Kind) + ":" + p.ID
	}
	return o
}

// Claim records, in tx, that this submit created the record at path. If another submit of the
// same form got there first, it fails (Repeat then reports true) and tx must roll back.
func (o Once) Claim(ctx context.Context, tx *db.Tx, path string) error {
	if o.token == "" || o.f == nil {
		return nil
	}
	now := o.f.now().UTC()
	if _, err := tx.ExecContext(ctx, `DELETE FROM form_tokens WHERE created_at < ?`, now.Add(-formTokenTTL)); err != nil {
		return fmt.Errorf("expire form tokens: %w", err)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO form_tokens (token, principal, path, created_at) VALUES (?, ?, ?, ?)`,
		o.token, o.principal, path, now)
	if db.IsUniqueViolation(err) {
		return errRepeatSubmit
	}
	if err != nil {
		return fmt.Errorf("claim form token: %w", err)
	}
	return nil
}

// Seen handles a submit whose form already created a record: it redirects there with a notice
// and returns true. Call it before reading the form, so a repeat is not validated again (a
// second shop with the same code would otherwise be refused as a duplicate).
func (o Once) Seen(w http.ResponseWriter, r *http.Request) bool {
	if o.token == "" || o.f == nil {
		return false
	}
	var path, principal string
	err := o.f.db.QueryRowContext(r.Context(), `SELECT path, principal FROM form_tokens WHERE token = ?`, o.token).Scan(&path, &principal)
	if err != nil || principal != o.principal {
		return false
	}
	SetFlash(w, "この内容はすでに登録されています（二重送信のため、2回目の送信は登録していません）")
	http.Redirect(w, r, safeLocal(path), http.StatusSeeOther)
	return true
}

// Repeat reports whether err is Claim's refusal (a concurrent submit of the same form committed
// first) and, if so, redirects to that submit's record.
func (o Once) Repeat(w http.ResponseWriter, r *http.Request, err error) bool {
	if !errors.Is(err, errRepeatSubmit) {
		return false
	}
	if !o.Seen(w, r) {
		http.Redirect(w, r, "/", http.StatusSeeOther) // the first record's row is gone: nothing better to show
	}
	return true
}
