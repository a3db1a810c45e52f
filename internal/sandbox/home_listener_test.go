package sandbox

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/sandbox/sim"
)

// echoListener is a simulator's own server (as an SFTP server would be): it answers each line
// with the line.
func echoListener() sim.Listener {
	return sim.Listener{Name: "ECHO", Serve: func(ln net.Listener) error {
		for {
			c, err := ln.Accept()
			if err != nil {
				return err
			}
			go func() {
				defer c.Close()
				line, _ := bufio.NewReader(c).ReadString('\n')
				io.WriteString(c, line)
			}()
		}
	}}
}

// TestListenerSimulator: a simulator with a listener of its own is started and stopped with the
// home, and its port is shown on the サンドボックス page and in /sandbox/state.
func TestListenerSimulator(t *testing.T) {
	t.Parallel()
	c := clock.NewFrozen(time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC))
	h := NewHome(c, true, Simulator{Name: "files", Label: "テストSFTP", Listeners: []sim.Listener{echoListener()}},
		Simulator{Name: "web", Label: "テストHTTP", Handler: http.NotFoundHandler()})
	inactive := map[string]bool{"web": true}
	h.Active = func(_ context.Context, name string) bool { return !inactive[name] }
	srv := httptest.NewServer(newShell(t, h, auth.RoleAdmin))
	defer srv.Close()

	if got := h.Addr("files", "ECHO"); got != "" {
		t.Fatalf("address before Start: %q", got)
	}
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	addr := h.Addr("files", "ECHO")
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial the simulator's own port %q: %v", addr, err)
	}
	io.WriteString(conn, "ping\n")
	if line, _ := bufio.NewReader(conn).ReadString('\n'); line != "ping\n" {
		t.Fatalf("echo = %q", line)
	}
	conn.Close()

	res, err := http.Get(srv.URL + "/sandbox")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), "ECHO: "+addr) {
		t.Errorf("the page does not show the port %s", addr)
	}
	st := h.Snapshot(context.Background())
	if len(st.Simulators) != 2 || st.Simulators[0].URL != "" || len(st.Simulators[0].Ports) != 1 || st.Simulators[0].Ports[0].Addr != addr ||
		!st.Simulators[0].Active || st.Simulators[1].Active {
		t.Errorf("state: %+v", st.Simulators)
	}
	// Only the HTTP simulator is mounted.
	if got := h.Prefixes(); len(got) != 1 || got[0] != "/sandbox/web/" {
		t.Errorf("prefixes %v", got)
	}

	if err := h.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Fatal("the simulator's port still accepts after Stop")
	}
	if h.Addr("files", "ECHO") != "" {
		t.Error("an address is still reported after Stop")
	}
}

func TestBuild(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	built := 0
	spec := func(name, got string) sim.Spec {
		return sim.Spec{Name: name, New: func(env sim.Env) (sim.Simulator, error) {
			built++
			if env.Prefix != "/sandbox/"+name || env.StatePath != dir+"/sandbox-"+name+".json" {
				return sim.Simulator{}, errors.New("env " + env.Prefix + " " + env.StatePath)
			}
			return sim.Simulator{Name: got, Label: name}, nil
		}}
	}
	// Two rooms list the same simulator (GMO-PG for cardupdate and kantan): built once.
	sims, err := Build([]sim.Spec{spec("gmopg", "gmopg"), spec("aozora", "aozora"), spec("gmopg", "gmopg")}, clock.NewSandbox(), dir)
	if err != nil || len(sims) != 2 || built != 2 {
		t.Fatalf("Build: %d sims, %d built, %v", len(sims), built, err)
	}
	if _, err := Build([]sim.Spec{spec("x", "y")}, clock.NewSandbox(), dir); err == nil {
		t.Fatal("a spec that builds a simulator of another name was accepted")
	}
}
