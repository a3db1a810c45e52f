package yamatosim

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/yamato"
)

// The admin screen plays the provider's 加盟店管理画面 for the CSV mode, in Japanese: upload a
// buyer CSV, see the credit results, download the result file, upload a shipment CSV. It also
// lists every order and lets a tester move one to 入金済 or 配送要調査.

//go:embed templates/*.html
var templateFS embed.FS

var funcs = template.FuncMap{
	"yen": fmtYen,
	"jst": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(clock.JST).Format("2006-01-02 15:04:05")
	},
	"warning": func(o Order, now time.Time) string { return o.Warning(now).Label() },
}

var pages = func() map[string]*template.Template {
	base := template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	m := map[string]*template.Template{}
	for _, name := range []string{"index", "batch"} {
		m[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name+".html"))
	}
	return m
}()

type pageData struct {
	Title, Message, Error string
	Prefix, BaseURL       string
	StoreCode, Password   string
	SMSCode               string
	Now                   time.Time
	Orders                []Order
	TotalOrders           int
	Batches               []Batch
	Batch                 *Batch
	RowErrors             yamato.RowErrors
	Opts                  Options
	Statuses              []yamato.Status
	Test                  []testDatum
}

type testDatum struct{ When, Then string }

func (s *Sim) testData() []testDatum {
	o := s.options()
	return []testDatum{
		{"氏名に「" + NameRefused + "」を含む", "1 ご利用不可"},
		{"氏名に「" + NameOverMax + "」を含む、または金額が" + fmtYen(o.CreditLimit) + "を超える", "2 限度額超過"},
		{"氏名に「" + NameReview + "」を含む", fmt.Sprintf("3 審査中 → %s後に 0 ご利用可（「不可」も含むと 1 ご利用不可）", clock.FormatDuration(o.ReviewDelay))},
		{"送り先区分 3・4（SMS認証）", fmt.Sprintf("3 審査中。認証コード %s で ご利用可（有効期限 %s、%d回まで）", SMSCode, clock.FormatDuration(o.SMSValidity), o.SMSMaxTries)},
		{fmt.Sprintf("同じ住所への注文が%s以内に%d件目", clock.FormatDuration(o.RepeatWindow), o.RepeatLimit), "その注文は ご利用不可。先の与信OK（未出荷）は ご利用不可・取消済 に変わる"},
		{"郵便番号 " + PostCodeUnknown, "実在しない郵便番号（kaara029E）"},
		{"送り状番号が " + TrackingInvestigate + " で始まる", fmt.Sprintf("%s後に 配送要調査", clock.FormatDuration(o.DeliveryDelay))},
		{"送り状番号が " + TrackingUnusable + " で始まる", "後払いに使えない送り状番号（kaasl015E）"},
		{"決済依頼の直後", followUp(o.FollowUpWindow)},
	}
}

func followUp(d time.Duration) string {
	if d <= 0 {
		return "待ち時間なし（設定で無効）"
	}
	return fmt.Sprintf("%s のあいだ、後続の呼び出しは「存在しない受注番号」", clock.FormatDuration(d))
}

func (s *Sim) render(w http.ResponseWriter, r *http.Request, status int, name string, d pageData) {
	d.Prefix = s.opts.Prefix
	d.BaseURL = s.BaseURL("")
	d.StoreCode, d.Password, d.SMSCode = DefaultStoreCode, DefaultPassword, SMSCode
	d.Now = s.now()
	d.Opts = s.options()
	d.Test = s.testData()
	d.Statuses = yamato.Statuses
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout", d); err != nil {
		http.Error(w, "template: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// pageOrders caps the order list of the admin screen; /_sim/orders has them all.
const pageOrders = 200

func (s *Sim) indexData() pageData {
	orders := s.Orders()
	d := pageData{Title: "クロネコ代金後払い サンドボックス", Orders: orders, Batches: s.Batches(), TotalOrders: len(orders)}
	if len(orders) > pageOrders {
		d.Orders = orders[:pageOrders]
	}
	return d
}

func (s *Sim) pageIndex(w http.ResponseWriter, r *http.Request) {
	d := s.indexData()
	d.Message = r.URL.Query().Get("msg")
	s.render(w, r, http.StatusOK, "index", d)
}

// uploaded returns the "file" part of a multipart form.
func uploaded(w http.ResponseWriter, r *http.Request) (*bytes.Reader, string, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	f, h, err := r.FormFile("file")
	if err != nil {
		return nil, "", errors.New("ファイルを選んでください")
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, "", fmt.Errorf("ファイルを読めません: %w", err)
	}
	return bytes.NewReader(buf.Bytes()), h.Filename, nil
}

func (s *Sim) fileError(w http.ResponseWriter, r *http.Request, what string, err error) {
	d := s.indexData()
	d.Error = what + "を取り込めませんでした。1件も登録していません。"
	var es yamato.RowErrors
	var re yamato.RowError
	switch {
	case errors.As(err, &es):
		d.RowErrors = es
	case errors.As(err, &re):
		d.RowErrors = yamato.RowErrors{re}
	default:
		d.Error += err.Error()
	}
	s.render(w, r, http.StatusUnprocessableEntity, "index", d)
}

func (s *Sim) pageBuyerUpload(w http.ResponseWriter, r *http.Request) {
	file, name, err := uploaded(w, r)
	if err == nil {
		var b *Batch
		if b, err = s.ImportBuyerCSV(file, name); err == nil {
			http.Redirect(w, r, s.opts.Prefix+"/admin/batches/"+b.ID, http.StatusSeeOther)
			return
		}
	}
	s.fileError(w, r, "買手情報一括登録CSV", err)
}

func (s *Sim) pageBatch(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var batch *Batch
	for _, b := range s.Batches() {
		if b.ID == id {
			batch = &b
			break
		}
	}
	if batch == nil {
		http.NotFound(w, r)
		return
	}
	in := map[string]bool{}
	for _, no := range batch.OrderNos {
		in[no] = true
	}
	d := pageData{Title: "与信結果 " + id, Batch: batch}
	for _, o := range s.Orders() {
		if in[o.OrderNo] {
			d.Orders = append(d.Orders, o)
		}
	}
	s.render(w, r, http.StatusOK, "batch", d)
}

func (s *Sim) pageShipmentUpload(w http.ResponseWriter, r *http.Request) {
	file, _, err := uploaded(w, r)
	if err == nil {
		var n int
		if n, err = s.ImportShipmentCSV(file); err == nil {
			http.Redirect(w, r, s.opts.Prefix+"/?msg="+fmt.Sprintf("出荷情報を%d件登録しました", n), http.StatusSeeOther)
			return
		}
	}
	s.fileError(w, r, "出荷情報一括登録CSV", err)
}

func (s *Sim) pageSetStatus(w http.ResponseWriter, r *http.Request) {
	st := yamato.Status(r.FormValue("status"))
	if err := s.SetStatus(r.PathValue("no"), st); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, s.opts.Prefix+"/?msg="+r.PathValue("no")+" を "+st.Label()+" にしました", http.StatusSeeOther)
}
