package connection_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"kessai/internal/platform/connection"
)

// dropServer answers GETs and keeps the connection alive, but reads a POST to the end and
// closes the connection without answering: a provider that accepted a transfer and then lost
// the connection. It counts the POSTs it received.
func dropServer(t *testing.T) (url string, posts *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	posts = &atomic.Int32{}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func(conn net.Conn) {
				defer conn.Close()
				br := bufio.NewReader(conn)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					if req.Method == http.MethodPost {
						posts.Add(1)
						return // accepted, then the connection drops
					}
					_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				}
			}(conn)
		}
	}()
	return "http://" + ln.Addr().String(), posts
}

func sendTransfer(t *testing.T, c *http.Client, url string) error {
	t.Helper()
	res, err := c.Get(url + "/accounts") // leaves an idle connection to reuse
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	req, err := http.NewRequest(http.MethodPost, url+"/transfer", strings.NewReader(`{"amount":12000}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Idempotency-Key", "trf_1") // makes net/http treat the POST as replayable
	res, err = c.Do(req)
	if err == nil {
		res.Body.Close()
	}
	return err
}

// TestHTTPClientNeverReplaysAPost: net/http's own transport sends a POST with an
// Idempotency-Key twice when a reused connection drops before the answer; the connection's
// client sends it once and reports the error (the janitor then asks the provider).
func TestHTTPClientNeverReplaysAPost(t *testing.T) {
	t.Parallel()
	url, posts := dropServer(t)
	plain := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}
	_ = sendTransfer(t, plain, url)
	if n := posts.Load(); n != 2 {
		t.Fatalf("the plain transport sent the POST %d times; this test expects net/http to replay it (2)", n)
	}

	url, posts = dropServer(t)
	if err := sendTransfer(t, connection.HTTPClient(5*time.Second), url); err == nil {
		t.Fatal("a dropped POST reported no error")
	}
	if n := posts.Load(); n != 1 {
		t.Fatalf("the connection's client sent the POST %d times, want exactly once", n)
	}
}

// TestHTTPClientTimeout: every request is bounded.
func TestHTTPClientTimeout(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // never answers
		}
	}()
	start := time.Now()
	_, err = connection.HTTPClient(200 * time.Millisecond).Get("http://" + ln.Addr().String())
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("a silent server: %v after %v", err, time.Since(start))
	}
	if connection.HTTPClient(0).Timeout != connection.DefaultTimeout {
		t.Fatal("a zero timeout is not bounded by DefaultTimeout")
	}
}
