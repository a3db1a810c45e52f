package cardupdate_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"kessai/internal/cardupdate"
	"kessai/internal/platform/db"
	"kessai/internal/provider/gmopg"
)

// BenchmarkCardUpdateMonth measures one month at issue 9's size on the engine the tests use
// (KESSAI_TEST_POSTGRES_URL): 1,000,000 stored GMO-PG cards (KESSAI_BENCH_CARDS changes it), all
// due (expiring this month or next, registered before it, previously 有効性OK). The figure is
// the room's own code: the selection into the run (Prepare), the request file written from it
// (WriteRequest) and a result file applied (Apply: the whole-file check, the results, 10% new
// expiries, every card's 洗替ステータス). The floor, in the same run on the same rows: a bare
// prepared-statement read of the cards written to a file, and a bare batched update of each
// card (500 a statement, one transaction). Peak memory is the process's high-water RSS during
// the figure's phases (reset before each). Run it alone: scripts/bench-cardupdate.
func BenchmarkCardUpdateMonth(b *testing.B) {
	if os.Getenv("KESSAI_BENCH_CARDUPDATE") != "1" {
		b.Skip("set KESSAI_BENCH_CARDUPDATE=1 (scripts/bench-cardupdate) to generate and measure 1,000,000 cards")
	}
	n := 1_000_000
	if v := os.Getenv("KESSAI_BENCH_CARDS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	for b.Loop() {
		benchMonth(b, n)
	}
}

