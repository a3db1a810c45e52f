package app

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"kessai/internal/room"
)

// Config is everything `kessai serve` reads from flags and the environment. Flags win over the
// environment; the environment wins over defaults.
type Config struct {
	Addr        string // KESSAI_ADDR, --addr
	DataDir     string // KESSAI_DATA_DIR, --data
	DatabaseURL string // KESSAI_DATABASE_URL; empty = SQLite in DataDir
	Demo        bool   // --demo: seed demo data once
	MasterKey   string // KESSAI_MASTER_KEY (base64 32 bytes); empty = key file in DataDir
	AdminEmail  string // KESSAI_ADMIN_EMAIL
	AdminPass   string // KESSAI_ADMIN_PASSWORD
	// BaseURL is how browsers reach kessai (used in OAuth redirect URIs); default http://Addr.
	BaseURL string // KESSAI_BASE_URL
	// LogFormat is "json" (default) or "text".
	LogFormat string // KESSAI_LOG_FORMAT
	// ShutdownTimeout bounds how long serve waits for requests and jobs to finish.
	ShutdownTimeout time.Duration
	// SandboxClock lets the サンドボックス page move the clock. On by default; production
	// deployments with real credentials turn it off with KESSAI_SANDBOX_CLOCK=off.
	SandboxClock bool
	// RequestTimeout bounds a request (CSV export and import and bulk starts excepted); one that outlives it
	// answers 503 with Retry-After. KESSAI_REQUEST_TIMEOUT, default 10s, 0 = none.
	RequestTimeout time.Duration
	// MaxConcurrent is how many requests run at once (KESSAI_MAX_CONCURRENT; 0: 8 per CPU, -1:
	// no limit); one that finds no room within a second answers 503 with Retry-After.
	MaxConcurrent int
	// JobPollInterval overrides River's fetch poll interval (tests use a short one).
	JobPollInterval time.Duration
	// Rooms are the workflow rooms to attach; nil means the room list (rooms.go). Tests add a
	// room of their own here.
	Rooms []room.Room
	// MaxImportBytes caps a CSV import's upload (KESSAI_MAX_IMPORT_BYTES, default 1 GiB);
	// every other request body stays under 1 MiB.
	MaxImportBytes int64
	// BodyTimeout is how long a request body (not an upload) may take to arrive; 0 is 20 s.
	// UploadIdle is how long an upload may take for each 256 KiB; 0 is 60 s.
	BodyTimeout time.Duration
	UploadIdle  time.Duration
	// UploadDir is where uploads are streamed to; empty is the system's temp directory.
	UploadDir string // KESSAI_UPLOAD_DIR
	// Getenv is the environment kessai was started with, for the rooms' own settings
	// (KESSAI_<ROOM>_…, read by each room through room.Host.Env); nil is an empty one.
	Getenv func(string) string
}

// roomList is the rooms c attaches.
func (c Config) roomList() []room.Room {
	if c.Rooms != nil {
		return c.Rooms
	}
	return Rooms()
}

func parseServeConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	c := Config{
		Addr:            envOr(getenv, "KESSAI_ADDR", "127.0.0.1:8080"),
		DataDir:         envOr(getenv, "KESSAI_DATA_DIR", "./kessai-data"),
		DatabaseURL:     getenv("KESSAI_DATABASE_URL"),
		MasterKey:       getenv("KESSAI_MASTER_KEY"),
		AdminEmail:      getenv("KESSAI_ADMIN_EMAIL"),
		AdminPass:       getenv("KESSAI_ADMIN_PASSWORD"),
		BaseURL:         getenv("KESSAI_BASE_URL"),
		LogFormat:       envOr(getenv, "KESSAI_LOG_FORMAT", "json"),
		ShutdownTimeout: 30 * time.Second,
		SandboxClock:    !strings.EqualFold(getenv("KESSAI_SANDBOX_CLOCK"), "off"),
		UploadDir:       getenv("KESSAI_UPLOAD_DIR"),
		RequestTimeout:  10 * time.Second,
		Getenv:          getenv,
	}
	if v := getenv("KESSAI_REQUEST_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return c, fmt.Errorf("KESSAI_REQUEST_TIMEOUT: %w", err)
		}
		c.RequestTimeout = d
	}
	if v := getenv("KESSAI_MAX_CONCURRENT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return c, fmt.Errorf("KESSAI_MAX_CONCURRENT: %w", err)
		}
		c.MaxConcurrent = n
	}
	if v := getenv("KESSAI_JOB_POLL_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return c, fmt.Errorf("KESSAI_JOB_POLL_INTERVAL: %w", err)
		}
		c.JobPollInterval = d
	}
	if v := getenv("KESSAI_MAX_IMPORT_BYTES"); v != "" {
		n, err := parseBytes(v)
		if err != nil {
			return c, fmt.Errorf("KESSAI_MAX_IMPORT_BYTES: %w", err)
		}
		c.MaxImportBytes = n
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", c.Addr, "address to listen on (KESSAI_ADDR)")
	fs.StringVar(&c.DataDir, "data", c.DataDir, "data directory for the SQLite file and the key file (KESSAI_DATA_DIR)")
	fs.BoolVar(&c.Demo, "demo", false, "seed demo data (2 shops, customers, cases, orders, subscriptions) once")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("serve: unexpected arguments %q", fs.Args())
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Addr
	}
	c.BaseURL = strings.TrimSuffix(c.BaseURL, "/")
	return c, nil
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// parseBytes reads 1073741824, 500MB, 1GB, 64KB (binary units).
func parseBytes(s string) (int64, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("%q is not a size (e.g. 1GB, 500MB, 1073741824)", s)
	}
	return n * mult, nil
}
