package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
)

// User is a person who signs in.
type User struct {
	ID          string
	Email       string
	Name        string
	Role        Role
	Disabled    bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
	LastLoginAt time.Time // zero when never
}

// DisplayName is the name, or the email when no name was given.
func (u *User) DisplayName() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// NewUser is what CreateUser needs.
type NewUser struct {
	Email    string
	Name     string
	Role     Role
	Password string
}

// NormalizeEmail is how emails are stored and compared.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

func validateEmail(email string) error {
	at := strings.IndexByte(email, '@')
	if email == "" || at <= 0 || at == len(email)-1 || strings.ContainsAny(email, " \t\r\n") || len(email) > 254 {
		return errs.Invalid("メールアドレスが正しくありません").Field("email", "name@example.com の形で入力してください")
	}
	return nil
}

// ParseRole returns the role for a stored or typed code, with an error listing the roles.
func ParseRole(s string) (Role, error) {
	r := Role(strings.TrimSpace(s))
	if r.Valid() {
		return r, nil
	}
	var list []string
	for _, r := range Roles {
		list = append(list, string(r)+"（"+r.Label()+"）")
	}
	return "", errs.Invalid(fmt.Sprintf("ロール %q はありません。%s のいずれかを指定してください", s, strings.Join(list, ", "))).
		Field("role", "ロールを選んでください")
}

const userColumns = `id, email, name, role, password_hash, disabled, created_at, updated_at, last_login_at`

func scanUser(row interface{ Scan(...any) error }) (*User, string, error) {
	var u User
	var hash string
	var last sql.NullTime
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &hash, &u.Disabled, &u.CreatedAt, &u.UpdatedAt, &last)
	if err != nil {
		return nil, "", err
	}
	if last.Valid {
		u.LastLoginAt = last.Time
	}
	return &u, hash, nil
}

// userView is what the audit log keeps of a user (never the password hash).
func userView(u *User) map[string]any {
	return map[string]any{"email": u.Email, "name": u.Name, "role": string(u.Role), "disabled": u.Disabled}
}

// CreateUser adds a user and records user.create, attributed to the principal of ctx.
func (s *Service) CreateUser(ctx context.Context, nu NewUser) (*User, error) {
	nu.Email = NormalizeEmail(nu.Email)
	nu.Name = strings.TrimSpace(nu.Name)
	f := errs.Fields{}
	if err := validateEmail(nu.Email); err != nil {
		f.Add("email", errs.As(err).Fields["email"])
	}
	if !nu.Role.Valid() {
		f.Add("role", "ロールを選んでください")
	}
	if utf8.RuneCountInString(nu.Name) > 100 {
		f.Add("name", "100文字以下にしてください")
	}
	if err := ValidatePassword(nu.Password, nu.Email); err != nil {
		f.Add("password", errs.As(err).Fields["password"])
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	hash, err := s.hash(nu.Password)
	if err != nil {
		return nil, err
	}
	now := s.now()
	u := &User{ID: db.NewID("usr"), Email: nu.Email, Name: nu.Name, Role: nu.Role, CreatedAt: now, UpdatedAt: now}
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, name, role, password_hash, disabled, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, u.ID, u.Email, u.Name, string(u.Role), hash, false, now, now)
		if db.IsUniqueViolation(err) {
			return errs.Conflict("このメールアドレスのユーザーは既に登録されています").Field("email", "別のメールアドレスを入力してください")
		}
		if err != nil {
			return fmt.Errorf("insert user %s: %w", u.Email, err)
		}
		return s.record(ctx, tx, Event{Action: "user.create", RecordType: "user", RecordID: u.ID, After: userView(u)})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// User returns the user with id.
func (s *Service) User(ctx context.Context, q db.Querier, id string) (*User, error) {
	u, _, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("ユーザーが見つかりません（" + id + "）")
	}
	if err != nil {
		return nil, fmt.Errorf("get user %s: %w", id, err)
	}
	return u, nil
}

