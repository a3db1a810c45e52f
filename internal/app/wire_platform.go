package app

import (
	"context"
	"fmt"
	"strings"

	"kessai/internal/api"
	"kessai/internal/platform/audit"
	"kessai/internal/platform/audit/auditweb"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/auth/authweb"
	"kessai/internal/platform/bulk"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/connection"
	"kessai/internal/platform/connection/connectionweb"
	"kessai/internal/platform/db"
	"kessai/internal/platform/jobs"
	"kessai/internal/platform/lease"
	"kessai/internal/platform/secrets"
	"kessai/internal/web"
)

// Platform is the shared plumbing the other parts use.
type Platform struct {
	// Audit records who did what; pass it the transaction of the change.
	Audit *audit.Log
	// Auth manages users, sessions and API keys.
	Auth *auth.Service
	// Secrets seals values under the master key; Providers keeps provider settings with their
	// secret fields sealed (each room's settings form reads and saves through it).
	Secrets   *secrets.Sealer
	Providers *secrets.Store
	// Web is the authentication middleware and pages; wireSandbox tells it the simulators' paths.
	Web *authweb.Handler
}

// wirePlatform attaches sealing of secrets, the audit log and authentication, and creates the
// first administrator on the first start.
func (a *App) wirePlatform(ctx context.Context) error {
	log := &audit.Log{Now: a.Clock.Now, RequestID: web.RequestID}
	key, err := secrets.LoadKey(a.Config.MasterKey, a.Config.DataDir)
	if err != nil {
		return err
	}
	sealer, err := secrets.New(key)
	if err != nil {
		return err
	}
	// Sessions and the login throttle run on the wall clock, not the sandbox clock: moving
	// the business clock a day forward to show "the 27th" must not sign everyone out, and must
	// not lift a password-guessing lock either.
	svc := auth.NewService(a.DB, clock.System{}, log.RecordEvent)
	a.Platform = &Platform{
		Audit:     log,
		Auth:      svc,
		Secrets:   sealer,
		Providers: &secrets.Store{Sealer: sealer, Audit: log, Log: a.Log, Now: a.Clock.Now},
	}
	a.Connections = connection.New(a.DB, a.Platform.Providers, a.Clock, a.Log.With("part", "connections"))
	if _, err := connectionweb.Routes(a.Shell, a.Connections); err != nil {
		return err
	}
	h := &authweb.Handler{Auth: svc, Render: a.Shell.Render, SecureCookies: strings.HasPrefix(a.Config.BaseURL, "https://")}
	a.Platform.Web = h
	if err := h.Routes(a.Shell); err != nil {
		return err
	}
	if err := auditweb.Routes(a.Shell, a.DB); err != nil {
		return err
	}
	for _, e := range []web.NavEntry{
		{Key: "users", Label: "ユーザー", Path: "/settings/users", Group: web.GroupSettings, Order: 30},
		{Key: "apikeys", Label: "APIキー", Path: "/settings/apikeys", Group: web.GroupSettings, Order: 40},
		{Key: "audit", Label: "操作履歴", Path: "/audit", Group: web.GroupSettings, Order: 50},
	} {
		a.Shell.AddNav(e)
	}
	a.middleware = append(a.middleware, h.Middleware)
	return a.bootstrapAdmin(ctx)
}

// bootstrapAdmin creates the first administrator when there are no users: from
// KESSAI_ADMIN_EMAIL and KESSAI_ADMIN_PASSWORD, or admin@kessai.local with a generated password
// printed once.
func (a *App) bootstrapAdmin(ctx context.Context) error {
	created, generated, err := a.Platform.Auth.Bootstrap(ctx, a.Config.AdminEmail, a.Config.AdminPass)
	if err != nil || !created {
		return err
	}
	email := auth.NormalizeEmail(a.Config.AdminEmail)
	if email == "" {
		email = "admin@kessai.local"
	}
	a.Log.Info("first administrator created", "email", email)
	if generated == "" || a.stdout == nil {
		return nil
	}
	fmt.Fprintf(a.stdout, `最初の管理者を作成しました。
  メールアドレス: %s
  パスワード:     %s
このパスワードは今回しか表示されません。%s/login からログインし、「設定 > ユーザー」でパスワードを再設定してください。
`, email, generated, a.Config.BaseURL)
	return nil
}

func platformMigrations() []db.Migrations {
	return []db.Migrations{audit.Migrations, auth.Migrations, secrets.Migrations, api.Migrations, bulk.Migrations, jobs.Migrations, web.Migrations, lease.Migrations}
}
