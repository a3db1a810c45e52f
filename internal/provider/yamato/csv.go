package yamato

import (
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/platform/jpcsv"
)

// The CSV files of the CSV mode, each in one definition: its columns in order, its row type, a
// writer and an all-or-nothing reader. All three are CP932 with CRLF and a header row.
//
//   - BuyerCSV (買手情報一括登録CSV) is the provider's published layout: 106 columns, verified
//     against Yamato's own cart module.
//   - CreditResultCSV (クロネコ後払い与信結果データ) and ShipmentCSV (出荷情報一括登録CSV) are NOT
//     public. Their columns here are kessai's assumption, built from the API's fields; when a
//     real file is seen, change the column list and the row mapping in this file only.

// Layout names a CSV file kind and its columns.
type Layout struct {
	ID      string // stable, for URLs and settings
	Name    string // the provider's name for the file
	Columns []string
	// Assumed is true when the provider has not published the layout.
	Assumed bool
}

// ---- 買手情報一括登録CSV -------------------------------------------------------------------

// zenNN is NN in full-width digits, as the buyer CSV's header writes it: ０１ … １０.
func zenNN(n int) string { return ToZenkaku(fmt.Sprintf("%02d", n)) }

// BuyerCSV is 買手情報一括登録CSV(クロネコ代金後払いサービス): 15 buyer columns, ten 明細 groups
// of four, 送付先選択, and ten 送付先 groups of five.
var BuyerCSV = Layout{ID: "yamato-buyer", Name: "買手情報一括登録CSV(クロネコ代金後払いサービス)", Columns: buyerColumns()}

// BuyerColumnCount is the number of columns of BuyerCSV.
const BuyerColumnCount = 106

func buyerColumns() []string {
	cols := []string{"受注日", "出荷予定日", "受注番号", "氏名", "氏名（カナ）", "郵便番号", "住所①", "住所②", "電話番号",
		"予備１", "予備２", "予備３", "予備４", "メールアドレス", "請求金額合計"}
	for i := 1; i <= ItemsMax; i++ {
		nn := zenNN(i)
		cols = append(cols, "明細"+nn+"商品名", "明細"+nn+"数量", "明細"+nn+"単価", "明細"+nn+"小計")
	}
	cols = append(cols, "送付先選択")
	for i := 1; i <= 10; i++ {
		nn := zenNN(i)
		cols = append(cols, "送付先"+nn+"郵便番号", "送付先"+nn+"住所①", "送付先"+nn+"住所②", "送付先"+nn+"名称", "送付先"+nn+"電話番号")
	}
	return cols
}

// buyerItemCols and buyerDestCols are the column names of 明細NN and 送付先NN, built once.
var buyerItemCols, buyerDestCols = func() (items [ItemsMax + 1][4]string, dests [11][5]string) {
	for i := 1; i <= 10; i++ {
		nn := zenNN(i)
		items[i] = [4]string{"明細" + nn + "商品名", "明細" + nn + "数量", "明細" + nn + "単価", "明細" + nn + "小計"}
		dests[i] = [5]string{"送付先" + nn + "郵便番号", "送付先" + nn + "住所①", "送付先" + nn + "住所②", "送付先" + nn + "名称", "送付先" + nn + "電話番号"}
	}
	return
}()

// BuyerDestination is one 送付先 group of the buyer CSV.
type BuyerDestination struct {
	PostCode, Address1, Address2, Name, Tel string
}

// BuyerRow is one row of the buyer CSV: a credit request in file form.
type BuyerRow struct {
	Row                 int // the row in the file it was read from (the header is 1); 0 otherwise
	OrderDate, ShipDate time.Time
	OrderNo             string
	Name, NameKana      string
	PostCode            string // 7 digits
	Address1, Address2  string
	Tel                 string // digits only
	Spare               [4]string
	Email               string
	Total               int64
	Items               []Item
	SendDiv             SendDiv
	Destinations        []BuyerDestination // up to 10; the first is the API's 送り先
}

