package kantan

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/jpcsv"
	"kessai/internal/room"
	"kessai/internal/web"
)

// maxTrackingRows bounds one 伝票番号一括登録 file (each row ships an order, and may capture it).
const maxTrackingRows = 5000

// Columns of the 伝票番号一括登録 CSV (CP932 or UTF-8, header row first).
const (
	colNumber   = "受注番号"
	colTracking = "送り状番号"
	colCarrier  = "配送業者" // optional
)

func (p *pages) registerTracking(h *room.Host) {
	h.Shell.HandleFunc(http.MethodGet, "/kantan/tracking", auth.PermOperate, "伝票番号一括登録", p.trackingPage)
	h.Shell.HandleFunc(http.MethodPost, "/kantan/tracking", auth.PermOperate, "伝票番号一括登録（CSV）", p.trackingUpload)
	h.Shell.Upload(http.MethodPost, "/kantan/tracking")
	h.Shell.AddNav(web.NavEntry{Key: "kantan-tracking", Label: "伝票番号一括登録", Path: "/kantan/tracking", Order: web.NavRooms + 20})
}

func (p *pages) trackingView(r *http.Request, w http.ResponseWriter, status int, data map[string]any) {
	st, err := p.svc.Settings(r.Context())
	if err != nil {
		p.render.Error(w, r, err)
		return
	}
	data["ShipCapture"] = st.ShipCapture
	p.render.Render(w, r, status, "kantan/tracking.html", web.View{Title: "伝票番号一括登録", Nav: "kantan-tracking", Data: data})
}

func (p *pages) trackingPage(w http.ResponseWriter, r *http.Request) {
	p.trackingView(r, w, http.StatusOK, map[string]any{})
}

// trackingUpload reads the whole file first: a file with any bad row registers nothing and
// lists every bad row; a good file ships each order (rows are independent: one refused order
// does not stop the others) and shows each row's result.
func (p *pages) trackingUpload(w http.ResponseWriter, r *http.Request) {
	items, rowErrs, err := p.readTracking(r)
	if err != nil {
		p.trackingView(r, w, http.StatusUnprocessableEntity, map[string]any{"Error": err.Error()})
		return
	}
	if len(rowErrs) > 0 {
		p.trackingView(r, w, http.StatusUnprocessableEntity, map[string]any{"Error": "CSV に誤りがあるため登録していません", "RowErrors": rowErrs})
		return
	}
	res := p.svc.RegisterTracking(r.Context(), items)
	shipped := 0
	for i := range res {
		res[i].Row++ // the data rows start on the file's row 2
		if res[i].Outcome == "shipped" {
			shipped++
		}
	}
	p.trackingView(r, w, http.StatusOK, map[string]any{"Results": res, "Shipped": shipped, "Refused": len(res) - shipped,
		"Labels": Statuses})
}

func (p *pages) readTracking(r *http.Request) ([]TrackingItem, []string, error) {
	up, err := web.Uploaded(r, nil)
	if err != nil || up.Field != "file" {
		return nil, nil, errors.New("CSV ファイルを選んでください")
	}
	f, err := up.Open()
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	cr, err := jpcsv.NewReader(f)
	if err != nil {
		return nil, nil, fmt.Errorf("CSV を読めません: %w", err)
	}
	if err := cr.Require(colNumber, colTracking); err != nil {
		return nil, nil, fmt.Errorf("見出し行に「%s」「%s」の列が必要です", colNumber, colTracking)
	}
	var items []TrackingItem
	var bad []string
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("CSV を読めません: %w", err)
		}
		it := TrackingItem{Number: strings.TrimSpace(rec.Get(colNumber)), TrackingNumber: strings.TrimSpace(rec.Get(colTracking)),
			Carrier: strings.TrimSpace(rec.Get(colCarrier))}
		switch {
		case it.Number == "":
			bad = append(bad, fmt.Sprintf("%d行目: 受注番号が空です", rec.Row))
		case it.TrackingNumber == "":
			bad = append(bad, fmt.Sprintf("%d行目: 送り状番号が空です（受注番号 %s）", rec.Row, it.Number))
		case seen[it.Number] > 0:
			bad = append(bad, fmt.Sprintf("%d行目: 受注番号 %s は %d行目にもあります", rec.Row, it.Number, seen[it.Number]))
		}
		seen[it.Number] = rec.Row
		items = append(items, it)
		if len(items) > maxTrackingRows {
			return nil, nil, fmt.Errorf("1回に登録できるのは%d行までです", maxTrackingRows)
		}
	}
	if len(items) == 0 && len(bad) == 0 {
		return nil, nil, errors.New("CSV にデータ行がありません")
	}
	return items, bad, nil
}
