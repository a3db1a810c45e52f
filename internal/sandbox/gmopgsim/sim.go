package gmopgsim

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/gmopg"
)

// Sandbox credentials, also shown on the sandbox pages.
const (
	DefaultShopID       = "tshop00012345"
	DefaultShopPass     = "sandboxsh"
	DefaultSiteID       = "tsite00012345"
	DefaultSitePass     = "sandboxst"
	DefaultSFTPUser     = "kessai"
	DefaultSFTPPassword = "sandbox-sftp"
)

// Options configure a Sim. Zero values give the documented defaults.
type Options struct {
	Clock  clock.Clock // the system clock when nil
	Prefix string      // URL prefix the HTTP part is mounted under, e.g. "/sandbox/gmopg"
	// StateDir holds the state file (gmopgsim.json), the SFTP host key and the SFTP files. When
	// empty a temporary directory is used and removed by Stop.
	StateDir string
	ShopID   string
	ShopPass string
	SiteID   string
	SitePass string
	// NotifyURL receives the result notifications (結果通知); none are sent when empty. It can be
	// changed at run time with SetNotifyURL or POST _sim/config.
	NotifyURL  string
	HTTPClient *http.Client // for notifications; 10-second timeout when nil
	// ResultDay is the day of the month card update results are written, at 0:00 JST (27).
	ResultDay    int
	SFTPUser     string
	SFTPPassword string
	// SFTPAddr is where Start listens for SFTP ("127.0.0.1:0", an ephemeral port, by default).
	SFTPAddr string
	// CardAuthDays and RecruitAuthDays are the authorization periods (60 days each) on the
	// Sim's clock; RecruitUpdateAuth extends by RecruitAuthDays from the day it is called.
	CardAuthDays    int
	RecruitAuthDays int
	// StartWindow is how long the buyer has to open StartURL (30 minutes) when ExecTranRecruit
	// gives no PaymentTermSec.
	StartWindow time.Duration
	// HangTimeout bounds how long the timeout_after_accept fault holds a request (2 minutes).
	HangTimeout time.Duration
}

// Sim plays GMO-PG: the multi-payment HTTP API, the buyer's payment page, result
// notifications and the SFTP card update exchange. All state is behind one mutex.
type Sim struct {
	opts    Options
	tempDir bool
	mux     *http.ServeMux

	mu            sync.Mutex
	st            *state
	byAccess      map[string]*tran // the transactions by AccessID, rebuilt from st
	faults        []armedFault
	warnings      []string
	authorizedKey string      // SFTP public key allowed besides the password
	dirty         bool        // a deferred save is due
	saveTimer     *time.Timer // runs the deferred save

	deliverMu sync.Mutex    // one delivery run at a time, so notifications go out in order
	kick      chan struct{} // wakes the background deliverer

	keyMu  sync.Mutex
	signer ssh.Signer // the SFTP host key, loaded or made once

	sftpMu sync.Mutex
	ln     net.Listener
	done   chan struct{} // closed when serving stops: ends the background work
	served chan struct{} // closed once serve has returned
	wg     sync.WaitGroup
	conns  map[net.Conn]struct{}
}

// New returns a simulator with the saved state loaded from StateDir. A state file that cannot
// be read is moved aside and reported in Status.
func New(opts Options) (*Sim, error) {
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	opts.Prefix = strings.TrimRight(opts.Prefix, "/")
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&opts.ShopID, DefaultShopID)
	def(&opts.ShopPass, DefaultShopPass)
	def(&opts.SiteID, DefaultSiteID)
	def(&opts.SitePass, DefaultSitePass)
	def(&opts.SFTPUser, DefaultSFTPUser)
	def(&opts.SFTPPassword, DefaultSFTPPassword)
	def(&opts.SFTPAddr, "127.0.0.1:0")
	if opts.ResultDay <= 0 || opts.ResultDay > 28 {
		opts.ResultDay = gmopg.DefaultResultDay
	}
	if opts.CardAuthDays <= 0 {
		opts.CardAuthDays = 60
	}
	if opts.RecruitAuthDays <= 0 {
		opts.RecruitAuthDays = 60
	}
	if opts.StartWindow <= 0 {
		opts.StartWindow = 30 * time.Minute
	}
	if opts.HangTimeout <= 0 {
		opts.HangTimeout = 2 * time.Minute
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	s := &Sim{opts: opts, kick: make(chan struct{}, 1), conns: map[net.Conn]struct{}{}}
	if opts.StateDir == "" {
		dir, err := os.MkdirTemp("", "gmopgsim-")
		if err != nil {
			return nil, fmt.Errorf("gmopgsim: state dir: %w", err)
		}
		s.opts.StateDir, s.tempDir = dir, true
	}
	for _, d := range []string{s.filesDir(gmopg.RequestDir), s.filesDir(gmopg.ResultDir)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("gmopgsim: state dir: %w", err)
		}
	}
	s.st = newState(opts.NotifyURL)
	if err := s.load(); err != nil {
		s.warnings = append(s.warnings, err.Error())
	}
	s.indexLocked()
	s.mux = s.routes()
	return s, nil
}

