package gmopgsim

import (
	"fmt"
	"strconv"
	"strings"

	"kessai/internal/sandbox/sim"
)

// Name is the simulator's mount segment: /sandbox/gmopg/. The cardupdate and kantan rooms both
// list Spec; the home builds it once.
const Name = "gmopg"

// Spec builds the simulator for the sandbox home (inside kessai and in `kessai sandbox`). Its
// state lives in a directory beside the home's state file (sandbox-gmopg/ for
// sandbox-gmopg.json): the JSON state, the SFTP host key and the SFTP files.
var Spec = sim.Spec{Name: Name, New: func(env sim.Env) (sim.Simulator, error) {
	opts := Options{Clock: env.Clock, Prefix: env.Prefix}
	if env.StatePath != "" {
		opts.StateDir = strings.TrimSuffix(env.StatePath, ".json")
	}
	s, err := New(opts)
	if err != nil {
		return sim.Simulator{}, err
	}
	return Describe(s), nil
}}

// Describe is s as the サンドボックス page shows it, with its SFTP listener.
func Describe(s *Sim) sim.Simulator {
	return sim.Simulator{
		Name:      Name,
		Label:     "GMOペイメントゲートウェイ",
		Handler:   s,
		Impl:      s,
		Listeners: []sim.Listener{{Name: "SFTP", Serve: s.ServeSFTP}},
		Summary: func() []sim.Fact {
			st := s.Status()
			facts := []sim.Fact{
				{Label: "会員", Value: strconv.Itoa(st.Members) + "件（カード " + strconv.Itoa(st.Cards) + "枚）"},
				{Label: "洗替結果の作成", Value: "毎月" + strconv.Itoa(st.ResultDay) + "日 0:00"},
			}
			for _, status := range []string{"REQSUCCESS", "AUTH", "SALES", "CAPTURE", "VOID", "CANCEL", "PAYFAIL", "EXPIRED"} {
				for k, n := range st.Trades {
					if string(k) == status && n > 0 {
						facts = append(facts, sim.Fact{Label: "取引 " + status, Value: strconv.Itoa(n) + "件"})
					}
				}
			}
			for _, u := range st.Uploads {
				v := "受付済み（" + u.ResultAt.In(jst).Format("1/2 15:04") + " に処理）"
				if u.Processed {
					v = fmt.Sprintf("処理済み %d件（0:%d 1:%d 2:%d 3:%d）", u.Rows, u.Counts[0], u.Counts[1], u.Counts[2], u.Counts[3])
					if u.ErrorFile != "" {
						v = "エラー（" + u.ErrorFile + "）"
					}
				}
				facts = append(facts, sim.Fact{Label: "洗替依頼 " + u.Month, Value: v})
			}
			if st.NoticesQueued > 0 {
				facts = append(facts, sim.Fact{Label: "未送信の結果通知", Value: strconv.Itoa(st.NoticesQueued) + "件"})
			}
			for _, f := range st.Faults {
				facts = append(facts, sim.Fact{Label: "障害注入", Value: fmt.Sprintf("%s %s（残り%d回）", f.Mode, f.API, f.Remaining)})
			}
			for _, w := range st.Warnings {
				facts = append(facts, sim.Fact{Label: "警告", Value: w})
			}
			return facts
		},
		Links:   []sim.Link{{Label: "シミュレーターの説明（認証情報・テスト用カード番号）", Path: ""}},
		Control: "_sim/",
		Intro: func(base string) string {
			return fmt.Sprintf("api %s/payment/<API>.idPass  (shop %s / %s, site %s / %s; SFTP %s / %s)", base,
				DefaultShopID, DefaultShopPass, DefaultSiteID, DefaultSitePass, DefaultSFTPUser, DefaultSFTPPassword)
		},
	}
}
