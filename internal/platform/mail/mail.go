// Package mail sends plain-text mails over SMTP (net/smtp): UTF-8 bodies, MIME-encoded
// subjects, a bounded dial and session. In the sandbox kessai sends to the built-in mail
// catcher (internal/sandbox/mailsim), over the same SMTP.
package mail

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"
)

// Message is one mail.
type Message struct {
	To      string
	Subject string
	Body    string
}

// Sender sends through one SMTP server. Addr is asked at each send (the sandbox's catcher
// knows its port only once it listens).
type Sender struct {
	Addr    func() string // host:port
	From    string
	Timeout time.Duration // per mail; 20 s when zero
	// Auth is optional (PLAIN over TLS servers).
	Auth smtp.Auth
}

// Send delivers m once. Addresses are checked first. An error means the server did not
// accept the mail.
func (s *Sender) Send(ctx context.Context, m Message) error {
	if s == nil || s.Addr == nil || s.Addr() == "" {
		return errors.New("mail: no SMTP server configured (KESSAI_SMTP_ADDR)")
	}
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return fmt.Errorf("mail: from %q: %w", s.From, err)
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return fmt.Errorf("mail: to %q: %w", m.To, err)
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addr := s.Addr()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("mail: dial %s: %w", addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	host, _, _ := net.SplitHostPort(addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return fmt.Errorf("mail: %s: %w", addr, err)
	}
	defer c.Close()
	if s.Auth != nil {
		if err := c.Auth(s.Auth); err != nil {
			return fmt.Errorf("mail: auth: %w", err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("mail: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return fmt.Errorf("mail: RCPT TO %s: %w", to.Address, err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	if _, err := w.Write(Encode(s.From, m)); err != nil {
		return fmt.Errorf("mail: write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail: end of data: %w", err)
	}
	// The server's 250 to the end of data means it took the mail: a failed QUIT after it is
	// not a failed send (a caller retrying on it would mail the buyer twice).
	_ = c.Quit()
	return nil
}

// Encode is m as an RFC 5322 message: UTF-8, base64 body, CRLF line ends.
func Encode(from string, m Message) []byte {
	var b strings.Builder
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", from)
	h("To", m.To)
	h("Subject", mime.BEncoding.Encode("UTF-8", m.Subject))
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=UTF-8")
	h("Content-Transfer-Encoding", "base64")
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(strings.ReplaceAll(m.Body, "\n", "\r\n")))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return []byte(b.String())
}