// ServeHTTP serves the API, the buyer page and the _sim/ control API; mount it with
// http.StripPrefix(opts.Prefix, sim).
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.ProcessDue()
	s.mux.ServeHTTP(w, r)
}

// Handler is the HTTP part, for mounting under the prefix.
func (s *Sim) Handler() http.Handler { return s }

// BaseURL returns the client's Config.BaseURL for a Sim reachable at origin.
func (s *Sim) BaseURL(origin string) string { return strings.TrimRight(origin, "/") + s.opts.Prefix }

// Config returns a client configuration for the Sim at origin with the sandbox credentials.
func (s *Sim) Config(origin string) gmopg.Config {
	return gmopg.Config{BaseURL: s.BaseURL(origin), ShopID: s.opts.ShopID, ShopPass: s.opts.ShopPass,
		SiteID: s.opts.SiteID, SitePass: s.opts.SitePass}
}

// SetNotifyURL changes where result notifications go ("" stops them).
func (s *Sim) SetNotifyURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.NotifyURL = u
	s.saveLocked()
}

func (s *Sim) now() time.Time { return s.opts.Clock.Now() }

// filesDir is where an SFTP directory's files live on disk.
func (s *Sim) filesDir(sftpDir string) string {
	return filepath.Join(s.opts.StateDir, "sftp", filepath.FromSlash(strings.TrimPrefix(sftpDir, "/")))
}

func (s *Sim) statePath() string { return filepath.Join(s.opts.StateDir, "gmopgsim.json") }

// state is everything the Sim remembers; it is what the state file holds.
type state struct {
	Seq       int64              `json:"seq"`
	NotifyURL string             `json:"notify_url"`
	Members   map[string]*member `json:"-"`     // written one by one after the rest
	Trans     map[string]*tran   `json:"trans"` // by OrderID
	Tokens    map[string]*token  `json:"tokens"`
	Uploads   map[string]*upload `json:"uploads"` // card update requests by month
	Notices   []*notice          `json:"notices"`
}

func newState(notifyURL string) *state {
	return &state{NotifyURL: notifyURL, Members: map[string]*member{}, Trans: map[string]*tran{},
		Tokens: map[string]*token{}, Uploads: map[string]*upload{}}
}

// Reset forgets every member, transaction, token, file and notification and disarms the faults.
func (s *Sim) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = newState(s.st.NotifyURL)
	s.indexLocked()
	s.faults = nil
	for _, d := range []string{gmopg.RequestDir, gmopg.ResultDir} {
		_ = os.RemoveAll(s.filesDir(d))
		_ = os.MkdirAll(s.filesDir(d), 0o700)
	}
	s.saveLocked()
}

// The state file is a stream of JSON values: the state without its members, then one value per
// member, so a million members are written and read one at a time, never as one document.
func (s *Sim) load() error {
	f, err := os.Open(s.statePath())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("gmopgsim: read state: %w", err)
	}
	st := newState(s.opts.NotifyURL)
	err = decodeState(bufio.NewReaderSize(f, 1<<20), st)
	f.Close()
	if err != nil {
		aside := s.statePath() + ".corrupt-" + s.now().Format("20060102T150405")
		_ = os.Rename(s.statePath(), aside)
		return fmt.Errorf("gmopgsim: state file unreadable, moved to %s, starting empty: %w", aside, err)
	}
	if s.opts.NotifyURL != "" {
		st.NotifyURL = s.opts.NotifyURL
	}
	for m, u := range st.Uploads {
		if u.Pending { // the upload was cut off by the restart
			delete(st.Uploads, m)
		}
	}
	s.st = st
	return nil
}

func decodeState(r io.Reader, st *state) error {
	dec := json.NewDecoder(r)
	if err := dec.Decode(st); err != nil {
		return err
	}
	if st.Members == nil {
		st.Members = map[string]*member{}
	}
	for {
		var m member
		err := dec.Decode(&m)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		st.Members[m.ID] = &m
	}
}

func encodeState(w io.Writer, st *state) error {
	enc := json.NewEncoder(w)
	if err := enc.Encode(st); err != nil {
		return err
	}
	for _, m := range st.Members {
		if err := enc.Encode(m); err != nil {
			return err
		}
	}
	return nil
}

