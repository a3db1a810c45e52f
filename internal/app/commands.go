package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/errs"
)

// The account commands and the standalone sandbox come with the auth and simulator packages.

// apikeyCmd is `kessai apikey create --name NAME --role ROLE [--owner EMAIL] [--expires
// YYYY-MM-DD]`: the key is printed once and stored hashed. With --owner the key belongs to
// that user as if made on the API キー page (never above their role, stopped when they are
// disabled); without, it is the operator's and lives until revoked.
func apikeyCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("使い方: kessai apikey create --name NAME --role ROLE [--owner EMAIL] [--expires YYYY-MM-DD] [--data DIR]")
	}
	fs := subFlags("apikey create", stderr)
	name := fs.String("name", "", "what the key is for, e.g. 倉庫システム連携")
	roleFlag := fs.String("role", "", "role: admin, accountant, staff or viewer")
	owner := fs.String("owner", "", "email of the user the key belongs to (optional)")
	expiresFlag := fs.String("expires", "", "last day the key works, YYYY-MM-DD in JST (optional)")
	data := fs.String("data", "", "data directory (KESSAI_DATA_DIR)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	role, err := auth.ParseRole(*roleFlag)
	if err != nil {
		return errors.New(errs.As(err).Message)
	}
	var expires time.Time
	if *expiresFlag != "" {
		day, err := time.ParseInLocation("2006-01-02", *expiresFlag, clock.JST)
		if err != nil {
			return fmt.Errorf("--expires %q: 有効期限は YYYY-MM-DD の日付で指定してください", *expiresFlag)
		}
		expires = day.AddDate(0, 0, 1) // the key works through the whole of that day
	}
	svc, done, err := accountService(ctx, *data, getenv, stderr)
	if err != nil {
		return err
	}
	defer done()
	by := auth.System("cli")
	if *owner != "" {
		u, err := svc.UserByEmail(ctx, *owner)
		if err != nil {
			return cliError("apikey create", err)
		}
		if u.Disabled {
			return fmt.Errorf("apikey create: %s は無効なユーザーです", u.Email)
		}
		by = &auth.Principal{Kind: auth.KindUser, ID: u.ID, Name: "cli（" + u.Email + "）", Role: u.Role}
	}
	key, k, err := svc.CreateAPIKeyUntil(auth.WithPrincipal(ctx, by), *name, role, expires)
	if err != nil {
		return cliError("apikey create", err)
	}
	fmt.Fprintf(stdout, "APIキー「%s」（%s）を発行しました。このキーは今回しか表示されません:\n%s\n", k.Name, role.Label(), key)
	return nil
}

// userCmd is `kessai user create --email E --role R [--name N]`: the password comes from
// KESSAI_NEW_PASSWORD, or is generated and printed once.
func userCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "unlock" {
		return userUnlockCmd(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) == 0 || args[0] != "create" {
		return errors.New("使い方: kessai user create --email EMAIL --role ROLE [--name NAME] [--data DIR] / kessai user unlock --email EMAIL [--data DIR]")
	}
	fs := subFlags("user create", stderr)
	email := fs.String("email", "", "email address (the login name)")
	roleFlag := fs.String("role", "", "role: admin, accountant, staff or viewer")
	name := fs.String("name", "", "display name")
	data := fs.String("data", "", "data directory (KESSAI_DATA_DIR)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	role, err := auth.ParseRole(*roleFlag)
	if err != nil {
		return errors.New(errs.As(err).Message)
	}
	password := getenv("KESSAI_NEW_PASSWORD")
	generated := password == ""
	if generated {
		password = auth.GeneratePassword()
	}
	svc, done, err := accountService(ctx, *data, getenv, stderr)
	if err != nil {
		return err
	}
	defer done()
	u, err := svc.CreateUser(auth.WithPrincipal(ctx, auth.System("cli")), auth.NewUser{Email: *email, Name: *name, Role: role, Password: password})
	if err != nil {
		return cliError("user create", err)
	}
	fmt.Fprintf(stdout, "ユーザー %s（%s）を作成しました。\n", u.Email, role.Label())
	if generated {
		fmt.Fprintf(stdout, "パスワード（今回しか表示されません）: %s\n", password)
	}
	return nil
}

// userUnlockCmd is `kessai user unlock --email E`: it lifts every login lock on E, as 【ロック解除】
// on the users page does — for when the locked account is the only administrator (whose
// email guessers may know).
func userUnlockCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := subFlags("user unlock", stderr)
	email := fs.String("email", "", "email address of the locked user")
	data := fs.String("data", "", "data directory (KESSAI_DATA_DIR)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("使い方: kessai user unlock --email EMAIL [--data DIR]")
	}
	svc, done, err := accountService(ctx, *data, getenv, stderr)
	if err != nil {
		return err
	}
	defer done()
	if err := svc.UnlockLogin(auth.WithPrincipal(ctx, auth.System("cli")), *email); err != nil {
		return cliError("user unlock", err)
	}
	fmt.Fprintf(stdout, "%s のログインのロックを解除しました。\n", auth.NormalizeEmail(*email))
	return nil
}

// accountService opens the configured database (migrated) for the account commands.
func accountService(ctx context.Context, data string, getenv func(string) string, stderr io.Writer) (*auth.Service, func(), error) {
	var args []string
	if data != "" {
		args = []string{"--data", data}
	}
	cfg, err := parseServeConfig(args, getenv, stderr)
	if err != nil {
		return nil, nil, err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	d, err := openDB(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	al := &audit.Log{Now: clock.System{}.Now}
	return auth.NewService(d, clock.System{}, al.RecordEvent), func() { d.Close() }, nil
}

// cliError turns a validation error into one line listing the fields.
func cliError(cmd string, err error) error {
	e := errs.As(err)
	if e == nil || e.Kind == errs.KindInternal {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	msg := e.Message
	for k, v := range e.Fields {
		msg += fmt.Sprintf("（%s: %s）", k, v)
	}
	return fmt.Errorf("%s: %s", cmd, msg)
}

func sandboxCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return runSandbox(ctx, args, getenv, stdout, stderr)
}