func benchMonth(b *testing.B, n int) {
	e := newEnv(b, jst(2026, 11, 20, 9))
	ctx := e.ctx
	start := time.Now()
	generateCards(b, e.db, n)
	b.Logf("%s: generated %d customers and cards in %s", e.db.Dialect(), n, time.Since(start).Round(time.Second))
	dir := b.TempDir()

	cpu0 := cpuSpent
	// The floor: read the rows into a file, then update each of them, 500 a statement.
	readFloor := timed(func() {
		f := create(b, dir, "floor.csv")
		w := bufio.NewWriter(f)
		stmt, err := e.db.SQL.PrepareContext(ctx, db.Rebind(e.db.Dialect(), `SELECT member_id, card_seq FROM customer_cards WHERE provider = ? ORDER BY member_id`))
		if err != nil {
			b.Fatal(err)
		}
		rows, err := stmt.QueryContext(ctx, cardupdate.ProviderGMOPG)
		if err != nil {
			b.Fatal(err)
		}
		var m, s string
		for rows.Next() {
			if err := rows.Scan(&m, &s); err != nil {
				b.Fatal(err)
			}
			w.WriteString(m)
			w.WriteByte(',')
			w.WriteString(s)
			w.WriteString("\r\n")
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		rows.Close()
		stmt.Close()
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		f.Close()
	})
	updateFloor := timed(func() {
		err := e.db.InTx(ctx, func(tx *db.Tx) error {
			const per = 500
			args := make([]any, 0, per*2)
			flush := func() error {
				if len(args) == 0 {
					return nil
				}
				_, err := tx.ExecContext(ctx, `UPDATE customer_cards SET expire_ym = v.column2 FROM (VALUES `+
					strings.TrimSuffix(strings.Repeat("(?, ?), ", len(args)/2), ", ")+`) AS v WHERE customer_cards.id = v.column1`, args...)
				args = args[:0]
				return err
			}
			for i := 1; i <= n; i++ {
				args = append(args, cardID(i), expireOf(i))
				if len(args) == per*2 {
					if err := flush(); err != nil {
						return err
					}
				}
			}
			return flush()
		})
		if err != nil {
			b.Fatal(err)
		}
	})

	floorCPU := cpuSpent - cpu0
	// The figure.
	var run cardupdate.Run
	sel, selMB := measured(func() {
		var err error
		if run, err = e.svc.Prepare(ctx, "202611"); err != nil {
			b.Fatal(err)
		}
	})
	if run.Targets != n {
		b.Fatalf("selected %d of %d", run.Targets, n)
	}
	reqPath := dir + "/request.csv"
	req, reqMB := measured(func() {
		f := create(b, dir, "request.csv")
		if _, err := e.svc.WriteRequest(ctx, run.ID, f); err != nil {
			b.Fatal(err)
		}
		f.Close()
	})
	resPath := resultFile(b, reqPath, dir)
	if _, err := e.db.ExecContext(ctx, `UPDATE cardupdate_runs SET status = ?, uploaded_at = ? WHERE id = ?`, cardupdate.RunUploaded, e.clk.Now().UTC(), run.ID); err != nil {
		b.Fatal(err)
	}
	apply, applyMB := measured(func() {
		f, err := os.Open(resPath)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if run, err = e.svc.Apply(ctx, run.ID, f); err != nil {
			b.Fatal(err)
		}
	})
	if run.Status != cardupdate.RunApplied || run.OK+run.Invalid != n {
		b.Fatalf("applied run = %+v", run)
	}
	figureCPU := cpuSpent - cpu0 - floorCPU
	// Not part of the month's figure: 「GMO 洗替結果取得」's CSV of every targeted customer,
	// which the job stores whole (jobs.Result holds bytes).
	var csvBytes int
	jobCSV, jobCSVMB := measured(func() {
		data, err := e.svc.ResultCSV(ctx, run.ID)
		if err != nil {
			b.Fatal(err)
		}
		csvBytes = len(data)
	})
	figure, floor := sel+req+apply, readFloor+updateFloor
	peak := max(selMB, reqMB, applyMB)
	b.ReportMetric(sel.Seconds(), "select-s")
	b.ReportMetric(req.Seconds(), "request-s")
	b.ReportMetric(apply.Seconds(), "apply-s")
	b.ReportMetric(figure.Seconds(), "figure-s")
	b.ReportMetric(readFloor.Seconds(), "floor-read-s")
	b.ReportMetric(updateFloor.Seconds(), "floor-update-s")
	b.ReportMetric(floor.Seconds(), "floor-s")
	b.ReportMetric(figure.Seconds()/floor.Seconds(), "ratio")
	b.ReportMetric(peak, "peak-MB")
	b.ReportMetric(figureCPU.Seconds(), "figure-cpu-s")
	b.ReportMetric(jobCSV.Seconds(), "jobcsv-s")
	b.ReportMetric(jobCSVMB, "jobcsv-peak-MB")
	b.Logf("job CSV (not in the figure): %s, %.0f MB file, peak %.0f MB", jobCSV.Round(time.Millisecond), float64(csvBytes)/1e6, jobCSVMB)
	b.ReportMetric(floorCPU.Seconds(), "floor-cpu-s")
	b.Logf("%s %d cards: select %s (%.0f MB) request %s (%.0f MB) apply %s (%.0f MB) = %s; floor read %s + update %s = %s; ratio %.2f (goal ≤ 3), peak %.0f MB (goal ≤ 150); CPU in this process: figure %s, floor %s",
		e.db.Dialect(), n, sel.Round(time.Millisecond), selMB, req.Round(time.Millisecond), reqMB, apply.Round(time.Millisecond), applyMB,
		figure.Round(time.Millisecond), readFloor.Round(time.Millisecond), updateFloor.Round(time.Millisecond), floor.Round(time.Millisecond),
		figure.Seconds()/floor.Seconds(), peak, figureCPU.Round(time.Millisecond), floorCPU.Round(time.Millisecond))
}

func cardID(i int) string { return fmt.Sprintf("card%07d", i) }

// expireOf is card i's stored expiry: this month or next (November 2026).
func expireOf(i int) string {
	if i%2 == 0 {
		return "2611"
	}
	return "2612"
}

// generateCards writes n customers, each with one GMO-PG card registered in October 2026 whose
// last result (month 202610) was 有効性OK, in SQL (a million rows in seconds).
func generateCards(b *testing.B, d *db.DB, n int) {
	ctx := context.Background()
	reg := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	seq := `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) `
	from := ` FROM n`
	pad := func(p string) string { return `printf('` + p + `%07d', i)` }
	if d.Dialect() == db.Postgres {
		seq, from = ``, ` FROM generate_series(1, ?::int) AS n(i)`
		pad = func(p string) string { return `'` + p + `' || lpad(i::text, 7, '0')` }
	}
	stmts := []struct {
		q    string
		args []any
	}{
		{`INSERT INTO cardupdate_runs (id, month, status, created_at, updated_at) VALUES ('cur_prior', '202610', 'applied', ?, ?)`, []any{reg, reg}},
		{seq + `INSERT INTO customers (id, code, name, created_at, updated_at) SELECT ` + pad("cu") + `, ` + pad("C") + `, 'B', ?, ?` + from, []any{reg, reg}},
		{seq + `INSERT INTO customer_cards (id, customer_id, provider, member_id, card_seq, masked_pan, expire_ym, status, created_at, updated_at)
			SELECT ` + pad("card") + `, ` + pad("cu") + `, 'gmopg', ` + pad("m") + `, '0', '************1111',
			CASE WHEN i % 2 = 0 THEN '2611' ELSE '2612' END, 'valid', ?, ?` + from, []any{reg, reg}},
		{seq + `INSERT INTO cardupdate_card_status (card_id, status, run_id, updated_at) SELECT ` + pad("card") + `, 'ok', 'cur_prior', ?` + from, []any{reg}},
	}
	for _, s := range stmts {
		args := s.args
		if strings.Contains(s.q, "i < ?") || strings.Contains(s.q, "generate_series") {
			if d.Dialect() == db.Postgres {
				args = append(args, n)
			} else {
				args = append([]any{n}, args...)
			}
		}
		if _, err := d.ExecContext(ctx, s.q, args...); err != nil {
			b.Fatalf("generate: %v\n%s", err, s.q)
		}
	}
	if err := d.AnalyzeTables(ctx, "customers", "customer_cards", "cardupdate_card_status", "cardupdate_runs"); err != nil {
		b.Fatal(err)
	}
}

// resultFile is GMO-PG's answer to the request at reqPath (the simulator's part, not timed):
// every 10th card gets a new expiry, every 50th is 有効性NG, the rest stay valid.
func resultFile(b *testing.B, reqPath, dir string) string {
	in, err := os.Open(reqPath)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out := create(b, dir, "result.csv")
	defer out.Close()
	bw := bufio.NewWriter(out)
	rr, rw := gmopg.NewRequestReader(bufio.NewReader(in)), gmopg.NewResultWriter(bw)
	for {
		row, err := rr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		i, _ := strconv.Atoi(strings.TrimPrefix(row.MemberID, "m"))
		old := expireOf(i)
		res := gmopg.UpdateResultRow{MemberID: row.MemberID, CardSeq: 0, Result: gmopg.ResultOK, OldExpire: old, NewExpire: old}
		switch {
		case i%50 == 1:
			res.Result, res.NewExpire = gmopg.ResultInvalid, ""
		case i%10 == 0:
			res.Change, res.NewExpire = gmopg.NewExpiry, "3011"
		}
		if err := rw.Write(res); err != nil {
			b.Fatal(err)
		}
	}
	if err := rw.Close(); err != nil {
		b.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	return out.Name()
}

func create(b *testing.B, dir, name string) *os.File {
	f, err := os.Create(dir + "/" + name)
	if err != nil {
		b.Fatal(err)
	}
	return f
}

// timed is fn's wall time; cpu adds the process's CPU time it used (user + system) to *cpu:
// on a shared machine, SQLite's work (in process) is told apart from waiting for a core.
func timed(fn func()) time.Duration {
	t, c := time.Now(), cpuTime()
	fn()
	cpuSpent += cpuTime() - c
	return time.Since(t)
}

var cpuSpent time.Duration

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measured times fn and reports the process's peak RSS while it ran (VmHWM reset before).
func measured(fn func()) (time.Duration, float64) {
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	d := timed(fn)
	return d, peakRSSMB()
}

func peakRSSMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
