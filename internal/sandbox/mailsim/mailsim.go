// Package mailsim is the sandbox's mail catcher: an SMTP server on a port of its own that
// accepts every mail kessai sends (発送完了メール and the like) and keeps it, and the page
// /sandbox/mail/inbox that shows them, newest first, so a merchant sees what a buyer would get. It
// stores nothing on disk and never relays. The inbox shows buyers' names and addresses, so
// it needs a kessai login (sim.Simulator.Private).
package mailsim

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"io"
	"mime"
	"net"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/sandbox/sim"
)

// Name is the simulator's mount segment (/sandbox/mail/); ListenerName its SMTP listener.
const (
	Name         = "mail"
	ListenerName = "SMTP"
)

// maxMessages is how many mails are kept (the oldest go first); maxSize bounds one mail.
const (
	maxMessages = 500
	maxSize     = 1 << 20
)

// Message is one caught mail.
type Message struct {
	ID      int       `json:"id"`
	At      time.Time `json:"at"`
	From    string    `json:"from"`
	To      []string  `json:"to"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
}

// Catcher keeps the mails it was sent.
type Catcher struct {
	clock clock.Clock
	mu    sync.Mutex
	seq   int
	msgs  []Message
}

// New returns an empty catcher stamping mails with c.
func New(c clock.Clock) *Catcher {
	if c == nil {
		c = clock.System{}
	}
	return &Catcher{clock: c}
}

// Spec builds the catcher for the sandbox home.
var Spec = sim.Spec{Name: Name, New: func(env sim.Env) (sim.Simulator, error) {
	c := New(env.Clock)
	return sim.Simulator{Name: Name, Label: "メール（送信テスト）", Handler: c, Impl: c,
		Listeners: []sim.Listener{{Name: ListenerName, Serve: c.Serve}},
		Summary: func() []sim.Fact {
			return []sim.Fact{{Label: "受信したメール", Value: strconv.Itoa(len(c.Messages())) + "通"}}
		},
		Links:   []sim.Link{{Label: "受信したメール", Path: "inbox"}},
		Control: "_sim/",
		// Buyers' names and addresses: only for a kessai login, like the bank's mailbox.
		Private: []string{"inbox"},
		Intro: func(base string) string {
			return "mail catcher " + base + "/ (SMTP: see the サンドボックス page)"
		},
	}, nil
}}

// Messages returns the caught mails, newest first.
func (c *Catcher) Messages() []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Message, len(c.msgs))
	for i, m := range c.msgs {
		out[len(c.msgs)-1-i] = m
	}
	return out
}

// Reset forgets every mail.
func (c *Catcher) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = nil
}

func (c *Catcher) add(from string, to []string, raw []byte) {
	m := Message{At: c.clock.Now().UTC(), From: from, To: to}
	m.Subject, m.Body = parse(raw)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	m.ID = c.seq
	c.msgs = append(c.msgs, m)
	if len(c.msgs) > maxMessages {
		c.msgs = c.msgs[len(c.msgs)-maxMessages:]
	}
}

// parse reads the subject and the text of a mail (base64, quoted-printable or plain).
func parse(raw []byte) (subject, body string) {
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		return "", string(raw)
	}
	dec := new(mime.WordDecoder)
	subject, err = dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		subject = msg.Header.Get("Subject")
	}
	b, _ := io.ReadAll(msg.Body)
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "base64") {
		if d, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(b)), "")); err == nil {
			b = d
		}
	}
	return subject, strings.ReplaceAll(string(b), "\r\n", "\n")
}

// Serve speaks enough SMTP (RFC 5321: HELO/EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) for a
// client like net/smtp, until ln is closed.
func (c *Catcher) Serve(ln net.Listener) error {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return err
		}
		go c.session(conn)
	}
}

func (c *Catcher) session(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Minute))
	r := bufio.NewReader(conn)
	reply := func(s string) bool { _, err := io.WriteString(conn, s+"\r\n"); return err == nil }
	reply("220 kessai sandbox mail catcher")
	var from string
	var to []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(line)
		switch {
		case strings.HasPrefix(verb, "EHLO"):
			reply("250-kessai sandbox")
			reply("250 8BITMIME")
		case strings.HasPrefix(verb, "HELO"):
			reply("250 kessai sandbox")
		case strings.HasPrefix(verb, "MAIL FROM:"):
			from, to = addr(line[len("MAIL FROM:"):]), nil
			reply("250 OK")
		case strings.HasPrefix(verb, "RCPT TO:"):
			to = append(to, addr(line[len("RCPT TO:"):]))
			reply("250 OK")
		case verb == "DATA":
			if from == "" || len(to) == 0 {
				reply("503 need MAIL and RCPT first")
				continue
			}
			reply("354 end with <CRLF>.<CRLF>")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" || l == ".\n" {
					break
				}
				l = strings.TrimPrefix(l, ".") // dot-stuffing
				if b.Len()+len(l) > maxSize {
					reply("552 too big")
					return
				}
				b.WriteString(l)
			}
			c.add(from, to, []byte(b.String()))
			from, to = "", nil
			reply("250 OK: caught")
		case verb == "RSET":
			from, to = "", nil
			reply("250 OK")
		case verb == "NOOP":
			reply("250 OK")
		case verb == "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 not implemented")
		}
	}
}

func addr(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, ">"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimPrefix(s, "<")
}

var page = template.Must(template.New("mail").Parse(`<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>メール（送信テスト）</title></head>
<body><h1>受信したメール（サンドボックス）</h1><p>kessai が送ったメールです。外には届きません。</p>
{{range .}}<article class="mail" id="mail-{{.ID}}"><h2>{{.Subject}}</h2><p>宛先: {{range .To}}{{.}} {{end}}／差出人: {{.From}}／{{.At.Format "2006-01-02 15:04:05"}}</p><pre>{{.Body}}</pre></article>
{{else}}<p>まだありません。</p>{{end}}</body></html>`))

// ServeHTTP serves the mail list (/inbox), and /_sim/messages (JSON) and /_sim/reset (POST).
func (c *Catcher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/", "":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, `<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>メール（送信テスト）</title></head><body><p>受信したメールは <a href="inbox">inbox</a>（kessai へのログインが必要）。</p></body></html>`)
	case "/inbox":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = page.Execute(w, c.Messages())
	case "/_sim/messages":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(c.Messages())
	case "/_sim/reset":
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		c.Reset()
		w.WriteHeader(http.StatusNoContent)
	default:
		http.NotFound(w, r)
	}
}
