package commerce

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"

	"kessai/internal/api"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/jpcsv"
	"kessai/internal/web"
)

// ImportJSON is what a CSV import did: every record is created, or none.
type ImportJSON struct {
	Encoding string   `json:"encoding" doc:"判定した文字コード（utf-8 または cp932）"`
	Rows     int      `json:"rows" doc:"読んだデータ行数"`
	Created  int      `json:"created" doc:"登録した件数（受注は受注キーごとに1件）"`
	IDs      []string `json:"ids"`
	Codes    []string `json:"codes" doc:"登録した番号（ファイルの順）"`
}

// exportParams are the export's own query parameters.
func exportParams(templates []ExportTemplate) []api.Param {
	t := api.Param{Name: "template", Description: "出力テンプレート（省略時 standard）"}
	for _, et := range templates {
		t.Enum = append(t.Enum, et.ID)
		t.Description += "、" + et.ID + "=" + et.Name
	}
	return []api.Param{t, {Name: "encoding", Description: "文字コード（省略時 cp932、CRLF）", Enum: []string{"cp932", "utf-8"}}}
}

func registerCSVAPI(v1 *api.API, h apiHandlers) {
	const csvMedia = "text/csv"
	exports := []struct {
		path, id, tag, summary string
		query                  []api.Param
		templates              []ExportTemplate
		write                  func(r *http.Request, w io.Writer, tmpl string, enc jpcsv.Encoding) error
	}{
		{"/api/v1/cases/export.csv", "exportCases", "買取ケース", "買取ケースをCSVで出力（一覧と同じ条件）", caseQuery(), CaseExportTemplates(),
			exportFiltered(h.s.CaseFilterFromQuery, h.s.ExportCases)},
		{"/api/v1/customers/export.csv", "exportCustomers", "顧客", "顧客をCSVで出力（一覧と同じ条件）", customerQuery(), CustomerExportTemplates(),
			exportFiltered(CustomerFilterFromQuery, h.s.ExportCustomers)},
		{"/api/v1/orders/export.csv", "exportOrders", "受注", "受注をCSVで出力（一覧と同じ条件、1行が明細1行）", orderQuery(), OrderExportTemplates(),
			exportFiltered(h.s.OrderFilterFromQuery, h.s.ExportOrders)},
		{"/api/v1/subscriptions/export.csv", "exportSubscriptions", "定期受注", "定期受注をCSVで出力（一覧と同じ条件）", subscriptionQuery(), SubscriptionExportTemplates(),
			exportFiltered(h.s.SubscriptionFilterFromQuery, h.s.ExportSubscriptions)},
	}
	for _, e := range exports {
		v1.Handle(api.Operation{Method: http.MethodGet, Path: e.path, Perm: auth.PermView, ID: e.id, Tag: e.tag,
			Summary: e.summary, Query: append(e.query, exportParams(e.templates)...), ResponseMedia: csvMedia},
			exportCSV(e.write))
	}
	imports := []struct {
		path, id, tag, summary, kind string
	}{
		{"/api/v1/cases/import", "importCases", "買取ケース", "買取ケースをCSVで一括登録（全件か0件）", "cases"},
		{"/api/v1/customers/import", "importCustomers", "顧客", "顧客をCSVで一括登録（全件か0件）", "customers"},
		{"/api/v1/orders/import", "importOrders", "受注", "受注をCSVで一括登録（同じ受注キーの行が1伝票。全件か0件）", "orders"},
	}
	for _, im := range imports {
		v1.Handle(api.Operation{Method: http.MethodPost, Path: im.path, Perm: auth.PermOperate, ID: im.id, Tag: im.tag,
			Summary: im.summary, Upload: true, Description: "本文はCSVファイルそのもの（CP932 または UTF-8、既定で1GBまで: KESSAI_MAX_IMPORT_BYTES）、または multipart/form-data の file 欄。" +
				"エラーがあれば何も登録せず422を返し、fields に「rows.行番号.列名」ごとの理由を入れます（行番号はExcelと同じく見出しが1行目）。" +
				"1MBを超えるファイル（または async=true）はジョブで取り込み、202 と取込（Location: /api/v1/imports/{id}）を返します。進み具合と結果は GET /api/v1/imports/{id} で確認してください。",
			Query:        []api.Param{{Name: "async", Type: "boolean", Description: "true: 大きさによらずジョブで取り込み、202を返す"}},
			RequestMedia: csvMedia, Response: ImportJSON{}}, importCSV(h.s, im.kind))
	}
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/imports/{id}", Perm: auth.PermOperate, ID: "getImport", Tag: "CSV取込",
		Summary: "ジョブで取り込むCSVの進み具合と結果（行数・登録件数・行ごとのエラー）", Response: ImportRun{}},
		api.Get(h.s.GetImport, func(r ImportRun) ImportRun { return r }))
}

// exportFiltered is the write of an export of the records the query's list filter selects.
func exportFiltered[F any](fromQuery func(url.Values) (F, error),
	export func(ctx context.Context, w io.Writer, f F, tmpl string, enc ...jpcsv.Encoding) error) func(*http.Request, io.Writer, string, jpcsv.Encoding) error {
	return func(r *http.Request, w io.Writer, tmpl string, enc jpcsv.Encoding) error {
		f, err := fromQuery(r.URL.Query())
		if err != nil {
			return err
		}
		return export(withExportQuery(r.Context(), r.URL.Query()), w, f, tmpl, enc)
	}
}

