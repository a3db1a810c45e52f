package mail

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
)

// smtpServer serves one session on a local port: it accepts one mail, then answers QUIT as
// quit says ("" drops the connection without a reply). It reports the mails it accepted.
func smtpServer(t *testing.T, quit string) (addr string, accepted <-chan int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	done := make(chan int, 1)
	go func() {
		n := 0
		defer func() { done <- n }()
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		say := func(s string) { _, _ = conn.Write([]byte(s + "\r\n")) }
		say("220 test")
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch verb := strings.ToUpper(strings.TrimSpace(line)); {
			case strings.HasPrefix(verb, "EHLO"), strings.HasPrefix(verb, "HELO"):
				say("250 test")
			case strings.HasPrefix(verb, "MAIL"), strings.HasPrefix(verb, "RCPT"):
				say("250 OK")
			case verb == "DATA":
				say("354 go on")
				for {
					l, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if l == ".\r\n" {
						break
					}
				}
				n++
				say("250 OK: queued")
			case verb == "QUIT":
				if quit != "" {
					say(quit)
				}
				return
			}
		}
	}()
	return ln.Addr().String(), done
}

// TestSendAcceptedMail: a mail the server took (250 after the data) is sent, whatever the
// QUIT after it answers, so a caller retrying on the error never mails twice.
func TestSendAcceptedMail(t *testing.T) {
	for _, tc := range []struct{ name, quit string }{{"quit answered", "221 bye"}, {"quit dropped", ""}, {"quit refused", "554 no"}} {
		t.Run(tc.name, func(t *testing.T) {
			addr, accepted := smtpServer(t, tc.quit)
			s := &Sender{Addr: func() string { return addr }, From: "shop@example.jp"}
			err := s.Send(context.Background(), Message{To: "buyer@example.jp", Subject: "発送完了", Body: "発送しました"})
			if n := <-accepted; n != 1 {
				t.Fatalf("the server accepted %d mails", n)
			}
			if err != nil {
				t.Fatalf("an accepted mail reported as failed: %v", err)
			}
		})
	}
}
