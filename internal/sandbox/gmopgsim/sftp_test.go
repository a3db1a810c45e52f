package gmopgsim_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/gmopg"
	"kessai/internal/sandbox/gmopgsim"
	"kessai/internal/sandbox/sim"
)

// started returns an env whose Sim runs its SFTP server.
func started(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	if err := e.sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) sftpConfig() gmopg.SFTPConfig {
	key, err := e.sim.HostKey()
	if err != nil {
		e.t.Fatal(err)
	}
	return gmopg.SFTPConfig{Addr: e.sim.Addr(), User: gmopgsim.DefaultSFTPUser, Password: gmopgsim.DefaultSFTPPassword, HostKey: key, Timeout: 10 * time.Second}
}

func (e *env) dial(cfg gmopg.SFTPConfig) *gmopg.SFTPClient {
	e.t.Helper()
	c, err := gmopg.DialSFTP(context.Background(), cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	return c
}

func requestFile(t *testing.T, rows ...gmopg.UpdateRequestRow) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gmopg.NewRequestWriter(&buf)
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCardUpdateMonth(t *testing.T) {
	t.Parallel()
	e := started(t)
	ctx := context.Background()
	cards := map[string]string{"ok": gmopgsim.CardOK, "exp": gmopgsim.CardUpdateNewExpiry, "num": gmopgsim.CardUpdateNewNumber,
		"ng": gmopgsim.CardUpdateInvalid, "mis": gmopgsim.CardUpdateMismatch, "in": gmopgsim.CardUpdateInputErr}
	for id, no := range cards {
		e.member(id, no)
	}
	e.member("two", gmopgsim.CardOK, gmopgsim.CardUpdateInvalid) // default is seq 0 (valid); seq 1 is checked explicitly
	req := requestFile(t,
		gmopg.UpdateRequestRow{MemberID: "ok", CardSeq: gmopg.DefaultCardSeq, FreeField: "定期①"},
		gmopg.UpdateRequestRow{MemberID: "exp", CardSeq: gmopg.DefaultCardSeq},
		gmopg.UpdateRequestRow{MemberID: "num", CardSeq: 0},
		gmopg.UpdateRequestRow{MemberID: "ng", CardSeq: gmopg.DefaultCardSeq},
		gmopg.UpdateRequestRow{MemberID: "mis", CardSeq: gmopg.DefaultCardSeq},
		gmopg.UpdateRequestRow{MemberID: "in", CardSeq: gmopg.DefaultCardSeq},
		gmopg.UpdateRequestRow{MemberID: "two", CardSeq: 1},
		gmopg.UpdateRequestRow{MemberID: "ghost", CardSeq: gmopg.DefaultCardSeq},
		gmopg.UpdateRequestRow{MemberID: "ok", CardSeq: 5},
		gmopg.UpdateRequestRow{MemberID: "exp", CardSeq: 9},
	)
	c := e.dial(e.sftpConfig())
	name := gmopg.RequestFileName(gmopgsim.DefaultSiteID, "202603")
	if _, err := c.Upload(gmopg.RequestDir, "CU_REQ_othersite_202603.csv", bytes.NewReader(req)); err == nil {
		t.Error("a file for another site was accepted")
	}
	if _, err := c.Upload(gmopg.RequestDir, name, bytes.NewReader(req)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Upload(gmopg.RequestDir, name, bytes.NewReader(req)); err == nil {
		t.Error("the same file was accepted twice")
	}
	// A second file for the month under another name is refused too (there is no other valid
	// name for the month, so a fresh client session tries the same name after the first closed).
	c2 := e.dial(e.sftpConfig())
	if _, err := c2.Upload(gmopg.RequestDir, name, bytes.NewReader(req)); err == nil {
		t.Error("a second request for the month was accepted")
	}
	resName := gmopg.ResultFileName(gmopgsim.DefaultSiteID, "202603")
	if ok, err := c.Exists(gmopg.ResultDir, resName); err != nil || ok {
		t.Fatalf("result before the 27th: %v %v", ok, err)
	}
	if _, err := c.Open(gmopg.ResultDir, resName); !gmopg.IsNotExist(err) {
		t.Errorf("open a missing result: %v", err)
	}
	e.clk.Advance(time.Date(2026, 3, 26, 23, 59, 59, 0, jstLoc()).Sub(e.clk.Now()))
	if ok, _ := c.Exists(gmopg.ResultDir, resName); ok {
		t.Fatal("result one second before the 27th")
	}
	e.clk.Advance(time.Second) // 2026-03-27 00:00 JST
	if ok, err := c.Exists(gmopg.ResultDir, resName); err != nil || !ok {
		t.Fatalf("result at the 27th 0:00: %v %v", ok, err)
	}
	names, _ := c.List(gmopg.ResultDir)
	if len(names) != 1 || names[0] != resName {
		t.Errorf("download dir = %v", names)
	}
	f, err := c.Open(gmopg.ResultDir, resName)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := gmopg.NewResultReader(f)
	var got []gmopg.UpdateResultRow
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, row)
	}
	want := []gmopg.UpdateResultRow{
		{MemberID: "ok", CardSeq: 0, FreeField: "定期①", Result: gmopg.ResultOK, OldExpire: "2704", NewExpire: "2704"},
		{MemberID: "exp", CardSeq: 0, Result: gmopg.ResultOK, Change: gmopg.NewExpiry, OldExpire: "2704", NewExpire: "3004"},
		{MemberID: "num", CardSeq: 0, Result: gmopg.ResultOK, Change: gmopg.NewNumber, OldExpire: "2704", NewExpire: "3004", NewMaskedNo: "*************036"},
		{MemberID: "ng", CardSeq: 0, Result: gmopg.ResultInvalid, OldExpire: "2704"},
		{MemberID: "mis", CardSeq: 0, Result: gmopg.ResultMismatch, OldExpire: "2704"},
		{MemberID: "in", CardSeq: 0, Result: gmopg.ResultInputError, OldExpire: "2704"},
		{MemberID: "two", CardSeq: 1, Result: gmopg.ResultInvalid, OldExpire: "2704"},
		{MemberID: "ghost", CardSeq: 0, Result: gmopg.ResultInputError, ErrInfo: gmopg.InfoMemberNotFound},
		{MemberID: "ok", CardSeq: 5, Result: gmopg.ResultInputError, ErrInfo: gmopg.InfoDuplicateInFile},
		{MemberID: "exp", CardSeq: 9, Result: gmopg.ResultInputError, ErrInfo: gmopg.InfoDuplicateInFile},
	}
	if len(got) != len(want) {
		t.Fatalf("result rows = %d, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d = %+v\nwant     %+v", i+1, got[i], want[i])
		}
	}
	// The stored cards were updated like GMO-PG updates them.
	cs, err := e.client.SearchCard(ctx, "num", 0)
	if err != nil || cs[0].MaskedNo != "*************036" || cs[0].Expire != "3004" {
		t.Errorf("updated card = %+v, %v", cs, err)
	}
	if cs, _ := e.client.SearchCard(ctx, "exp", 0); cs[0].Expire != "3004" {
		t.Errorf("new expiry = %+v", cs)
	}
	ups := e.sim.Uploads()
	if len(ups) != 1 || !ups[0].Processed || ups[0].Rows != 10 || ups[0].Counts != [4]int{3, 2, 1, 4} {
		t.Errorf("uploads = %+v", ups)
	}
	// After the result day the month's request is too late.
	if _, err := c.Upload(gmopg.RequestDir, gmopg.RequestFileName(gmopgsim.DefaultSiteID, "202602"), bytes.NewReader(req)); err == nil {
		t.Error("a request for a past month was accepted")
	}
}

