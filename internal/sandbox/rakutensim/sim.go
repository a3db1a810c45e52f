package rakutensim

import (
	"encoding/base64"
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
	"kessai/internal/provider/rakuten"
)

// Sandbox credentials of the shop that exists from the start, also shown in Status.
const (
	DefaultShopNumber    = "100000"
	DefaultServiceSecret = "SP100000_sandbox"
	DefaultLicenseKey    = "SL100000_sandbox"
)

// LicenseKeyLife is how long Rakuten's licenseKey lives.
const LicenseKeyLife = 90 * 24 * time.Hour

// Options configure a Sim. Zero values give the documented defaults.
type Options struct {
	Clock  clock.Clock // the system clock when nil; every rule follows it
	Prefix string      // URL prefix the Sim is mounted under, e.g. "/sandbox/rakuten"
	// StatePath, when set, is a JSON file the state is written to after every change and read
	// from at start, so a restart keeps the sandbox's orders.
	StatePath string
	// CancelConfirmDelay is how long a cancel request (800) waits before Rakuten confirms it
	// (900); 10 minutes.
	CancelConfirmDelay time.Duration
	// SaveDelay, when positive, gathers the changes of that long (on the wall clock: it is
	// about disk writes) into one write of StatePath, and waits at least ten times as long as
	// the last write took, so a sandbox with 100,000 orders is not rewritten on every call.
	// Zero writes after every change. Flush writes at once.
	SaveDelay time.Duration
}

// Sim plays RakutenPayOrderAPI over HTTP. It is an http.Handler; mount it with
// http.StripPrefix(opts.Prefix, sim). All state is in memory behind one mutex.
type Sim struct {
	opts Options
	mux  *http.ServeMux

	mu       sync.Mutex
	st       *state
	byNumber map[string]*order
	timed    map[string]*order // orders a time rule may still change
	nextAt   time.Time         // the earliest due time in timed (zero: none)
	warnings []string

	dirty     bool
	saveTimer *time.Timer
	lastSave  time.Duration // how long the last write took
}

// state is what StatePath holds.
type state struct {
	Seq      int64            `json:"seq"`
	DetailID int64            `json:"detail_id"`
	Shops    map[string]*Shop `json:"shops"` // by shop number
	Orders   []*order         `json:"orders"`
	Settings Settings         `json:"settings"`
}

// Shop is one RMS shop with its API credentials.
type Shop struct {
	Number        string    `json:"number"`
	ServiceSecret string    `json:"service_secret"`
	LicenseKey    string    `json:"license_key"`
	ExpiresAt     time.Time `json:"expires_at"` // the licenseKey's expiry
}

// Settings switch behaviours Rakuten's documents leave open.
type Settings struct {
	// NullShippingDetailID answers updateOrderShipping's added rows with shippingDetailId null
	// (as in 2018 answers); otherwise with the new id (as the current documents show).
	NullShippingDetailID bool `json:"null_shipping_detail_id"`
}

// New returns a simulator with the default shop and, with StatePath, the saved state loaded. A
// state file that cannot be read is moved aside and reported in Status.
func New(opts Options) *Sim {
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	opts.Prefix = strings.TrimRight(opts.Prefix, "/")
	if opts.CancelConfirmDelay <= 0 {
		opts.CancelConfirmDelay = 10 * time.Minute
	}
	s := &Sim{opts: opts}
	s.reset(s.newState())
	if opts.StatePath != "" {
		if err := s.load(); err != nil {
			s.warnings = append(s.warnings, err.Error())
		}
	}
	s.mux = s.routes()
	return s
}

func (s *Sim) newState() *state {
	return &state{Shops: map[string]*Shop{DefaultShopNumber: {
		Number: DefaultShopNumber, ServiceSecret: DefaultServiceSecret, LicenseKey: DefaultLicenseKey,
		ExpiresAt: s.now().Add(LicenseKeyLife),
	}}}
}

