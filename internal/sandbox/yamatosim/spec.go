package yamatosim

import (
	"fmt"
	"strconv"

	"kessai/internal/sandbox/sim"
)

// Name is the simulator's mount segment: /sandbox/yamato/.
const Name = "yamato"

// Spec builds the simulator for the sandbox home (inside kessai and in `kessai sandbox`); the
// atobarai room lists it in its Simulators.
var Spec = sim.Spec{Name: Name, New: func(env sim.Env) (sim.Simulator, error) {
	s := New(Options{Clock: env.Clock, Prefix: env.Prefix, StatePath: env.StatePath})
	return Describe(s), nil
}}

// Describe is s as the サンドボックス page shows it.
func Describe(s *Sim) sim.Simulator {
	return sim.Simulator{
		Name:    Name,
		Label:   "クロネコ代金後払い",
		Handler: s,
		Impl:    s,
		Summary: func() []sim.Fact {
			st := s.Status()
			facts := []sim.Fact{{Label: "取引", Value: strconv.Itoa(st.Orders) + "件"}}
			for _, c := range st.ByStatus {
				if c.N > 0 {
					facts = append(facts, sim.Fact{Label: c.Label, Value: strconv.Itoa(c.N) + "件"})
				}
			}
			facts = append(facts, sim.Fact{Label: "決済依頼直後の待ち時間", Value: st.FollowUpWindow})
			for _, w := range st.Warnings {
				facts = append(facts, sim.Fact{Label: "警告", Value: w})
			}
			return facts
		},
		Links:   []sim.Link{{Label: "加盟店管理画面（CSV・与信結果・テストデータ）", Path: ""}},
		Control: "_sim/",
		Intro: func(base string) string {
			return fmt.Sprintf("api %s%s  (加盟店コード %s / パスワード %s)", base, APIPath, DefaultStoreCode, DefaultPassword)
		},
	}
}
