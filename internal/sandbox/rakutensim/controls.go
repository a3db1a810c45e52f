package rakutensim

import (
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/rakuten"
)

// The controls page: the control API as HTML forms, for driving a scenario without scripts.
// It is one of the simulator's private pages (ControlsPath): kessai serves it only to a
// signed-in user who may move money, and its forms post to the same page (same origin).

// ControlsPath is the controls page below the simulator's prefix.
const ControlsPath = "controls"

//go:embed templates
var pageFS embed.FS

var controlsPage = template.Must(template.New("controls.html").Funcs(template.FuncMap{
	"jst": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(clock.JST).Format("2006/01/02 15:04")
	},
}).ParseFS(pageFS, "templates/controls.html"))

// recentOrders lists the n most recent orders, newest first.
func (s *Sim) recentOrders(n int) []OrderView {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickLocked()
	out := make([]OrderView, 0, n)
	for i := len(s.st.Orders) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, s.viewLocked(s.st.Orders[i]))
	}
	return out
}

func (s *Sim) handleControls(w http.ResponseWriter, r *http.Request) {
	methods := make([]map[string]any, 0, len(rakuten.SettlementCodes()))
	for _, c := range rakuten.SettlementCodes() {
		methods = append(methods, map[string]any{"Code": int(c), "Label": c.Label()})
	}
	st := s.Status()
	progress := make([]string, 0, len(st.ByProgress))
	for k, v := range st.ByProgress {
		progress = append(progress, k+" "+strconv.Itoa(v)+"件")
	}
	sort.Strings(progress)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = controlsPage.Execute(w, map[string]any{"Base": s.opts.Prefix + "/" + ControlsPath, "Status": st, "Progress": progress,
		"Orders": s.recentOrders(50), "Methods": methods, "Message": r.URL.Query().Get("msg"), "Error": r.URL.Query().Get("err")})
}

// controlsDone goes back to the page with what happened.
func (s *Sim) controlsDone(w http.ResponseWriter, r *http.Request, msg string, err error) {
	q := url.Values{}
	if err != nil {
		q.Set("err", err.Error())
	} else {
		q.Set("msg", msg)
	}
	http.Redirect(w, r, s.opts.Prefix+"/"+ControlsPath+"?"+q.Encode(), http.StatusSeeOther)
}

func (s *Sim) controlsCreate(w http.ResponseWriter, r *http.Request) {
	method, _ := strconv.Atoi(r.PostFormValue("method"))
	count, _ := strconv.Atoi(r.PostFormValue("count"))
	goods, _ := strconv.ParseInt(r.PostFormValue("goods_price"), 10, 64)
	n := NewOrder{Method: rakuten.SettlementCode(method), GoodsPrice: goods, Confirmed: r.PostFormValue("confirmed") == "on",
		Authorize: r.PostFormValue("authorize"), ReauthResult: r.PostFormValue("reauth_result")}
	if d, err := strconv.Atoi(r.PostFormValue("ship_in_days")); err == nil && d > 0 {
		n.ShipBy = s.now().Add(time.Duration(d) * 24 * time.Hour)
	}
	if count < 1 || count > 1000 {
		count = 1
	}
	var nums []string
	var err error
	if r.PostFormValue("all_methods") == "on" {
		for _, c := range rakuten.SettlementCodes() {
			n.Method = c
			got, e := s.CreateOrders(n, count)
			if e != nil {
				err = e
				break
			}
			nums = append(nums, got...)
		}
	} else {
		nums, err = s.CreateOrders(n, count)
	}
	s.controlsDone(w, r, strconv.Itoa(len(nums))+"件の注文を作成しました: "+strings.Join(first(nums, 5), ", "), err)
}

func first(xs []string, n int) []string {
	if len(xs) > n {
		return append(xs[:n:n], "…")
	}
	return xs
}

func (s *Sim) controlsOrder(w http.ResponseWriter, r *http.Request) {
	num, action := r.PathValue("number"), r.PathValue("action")
	var err error
	var msg string
	switch action {
	case "authorize-ok":
		err, msg = s.Authorize(num, true), "与信OK（300 発送待ち）にしました"
	case "authorize-ng":
		err, msg = s.Authorize(num, false), "与信NGにしました（7日後に楽天がキャンセル）"
	case "payment-method":
		m, _ := strconv.Atoi(r.PostFormValue("method"))
		err, msg = s.ChangePaymentMethod(num, rakuten.SettlementCode(m)), "支払方法を変更しました"
	case "amount":
		g, _ := strconv.ParseInt(r.PostFormValue("goods_price"), 10, 64)
		err, msg = s.ChangeAmount(num, g), "金額を変更しました（再与信待ち）"
	case "reauth-ng":
		err, msg = s.SetReauthResult(num, "ng"), "長期の注文の再与信をNGにします"
	case "settle":
		err, msg = s.Settle(num), "決済確定にしました"
	case "confirm-cancel":
		err, msg = s.ConfirmCancel(num), "キャンセル確定（900）にしました"
	default:
		http.NotFound(w, r)
		return
	}
	s.controlsDone(w, r, num+": "+msg, err)
}

func (s *Sim) controlRoutesHTML(m *http.ServeMux) {
	m.HandleFunc("GET /"+ControlsPath, s.handleControls)
	m.HandleFunc("POST /"+ControlsPath+"/orders", s.controlsCreate)
	m.HandleFunc("POST /"+ControlsPath+"/orders/{number}/{action}", s.controlsOrder)
	m.HandleFunc("POST /"+ControlsPath+"/shops/{shop}/expire-license-key", func(w http.ResponseWriter, r *http.Request) {
		s.controlsDone(w, r, "店舗 "+r.PathValue("shop")+" の licenseKey を期限切れにしました", s.ExpireLicenseKey(r.PathValue("shop")))
	})
	m.HandleFunc("POST /"+ControlsPath+"/reset", func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		s.controlsDone(w, r, "すべての注文を消しました", nil)
	})
}