func jstLoc() *time.Location { return time.FixedZone("JST", 9*60*60) }

func TestCardUpdateUnreadableRequest(t *testing.T) {
	t.Parallel()
	e := started(t)
	c := e.dial(e.sftpConfig())
	good := string(requestFile(t, gmopg.UpdateRequestRow{MemberID: "a", CardSeq: -1}, gmopg.UpdateRequestRow{MemberID: "b", CardSeq: -1}))
	truncated := strings.Replace(good, "\"b\",\"\",\"\"\r\n", "", 1) // one record lost, the trailer says 2
	bad := "\"a\",\"\",\"\"\r\n\"b c\",\"x\",\"\"\r\n\"#END\",\"2\"\r\n"
	for month, body := range map[string]string{"202604": truncated, "202605": bad} {
		if _, err := c.Upload(gmopg.RequestDir, gmopg.RequestFileName(gmopgsim.DefaultSiteID, month), strings.NewReader(body)); err != nil {
			t.Fatal(err)
		}
		if err := e.sim.ProcessNow(month); err != nil {
			t.Fatal(err)
		}
		if ok, _ := c.Exists(gmopg.ResultDir, gmopg.ResultFileName(gmopgsim.DefaultSiteID, month)); ok {
			t.Errorf("%s: a result for an unreadable request", month)
		}
		f, err := c.Open(gmopg.ResultDir, gmopg.ErrorFileName(gmopgsim.DefaultSiteID, month))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := gmopg.ReadErrorFile(f)
		f.Close()
		switch month {
		case "202604":
			if err != nil || len(rows) != 1 || rows[0].Row != 2 || !strings.Contains(rows[0].Message, "件数 2 とデータ行数 1") {
				t.Errorf("truncated: %+v %v", rows, err)
			}
		case "202605":
			if err != nil || len(rows) != 1 || rows[0].Row != 2 || rows[0].Field != "会員ID" {
				t.Errorf("bad row: %+v %v", rows, err)
			}
		}
	}
	if err := e.sim.ProcessNow("202604"); err == nil {
		t.Error("processed twice")
	}
}