// reset installs st and rebuilds the indexes.
func (s *Sim) reset(st *state) {
	s.st = st
	s.byNumber = make(map[string]*order, len(st.Orders))
	s.timed = map[string]*order{}
	s.nextAt = time.Time{}
	for _, o := range st.Orders {
		s.byNumber[o.Number] = o
		s.track(o)
	}
}

// ServeHTTP serves Rakuten's endpoints and the sandbox JSON API.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Handler is the Sim as an http.Handler for a mux that does not strip the prefix: it strips
// Options.Prefix itself.
func (s *Sim) Handler() http.Handler { return http.StripPrefix(s.opts.Prefix, s) }

// BaseURL returns the rakuten.Config.BaseURL for a Sim reachable at origin (e.g.
// "http://127.0.0.1:8080"), with the mount prefix.
func (s *Sim) BaseURL(origin string) string { return strings.TrimRight(origin, "/") + s.opts.Prefix }

func (s *Sim) now() time.Time { return s.opts.Clock.Now() }

// Reset forgets every order and shop but the default one (with a fresh licenseKey expiry).
func (s *Sim) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reset(s.newState())
	s.saveLocked()
}

// authenticate checks the ESA header against the shops; the answer is nil and the refusal
// written when it fails. Rakuten's gateway says only ES01-01 Un-Authorised, whatever is wrong.
func (s *Sim) authenticateLocked(w http.ResponseWriter, r *http.Request) *Shop {
	h := r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(h, "ESA ")
	var secret, key string
	if ok {
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(raw))
		if err == nil {
			secret, key, ok = strings.Cut(string(b), ":")
		} else {
			ok = false
		}
	}
	if ok {
		for _, sh := range s.st.Shops {
			if sh.ServiceSecret == secret && sh.LicenseKey == key {
				if !s.now().Before(sh.ExpiresAt) {
					break // expired: refused like a wrong key
				}
				return sh
			}
		}
	}
	writeGateway(w, http.StatusUnauthorized, rakuten.GatewayUnauthorized, "Un-Authorised")
	return nil
}

func writeGateway(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"Results": map[string]string{"errorCode": code, "message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// load reads StatePath. A missing file is a fresh start.
func (s *Sim) load() error {
	b, err := os.ReadFile(s.opts.StatePath)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("rakutensim: read state: %w", err)
	}
	st := &state{}
	if err := json.Unmarshal(b, st); err != nil || st.Shops == nil {
		aside := s.opts.StatePath + ".corrupt-" + s.now().Format("20060102T150405")
		_ = os.Rename(s.opts.StatePath, aside)
		if err == nil {
			err = errors.New("no shops")
		}
		return fmt.Errorf("rakutensim: state file unreadable, moved to %s, starting empty: %w", aside, err)
	}
	s.reset(st)
	return nil
}

// saveLocked records that the state changed and writes it, now or after SaveDelay.
func (s *Sim) saveLocked() {
	if s.opts.StatePath == "" {
		return
	}
	s.dirty = true
	if s.opts.SaveDelay <= 0 {
		s.flushLocked()
		return
	}
	if s.saveTimer == nil {
		s.saveTimer = time.AfterFunc(max(s.opts.SaveDelay, 10*s.lastSave), s.Flush)
	}
}

// Flush writes pending changes to StatePath now.
func (s *Sim) Flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushLocked()
}

// flushLocked writes the state atomically (temp file and rename). Errors are kept for Status
// rather than failing the API call that caused them.
func (s *Sim) flushLocked() {
	if s.saveTimer != nil {
		s.saveTimer.Stop()
		s.saveTimer = nil
	}
	if !s.dirty || s.opts.StatePath == "" {
		return
	}
	t0 := time.Now()
	if err := writeJSONFile(s.opts.StatePath, s.st); err != nil {
		s.warnings = append(s.warnings, err.Error())
	}
	s.lastSave = time.Since(t0)
	s.dirty = false
}

func writeJSONFile(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("rakutensim: encode state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("rakutensim: save state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("rakutensim: save state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("rakutensim: save state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rakutensim: save state: %w", err)
	}
	return nil
}
