package yamatosim

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"

	"kessai/internal/provider/yamato"
)

// The CSV mode of the provider's admin screen: the merchant uploads a 買手情報一括登録CSV, the
// provider checks every row and decides each credit, the merchant downloads the
// クロネコ後払い与信結果データ, ships, and uploads a 出荷情報一括登録CSV. Both uploads are all or
// nothing: one bad row and nothing is registered, with every bad row reported.

// ImportBuyerCSV registers the orders of a buyer CSV and decides their credit.
func (s *Sim) ImportBuyerCSV(r io.Reader, fileName string) (*Batch, error) {
	rows, err := yamato.ReadBuyerCSV(r, s.now())
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, yamato.RowErrors{{Row: 2, Message: "データ行がありません"}}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var errs yamato.RowErrors
	forms := make([]url.Values, len(rows))
	seen := map[string]int{}
	for i, row := range rows {
		line := row.Row
		f, _ := row.CreditRequest().Form()
		if code := s.creditChecks(f); code != "" {
			errs = append(errs, yamato.RowError{Row: line, Column: "受注番号", Value: row.OrderNo, Message: fmt.Sprintf("%s [%s]", yamato.Describe(code), code)})
		}
		if prev, dup := seen[row.OrderNo]; dup {
			errs = append(errs, yamato.RowError{Row: line, Column: "受注番号", Value: row.OrderNo, Message: fmt.Sprintf("%d行目と同じ受注番号です", prev)})
		}
		seen[row.OrderNo] = line
		forms[i] = f
	}
	if len(errs) > 0 {
		return nil, errs
	}
	s.st.Seq++
	b := &Batch{ID: fmt.Sprintf("B%06d", s.st.Seq), At: now, FileName: fileName}
	for _, f := range forms {
		o := formOrder(f, now, "csv:"+b.ID)
		s.st.Orders[o.OrderNo] = o
		s.decideLocked(o, now)
		b.OrderNos = append(b.OrderNos, o.OrderNo)
	}
	s.st.Batches = append(s.st.Batches, b)
	s.saveLocked()
	cp := *b
	return &cp, nil
}

// ErrUnknownBatch is returned for a batch ID the Sim does not have.
var ErrUnknownBatch = errors.New("yamatosim: アップロードが見つかりません")

// Batches returns the buyer CSV uploads, newest first.
func (s *Sim) Batches() []Batch {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Batch, 0, len(s.st.Batches))
	for _, b := range slices.Backward(s.st.Batches) {
		out = append(out, *b)
	}
	return out
}

// WriteCreditResults writes the クロネコ後払い与信結果データ of one upload, with each order's
// result as it is now (審査中 rows change once the review resolves).
func (s *Sim) WriteCreditResults(w io.Writer, batchID string) error {
	s.mu.Lock()
	s.tickLocked()
	var rows []yamato.CreditResultRow
	found := false
	for _, b := range s.st.Batches {
		if b.ID != batchID {
			continue
		}
		found = true
		for _, no := range b.OrderNos {
			o := s.st.Orders[no]
			if o == nil {
				continue
			}
			od, _ := parseYmd(o.OrderYmd)
			rows = append(rows, yamato.CreditResultRow{OrderNo: o.OrderNo, OrderDate: od, Name: o.Name, Total: o.Total, Result: o.Result, DecidedAt: o.DecidedAt})
		}
	}
	s.mu.Unlock()
	if !found {
		return ErrUnknownBatch
	}
	return yamato.WriteCreditResultCSV(w, rows)
}

// ImportShipmentCSV registers the shipments of a 出荷情報一括登録CSV; it returns how many rows
// were applied.
func (s *Sim) ImportShipmentCSV(r io.Reader) (int, error) {
	rows, err := yamato.ReadShipmentCSV(r, s.now())
	if err != nil {
		return 0, err
	}
	if len(rows) == 0 {
		return 0, yamato.RowErrors{{Row: 2, Message: "データ行がありません"}}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickLocked()
	now := s.now()
	var errs yamato.RowErrors
	forms := make([]url.Values, len(rows))
	for i, row := range rows {
		line := row.Row
		f := row.Form()
		forms[i] = f
		o := s.st.Orders[row.OrderNo]
		if o == nil {
			errs = append(errs, yamato.RowError{Row: line, Column: "受注番号", Value: row.OrderNo, Message: "存在しない受注番号です [kaasl008E]"})
			continue
		}
		if code := s.shipmentChecks(o, f); code != "" {
			errs = append(errs, yamato.RowError{Row: line, Column: "送り状番号", Value: row.TrackingNo, Message: fmt.Sprintf("%s [%s]", yamato.Describe(code), code)})
		}
	}
	if len(errs) > 0 {
		return 0, errs
	}
	for i, row := range rows {
		s.applyShipment(s.st.Orders[row.OrderNo], forms[i], now)
	}
	s.saveLocked()
	return len(rows), nil
}
