package mailsim_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"kessai/internal/platform/mail"
	"kessai/internal/sandbox/mailsim"
)

// TestCatchesWhatTheClientSends: the SMTP client delivers to the catcher over real TCP; the
// catcher keeps the decoded subject and body and lists them on its page and its JSON.
func TestCatchesWhatTheClientSends(t *testing.T) {
	t.Parallel()
	c := mailsim.New(nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = c.Serve(ln) }()
	t.Cleanup(func() { ln.Close() })
	s := &mail.Sender{Addr: func() string { return ln.Addr().String() }, From: "shop@example.jp"}
	long := strings.Repeat("長い本文の行です。", 30)
	for _, m := range []mail.Message{
		{To: "taro@example.jp", Subject: "【発送完了】ご注文の商品を発送しました", Body: "山田 太郎 様\n\n送り状番号: 123456789012\n" + long + "\n.\n最後の行"},
		{To: "hanako@example.jp", Subject: "2通目", Body: "本文"},
	} {
		if err := s.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Send(context.Background(), mail.Message{To: "not an address", Subject: "x"}); err == nil {
		t.Fatal("a bad address was sent")
	}
	msgs := c.Messages()
	if len(msgs) != 2 {
		t.Fatalf("caught %d", len(msgs))
	}
	m := msgs[1] // newest first
	if m.Subject != "【発送完了】ご注文の商品を発送しました" || m.To[0] != "taro@example.jp" || m.From != "shop@example.jp" ||
		!strings.Contains(m.Body, "送り状番号: 123456789012") || !strings.Contains(m.Body, long) || !strings.HasSuffix(strings.TrimSpace(m.Body), ".\n最後の行") {
		t.Fatalf("caught %+v", m)
	}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	res, err := http.Get(srv.URL + "/_sim/messages")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var got []mailsim.Message
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil || len(got) != 2 || got[0].Subject != "2通目" {
		t.Fatalf("JSON %+v, %v", got, err)
	}
	page, err := http.Get(srv.URL + "/inbox")
	if err != nil {
		t.Fatal(err)
	}
	defer page.Body.Close()
	var b strings.Builder
	_, _ = io.Copy(&b, page.Body)
	if !strings.Contains(b.String(), "【発送完了】ご注文の商品を発送しました") {
		t.Fatal("the page does not show the mail")
	}
}