// UserByEmail returns the user signing in with email.
func (s *Service) UserByEmail(ctx context.Context, email string) (*User, error) {
	email = NormalizeEmail(email)
	u, _, err := scanUser(s.DB.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email = ?`, email))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound("ユーザーが見つかりません（" + email + "）")
	}
	if err != nil {
		return nil, fmt.Errorf("get user %s: %w", email, err)
	}
	return u, nil
}

// Users lists every user, by email.
func (s *Service) Users(ctx context.Context) ([]*User, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY email`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []*User
	for rows.Next() {
		u, _, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CountUsers counts users (bootstrap creates the first admin when there are none).
func (s *Service) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// update changes one user in a transaction: change edits a copy, the row is written and the
// change audited with its before and after.
func (s *Service) update(ctx context.Context, id, action, note string, change func(tx *db.Tx, u *User) error) (*User, error) {
	var out *User
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		before, err := s.User(ctx, tx, id)
		if err != nil {
			return err
		}
		u := *before
		if err := change(tx, &u); err != nil {
			return err
		}
		u.UpdatedAt = s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE users SET name = ?, role = ?, disabled = ?, updated_at = ? WHERE id = ?`,
			u.Name, string(u.Role), u.Disabled, u.UpdatedAt, u.ID); err != nil {
			return fmt.Errorf("update user %s: %w", id, err)
		}
		out = &u
		return s.record(ctx, tx, Event{Action: action, RecordType: "user", RecordID: id, Before: userView(before), After: userView(&u), Note: note})
	})
	return out, err
}

// keepAnAdmin refuses a change that would leave no enabled administrator.
func keepAnAdmin(ctx context.Context, tx *db.Tx, u *User) error {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = ? AND disabled = ? AND id <> ?`,
		string(RoleAdmin), false, u.ID).Scan(&n)
	if err != nil {
		return fmt.Errorf("count admins: %w", err)
	}
	if n == 0 {
		return errs.Conflict("有効な管理者が他にいないため、この変更はできません。先に別の管理者を作成してください")
	}
	return nil
}

// SetRole changes a user's role; it applies to their open sessions at once.
func (s *Service) SetRole(ctx context.Context, id string, role Role) (*User, error) {
	if !role.Valid() {
		_, err := ParseRole(string(role))
		return nil, err
	}
	return s.update(ctx, id, "user.role_change", "", func(tx *db.Tx, u *User) error {
		if u.Role == role {
			return errs.Conflict("ロールは既に「" + role.Label() + "」です")
		}
		if u.Role == RoleAdmin && !u.Disabled {
			if err := keepAnAdmin(ctx, tx, u); err != nil {
				return err
			}
		}
		u.Role = role
		return nil
	})
}

// SetDisabled disables or enables a user. Disabling ends their sessions at once.
func (s *Service) SetDisabled(ctx context.Context, id string, disabled bool) (*User, error) {
	action := "user.enable"
	if disabled {
		action = "user.disable"
	}
	return s.update(ctx, id, action, "", func(tx *db.Tx, u *User) error {
		if u.Disabled == disabled {
			if disabled {
				return errs.Conflict("このユーザーは既に無効です")
			}
			return errs.Conflict("このユーザーは既に有効です")
		}
		if disabled {
			if p := FromContext(ctx); p != nil && p.Kind == KindUser && p.ID == u.ID {
				return errs.Conflict("自分自身は無効にできません")
			}
			if u.Role == RoleAdmin {
				if err := keepAnAdmin(ctx, tx, u); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, u.ID); err != nil {
				return fmt.Errorf("end sessions of %s: %w", u.ID, err)
			}
		}
		u.Disabled = disabled
		return nil
	})
}

// ResetPassword sets a new password and ends the user's sessions, so whoever knew the old one
// is signed out.
func (s *Service) ResetPassword(ctx context.Context, id, password string) error {
	target, err := s.User(ctx, s.DB, id)
	if err != nil {
		return err
	}
	if err := ValidatePassword(password, target.Email); err != nil {
		return err
	}
	hash, err := s.hash(password)
	if err != nil {
		return err
	}
	_, err = s.update(ctx, id, "user.password_reset", "", func(tx *db.Tx, u *User) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, u.ID); err != nil {
			return fmt.Errorf("set password of %s: %w", u.ID, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, u.ID); err != nil {
			return fmt.Errorf("end sessions of %s: %w", u.ID, err)
		}
		// The new password lifts any login lock: the guesses were against the old one.
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_attempts WHERE email = ? AND success = ?`, u.Email, false); err != nil {
			return fmt.Errorf("unlock %s: %w", u.ID, err)
		}
		return nil
	})
	return err
}

// Bootstrap creates the first administrator when there are no users. An empty password is
// replaced by a generated one, returned so the caller can show it once. created is false when
// users already existed (nothing done).
func (s *Service) Bootstrap(ctx context.Context, email, password string) (created bool, generated string, err error) {
	n, err := s.CountUsers(ctx)
	if err != nil || n > 0 {
		return false, "", err
	}
	if email == "" {
		email = "admin@kessai.local"
	}
	if password == "" {
		password = GeneratePassword()
		generated = password
	}
	ctx = WithPrincipal(ctx, System("bootstrap"))
	_, err = s.CreateUser(ctx, NewUser{Email: email, Name: "管理者", Role: RoleAdmin, Password: password})
	if errs.KindOf(err) == errs.KindConflict {
		return false, "", nil // another instance created it first
	}
	if err != nil {
		return false, "", fmt.Errorf("create the first admin %s: %w", email, err)
	}
	return true, generated, nil
}
