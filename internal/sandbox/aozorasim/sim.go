package aozorasim

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/aozora"
)

// Paths below the mount prefix. They mirror the bank's own paths, so a base URL differs from the
// real one only in scheme, host and prefix.
const (
	AuthPath = "/ganb/api/auth/v1"
	APIPath  = "/ganb/api/corporation/v1"
)

// Sandbox credentials, also shown on the sandbox pages.
const (
	DefaultClientID     = "kessai-sandbox"
	DefaultClientSecret = "sandbox-secret"
	DefaultPassword     = "sandbox" // login password of the default client
	TransactionPassword = "sandbox" // 取引パスワード on the approval page
)

// Options configure a Sim. Zero values give the documented defaults.
type Options struct {
	Clock  clock.Clock // the system clock when nil
	Prefix string      // URL prefix the Sim is mounted under, e.g. "/sandbox/aozora"; used in links
	// ApprovalWindow is how long a request waits for its approver (30 minutes); after it the
	// request is 期限切 (resultCode 8, transferStatus 5).
	ApprovalWindow  time.Duration
	AccessTokenTTL  time.Duration // 1 hour
	RefreshTokenTTL time.Duration // 30 days
	// HangTimeout bounds how long the timeout_after_accept fault holds a request open (2 minutes).
	HangTimeout time.Duration
	// StatePath, when set, is a JSON file the state is written to after every change and read
	// from at start, so a restart of kessai keeps the sandbox's transfers and tokens.
	StatePath string
}

// Sim plays GMO あおぞらネット銀行 over HTTP. It is an http.Handler; mount it with
// http.StripPrefix(opts.Prefix, sim). All state is in memory behind one mutex.
type Sim struct {
	opts Options
	mux  *http.ServeMux

	mu       sync.Mutex
	st       *state
	faults   map[FaultMode]int // remaining count; -1 means until cleared
	warnings []string
}

// New returns a simulator with the default client registered and, with StatePath, the saved
// state loaded. A state file that cannot be read is moved aside and reported in Status.
func New(opts Options) *Sim {
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	opts.Prefix = strings.TrimRight(opts.Prefix, "/")
	if opts.ApprovalWindow <= 0 {
		opts.ApprovalWindow = 30 * time.Minute
	}
	if opts.AccessTokenTTL <= 0 {
		opts.AccessTokenTTL = time.Hour
	}
	if opts.RefreshTokenTTL <= 0 {
		opts.RefreshTokenTTL = 30 * 24 * time.Hour
	}
	if opts.HangTimeout <= 0 {
		opts.HangTimeout = 2 * time.Minute
	}
	s := &Sim{opts: opts, st: newState(), faults: map[FaultMode]int{}}
	if opts.StatePath != "" {
		if err := s.load(); err != nil {
			s.warnings = append(s.warnings, err.Error())
		}
	}
	s.mux = s.routes()
	return s
}

// ServeHTTP serves the bank's endpoints, the sandbox pages and the sandbox JSON API.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// AuthBaseURL returns the Config.AuthBaseURL for a Sim reachable at origin (e.g.
// "http://127.0.0.1:8080"), with the mount prefix.
func (s *Sim) AuthBaseURL(origin string) string {
	return strings.TrimRight(origin, "/") + s.opts.Prefix + AuthPath
}

// APIBaseURL returns the Config.APIBaseURL for a Sim reachable at origin.
func (s *Sim) APIBaseURL(origin string) string {
	return strings.TrimRight(origin, "/") + s.opts.Prefix + APIPath
}

func (s *Sim) now() time.Time { return s.opts.Clock.Now() }

// state is everything the Sim remembers; it is what StatePath holds.
type state struct {
	Seq       int64                  `json:"seq"`
	Clients   map[string]*ClientReg  `json:"clients"`
	Codes     map[string]*authCode   `json:"codes"`
	Access    map[string]*grant      `json:"access"`
	Refresh   map[string]*grant      `json:"refresh"`
	Transfers []*transfer            `json:"transfers"`
	Mails     []*Mail                `json:"mails"`
	Idem      map[string]*idemRecord `json:"idem"`
}

func newState() *state {
	st := &state{
		Clients: map[string]*ClientReg{},
		Codes:   map[string]*authCode{},
		Access:  map[string]*grant{},
		Refresh: map[string]*grant{},
		Idem:    map[string]*idemRecord{},
	}
	st.Clients[DefaultClientID] = &ClientReg{ID: DefaultClientID, Secret: DefaultClientSecret, Password: DefaultPassword}
	return st
}

// idemRecord is a stored answer to an Idempotency-Key.
type idemRecord struct {
	BodyHash string    `json:"body_hash"`
	Status   int       `json:"status"`
	Body     []byte    `json:"body"`
	At       time.Time `json:"at"`
}

// idemTTL is how long a key is remembered, as third-party clients of the bank report.
const idemTTL = 24 * time.Hour

// Reset forgets every transfer, mail, token and stored key and disarms the faults; registered
// clients are kept.
func (s *Sim) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clients := s.st.Clients
	s.st = newState()
	for id, c := range clients {
		s.st.Clients[id] = c
	}
	s.faults = map[FaultMode]int{}
	s.saveLocked()
}

// load reads StatePath. A missing file is a fresh start.
func (s *Sim) load() error {
	b, err := os.ReadFile(s.opts.StatePath)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("aozorasim: read state: %w", err)
	}
	st := newState()
	if err := json.Unmarshal(b, st); err != nil {
		aside := s.opts.StatePath + ".corrupt-" + s.now().Format("20060102T150405")
		_ = os.Rename(s.opts.StatePath, aside)
		return fmt.Errorf("aozorasim: state file unreadable, moved to %s, starting empty: %w", aside, err)
	}
	if st.Clients[DefaultClientID] == nil {
		st.Clients[DefaultClientID] = newState().Clients[DefaultClientID]
	}
	s.st = st
	return nil
}

// saveLocked writes the state atomically (temp file and rename) so a crash never leaves half a
// file. Errors are kept for Status rather than failing the bank call that caused them.
func (s *Sim) saveLocked() {
	if s.opts.StatePath == "" {
		return
	}
	if err := writeJSONFile(s.opts.StatePath, s.st); err != nil {
		s.warnings = append(s.warnings, err.Error())
	}
}

func writeJSONFile(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("aozorasim: encode state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("aozorasim: save state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("aozorasim: save state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("aozorasim: save state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("aozorasim: save state: %w", err)
	}
	return nil
}

// randomToken returns n random bytes in hex.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// nextNumber returns a 16-digit number: the JST date and an 8-digit sequence, like the bank's
// applyNo and acceptNo.
func (s *Sim) nextNumberLocked() string {
	s.st.Seq++
	return aozora.DateOf(s.now()).Time().Format("20060102") + fmt.Sprintf("%08d", s.st.Seq%100000000)
}