// TestCutOffUploadLeavesTheMonthOpen: an upload whose connection drops half way (the handle is
// closed like a finished one) is discarded, so the retry of the same month is accepted.
func TestCutOffUploadLeavesTheMonthOpen(t *testing.T) {
	t.Parallel()
	e := started(t)
	c := e.dial(e.sftpConfig())
	name := gmopg.RequestFileName(gmopgsim.DefaultSiteID, "202603")
	whole := requestFile(t, gmopg.UpdateRequestRow{MemberID: "a", CardSeq: -1}, gmopg.UpdateRequestRow{MemberID: "b", CardSeq: -1})
	_, err := c.Upload(gmopg.RequestDir, name, bytes.NewReader(whole[:len(whole)-15]))
	if err == nil {
		t.Fatal("a cut-off upload was accepted")
	}
	if ups := e.sim.Uploads(); len(ups) != 0 {
		t.Fatalf("uploads after a cut-off = %+v", ups)
	}
	if _, err := c.Upload(gmopg.RequestDir, name, bytes.NewReader(whole)); err != nil {
		t.Fatalf("retry of the month: %v", err)
	}
	if ok, err := c.Exists(gmopg.RequestDir, name); err != nil || !ok {
		t.Errorf("the accepted request is not visible in /upload: %v %v", ok, err)
	}
}

