package app

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"kessai/internal/platform/db"
	"kessai/internal/platform/db/dbtest"
)

// syncBuffer is a bytes.Buffer the server goroutine writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

var listening = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)

// serveOnce runs `kessai serve --demo` until it is ready, then stops it, and returns what it
// printed.
func serveOnce(t *testing.T, dataDir, url string) string {
	t.Helper()
	env := func(k string) string {
		switch k {
		case "KESSAI_DATABASE_URL":
			return url
		case "KESSAI_LOG_FORMAT":
			return "text"
		}
		return ""
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, logs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--demo", "--addr", "127.0.0.1:0", "--data", dataDir}, env, &out, &logs)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for !listening.MatchString(out.String()) {
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve printed no URL within 60s:\n%s\n%s", out.String(), logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	base := listening.FindString(out.String())
	res, err := http.Get(base + "/readyz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("/readyz: %v %v", res, err)
	}
	res.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve did not shut down cleanly: %v", err)
	}
	return out.String()
}

// A newcomer's first `kessai serve --demo`: it prints the URL and how to sign in, seeds the demo
// data, and is ready; the second start seeds nothing again and prints no password.
func TestServeDemoForANewcomer(t *testing.T) {
	t.Parallel()
	dir, url := t.TempDir(), dbtest.URL(t)
	first := serveOnce(t, dir, url)
	for _, want := range []string{"admin@kessai.local", "パスワード", "/login"} {
		if !strings.Contains(first, want) {
			t.Errorf("the first start does not say %q:\n%s", want, first)
		}
	}
	second := serveOnce(t, dir, url)
	if strings.Contains(second, "パスワード") {
		t.Errorf("the second start printed a password again:\n%s", second)
	}
	d, err := db.Open(context.Background(), url, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	counts := map[string]int{"shops": 2, "customers": 50, "purchase_cases": 200, "orders": 300, "subscriptions": 50}
	for table, want := range counts {
		var n int
		if err := d.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("%s: %d rows after two demo starts, want %d", table, n, want)
		}
	}
}
