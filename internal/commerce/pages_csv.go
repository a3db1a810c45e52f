package commerce

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"

	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/jpcsv"
	"kessai/internal/web"
)

// export writes a CSV download named after what with the template and encoding of the query;
// nothing is sent unless the whole file could be written.
func (p *Pages) export(w http.ResponseWriter, r *http.Request, what string, write func(io.Writer, string, jpcsv.Encoding) error) {
	q := r.URL.Query()
	enc, wenc, err := csvEncoding(q)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	f, size, err := spool(func(out io.Writer) error { return write(out, q.Get("template"), wenc) })
	if err != nil {
		var es jpcsv.Errors
		if errors.As(err, &es) {
			// One record must not block the export: show which rows hold characters
			// Shift_JIS cannot, and offer UTF-8, or Shift_JIS with those characters as 〓.
			p.unencodable(w, r, what, es)
			return
		}
		p.fail(w, r, err)
		return
	}
	sendCSV(w, f, size, enc, fmt.Sprintf("%s_%s.csv", what, web.FormatJST(p.store.clock.Now(), "20060102_1504")))
}

// csvEncoding reads a download's encoding= (cp932, the default, or utf-8) and unencodable=replace
// (Shift_JIS with what it cannot hold as 〓): the pages and the API answer a bad value alike.
func csvEncoding(q url.Values) (enc, write jpcsv.Encoding, err error) {
	enc = jpcsv.CP932
	if v := q.Get("encoding"); v != "" {
		if enc, err = jpcsv.ParseEncoding(v); err != nil {
			return 0, 0, errs.Invalid("CSVの文字コードが正しくありません: "+v).Field("encoding", "cp932 か utf-8 を指定してください")
		}
	}
	write = enc
	if enc == jpcsv.CP932 && q.Get("unencodable") == "replace" {
		write = jpcsv.CP932Replace
	}
	return enc, write, nil
}

// sendCSV is the one CSV download writer: the spooled file f of size bytes, as name.
func sendCSV(w http.ResponseWriter, f *os.File, size int64, enc jpcsv.Encoding, name string) {
	defer closeSpool(f)
	charset := "Shift_JIS"
	if enc == jpcsv.UTF8 {
		charset = "UTF-8"
	}
	w.Header().Set("Content-Type", "text/csv; charset="+charset)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	_, _ = io.Copy(w, f)
}

// unencodable is the report of an export's rows that Shift_JIS cannot hold, with the two ways
// to get the file anyway.
func (p *Pages) unencodable(w http.ResponseWriter, r *http.Request, what string, es jpcsv.Errors) {
	with := func(k, v string) string {
		q := r.URL.Query()
		q.Set(k, v)
		return r.URL.Path + "?" + q.Encode()
	}
	p.render.Render(w, r, http.StatusUnprocessableEntity, "commerce/export_unencodable.html", web.View{Title: "CSV出力", Data: map[string]any{
		"Errors": es, "UTF8": with("encoding", "utf-8"), "Replace": with("unencodable", "replace"), "What": what}})
}

// spool runs write into a temporary file and returns it rewound, with its size. An export
// streams from the database through the encoder into the file in a fixed amount of memory,
// and nothing is sent when a row cannot be encoded (the caller answers write's error instead).
func spool(write func(io.Writer) error) (*os.File, int64, error) {
	f, err := os.CreateTemp("", "kessai-export-*.csv")
	if err != nil {
		return nil, 0, fmt.Errorf("export: temp file: %w", err)
	}
	// Unlinked at once where the system allows it (the file lives while it is open), so a
	// crash leaves nothing behind; closeSpool removes it elsewhere.
	_ = os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return nil, 0, err
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("export: rewind: %w", err)
	}
	return f, size, nil
}

func closeSpool(f *os.File) {
	f.Close()
	_ = os.Remove(f.Name()) // where it could not be unlinked while open
}

