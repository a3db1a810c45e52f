// Package browsertest drives Debian's Chromium headless for end-to-end tests of kessai's pages.
//
// It is a thin layer over chromedp: New starts a fresh browser for one test, and Page has
// helpers for the common steps (go to a page, fill a field, click, wait for text, read text).
// When the test fails, a full-page screenshot and the page's HTML are saved and their paths
// logged. Anything else goes straight to chromedp with Page.Ctx.
//
// The browser is $KESSAI_CHROMIUM or /usr/bin/chromium. When it is missing the test is skipped,
// except under CI (CI set), where it fails: ./scripts/test installs it.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// EnvChromium names the variable holding Chromium's path.
const EnvChromium = "KESSAI_CHROMIUM"

// DefaultChromium is where Debian's chromium package puts the browser.
const DefaultChromium = "/usr/bin/chromium"

// Options adjust a browser; the zero value is fine.
type Options struct {
	// Timeout bounds the whole test's browser work (default 60s).
	Timeout time.Duration
	// Width and Height are the window size (default 1280×800).
	Width, Height int
	// ArtifactDir receives the screenshot and HTML of a failed test
	// (default $TMPDIR/kessai-browser).
	ArtifactDir string
}

// Page is one browser tab owned by a test. Its helpers fail the test on error.
type Page struct {
	// Ctx is the tab's chromedp context, for chromedp.Run and chromedp.Do directly.
	Ctx context.Context
	t   testing.TB
	// browserCtx outlives Ctx's timeout, so failure artifacts can still be taken.
	browserCtx context.Context
}

// ExecPath returns the Chromium to use and whether it exists.
func ExecPath() (string, bool) {
	p := os.Getenv(EnvChromium)
	if p == "" {
		p = DefaultChromium
	}
	if _, err := exec.LookPath(p); err != nil {
		return p, false
	}
	return p, true
}

// New starts a headless Chromium with an empty profile and returns its tab. The browser is
// closed when t ends.
func New(t testing.TB, opts Options) *Page {
	t.Helper()
	path, ok := ExecPath()
	if !ok {
		msg := fmt.Sprintf("browsertest: Chromium not found at %s (set %s, or run ./scripts/test, which installs it)", path, EnvChromium)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if opts.Timeout == 0 {
		opts.Timeout = 60 * time.Second
	}
	if opts.Width == 0 || opts.Height == 0 {
		opts.Width, opts.Height = 1280, 800
	}
	if opts.ArtifactDir == "" {
		opts.ArtifactDir = filepath.Join(os.TempDir(), "kessai-browser")
	}

	// The flags Chromium needs on these machines: as root (no sandbox), no GPU, and no calls
	// home, which the closed network would refuse over and over.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("lang", "ja-JP"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(opts.Width, opts.Height),
	)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	// The first Run starts the browser; it must not carry a timeout, which would end the browser.
	if err := chromedp.Do(browserCtx); err != nil {
		cancelBrowser()
		cancelAlloc()
		t.Fatalf("browsertest: start %s: %v", path, err)
	}
	ctx, cancel := context.WithTimeout(browserCtx, opts.Timeout)
	p := &Page{Ctx: ctx, t: t, browserCtx: browserCtx}
	t.Cleanup(func() {
		if t.Failed() {
			p.saveArtifacts(opts.ArtifactDir)
		}
		cancel()
		cancelBrowser()
		cancelAlloc()
	})
	return p
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// saveArtifacts writes <dir>/<TestName>.png and .html of the page as it is now.
func (p *Page) saveArtifacts(dir string) {
	ctx, cancel := context.WithTimeout(p.browserCtx, 10*time.Second)
	defer cancel()
	base := filepath.Join(dir, unsafeName.ReplaceAllString(p.t.Name(), "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Logf("browsertest: artifacts: %v", err)
		return
	}
	var errs []error
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err != nil {
		errs = append(errs, fmt.Errorf("screenshot: %w", err))
	} else if err := os.WriteFile(base+".png", png, 0o644); err != nil {
		errs = append(errs, err)
	}
	if html, err := p.html(ctx); err != nil {
		errs = append(errs, fmt.Errorf("html: %w", err))
	} else if err := os.WriteFile(base+".html", []byte(html), 0o644); err != nil {
		errs = append(errs, err)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if err := errors.Join(errs...); err != nil {
		p.t.Logf("browsertest: page at failure (%s) partly saved to %s.{png,html}: %v", loc, base, err)
		return
	}
	p.t.Logf("browsertest: page at failure (%s) saved to %s.png and %s.html", loc, base, base)
}
