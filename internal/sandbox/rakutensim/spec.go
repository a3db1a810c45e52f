package rakutensim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/sandbox/sim"
)

// Name is the simulator's mount segment: /sandbox/rakuten/.
const Name = "rakuten"

// Spec builds the simulator for the sandbox home (inside kessai and in `kessai sandbox`); the
// rakutenpay room lists it in its Simulators.
var Spec = sim.Spec{Name: Name, New: func(env sim.Env) (sim.Simulator, error) {
	s := New(Options{Clock: env.Clock, Prefix: env.Prefix, StatePath: env.StatePath, SaveDelay: time.Second})
	return Describe(s), nil
}}

// Describe is s as the サンドボックス page shows it.
func Describe(s *Sim) sim.Simulator {
	return sim.Simulator{
		Name:    Name,
		Label:   "楽天市場（RMS 受注API）",
		Handler: s,
		Impl:    s,
		Summary: func() []sim.Fact {
			st := s.Status()
			facts := []sim.Fact{{Label: "注文", Value: strconv.Itoa(st.Orders) + "件"}}
			for _, p := range []string{"注文確認待ち", "楽天処理中", "発送待ち", "キャンセル確定待ち"} {
				if n := st.ByProgress[p]; n > 0 {
					facts = append(facts, sim.Fact{Label: p, Value: strconv.Itoa(n) + "件"})
				}
			}
			for _, sh := range st.Shops {
				v := "有効期限 " + sh.ExpiresAt.In(clock.JST).Format("2006-01-02 15:04")
				if sh.Expired {
					v = "期限切れ（" + v + "）"
				}
				facts = append(facts, sim.Fact{Label: "店舗 " + sh.Number + " の licenseKey", Value: v})
			}
			for _, w := range st.Warnings {
				facts = append(facts, sim.Fact{Label: "警告", Value: w})
			}
			return facts
		},
		Links:   []sim.Link{{Label: "操作（注文の作成・与信・支払方法の変更…）", Path: ControlsPath}, {Label: "シミュレーターの説明", Path: ""}},
		Control: "_sim/",
		Private: []string{ControlsPath},
		Intro: func(base string) string {
			return fmt.Sprintf("api %s%s  (serviceSecret %s / licenseKey %s)", base, "/es/2.0/order/", DefaultServiceSecret, DefaultLicenseKey)
		},
	}
}

// handleIndex is the simulator's one page: what it serves and how to drive it.
func (s *Sim) handleIndex(w http.ResponseWriter, _ *http.Request) {
	st := s.Status()
	var b strings.Builder
	b.WriteString("楽天 RMS 受注API（RakutenPayOrderAPI）シミュレーター\n\n")
	b.WriteString("API: POST " + s.opts.Prefix + "/es/2.0/order/{searchOrder,getOrder,getPayment,confirmOrder,updateOrderShipping,cancelOrder,cancelOrderAfterShipping}/\n")
	b.WriteString("認証: Authorization: ESA base64(serviceSecret:licenseKey)\n\n")
	for _, sh := range st.Shops {
		fmt.Fprintf(&b, "店舗 %s  serviceSecret %s  licenseKey %s  有効期限 %s", sh.Number, sh.ServiceSecret, sh.LicenseKey, sh.ExpiresAt.In(clock.JST).Format("2006-01-02 15:04"))
		if sh.Expired {
			b.WriteString("（期限切れ）")
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\n注文 %d件\n", st.Orders)
	b.WriteString("\n操作API（JSON）: " + s.opts.Prefix + "/_sim/status, /_sim/orders, /_sim/orders/{注文番号}/{authorize,payment-method,amount,reauth-result,settle,confirm-cancel},\n" +
		"  /_sim/shops, /_sim/shops/{店舗}/expire-license-key, /_sim/settings, /_sim/reset\n" +
		"詳細と、楽天の文書にない点の仮定: internal/sandbox/rakutensim/doc.go\n")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}
