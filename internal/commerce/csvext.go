package commerce

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"kessai/internal/platform/errs"
)

// OrderExport is a room's order CSV template (e.g. 買手情報一括登録CSV for Yamato): offered
// beside commerce's own templates on the order list and at GET /api/v1/orders/export.csv
// ?template=ID, written by the room from the orders the list's search (or the checked rows)
// selects.
type OrderExport struct {
	ID, Name string
	// Write writes the CSV of the orders f selects. q is the request's query, for the
	// template's own options (e.g. ship_date, set_status); the encoding is the template's.
	Write func(ctx context.Context, w io.Writer, f OrderFilter, q url.Values) error
}

// OrderImport is a room's 取込みデータ種別 of the order CSV upload (受注データCSVアップロード):
// POST /api/v1/orders/import with kind=Kind (query or multipart field before the file) and the
// order import page's data kind select.
type OrderImport struct {
	Kind, Label string
	// Import reads the whole file, all rows or none (jpcsv.Errors with row numbers).
	Import func(ctx context.Context, r io.Reader) (ImportResult, error)
}

// AddOrderExport adds a room's order export template. It panics on a duplicate ID.
func (s *Store) AddOrderExport(e OrderExport) {
	if _, ok := orderTemplates.Find(e.ID); ok || e.Write == nil {
		panic(fmt.Sprintf("commerce: order export %q clashes with a template or has no Write", e.ID))
	}
	for _, x := range s.orderExports {
		if x.ID == e.ID {
			panic(fmt.Sprintf("commerce: order export %q added twice", e.ID))
		}
	}
	s.orderExports = append(s.orderExports, e)
}

// AddOrderImport adds a room's order import data kind. It panics on a duplicate kind.
func (s *Store) AddOrderImport(i OrderImport) {
	for _, x := range s.orderImports {
		if x.Kind == i.Kind || i.Import == nil {
			panic(fmt.Sprintf("commerce: order import %q added twice or without Import", i.Kind))
		}
	}
	s.orderImports = append(s.orderImports, i)
}

// AddOrderExport adds a room's order export template.
func (p *Pages) AddOrderExport(e OrderExport) { p.store.AddOrderExport(e) }

// AddOrderImport adds a room's order import data kind.
func (p *Pages) AddOrderImport(i OrderImport) { p.store.AddOrderImport(i) }

func (s *Store) orderExport(id string) (OrderExport, bool) {
	for _, e := range s.orderExports {
		if e.ID == id {
			return e, true
		}
	}
	return OrderExport{}, false
}

// orderExportMenu is commerce's templates and the rooms'.
func (s *Store) orderExportMenu() []ExportTemplate {
	out := OrderExportTemplates()
	for _, e := range s.orderExports {
		out = append(out, ExportTemplate{ID: e.ID, Name: e.Name})
	}
	return out
}

type exportQueryKey struct{}

// withExportQuery carries the export request's query to a room's OrderExport.Write.
func withExportQuery(ctx context.Context, q url.Values) context.Context {
	return context.WithValue(ctx, exportQueryKey{}, q)
}

func exportQuery(ctx context.Context) url.Values {
	q, _ := ctx.Value(exportQueryKey{}).(url.Values)
	return q
}

// roomExport writes a room's template when template names one.
func (s *Store) roomExport(ctx context.Context, w io.Writer, f OrderFilter, template string) (bool, error) {
	e, ok := s.orderExport(template)
	if !ok {
		return false, nil
	}
	return true, e.Write(ctx, w, f, exportQuery(ctx))
}

// roomImport runs the data kind of an order upload ("" or "orders": commerce's own).
func (s *Store) roomImport(ctx context.Context, kind string, r io.Reader) (ImportResult, bool, error) {
	if kind == "" || kind == "orders" {
		return ImportResult{}, false, nil
	}
	for _, i := range s.orderImports {
		if i.Kind == kind {
			res, err := i.Import(ctx, r)
			return res, true, err
		}
	}
	allowed := "orders（受注）"
	for _, i := range s.orderImports {
		allowed += "、" + i.Kind + "（" + i.Label + "）"
	}
	return ImportResult{}, true, errs.Invalid("取込みデータ種別「"+kind+"」はありません").Field("kind", "使える種別: "+allowed)
}

// importKindOf is the data kind of an upload: the multipart field before the file, or ?kind=
// (the page's select is data_kind: its ?kind= is the case kind).
func importKindOf(r *http.Request, field string) string {
	if k := r.PostForm.Get(field); k != "" {
		return k
	}
	return r.URL.Query().Get(field)
}
