package aozorasim

import (
	"fmt"
	"strconv"

	"kessai/internal/sandbox/sim"
)

// Name is the simulator's mount segment: /sandbox/aozora/.
const Name = "aozora"

// Spec builds the simulator for the sandbox home (inside kessai and in `kessai sandbox`).
var Spec = sim.Spec{Name: Name, New: func(env sim.Env) (sim.Simulator, error) {
	s := New(Options{Clock: env.Clock, Prefix: env.Prefix, StatePath: env.StatePath})
	return Describe(s), nil
}}

// Describe is s as the サンドボックス page shows it.
func Describe(s *Sim) sim.Simulator {
	return sim.Simulator{
		Name:    Name,
		Label:   "GMOあおぞらネット銀行",
		Handler: s,
		Impl:    s,
		Summary: func() []sim.Fact {
			st := s.Status()
			facts := []sim.Fact{
				{Label: "振込依頼", Value: strconv.Itoa(st.Transfers) + "件"},
				{Label: "承認待ちメール", Value: strconv.Itoa(st.MailsWaiting) + "件"},
			}
			for _, f := range st.Faults {
				facts = append(facts, sim.Fact{Label: "障害注入", Value: fmt.Sprintf("%s（残り%d回）", f.Mode, f.Remaining)})
			}
			for _, w := range st.Warnings {
				facts = append(facts, sim.Fact{Label: "警告", Value: w})
			}
			return facts
		},
		Links:   []sim.Link{{Label: "承認者メールボックス", Path: "mailbox"}, {Label: "シミュレーターの説明", Path: ""}},
		Control: "_sim/",
		Private: []string{"mailbox", "approve"},
		Intro: func(base string) string {
			return fmt.Sprintf("auth %s%s  api %s%s  (client %s / %s)", base, AuthPath, base, APIPath, DefaultClientID, DefaultClientSecret)
		},
	}
}
