package browsertest

import (
	"bytes"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const formPage = `<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>フォーム</title></head>
<body>
<h1>申込</h1>
<form method="post" action="/done">
  <label for="e">メールアドレス</label><input id="e" name="email" value="old@example.com">
  <label>パスワード <input type="password" name="password"></label>
  <label for="k">種別（必須）</label>
  <select id="k" name="kind"><option value="a">A</option><option value="b">B</option></select>
  <textarea name="memo"></textarea>
  <button type="submit">送信する</button>
</form>
<button type="button" id="later" onclick="setTimeout(() => { document.getElementById('out').textContent = '遅れて表示'; }, 200)">あとで表示</button>
<p id="out"></p>
</body></html>`

func server(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /form", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, formPage)
	})
	mux.HandleFunc("POST /done", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		http.Redirect(w, r, "/result?"+r.PostForm.Encode(), http.StatusSeeOther)
	})
	mux.HandleFunc("GET /result", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		q := r.URL.Query()
		fmt.Fprintf(w, `<!doctype html><meta charset="utf-8"><h1>受付完了</h1><dl>
<dt>email</dt><dd id="email">%s</dd><dt>password</dt><dd id="password">%s</dd>
<dt>kind</dt><dd id="kind">%s</dd><dt>memo</dt><dd id="memo">%s</dd></dl>`,
			html.EscapeString(q.Get("email")), html.EscapeString(q.Get("password")),
			html.EscapeString(q.Get("kind")), html.EscapeString(q.Get("memo")))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestFormRoundTrip(t *testing.T) {
	t.Parallel()
	srv := server(t)
	p := New(t, Options{})

	if got := p.Goto(srv.URL + "/form"); got != http.StatusOK {
		t.Fatalf("GET /form status = %d", got)
	}
	p.Fill("メールアドレス", "admin@example.com") // label with for=, replaces the old value
	p.Fill("パスワード", "秘密-123")              // label wrapping the input
	p.Fill("種別", "b")                      // label prefix, <select>
	p.Fill("textarea[name=memo]", "メモです")  // CSS selector

	p.Click("あとで表示")
	p.WaitText("遅れて表示")

	if got := p.ClickAndWait("送信する"); got != http.StatusOK {
		t.Fatalf("submit: status = %d", got)
	}
	if !strings.HasSuffix(strings.SplitN(p.URL(), "?", 2)[0], "/result") {
		t.Errorf("URL after submit = %s, want /result", p.URL())
	}
	tests := []struct{ css, want string }{
		{"#email", "admin@example.com"},
		{"#password", "秘密-123"},
		{"#kind", "b"},
		{"#memo", "メモです"},
		{"h1", "受付完了"},
	}
	for _, tt := range tests {
		if got := p.Text(tt.css); got != tt.want {
			t.Errorf("Text(%q) = %q, want %q", tt.css, got, tt.want)
		}
	}
	if h := p.HTML(); !strings.Contains(h, "受付完了") {
		t.Errorf("HTML() lacks the heading: %.200s", h)
	}
}

func TestFailureArtifacts(t *testing.T) {
	t.Parallel()
	srv := server(t)
	p := New(t, Options{})
	p.Goto(srv.URL + "/form")

	dir := t.TempDir()
	p.saveArtifacts(dir)
	base := filepath.Join(dir, "TestFailureArtifacts")
	png, err := os.ReadFile(base + ".png")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("%s.png is not a PNG (starts %q)", base, png[:min(8, len(png))])
	}
	page, err := os.ReadFile(base + ".html")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "メールアドレス") {
		t.Errorf("%s.html lacks the page: %.200s", base, page)
	}

	shot := filepath.Join(dir, "shot.png")
	p.Screenshot(shot)
	if fi, err := os.Stat(shot); err != nil || fi.Size() == 0 {
		t.Errorf("Screenshot wrote nothing: %v", err)
	}
}

func TestMissingChromiumSkipsOutsideCI(t *testing.T) {
	t.Setenv(EnvChromium, filepath.Join(t.TempDir(), "no-chromium"))
	t.Setenv("CI", "")
	reached := false
	t.Run("new", func(t *testing.T) {
		New(t, Options{})
		reached = true
	})
	if reached {
		t.Error("New returned without a browser; want a skip")
	}
}