func TestSFTPLoginAndHostKey(t *testing.T) {
	t.Parallel()
	e := started(t)
	ctx := context.Background()
	good := e.sftpConfig()

	wrongPw := good
	wrongPw.Password = "nope"
	wrongUser := good
	wrongUser.User = "root"
	for name, cfg := range map[string]gmopg.SFTPConfig{"wrong password": wrongPw, "wrong user": wrongUser} {
		var le *gmopg.LoginError
		if c, err := gmopg.DialSFTP(ctx, cfg); !errors.As(err, &le) || le.User != cfg.User || !strings.Contains(err.Error(), "ログインできません") {
			if c != nil {
				c.Close()
			}
			t.Errorf("%s: %v", name, err)
		}
	}

	other, _, _ := ed25519.GenerateKey(rand.Reader)
	otherPub, _ := ssh.NewPublicKey(other)
	mismatch := good
	mismatch.HostKey = gmopg.MarshalHostKey(otherPub)
	_, err := gmopg.DialSFTP(ctx, mismatch)
	var he *gmopg.HostKeyError
	if !errors.As(err, &he) || he.Want == "" || he.Got == "" || he.PresentedAt != good.HostKey {
		t.Fatalf("mismatched host key: %v", err)
	}
	none := good
	none.HostKey = ""
	if _, err := gmopg.DialSFTP(ctx, none); !errors.As(err, &he) || he.Want != "" {
		t.Errorf("no recorded key, no TOFU: %v", err)
	}
	// Trust on first use: the key is reported for the caller to store, then it is the recorded key.
	var recorded string
	none.OnFirstKey = func(key, fp string) error { recorded = key; return nil }
	e.dial(none)
	if recorded != good.HostKey {
		t.Errorf("first key = %q, want %q", recorded, good.HostKey)
	}
	refuse := none
	refuse.OnFirstKey = func(string, string) error { return errors.New("admin said no") }
	if _, err := gmopg.DialSFTP(ctx, refuse); err == nil || !strings.Contains(err.Error(), "admin said no") {
		t.Errorf("refused first key: %v", err)
	}

	// The host key survives a restart on the same state dir.
	again := e.newSim(gmopgsim.Options{Clock: e.clk, StateDir: e.dir})
	if err := again.Start(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := good
	cfg.Addr = again.Addr()
	e.dial(cfg)

	// Public-key login.
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(priv)
	block, _ := ssh.MarshalPrivateKey(priv, "")
	keyLogin := good
	keyLogin.Password, keyLogin.PrivateKey = "", pem.EncodeToMemory(block)
	if _, err := gmopg.DialSFTP(ctx, keyLogin); err == nil {
		t.Error("an unknown public key logged in")
	}
	if err := e.sim.SFTPAuthorizedKey(gmopg.MarshalHostKey(signer.PublicKey())); err != nil {
		t.Fatal(err)
	}
	c := e.dial(keyLogin)
	if dirs, err := c.List("/"); err != nil || strings.Join(dirs, ",") != "upload,download" {
		t.Errorf("root = %v, %v", dirs, err)
	}
}

// TestSpecListener runs the simulator as the sandbox home does: built from Spec, its SFTP
// listener served on a listener the home opened, stopped by closing it.
func TestSpecListener(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := gmopgsim.Spec.New(sim.Env{Clock: clock.NewFrozen(start), Prefix: "/sandbox/gmopg", StatePath: filepath.Join(dir, "sandbox-gmopg.json")})
	if err != nil || s.Name != gmopgsim.Name || len(s.Listeners) != 1 || s.Handler == nil || s.Control != "_sim/" {
		t.Fatalf("spec = %+v, %v", s, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Listeners[0].Serve(ln) }()
	g := s.Impl.(*gmopgsim.Sim)
	key, _ := g.HostKey()
	c, err := gmopg.DialSFTP(context.Background(), gmopg.SFTPConfig{Addr: ln.Addr().String(), User: gmopgsim.DefaultSFTPUser,
		Password: gmopgsim.DefaultSFTPPassword, HostKey: key})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Upload(gmopg.RequestDir, gmopg.RequestFileName(gmopgsim.DefaultSiteID, "202603"), bytes.NewReader(requestFile(t))); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := os.Stat(filepath.Join(dir, "sandbox-gmopg", "gmopgsim.json")); err != nil {
		t.Errorf("state file: %v", err)
	}
	if facts := s.Summary(); len(facts) < 3 || !strings.Contains(facts[2].Value, "受付済み") {
		t.Errorf("summary = %+v", facts)
	}
	ln.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its listener closed")
	}
	if g.Addr() != "" {
		t.Errorf("Addr after close = %s", g.Addr())
	}
}