// BuyerRowFrom turns a credit request into a buyer CSV row, with the same conversions the API
// client applies (全角, 25/25 split) and the file's own forms (postal code and telephone
// without hyphens).
func BuyerRowFrom(r CreditRequest) BuyerRow {
	f, _ := r.Form()
	row := BuyerRow{OrderDate: r.OrderDate, ShipDate: r.ShipDate, OrderNo: r.OrderNo, Name: f.Get("name"),
		NameKana: f.Get("nameKana"), PostCode: strings.ReplaceAll(f.Get("postCode"), "-", ""),
		Address1: f.Get("address1"), Address2: f.Get("address2"), Tel: strings.ReplaceAll(f.Get("telNum"), "-", ""),
		Email: f.Get("email"), Total: r.TotalAmount, SendDiv: SendDiv(f.Get("sendDiv"))}
	for _, it := range r.Items {
		it.Name = ToZenkaku(strings.TrimSpace(it.Name))
		row.Items = append(row.Items, it)
	}
	if r.SendTo != nil {
		row.Destinations = []BuyerDestination{{PostCode: strings.ReplaceAll(f.Get("sendPostCode"), "-", ""),
			Address1: f.Get("sendAddress1"), Address2: f.Get("sendAddress2"), Name: f.Get("sendName"),
			Tel: strings.ReplaceAll(f.Get("sendTelNum"), "-", "")}}
	}
	return row
}

// CreditRequest returns the row as the API request it stands for (the address re-joined).
func (b BuyerRow) CreditRequest() CreditRequest {
	r := CreditRequest{OrderNo: b.OrderNo, OrderDate: b.OrderDate, ShipDate: b.ShipDate, Name: b.Name, NameKana: b.NameKana,
		PostCode: b.PostCode, Address: b.Address1 + b.Address2, Tel: b.Tel, Email: b.Email, TotalAmount: b.Total,
		SendDiv: b.SendDiv, Items: b.Items}
	if len(b.Destinations) > 0 {
		d := b.Destinations[0]
		r.SendTo = &Destination{Name: d.Name, PostCode: d.PostCode, Address: d.Address1 + d.Address2, Tel: d.Tel}
	}
	return r
}

func (b BuyerRow) record() []string {
	rec := make([]string, 0, BuyerColumnCount)
	rec = append(rec, ymd(b.OrderDate), ymd(b.ShipDate), b.OrderNo, b.Name, b.NameKana, b.PostCode, b.Address1, b.Address2, b.Tel,
		b.Spare[0], b.Spare[1], b.Spare[2], b.Spare[3], b.Email, strconv.FormatInt(b.Total, 10))
	for i := range ItemsMax {
		if i < len(b.Items) {
			it := b.Items[i]
			rec = append(rec, it.Name, strconv.Itoa(it.Count), strconv.FormatInt(it.UnitPrice, 10), strconv.FormatInt(it.SubTotal, 10))
		} else {
			rec = append(rec, "", "", "", "")
		}
	}
	rec = append(rec, string(b.SendDiv))
	for i := range 10 {
		if i < len(b.Destinations) {
			d := b.Destinations[i]
			rec = append(rec, d.PostCode, d.Address1, d.Address2, d.Name, d.Tel)
		} else {
			rec = append(rec, "", "", "", "", "")
		}
	}
	return rec
}

// buyerForm is the row as a KAARA0010 form, so the API's field rules check the file too.
func (b BuyerRow) form(now time.Time) url.Values {
	f := url.Values{}
	set := func(k, v string) {
		if v != "" {
			f.Set(k, v)
		}
	}
	set("ycfStrCode", "00000000000")
	set("password", "csv")
	set("requestDate", now.In(clock.JST).Format("20060102150405"))
	rec := b.record()
	for k, col := range buyerKeyColumn {
		set(k, rec[buyerIndex[col]])
	}
	return f
}