// saveLocked writes the state atomically after a change. A small state (the sandbox and the
// tests, up to largeState records) is written at once, so a restart right after a call still
// knows it; a large one (a benchmark's million members) is written at most once a second, or
// at Flush and Stop, so a call does not cost a rewrite of everything. Errors are kept for
// Status rather than failing the call that caused them.
func (s *Sim) saveLocked() {
	if len(s.st.Members)+len(s.st.Trans) <= largeState {
		s.flushLocked()
		return
	}
	s.dirty = true
	if s.saveTimer == nil {
		s.saveTimer = time.AfterFunc(time.Second, s.Flush)
	}
}

// largeState is the record count above which saves are deferred: the crash tests' few records
// are written at once, a 5,000-capture benchmark does not rewrite its file 5,000 times.
const largeState = 500

func (s *Sim) indexLocked() {
	s.byAccess = make(map[string]*tran, len(s.st.Trans))
	for _, t := range s.st.Trans {
		s.byAccess[t.AccessID] = t
	}
}

// Flush writes a deferred state change now.
func (s *Sim) Flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dirty {
		s.flushLocked()
	}
}

func (s *Sim) flushLocked() {
	if s.saveTimer != nil {
		s.saveTimer.Stop()
		s.saveTimer = nil
	}
	s.dirty = false
	if err := writeFileAtomic(s.statePath(), func(w io.Writer) error { return encodeState(w, s.st) }); err != nil {
		s.warnings = append(s.warnings, "gmopgsim: save state: "+err.Error())
	}
}

// writeFileAtomic writes through a temporary file and a rename, so a crash never leaves half a
// file.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := write(bw); err != nil {
		tmp.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// randomToken is standard base64, so tokens hold "+" and "/" like GMO-PG's do.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// Start listens on Options.SFTPAddr and runs ServeSFTP there until Stop. The HTTP part is
// served by whoever mounts Handler.
func (s *Sim) Start(ctx context.Context) error {
	if s.Addr() != "" {
		return errors.New("gmopgsim: already started")
	}
	cfg, err := s.sshConfig()
	if err != nil {
		return err
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", s.opts.SFTPAddr)
	if err != nil {
		return fmt.Errorf("gmopgsim: sftp listen: %w", err)
	}
	ready := make(chan error, 1)
	go func() { _ = s.serve(ln, cfg, ready) }()
	return <-ready
}

// ServeSFTP serves the SFTP server on ln until ln is closed (the sandbox home owns the
// listener), together with the background work: processing card update requests when the
// clock passes the result day and delivering result notifications.
func (s *Sim) ServeSFTP(ln net.Listener) error {
	cfg, err := s.sshConfig()
	if err != nil {
		ln.Close()
		return err
	}
	return s.serve(ln, cfg, nil)
}

func (s *Sim) serve(ln net.Listener, cfg *ssh.ServerConfig, ready chan<- error) error {
	s.sftpMu.Lock()
	if s.ln != nil {
		s.sftpMu.Unlock()
		ln.Close()
		err := errors.New("gmopgsim: already serving SFTP")
		if ready != nil {
			ready <- err
		}
		return err
	}
	s.ln, s.done, s.served = ln, make(chan struct{}), make(chan struct{})
	s.sftpMu.Unlock()
	if ready != nil {
		ready <- nil
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-t.C:
				s.ProcessDue()
				s.DeliverNotifications(s.bgContext())
			case <-s.kick:
				s.DeliverNotifications(s.bgContext())
			}
		}
	}()
	s.acceptLoop(ln, cfg) // returns once ln is closed
	close(s.done)
	s.closeConns()
	s.wg.Wait()
	s.sftpMu.Lock()
	s.ln = nil
	close(s.served)
	s.sftpMu.Unlock()
	return nil
}

// bgContext bounds one background delivery run; Stop ends it early.
func (s *Sim) bgContext() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	go func() {
		select {
		case <-s.done:
		case <-ctx.Done():
		}
		cancel()
	}()
	return ctx
}

// Addr is the SFTP server's host:port, "" before Start.
func (s *Sim) Addr() string {
	s.sftpMu.Lock()
	defer s.sftpMu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Stop closes the SFTP server and waits for its sessions; a temporary state dir is removed.
func (s *Sim) Stop() error {
	s.sftpMu.Lock()
	ln, served := s.ln, s.served
	s.sftpMu.Unlock()
	if ln != nil {
		ln.Close()
		<-served
	}
	s.Flush()
	if s.tempDir {
		return os.RemoveAll(s.opts.StateDir)
	}
	return nil
}
