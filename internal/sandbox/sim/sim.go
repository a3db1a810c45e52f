// Package sim describes a provider simulator to the sandbox home: what it serves over HTTP,
// which listeners of its own it needs (an SFTP server), its state for the サンドボックス page, and
// how it is built. It holds only types, so a simulator package may import it without pulling in
// kessai's web shell.
package sim

import (
	"context"
	"net"
	"net/http"

	"kessai/internal/platform/clock"
)

// Fact is one line of a simulator's state on the サンドボックス page ("承認待ちの振込", "2件").
type Fact struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Link is a page of a simulator worth opening (its mailbox, its login page).
type Link struct {
	Label string `json:"label"`
	Path  string `json:"path"` // relative to the simulator's mount point, no leading slash: "mailbox"
}

// Listener is a server a simulator runs on a port of its own (an SFTP server), started and
// stopped with kessai.
type Listener struct {
	Name string // shown on the page, e.g. "SFTP"
	// Addr is where to listen; "" is 127.0.0.1:0 (a free port, shown on the page).
	Addr string
	// Serve serves ln until it is closed, then returns (any error after Close is ignored).
	Serve func(ln net.Listener) error
}

// Simulator describes one simulator.
type Simulator struct {
	Name  string // URL segment: /sandbox/{Name}/
	Label string // provider name in Japanese, e.g. "GMOあおぞらネット銀行"
	// Handler serves the simulator's HTTP side; it sees paths with /sandbox/{Name} stripped.
	// nil for a simulator that only has listeners.
	Handler http.Handler
	// Listeners are the simulator's own servers.
	Listeners []Listener
	// Summary reports the simulator's state; nil shows nothing.
	Summary func() []Fact
	Links   []Link
	// Control is the subtree of the simulator's control API (faults, reset, scripted approval),
	// e.g. "_sim/". It is guarded like the clock: a person could otherwise reset the sandbox or
	// arm faults without signing in.
	Control string
	// Private lists the simulator's pages that stand for what only the bank's own staff see
	// (the approver's mailbox with its one-time tokens, the approval form), e.g. "mailbox".
	// In kessai they need a kessai login that may move money, and they answer 404 while the
	// real provider is connected (Active false).
	Private []string
	// Active reports whether kessai talks to this simulator now (no real provider configured);
	// the home sets it from the provider connections. nil means active.
	Active func(ctx context.Context) bool
	// Intro is the line `kessai sandbox` prints for the simulator, given its base URL
	// (http://host:port/sandbox/{name}): endpoints and the pre-registered credentials.
	Intro func(base string) string
	// Impl is the simulator itself (e.g. *aozorasim.Sim), for tests and the rooms that drive it.
	Impl any
}

// Prefix is where s is mounted.
func (s Simulator) Prefix() string { return "/sandbox/" + s.Name }

// Env is what a simulator is built with.
type Env struct {
	Clock *clock.Sandbox
	// StatePath is the simulator's state file (in the data dir), "" for none.
	StatePath string
	// Prefix is the simulator's mount point, /sandbox/{name}.
	Prefix string
}

// Spec builds one simulator. `kessai serve` and `kessai sandbox` build the same list of specs
// (the rooms' Simulators, deduplicated by Name: GMO-PG serves two rooms).
type Spec struct {
	Name string
	New  func(env Env) (Simulator, error)
}