// importKind is one record type's import page.
type importKind struct {
	Key, Title, Nav, ListPath, Help string
	run                             func(p *Pages, r *http.Request, f io.Reader, also Also) (ImportResult, error)
}

var importKinds = map[string]importKind{
	"cases": {Key: "cases", Title: "買取ケースのCSV取込", Nav: "takuhai", ListPath: "/cases",
		Help: "必須の列: 買取種別・店舗コード・顧客番号。任意: 状態・受付日・買取確定日・買取金額・点数・備考。「標準」で出力したCSVもそのまま取り込めます（新しいケースとして登録）。",
		run: func(p *Pages, r *http.Request, f io.Reader, also Also) (ImportResult, error) {
			return p.store.ImportCases(r.Context(), f, also)
		}},
	"customers": {Key: "customers", Title: "顧客のCSV取込", Nav: "customers", ListPath: "/customers",
		Help: "「標準」で出力したCSVと同じ列で取り込めます。振込先口座は銀行コード・支店コード・口座番号・口座名義をそろえてください。",
		run: func(p *Pages, r *http.Request, f io.Reader, also Also) (ImportResult, error) {
			return p.store.ImportCustomers(r.Context(), f, also)
		}},
	"orders": {Key: "orders", Title: "受注のCSV取込", Nav: "orders", ListPath: "/orders",
		Help: "1行が明細1行です。同じ受注キーの行が1つの受注伝票になります。",
		run: func(p *Pages, r *http.Request, f io.Reader, also Also) (ImportResult, error) {
			if res, ok, err := p.store.roomImport(r.Context(), importKindOf(r, "data_kind"), f); ok {
				return res, err
			}
			return p.store.ImportOrders(r.Context(), f, also)
		}},
}

func (p *Pages) importForm(kind string) http.HandlerFunc {
	k := importKinds[kind]
	return func(w http.ResponseWriter, r *http.Request) {
		p.render.Render(w, r, http.StatusOK, "commerce/import.html", web.View{Title: k.Title, Nav: k.Nav, Data: map[string]any{"Kind": k, "DataKinds": p.dataKinds(kind)}})
	}
}

// importUpload reads the uploaded file and imports it all or nothing; the result (created
// records, or every row error) is shown on the same page.
func (p *Pages) importUpload(kind string) http.HandlerFunc {
	k := importKinds[kind]
	return func(w http.ResponseWriter, r *http.Request) {
		// The file is on disk, the form's other fields in r.PostForm (web.Uploaded).
		up, uerr := web.Uploaded(r, nil)
		if uerr == nil && up.Field != "file" {
			uerr = web.ErrNoUpload
		}
		// A double click or a resubmitted page imports the file once: the form's token is
		// claimed in the import's own transaction.
		once := p.forms.Once(r)
		if once.Seen(w, r) {
			return
		}
		data := map[string]any{"Kind": k, "DataKinds": p.dataKinds(kind), "DataKind": r.PostForm.Get("data_kind")}
		status := http.StatusOK
		view := web.View{Title: k.Title, Nav: k.Nav, Data: data}
		if uerr == nil && r.PostForm.Get("data_kind") == "" && p.store.ImportAsJob(up.Size, false) {
			// A large file is imported by a job; its page shows the progress and the outcome.
			run, err := p.store.StartImport(r.Context(), k.Key, up.Keep(), up.Filename, up.Size,
				func(ctx context.Context, tx *db.Tx, id string) error { return once.Claim(ctx, tx, "/imports/"+id) })
			if once.Repeat(w, r, err) {
				return
			}
			if err != nil {
				p.fail(w, r, err)
				return
			}
			http.Redirect(w, r, "/imports/"+run.ID, http.StatusSeeOther)
			return
		}
		var file io.ReadCloser
		if uerr == nil {
			file, uerr = up.Open()
		}
		switch {
		case errors.Is(uerr, web.ErrNoUpload):
			data["Message"], status = "CSVファイルを選んでください（"+web.FormatBytes(web.UploadLimit(r))+"まで）", http.StatusUnprocessableEntity
		case errs.As(uerr) != nil:
			e := errs.As(uerr)
			data["Message"], status = e.Message, web.StatusOf(e.Kind)
		case uerr != nil:
			p.fail(w, r, uerr)
			return
		default:
			defer file.Close()
			data["FileName"] = up.Filename
			res, err := k.run(p, r, file, claim(once, k.ListPath))
			data["Result"] = res
			switch {
			case once.Repeat(w, r, err):
				return
			case err == nil:
				view.FormToken = web.NewFormToken() // the page's form is ready for the next file
			case errs.KindOf(err) == errs.KindInvalid:
				data["Message"], status = errs.As(err).Message, http.StatusUnprocessableEntity
			default:
				p.fail(w, r, err)
				return
			}
		}
		p.render.Render(w, r, status, "commerce/import.html", view)
	}
}

