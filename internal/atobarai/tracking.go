package atobarai

import (
	"context"
	"fmt"
	"io"
	"strings"

	"kessai/internal/commerce"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/jpcsv"
	"kessai/internal/provider/yamato"
)

// DataKindTracking is the order import's data kind for the carrier's CSV of tracking numbers.
const DataKindTracking = "tracking_numbers"

// TrackingCSV is the carrier's file of tracking numbers as 受注データCSVアップロード takes it.
// ASSUMED layout (each carrier's export differs; ヤマト's B2クラウド output is not the
// 後払い's): kessai's 受注番号 and the 送り状番号, optionally 出荷日 and 配送業者. Other
// columns are ignored, so a carrier's export with these headers can be uploaded as it is.
var TrackingCSV = yamato.Layout{ID: DataKindTracking, Name: "送り状番号データ（配送業者のCSV）", Assumed: true,
	Columns: []string{"受注番号", "送り状番号", "出荷日", "配送業者"}}

type trackingRow struct {
	row                       int
	order                     commerce.Order
	number, shipDate, carrier string
}

// ImportTracking sets the orders' tracking numbers from the carrier's CSV, all rows or none:
// every 受注番号 must be an order, a ヤマト運輸 number (or a 後払い order's) must pass the check
// digit, an order may appear once. The orders are not shipped by it: 出荷確定 (and, for 後払い,
// the registration at Yamato) follows with 発送完了.
func (s *Service) ImportTracking(ctx context.Context, r io.Reader) (commerce.ImportResult, error) {
	var res commerce.ImportResult
	if s.store == nil {
		return res, fmt.Errorf("atobarai: tracking import needs the order store")
	}
	cr, err := jpcsv.NewReader(r)
	if err != nil {
		return res, csvRowsInvalid("送り状番号データを取り込めません。1行も取り込んでいません", err)
	}
	if err := cr.Require("受注番号", "送り状番号"); err != nil {
		return res, csvRowsInvalid("送り状番号データを取り込めません。1行も取り込んでいません", err)
	}
	seen := map[string]int{}
	rows, err := jpcsv.ParseAll(cr, func(rec jpcsv.Record) (trackingRow, error) {
		var c jpcsv.Collector
		tr := trackingRow{row: rec.Row, number: strings.TrimSpace(rec.Get("送り状番号")), shipDate: strings.TrimSpace(rec.Get("出荷日")),
			carrier: strings.TrimSpace(rec.Get("配送業者"))}
		no := strings.TrimSpace(rec.Get("受注番号"))
		o, err := s.store.GetOrderByNumber(ctx, no)
		switch {
		case errs.KindOf(err) == errs.KindNotFound:
			c.Add(rec.Error("受注番号", "この受注番号の受注がありません"))
		case err != nil:
			return tr, err
		case seen[no] != 0:
			c.Add(rec.Error("受注番号", fmt.Sprintf("%d行目と同じ受注番号です", seen[no])))
		}
		seen[no] = rec.Row
		tr.order = o
		if tr.number == "" {
			c.Add(rec.Error("送り状番号", "送り状番号を入れてください"))
		} else if tr.carrier == "" || tr.carrier == yamato.CarrierYamato || o.PaymentMethod == PaymentMethod {
			n, err := normTracking(tr.number)
			if err != nil {
				c.Add(rec.Error("送り状番号", errMsg(err)+"（ヤマト運輸の12桁、末尾はチェックデジット）"))
			}
			tr.number = n
		}
		if tr.shipDate != "" {
			if _, err := parseDay(strings.ReplaceAll(tr.shipDate, "/", "-")); err != nil {
				c.Add(rec.Error("出荷日", "YYYY-MM-DD で入れてください"))
			}
			tr.shipDate = strings.ReplaceAll(tr.shipDate, "/", "-")
		}
		return tr, c.Err()
	})
	if err != nil {
		return res, csvRowsInvalid("送り状番号データを取り込めません。1行も取り込んでいません", err)
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		for _, tr := range rows {
			if _, err := s.store.ModifyOrderTx(ctx, tx, tr.order.ID, func(o *commerce.Order) error {
				o.TrackingNumber = tr.number
				if tr.carrier != "" {
					o.Carrier = tr.carrier
				} else if o.Carrier == "" {
					o.Carrier = yamato.CarrierYamato
				}
				if tr.shipDate != "" {
					o.ShippedOn = tr.shipDate
				}
				return nil
			}); err != nil {
				return fmt.Errorf("%d行目（%s）: %w", tr.row, tr.order.Number, err)
			}
			res.IDs = append(res.IDs, tr.order.ID)
			res.Codes = append(res.Codes, tr.order.Number)
		}
		return nil
	})
	if err != nil {
		return commerce.ImportResult{}, err
	}
	res.Rows, res.Created = len(rows), len(rows)
	return res, nil
}
