package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"
	"kessai/internal/sandbox"
	"kessai/internal/web"
)

// runSandbox serves the provider simulators alone, without kessai's database or login, for
// engineers integrating other software with the providers' protocols. Everything is open: bind it
// to loopback (the default) only.
func runSandbox(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := subFlags("sandbox", stderr)
	addr := fs.String("addr", envOr(getenv, "KESSAI_SANDBOX_ADDR", "127.0.0.1:8090"), "address to listen on (KESSAI_SANDBOX_ADDR)")
	dataDir := fs.String("data", envOr(getenv, "KESSAI_DATA_DIR", "./kessai-data"), "directory for the simulators' state files")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := os.MkdirAll(*dataDir, 0o700); err != nil {
		return fmt.Errorf("sandbox: create data dir: %w", err)
	}
	h, home, err := sandboxHandler(clock.NewSandbox(), *dataDir)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("sandbox: listen on %s: %w", *addr, err)
	}
	if err := home.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	defer home.Stop(context.Background())
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "kessai sandbox: %s/sandbox\n", base)
	for _, s := range home.Snapshot(ctx).Simulators {
		line := "  " + s.Label + ":"
		if sm, ok := home.Lookup(s.Name); ok && sm.Intro != nil {
			line += " " + sm.Intro(base+sm.Prefix())
		}
		for _, p := range s.Ports {
			line += "  " + p.Name + " " + p.Addr
		}
		fmt.Fprintln(stdout, line)
	}
	srv := sandboxServer(h)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// sandboxServer serves the standalone sandbox with kessai's own server timeouts: a slow client
// holds a connection no longer here than there.
func sandboxServer(h http.Handler) *http.Server {
	srv := &http.Server{Handler: web.WithRequestID(h)}
	setTimeouts(srv, 0)
	return srv
}

// sandboxHandler is the standalone sandbox: the same home page and simulators as inside kessai
// (built from the same list, simulatorSpecs of the room list), every route public.
func sandboxHandler(c *clock.Sandbox, dataDir string) (http.Handler, *sandbox.Home, error) {
	render, err := web.NewRenderer(c, true)
	if err != nil {
		return nil, nil, err
	}
	sh := web.NewShell(render)
	sims, err := sandbox.Build(simulatorSpecs(Rooms()), c, dataDir)
	if err != nil {
		return nil, nil, err
	}
	home := sandbox.NewHome(c, true, sims...)
	if err := home.Register(sh, auth.PermPublic, auth.PermPublic); err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/", sh)
	mux.Handle("GET /{$}", http.RedirectHandler("/sandbox", http.StatusSeeOther))
	return mux, home, nil
}