// buyerKeyColumn maps the API's keys to the buyer CSV's columns, to check a row with Validate
// and name the column in the error.
var buyerKeyColumn = func() map[string]string {
	m := map[string]string{"orderYmd": "受注日", "shipYmd": "出荷予定日", "orderNo": "受注番号", "name": "氏名",
		"nameKana": "氏名（カナ）", "postCode": "郵便番号", "address1": "住所①", "address2": "住所②", "telNum": "電話番号",
		"email": "メールアドレス", "totalAmount": "請求金額合計", "sendDiv": "送付先選択",
		"sendPostCode": "送付先０１郵便番号", "sendAddress1": "送付先０１住所①", "sendAddress2": "送付先０１住所②",
		"sendName": "送付先０１名称", "sendTelNum": "送付先０１電話番号"}
	for i := 1; i <= ItemsMax; i++ {
		nn, n := zenNN(i), strconv.Itoa(i)
		m["itemName"+n], m["itemCount"+n], m["unitPrice"+n], m["subTotal"+n] = "明細"+nn+"商品名", "明細"+nn+"数量", "明細"+nn+"単価", "明細"+nn+"小計"
	}
	return m
}()

var buyerIndex = func() map[string]int {
	m := map[string]int{}
	for i, c := range BuyerCSV.Columns {
		m[c] = i
	}
	return m
}()

// check runs the API's rules on the row and returns them as row errors naming CSV columns.
func (b BuyerRow) check(row int, now time.Time) []jpcsv.RowError {
	var out []jpcsv.RowError
	for _, fe := range Validate(APICredit, b.form(now)) {
		col := buyerKeyColumn[fe.Key]
		out = append(out, jpcsv.RowError{Row: row, Column: col, Value: fe.Value, Message: fmt.Sprintf("%s [%s]", fe.Message, fe.Code)})
	}
	if len(b.Items) > ItemsMax {
		out = append(out, jpcsv.RowError{Row: row, Message: fmt.Sprintf("明細は%d行までです", ItemsMax)})
	}
	if len(b.Destinations) > 10 {
		out = append(out, jpcsv.RowError{Row: row, Message: "送付先は10件までです"})
	}
	return out
}

// WriteBuyerCSV writes rows as a buyer CSV after checking each against the API's rules (the
// 90 days counted from now); with any error nothing is written and every problem is returned
// as jpcsv.Errors with its row (the header is row 1).
func WriteBuyerCSV(w io.Writer, now time.Time, rows []BuyerRow) error {
	var c jpcsv.Collector
	recs := make([][]string, len(rows))
	for i, r := range rows {
		for _, e := range r.check(i+2, now) {
			c.Add(e)
		}
		recs[i] = r.record()
	}
	if err := c.Err(); err != nil {
		return err
	}
	return jpcsv.WriteAllRaw(w, jpcsv.CP932, BuyerCSV.Columns, recs)
}

// ReadBuyerCSV reads a buyer CSV (CP932 or UTF-8). It returns the rows only if every row is
// good; otherwise jpcsv.Errors lists every problem by row and column.
func ReadBuyerCSV(r io.Reader, now time.Time) ([]BuyerRow, error) {
	cr, err := readerFor(r, BuyerCSV)
	if err != nil {
		return nil, err
	}
	return jpcsv.ParseAll(cr, func(rec jpcsv.Record) (BuyerRow, error) { return parseBuyer(rec, now) })
}