func exportCSV(write func(r *http.Request, w io.Writer, tmpl string, enc jpcsv.Encoding) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		enc, wenc, err := csvEncoding(r.URL.Query())
		if err != nil {
			web.WriteError(w, r, err)
			return
		}
		f, size, err := spool(func(out io.Writer) error { return write(r, out, r.URL.Query().Get("template"), wenc) })
		var es jpcsv.Errors
		if errors.As(err, &es) {
			web.WriteError(w, r, rowErrors(errs.Invalid(fmt.Sprintf("%d行にShift_JIS（CP932）で保存できない文字があります。"+
				"encoding=utf-8 で出力するか、unencodable=replace でその文字を「〓」にして出力してください", len(es))).Wrap(err)))
			return
		}
		if err != nil {
			web.WriteError(w, r, rowErrors(err))
			return
		}
		sendCSV(w, f, size, enc, path.Base(r.URL.Path))
	}
}

func importCSV(s *Store, kind string) http.HandlerFunc {
	run := importRunners[kind]
	return func(w http.ResponseWriter, r *http.Request) {
		up, ok := csvBody(w, r)
		if !ok {
			return
		}
		if kind == "orders" {
			// A room's 取込みデータ種別 (kind=…) is read in the request, all or nothing.
			if res, ok, err := s.roomImport(r.Context(), importKindOf(r, "kind"), r.Body); ok {
				if err != nil {
					web.WriteError(w, r, rowErrors(err))
					return
				}
				web.WriteJSON(w, http.StatusCreated, ImportJSON{Encoding: res.Encoding, Rows: res.Rows, Created: res.Created, IDs: res.IDs, Codes: res.Codes})
				return
			}
		}
		if s.ImportAsJob(up.Size, r.URL.Query().Get("async") == "true") {
			im, err := s.StartImport(r.Context(), kind, up.Keep(), up.Filename, up.Size)
			if err != nil {
				web.WriteError(w, r, err)
				return
			}
			w.Header().Set("Location", "/api/v1/imports/"+im.ID)
			web.WriteJSON(w, http.StatusAccepted, im)
			return
		}
		res, err := run(s, r.Context(), r.Body, ImportOptions{})
		if err != nil {
			web.WriteError(w, r, rowErrors(err))
			return
		}
		web.WriteJSON(w, http.StatusCreated, ImportJSON{Encoding: res.Encoding, Rows: res.Rows, Created: res.Created, IDs: res.IDs, Codes: res.Codes})
	}
}

// csvBody makes r.Body the CSV, received on disk (web.Uploaded): the body itself (text/csv, or
// no type), or the part "file" of a multipart/form-data upload (curl -F file=@cases.csv). Other
// types are refused with 415 and what to send instead; it reports whether the handler may go on.
func csvBody(w http.ResponseWriter, r *http.Request) (*web.Upload, bool) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "", "text/csv", "text/plain", "application/csv", "application/vnd.ms-excel", "application/octet-stream", "multipart/form-data":
	default:
		web.WriteJSON(w, http.StatusUnsupportedMediaType, web.ErrorBody{Error: web.ErrorDetail{Code: "unsupported_media_type",
			Message:   "Content-Type " + mt + " は取り込めません。CSVファイルを本文そのまま（Content-Type: text/csv）か、multipart/form-data の file 欄で送ってください",
			RequestID: web.RequestID(r.Context())}})
		return nil, false
	}
	up, err := web.Uploaded(r, nil)
	if errors.Is(err, web.ErrNoUpload) || (err == nil && mt == "multipart/form-data" && up.Field != "file") {
		web.WriteError(w, r, errs.Invalid("入力内容を確認してください").Field("file", "CSVファイルを本文そのままか、multipart の file という名前の欄に入れて送ってください"))
		return nil, false
	}
	if err != nil {
		web.WriteError(w, r, err)
		return nil, false
	}
	f, err := up.Open()
	if err != nil {
		web.WriteError(w, r, err)
		return nil, false
	}
	context.AfterFunc(r.Context(), func() { f.Close() })
	r.Body = f
	return up, true
}

// rowErrors puts a CSV's row errors into the error body's fields as "rows.<row>.<column>", the
// way order lines are "lines.<i>.<field>", so the API keeps one error shape.
func rowErrors(err error) error {
	var es jpcsv.Errors
	if !errors.As(err, &es) {
		return err
	}
	msg := "CSVを確認してください"
	if e := errs.As(err); e != nil && e.Kind == errs.KindInvalid {
		msg = e.Message
	}
	out := errs.Invalid(msg).Wrap(err)
	for _, re := range es {
		key := "rows." + strconv.Itoa(re.Row)
		if re.Column != "" {
			key += "." + re.Column
		}
		m := re.Message
		if re.Value != "" {
			m += "（値: " + re.Value + "）"
		}
		if prev, ok := out.Fields[key]; ok {
			m = prev + " / " + m
		}
		out.Field(key, m)
	}
	return out
}
