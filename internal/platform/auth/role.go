// Package auth holds who may do what in kessai: users and their roles, sessions, CSRF, login
// throttling and API keys. This file is the vocabulary every other package uses: roles, the
// permissions routes demand, and the principal (person, API key or job) behind a request.
package auth

import "context"

// Role is a user's or API key's role. The codes are stable (stored and used in the API).
type Role string

const (
	RoleAdmin      Role = "admin"      // 管理者: settings, users, API keys, and everything else
	RoleAccountant Role = "accountant" // 経理: executes money operations and approves
	RoleStaff      Role = "staff"      // スタッフ: day-to-day operations and requests
	RoleViewer     Role = "viewer"     // 閲覧: read-only
)

// Roles lists every role, most powerful first, for forms and tests.
var Roles = []Role{RoleAdmin, RoleAccountant, RoleStaff, RoleViewer}

// Label is the Japanese name shown in the UI.
func (r Role) Label() string {
	switch r {
	case RoleAdmin:
		return "管理者"
	case RoleAccountant:
		return "経理"
	case RoleStaff:
		return "スタッフ"
	case RoleViewer:
		return "閲覧"
	}
	return string(r)
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RoleAccountant, RoleStaff, RoleViewer:
		return true
	}
	return false
}

// Perm is what a route demands. Every route declares exactly one.
type Perm string

const (
	PermPublic  Perm = "public"  // no login: login page, health checks, static files
	PermView    Perm = "view"    // any signed-in role
	PermOperate Perm = "operate" // day-to-day changes and requests: スタッフ, 経理, 管理者
	PermMoney   Perm = "money"   // moving money, approving: 経理, 管理者
	PermAdmin   Perm = "admin"   // settings, users, API keys: 管理者
)

// Allows reports whether role r has permission p. The switch is exhaustive on purpose: a new
// permission must be placed here deliberately.
func (r Role) Allows(p Perm) bool {
	switch p {
	case PermPublic:
		return true
	case PermView:
		return r.Valid()
	case PermOperate:
		return r == RoleAdmin || r == RoleAccountant || r == RoleStaff
	case PermMoney:
		return r == RoleAdmin || r == RoleAccountant
	case PermAdmin:
		return r == RoleAdmin
	}
	return false
}

// Kind says what sort of actor a principal is.
type Kind string

const (
	KindUser   Kind = "user"
	KindAPIKey Kind = "apikey"
	KindJob    Kind = "job"
	KindSystem Kind = "system"
)

// Principal is who is acting: a signed-in user, an API key, or a job. The audit log records it.
type Principal struct {
	Kind Kind
	ID   string // user ID, API key ID, or job name
	Name string // shown in the audit log: email, key name, job name
	Role Role
	// SessionID is set for cookie sessions; CSRF checks apply only to those.
	SessionID string
	// CSRFToken is the token forms must send back for this session.
	CSRFToken string
}

// Can reports whether the principal has permission p.
func (p *Principal) Can(perm Perm) bool { return p != nil && p.Role.Allows(perm) }

type ctxKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal of ctx, or nil when anonymous.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}

// System is the principal for work kessai does by itself (migrations, demo seed, periodic jobs).
func System(name string) *Principal {
	return &Principal{Kind: KindSystem, ID: name, Name: name, Role: RoleAdmin}
}