func parseBuyer(rec jpcsv.Record, now time.Time) (BuyerRow, error) {
	var c jpcsv.Collector
	g := rec.Get
	b := BuyerRow{Row: rec.Row, OrderNo: g("受注番号"), Name: g("氏名"), NameKana: g("氏名（カナ）"), PostCode: g("郵便番号"),
		Address1: g("住所①"), Address2: g("住所②"), Tel: g("電話番号"), Email: g("メールアドレス"),
		Spare: [4]string{g("予備１"), g("予備２"), g("予備３"), g("予備４")}, SendDiv: SendDiv(g("送付先選択"))}
	b.OrderDate, _ = time.ParseInLocation("20060102", g("受注日"), clock.JST)
	b.ShipDate, _ = time.ParseInLocation("20060102", g("出荷予定日"), clock.JST)
	b.Total, _ = strconv.ParseInt(g("請求金額合計"), 10, 64)
	for i := 1; i <= ItemsMax; i++ {
		c := buyerItemCols[i]
		name, count, price, sub := g(c[0]), g(c[1]), g(c[2]), g(c[3])
		if name == "" && count == "" && price == "" && sub == "" {
			continue
		}
		it := Item{Name: name}
		it.Count, _ = strconv.Atoi(count)
		it.UnitPrice, _ = strconv.ParseInt(price, 10, 64)
		it.SubTotal, _ = strconv.ParseInt(sub, 10, 64)
		b.Items = append(b.Items, it)
	}
	for i := 1; i <= 10; i++ {
		c := buyerDestCols[i]
		d := BuyerDestination{PostCode: g(c[0]), Address1: g(c[1]), Address2: g(c[2]), Name: g(c[3]), Tel: g(c[4])}
		if d != (BuyerDestination{}) {
			for len(b.Destinations) < i-1 {
				b.Destinations = append(b.Destinations, BuyerDestination{})
			}
			b.Destinations = append(b.Destinations, d)
		}
	}
	// The rules see the raw cells, so a value that did not parse is reported as written.
	f := url.Values{}
	for k, col := range buyerKeyColumn {
		if v := g(col); v != "" {
			f.Set(k, v)
		}
	}
	f.Set("ycfStrCode", "00000000000")
	f.Set("password", "csv")
	f.Set("requestDate", now.In(clock.JST).Format("20060102150405"))
	for _, fe := range Validate(APICredit, f) {
		c.Add(jpcsv.RowError{Row: rec.Row, Column: buyerKeyColumn[fe.Key], Value: fe.Value, Message: fmt.Sprintf("%s [%s]", fe.Message, fe.Code)})
	}
	return b, c.Err()
}

// readerFor opens a CSV and checks that it has exactly the layout's columns.
func readerFor(r io.Reader, l Layout) (*jpcsv.Reader, error) {
	cr, err := jpcsv.NewReader(r)
	if err != nil {
		return nil, err
	}
	if err := cr.Require(l.Columns...); err != nil {
		return nil, err
	}
	if n := len(cr.Header()); n != len(l.Columns) {
		return nil, jpcsv.Errors{{Row: 1, Message: fmt.Sprintf("%sの列は%d個です（このファイルは%d個）", l.Name, len(l.Columns), n)}}
	}
	return cr, nil
}

// ---- クロネコ後払い与信結果データ -------------------------------------------------------------

// CreditResultCSV is the credit-result file downloaded from Yamato's admin screen. ASSUMED
// layout (not public): one row per order with 受注番号 and the 審査結果 code of the API (0–3),
// its name, and when it was decided.
var CreditResultCSV = Layout{ID: "yamato-credit-result", Name: "クロネコ後払い与信結果データ", Assumed: true,
	Columns: []string{"受注番号", "受注日", "氏名", "請求金額合計", "審査結果", "審査結果名", "審査日時"}}

// CreditResultRow is one row of the credit-result file.
type CreditResultRow struct {
	OrderNo   string
	OrderDate time.Time
	Name      string
	Total     int64
	Result    CreditResult
	DecidedAt time.Time
}

