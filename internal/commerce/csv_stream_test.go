package commerce_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"kessai/internal/commerce"
	"kessai/internal/platform/db"
	"kessai/internal/platform/jpcsv"
)

func count(t *testing.T, d *db.DB, table string) int {
	t.Helper()
	var n int
	if err := d.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// orderFile is n orders of two lines each; apart puts every order's second line after all
// first lines (the file is then not grouped).
func orderFile(n int, apart bool, bad func(i int) bool) string {
	var b strings.Builder
	b.WriteString("受注キー,店舗コード,支払方法,商品名,単価,数量\r\n")
	line := func(i, j int) {
		price := "100"
		if j == 1 && bad != nil && bad(i) {
			price = "百"
		}
		fmt.Fprintf(&b, "K%05d,main,credit_card,品%d,%s,1\r\n", i, j, price)
	}
	for i := range n {
		line(i, 0)
		if !apart {
			line(i, 1)
		}
	}
	if apart {
		for i := range n {
			line(i, 1)
		}
	}
	return b.String()
}

// An import larger than a write batch streams in two passes: the first counts and checks every
// row, the second writes every record in one transaction, numbered without gaps; a failure at
// the end of the second pass (here the form token's claim) keeps nothing of the earlier batches.
func TestImportStreamsInBatches(t *testing.T) {
	t.Parallel()
	s, d := newStore(t)
	ctx := context.Background()
	newFixture(t, s)
	const n = 1201 // three batches of the write pass
	var b strings.Builder
	b.WriteString("氏名,フリガナ\r\n")
	for i := range n {
		fmt.Fprintf(&b, "顧客%d,コキャク\r\n", i)
	}
	file := b.String()
	before := count(t, d, "customers")

	refuse := errors.New("claimed elsewhere")
	_, err := s.ImportCustomersWith(ctx, strings.NewReader(file), commerce.ImportOptions{
		Also: []commerce.Also{func(context.Context, *db.Tx, string) error { return refuse }}})
	if !errors.Is(err, refuse) || count(t, d, "customers") != before || count(t, d, "audit_log WHERE action = 'customer.create'") != before {
		t.Fatalf("a failed import kept rows: err %v, %d customers", err, count(t, d, "customers"))
	}

	var last map[string]commerce.ImportProgress = map[string]commerce.ImportProgress{}
	res, err := s.ImportCustomersWith(ctx, strings.NewReader(file), commerce.ImportOptions{
		Progress: func(p commerce.ImportProgress) { last[p.Phase] = p }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != n || res.Created != n || len(res.Codes) != n || res.Codes[0] != "C000002" || res.Codes[n-1] != fmt.Sprintf("C%06d", n+1) {
		t.Fatalf("result: %d rows, %d created, codes %s…%s", res.Rows, res.Created, res.Codes[0], res.Codes[len(res.Codes)-1])
	}
	if last[commerce.PhaseChecking] != (commerce.ImportProgress{Phase: commerce.PhaseChecking, Rows: n, Total: n}) ||
		last[commerce.PhaseWriting] != (commerce.ImportProgress{Phase: commerce.PhaseWriting, Rows: n, Total: n}) {
		t.Fatalf("progress %+v", last)
	}
	if got := count(t, d, "customers"); got != before+n {
		t.Fatalf("%d customers, want %d", got, before+n)
	}

	// A bad cell on the last row: nothing is written, the row is named.
	_, err = s.ImportCustomers(ctx, strings.NewReader(file+"顧客,コキャク\r\n,カナ\r\n"))
	if got := rowErrors(t, err); got != fmt.Sprintf("%d/氏名", n+3) {
		t.Fatalf("errors %s", got)
	}
	if got := count(t, d, "customers"); got != before+n {
		t.Fatalf("%d customers after a bad file", got)
	}
}

// A grouped order file streams and reports the same problems as the same orders with their
// lines apart (read whole): the streaming check is the in-memory one, one order at a time.
func TestImportOrdersGroupedOrApart(t *testing.T) {
	t.Parallel()
	s, d := newStore(t)
	ctx := context.Background()
	newFixture(t, s)
	const n = 700 // two write batches
	for _, apart := range []bool{false, true} {
		var phases []string
		res, err := s.ImportOrdersWith(ctx, strings.NewReader(orderFile(n, apart, nil)), commerce.ImportOptions{
			Progress: func(p commerce.ImportProgress) {
				if p.Phase == commerce.PhaseWriting {
					phases = append(phases, p.Phase)
				}
			}})
		if err != nil {
			t.Fatalf("apart=%v: %v", apart, err)
		}
		if res.Rows != 2*n || res.Created != n {
			t.Fatalf("apart=%v: %+v", apart, res)
		}
		if streamed := len(phases) > 0; streamed == apart {
			t.Errorf("apart=%v: streamed %v", apart, streamed)
		}
	}
	if got := count(t, d, "order_lines"); got != 4*n {
		t.Fatalf("%d lines, want %d", got, 4*n)
	}
	bad := func(i int) bool { return i%250 == 3 }
	var got [2]string
	for k, apart := range []bool{false, true} {
		_, err := s.ImportOrders(ctx, strings.NewReader(orderFile(n, apart, bad)))
		var es jpcsv.Errors
		if !errors.As(err, &es) {
			t.Fatalf("apart=%v: %v", apart, err)
		}
		// Rows differ between the layouts; the orders named must not.
		var keys []string
		for _, e := range es {
			keys = append(keys, e.Column+":"+e.Message)
		}
		got[k] = fmt.Sprint(len(es), keys)
	}
	if got[0] != got[1] || !strings.HasPrefix(got[0], "3 ") {
		t.Fatalf("grouped: %s\napart:   %s", got[0], got[1])
	}
	if got := count(t, d, "orders"); got != 2*n {
		t.Fatalf("%d orders after bad files", got)
	}
}
