package browsertest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// stepTimeout bounds one helper step, so a missing element fails fast with a clear message
// rather than at the test's overall timeout.
const stepTimeout = 15 * time.Second

func (p *Page) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(p.Ctx, stepTimeout)
}

func (p *Page) fatalf(format string, args ...any) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.browserCtx, 2*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	p.t.Fatalf("browsertest: "+format+" (page %s)", append(args, loc)...)
}

// Goto loads url and waits for the page's load event. It returns the HTTP status of the
// document (after redirects).
func (p *Page) Goto(url string) int {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		p.fatalf("go to %s: %v", url, err)
	}
	return int(resp.Status)
}

// URL is the page's current address.
func (p *Page) URL() string {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		p.fatalf("read location: %v", err)
	}
	return u
}

// Fill types value into a form control found by its label's text (exact, else prefix), its
// name attribute, or a CSS selector — the first that matches. Whatever the control held
// before is replaced; a <select> gets the option with that value.
func (p *Page) Fill(field, value string) {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	el, err := chromedp.Run(ctx, find("field", field))
	if err != nil {
		p.fatalf("find field %q: %v", field, err)
	}
	sel := chromedp.CSS(el.Sel)
	if el.Tag == "SELECT" {
		err = chromedp.Do(ctx, chromedp.SetValue(sel, value))
	} else {
		err = chromedp.Do(ctx,
			// sel is our own data-browsertest selector, safe to quote into the script.
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).value = ''`, el.Sel)),
			chromedp.SendKeys(sel, value),
		)
	}
	if err != nil {
		p.fatalf("fill %q: %v", field, err)
	}
}

// Click clicks a button or link found by its visible text (or an input button's value), or by
// a CSS selector. It does not wait for a page load: use ClickAndWait when the click navigates.
func (p *Page) Click(target string) {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	if err := chromedp.Do(ctx, click(target)); err != nil {
		p.fatalf("click %q: %v", target, err)
	}
}

// ClickAndWait clicks like Click and waits until the page it leads to has loaded (a submitted
// form, a link). It returns the HTTP status of the new document.
func (p *Page) ClickAndWait(target string) int {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, click(target))
	if err != nil {
		p.fatalf("click %q and wait for the next page: %v", target, err)
	}
	return int(resp.Status)
}

func click(target string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		el, err := find("clickable", target)(ctx, t)
		if err != nil {
			return fmt.Errorf("find: %w", err)
		}
		_, err = chromedp.Click(chromedp.CSS(el.Sel))(ctx, t)
		return err
	})
}

// WaitText waits until the page's visible text contains text.
func (p *Page) WaitText(text string) {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	_, err := chromedp.Run(ctx, again(chromedp.PollFunction[bool](
		`(s) => !!document.body && document.body.innerText.includes(s)`,
		chromedp.WithPollingArgs(text),
		chromedp.WithPollingInterval(50*time.Millisecond),
		chromedp.WithPollingTimeout(0),
	)))
	if err != nil {
		p.fatalf("wait for text %q: %v", text, err)
	}
}

// Text returns the visible text of the first element matching the CSS selector, waiting for
// it to appear.
func (p *Page) Text(css string) string {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	s, err := chromedp.Run(ctx, again(chromedp.Text(chromedp.CSS(css))))
	if err != nil {
		p.fatalf("read text of %q: %v", css, err)
	}
	return s
}

// HTML returns the whole document as it is now.
func (p *Page) HTML() string {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	s, err := p.html(ctx)
	if err != nil {
		p.fatalf("read HTML: %v", err)
	}
	return s
}

func (p *Page) html(ctx context.Context) (string, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
}

// Screenshot saves a full-page PNG of the page to path.
func (p *Page) Screenshot(path string) {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatalf("browsertest: write screenshot: %v", err)
	}
}

// element is what findJS reports: a CSS selector that matches exactly the found element.
type element struct {
	Sel string `json:"sel"`
	Tag string `json:"tag"`
}

// find polls until findJS locates q, so it also waits for a page that is still rendering. A
// poll cut off by a navigation (a redirect after the last load event destroys the page's
// JavaScript context) starts again in the new page instead of failing the test.
func find(kind, q string) chromedp.Action[element] {
	poll := chromedp.PollFunction[element](findJS,
		chromedp.WithPollingArgs(kind, q),
		chromedp.WithPollingInterval(50*time.Millisecond),
		chromedp.WithPollingTimeout(0),
	)
	return again(poll)
}

// again runs a, starting it over while it fails only because the page navigated under it.
func again[T any](a chromedp.Action[T]) chromedp.Action[T] {
	return func(ctx context.Context, t *chromedp.Target) (T, error) {
		for {
			v, err := a(ctx, t)
			if err == nil || !navigatedAway(err) || ctx.Err() != nil {
				return v, err
			}
			select {
			case <-ctx.Done():
				return v, err
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

// navigatedAway reports whether err only says the page changed under a script.
func navigatedAway(err error) bool {
	s := err.Error()
	return strings.Contains(s, "Cannot find context with specified id") ||
		strings.Contains(s, "Execution context was destroyed") ||
		strings.Contains(s, "Inspected target navigated or closed")
}

// findJS looks an element up the way a person would name it, then tags it with a
// data-browsertest attribute so chromedp can address it by CSS. It returns null while nothing
// matches (the poll goes on).
const findJS = `(kind, q) => {
  const norm = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const pick = (nodes, text) => {
    const all = Array.from(nodes);
    return all.find((n) => text(n) === q) || all.find((n) => text(n).startsWith(q)) || null;
  };
  let el = null;
  if (kind === 'field') {
    const label = pick(document.querySelectorAll('label'), (l) => norm(l.textContent));
    el = label && label.control;
    if (!el) el = document.querySelector('[name="' + CSS.escape(q) + '"]');
  } else {
    el = pick(document.querySelectorAll('button, a, input[type=submit], input[type=button], summary, [role=button]'),
      (b) => norm(b.tagName === 'INPUT' ? b.value : b.innerText));
  }
  if (!el) {
    try { el = document.querySelector(q); } catch (e) { el = null; }
  }
  if (!el) return null;
  if (!el.dataset.browsertest) {
    window.__browsertestN = (window.__browsertestN || 0) + 1;
    el.dataset.browsertest = String(window.__browsertestN);
  }
  return { sel: '[data-browsertest="' + el.dataset.browsertest + '"]', tag: el.tagName };
}`