// WriteCreditResultCSV writes the credit-result file (the sandbox offers it for download).
func WriteCreditResultCSV(w io.Writer, rows []CreditResultRow) error {
	recs := make([][]string, len(rows))
	for i, r := range rows {
		at := ""
		if !r.DecidedAt.IsZero() {
			at = r.DecidedAt.In(clock.JST).Format("20060102150405")
		}
		recs[i] = []string{r.OrderNo, ymd(r.OrderDate), r.Name, strconv.FormatInt(r.Total, 10), string(r.Result), r.Result.Label(), at}
	}
	return jpcsv.WriteAllRaw(w, jpcsv.CP932, CreditResultCSV.Columns, recs)
}

// ReadCreditResultCSV reads a credit-result file, all rows or none.
func ReadCreditResultCSV(r io.Reader) ([]CreditResultRow, error) {
	cr, err := readerFor(r, CreditResultCSV)
	if err != nil {
		return nil, err
	}
	seen := map[string]int{}
	return jpcsv.ParseAll(cr, func(rec jpcsv.Record) (CreditResultRow, error) {
		var c jpcsv.Collector
		row := CreditResultRow{OrderNo: rec.Get("受注番号"), Name: rec.Get("氏名"), Result: CreditResult(rec.Get("審査結果"))}
		switch no := row.OrderNo; {
		case no == "" || len(no) > OrderNoMax || !isOrderNoChars(no):
			c.Add(rec.Error("受注番号", "受注番号は半角英数字と「-」「_」の20文字以内です"))
		case seen[no] != 0:
			c.Add(rec.Error("受注番号", fmt.Sprintf("%d行目と同じ受注番号です", seen[no])))
		default:
			seen[no] = rec.Row
		}
		if s := rec.Get("受注日"); s != "" {
			t, err := time.ParseInLocation("20060102", s, clock.JST)
			if err != nil {
				c.Add(rec.Error("受注日", "日付は yyyyMMdd で指定してください"))
			}
			row.OrderDate = t
		}
		if s := rec.Get("請求金額合計"); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 1 || n > AmountMax {
				c.Add(rec.Error("請求金額合計", "1〜999999 の半角数字で指定してください"))
			}
			row.Total = n
		}
		if !row.Result.Known() {
			c.Add(rec.Error("審査結果", "審査結果は 0（ご利用可）, 1（ご利用不可）, 2（限度額超過）, 3（審査中）のいずれかです"))
		}
		if s := rec.Get("審査日時"); s != "" {
			t, err := time.ParseInLocation("20060102150405", s, clock.JST)
			if err != nil {
				c.Add(rec.Error("審査日時", "日時は yyyyMMddHHmmss で指定してください"))
			}
			row.DecidedAt = t.UTC()
		}
		return row, c.Err()
	})
}

// ---- 出荷情報一括登録CSV ---------------------------------------------------------------------

// ShipmentCSV is 出荷情報一括登録CSV(クロネコ代金後払いサービス), uploaded after shipping. ASSUMED
// layout (not public): the KAASL0010 fields, one order per row, plus the carrier's name.
var ShipmentCSV = Layout{ID: "yamato-shipment", Name: "出荷情報一括登録CSV(クロネコ代金後払いサービス)", Assumed: true,
	Columns: []string{"受注番号", "配送会社", "送り状番号", "出荷日", "処理区分", "変更前送り状番号"}}

// CarrierYamato is the 配送会社 value for ヤマト運輸; other carriers use 処理区分 2.
const CarrierYamato = "ヤマト運輸"

// ShipmentRow is one row of the shipment CSV.
type ShipmentRow struct {
	Row     int    // the row in the file it was read from; 0 otherwise
	Carrier string // CarrierYamato when empty
	ShipmentRequest
}

var shipmentKeyColumn = map[string]string{"orderNo": "受注番号", "paymentNo": "送り状番号", "shipYmd": "出荷日",
	"processDiv": "処理区分", "beforePaymentNo": "変更前送り状番号"}