// showImport is an import's page: while its job runs, the phase and rows done of the total
// (reloaded every two seconds); then the records created, or every row error.
func (p *Pages) showImport(w http.ResponseWriter, r *http.Request) {
	run, err := p.store.GetImport(r.Context(), r.PathValue("id"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	k := importKinds[run.Kind]
	phase := map[string]string{PhaseChecking: "全行を確認中", PhaseWriting: "登録中"}[run.Phase]
	p.render.Render(w, r, http.StatusOK, "commerce/import_run.html", web.View{Title: k.Title, Nav: k.Nav, Data: map[string]any{
		"Kind": k, "Run": run, "Status": ImportStatuses.Lookup(run.Status), "Phase": phase,
		"Done": web.Comma(run.RowsDone), "Total": web.Comma(run.RowsTotal), "Created": web.Comma(run.Created),
		"ErrorCount": web.Comma(run.ErrorCount), "Size": web.FormatBytes(run.FileSize)}})
}

func (p *Pages) exportCustomers(w http.ResponseWriter, r *http.Request) {
	f, err := CustomerFilterFromQuery(r.URL.Query())
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if f.IDs, err = p.exportResultIDs(r, f.IDs); err != nil {
		p.fail(w, r, err)
		return
	}
	p.export(w, r, "customers", func(buf io.Writer, tmpl string, enc jpcsv.Encoding) error {
		return p.store.ExportCustomers(r.Context(), buf, f, tmpl, enc)
	})
}

func (p *Pages) exportOrders(w http.ResponseWriter, r *http.Request) {
	f, err := p.store.OrderFilterFromQuery(r.URL.Query())
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if f.IDs, err = p.exportResultIDs(r, f.IDs); err != nil {
		p.fail(w, r, err)
		return
	}
	p.export(w, r, "orders", func(buf io.Writer, tmpl string, enc jpcsv.Encoding) error {
		return p.store.ExportOrders(withExportQuery(r.Context(), r.URL.Query()), buf, f, tmpl, enc)
	})
}

// exportResultIDs restricts an export to the records of a bulk run's outcome when the list it
// came from was (?bulk_run=&outcome=), as the list itself is.
func (p *Pages) exportResultIDs(r *http.Request, ids []string) ([]string, error) {
	ids, none, err := p.resultIDs(r.Context(), r.URL.Query(), ids)
	if none {
		return []string{""}, err // no record has an empty ID: the export is empty, not everything
	}
	return ids, err
}

func exportsOf(ts []ExportTemplate) []web.Export {
	out := make([]web.Export, len(ts))
	for i, t := range ts {
		out[i] = web.Export{ID: t.ID, Name: t.Name}
	}
	return out
}

// dataKinds are the rooms' 取込みデータ種別 offered on the order import page.
func (p *Pages) dataKinds(kind string) []OrderImport {
	if kind != "orders" {
		return nil
	}
	return p.store.orderImports
}
