// Package app wires kessai together: configuration, database, job queue, HTTP server and the
// built-in simulators. It holds no business rules.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
)

// Version is set at build time with -ldflags "-X kessai/internal/app.Version=…".
var Version = "dev"

const usage = `kessai — 決済オペレーション管理

使い方:
  kessai serve [--addr 127.0.0.1:8080] [--data ./kessai-data] [--demo]
  kessai migrate                       データベースのマイグレーションを適用
  kessai apikey create --name NAME --role ROLE [--owner EMAIL] [--expires YYYY-MM-DD]
  kessai user create --email EMAIL --role ROLE [--name NAME]   (パスワードは KESSAI_NEW_PASSWORD か自動生成)
  kessai user unlock --email EMAIL                             (ログインのロックを解除)
  kessai sandbox [--addr 127.0.0.1:8090]   シミュレーターだけを起動
  kessai version

環境変数: KESSAI_ADDR, KESSAI_DATA_DIR, KESSAI_DATABASE_URL, KESSAI_MASTER_KEY,
KESSAI_ADMIN_EMAIL, KESSAI_ADMIN_PASSWORD, KESSAI_BASE_URL, KESSAI_LOG_FORMAT,
KESSAI_SANDBOX_CLOCK (off で時計の操作を禁止)
`

// Run is kessai's main: it parses args and runs one command until ctx is cancelled.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		cfg, err := parseServeConfig(rest, getenv, stderr)
		if err != nil {
			return err
		}
		return serve(ctx, cfg, stdout, stderr)
	case "migrate":
		cfg, err := parseServeConfig(rest, getenv, stderr)
		if err != nil {
			return err
		}
		return migrateCmd(ctx, cfg, stdout, stderr)
	case "apikey":
		return apikeyCmd(ctx, rest, getenv, stdout, stderr)
	case "user":
		return userCmd(ctx, rest, getenv, stdout, stderr)
	case "sandbox":
		return sandboxCmd(ctx, rest, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "kessai", version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func version() string {
	if Version != "dev" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return Version
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}

// parseFlags parses args with fs and refuses anything left over: `--name 経理 花子` would
// otherwise silently drop 花子.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if rest := fs.Args(); len(rest) > 0 {
		return fmt.Errorf("%s: 余分な引数があります: %q。空白を含む値は引用符で囲んでください（例: --name \"経理 花子\"）", fs.Name(), rest)
	}
	return nil
}

// subFlags is a FlagSet that prints to stderr and doesn't exit.
func subFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
