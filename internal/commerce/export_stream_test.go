package commerce_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"kessai/internal/commerce"
	"kessai/internal/web"
)

// An export streams from the database through the encoder into a spool file, so a row that
// cannot be encoded late in a large file still means nothing is sent: 422 naming the row and
// column, not a truncated CSV. The same rows in UTF-8 arrive whole, with their length.
func TestExportStreamsAndStaysAllOrNothing(t *testing.T) {
	t.Parallel()
	c, fx, s := newAPIStore(t)
	ctx := context.Background()
	// 1,200 orders (two lines each): more than one 500-order batch and more than the
	// writer's 64 KB buffer before the bad row, which is the last order by number.
	in := make([]commerce.Order, 1200)
	for i := range in {
		in[i] = commerce.Order{ShopID: fx.shop.ID, CustomerID: fx.customer.ID, PaymentMethod: "credit_card",
			Note:  strings.Repeat("備考", 20),
			Lines: []commerce.OrderLine{{Name: "商品A", UnitPrice: 1000, Quantity: 1}, {Name: "商品B", UnitPrice: 500, Quantity: 2}}}
	}
	in[len(in)-1].Lines[1].Name = "𠮷野家の丼"
	for _, o := range in {
		if _, err := s.CreateOrder(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	res, err := http.Get(c.url + "/api/v1/orders/export.csv?sort=number")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var eb web.ErrorBody
	if res.StatusCode != 422 || json.Unmarshal(body, &eb) != nil || !strings.Contains(eb.Error.Fields["rows.2401.商品名"], "𠮷") {
		t.Fatalf("CP932 export with an unencodable last row: %d %.300s", res.StatusCode, body)
	}
	res, err = http.Get(c.url + "/api/v1/orders/export.csv?sort=number&encoding=utf-8")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || strings.Count(string(body), "\r\n") != 2401 || !strings.Contains(string(body), "𠮷野家の丼") ||
		res.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
		t.Fatalf("UTF-8 export: %d, %d lines, Content-Length %s of %d bytes", res.StatusCode, strings.Count(string(body), "\r\n"), res.Header.Get("Content-Length"), len(body))
	}
}