// WriteShipmentCSV writes the shipment CSV after checking every row against KAASL0010's rules.
func WriteShipmentCSV(w io.Writer, now time.Time, rows []ShipmentRow) error {
	var c jpcsv.Collector
	recs := make([][]string, len(rows))
	for i, r := range rows {
		f := r.Form()
		for _, fe := range shipmentCheck(f, now) {
			c.Add(jpcsv.RowError{Row: i + 2, Column: shipmentKeyColumn[fe.Key], Value: fe.Value, Message: fmt.Sprintf("%s [%s]", fe.Message, fe.Code)})
		}
		carrier := r.Carrier
		if carrier == "" {
			carrier = CarrierYamato
		}
		recs[i] = []string{f.Get("orderNo"), carrier, f.Get("paymentNo"), f.Get("shipYmd"), f.Get("processDiv"), f.Get("beforePaymentNo")}
	}
	if err := c.Err(); err != nil {
		return err
	}
	return jpcsv.WriteAllRaw(w, jpcsv.CP932, ShipmentCSV.Columns, recs)
}

func shipmentCheck(f url.Values, now time.Time) []FieldError {
	g := url.Values{}
	for k, v := range f {
		if len(v) > 0 && v[0] != "" {
			g[k] = v
		}
	}
	g.Set("ycfStrCode", "00000000000")
	g.Set("password", "csv")
	g.Set("requestDate", now.In(clock.JST).Format("20060102150405"))
	return Validate(APIShipment, g)
}

// ReadShipmentCSV reads a shipment CSV, all rows or none. A row for another carrier must use
// 処理区分 2; one order may appear only once.
func ReadShipmentCSV(r io.Reader, now time.Time) ([]ShipmentRow, error) {
	cr, err := readerFor(r, ShipmentCSV)
	if err != nil {
		return nil, err
	}
	seen := map[string]int{}
	return jpcsv.ParseAll(cr, func(rec jpcsv.Record) (ShipmentRow, error) {
		var c jpcsv.Collector
		row := ShipmentRow{Row: rec.Row, Carrier: rec.Get("配送会社"), ShipmentRequest: ShipmentRequest{OrderNo: rec.Get("受注番号"),
			TrackingNo: rec.Get("送り状番号"), ProcessDiv: ProcessDiv(rec.Get("処理区分")), BeforeTrackingNo: rec.Get("変更前送り状番号")}}
		if row.ProcessDiv == "" {
			row.ProcessDiv = ProcessRegister
		}
		if s := rec.Get("出荷日"); s != "" {
			row.ShipDate, _ = time.ParseInLocation("20060102", s, clock.JST)
		}
		f := url.Values{}
		for k, col := range shipmentKeyColumn {
			f.Set(k, rec.Get(col))
		}
		f.Set("processDiv", string(row.ProcessDiv))
		for _, fe := range shipmentCheck(f, now) {
			c.Add(jpcsv.RowError{Row: rec.Row, Column: shipmentKeyColumn[fe.Key], Value: fe.Value, Message: fmt.Sprintf("%s [%s]", fe.Message, fe.Code)})
		}
		if row.Carrier != "" && row.Carrier != CarrierYamato && row.ProcessDiv != ProcessOther && row.ProcessDiv != ProcessCancel {
			c.Add(rec.Error("処理区分", "ヤマト運輸以外の配送会社は処理区分 2（他社配送）で登録してください"))
		}
		if prev := seen[row.OrderNo]; prev != 0 && row.OrderNo != "" {
			c.Add(rec.Error("受注番号", fmt.Sprintf("%d行目と同じ受注番号です", prev)))
		} else {
			seen[row.OrderNo] = rec.Row
		}
		return row, c.Err()
	})
}

// RowError and RowErrors are the CSV readers' error types (jpcsv's), named here so users of
// this package, like the sandbox, need no other import to report rows.
type (
	RowError  = jpcsv.RowError
	RowErrors = jpcsv.Errors
)
