package gmopgsim_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/gmopg"
	"kessai/internal/sandbox/gmopgsim"
)

// BenchmarkCardUpdateMonth1M runs one card update month of 1,000,000 stored cards through the
// simulator over real SFTP: stream the request file up, process it at the result day, stream
// the result file down and read it. Reported: the heap the month needs above the simulator's
// own state (peak-live-MB, sampled after a GC every 500,000 rows) and that state (sim-state-MB).
func BenchmarkCardUpdateMonth1M(b *testing.B) {
	const n = 1_000_000
	clk := clock.NewFrozen(start)
	s, err := gmopgsim.New(gmopgsim.Options{Clock: clk, StateDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Stop()
	if err := s.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.HeapAlloc
	numbers := []string{gmopgsim.CardOK, gmopgsim.CardUpdateNewExpiry, gmopgsim.CardUpdateNewNumber, gmopgsim.CardUpdateInvalid}
	s.SeedMembers(func(yield func(gmopgsim.SeedCard) bool) {
		for i := range n {
			if !yield(gmopgsim.SeedCard{MemberID: fmt.Sprintf("cust-%08d", i), CardNo: numbers[i%4], Expire: "2704"}) {
				return
			}
		}
	})
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	state := float64(base-min(before, base)) / 1e6
	key, _ := s.HostKey()
	cfg := gmopg.SFTPConfig{Addr: s.Addr(), User: gmopgsim.DefaultSFTPUser, Password: gmopgsim.DefaultSFTPPassword, HostKey: key}
	var peak uint64
	// The live heap after a collection at each sample: what the month holds on to, without the
	// garbage GOGC lets pile up above a 300 MB state.
	sample := func() {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	}
	month := 0
	b.ResetTimer()
	for b.Loop() {
		month++
		m := fmt.Sprintf("2026%02d", month+2)
		c, err := gmopg.DialSFTP(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		pr, pw := io.Pipe()
		go func() {
			w := gmopg.NewRequestWriter(pw)
			for i := range n {
				if err := w.Write(gmopg.UpdateRequestRow{MemberID: fmt.Sprintf("cust-%08d", i), CardSeq: gmopg.DefaultCardSeq}); err != nil {
					pw.CloseWithError(err)
					return
				}
				if i%500_000 == 0 {
					sample()
				}
			}
			pw.CloseWithError(w.Close())
		}()
		if _, err := c.Upload(gmopg.RequestDir, gmopg.RequestFileName(gmopgsim.DefaultSiteID, m), pr); err != nil {
			b.Fatal(err)
		}
		sample()
		if err := s.ProcessNow(m); err != nil {
			b.Fatal(err)
		}
		sample()
		f, err := c.Open(gmopg.ResultDir, gmopg.ResultFileName(gmopgsim.DefaultSiteID, m))
		if err != nil {
			b.Fatal(err)
		}
		r := gmopg.NewResultReader(f)
		rows := 0
		for {
			_, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if rows++; rows%500_000 == 0 {
				sample()
			}
		}
		f.Close()
		c.Close()
		if rows != n {
			b.Fatalf("result rows = %d", rows)
		}
		clk.Advance(31 * 24 * time.Hour)
	}
	b.ReportMetric(state, "sim-state-MB")
	b.ReportMetric(float64(peak-min(base, peak))/1e6, "peak-live-MB")
}

// BenchmarkRecruitSales is the simulator answering captures from a bare client loop over real
// HTTP (the floor the kantan room's bulk capture is measured against).
func BenchmarkRecruitSales(b *testing.B) {
	clk := clock.NewFrozen(start)
	s, err := gmopgsim.New(gmopgsim.Options{Clock: clk, StateDir: b.TempDir(), Prefix: prefix})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Stop()
	srv := httptest.NewServer(http.StripPrefix(prefix, s))
	defer srv.Close()
	c := gmopg.New(s.Config(srv.URL))
	ctx := context.Background()
	access := make([]gmopg.Access, b.N)
	for i := range b.N {
		a, err := c.EntryTranRecruit(ctx, gmopg.RecruitEntryInput{OrderID: fmt.Sprintf("bench-%07d", i), JobCd: gmopg.JobAuth, Amount: 1000})
		if err != nil {
			b.Fatal(err)
		}
		st, err := c.ExecTranRecruit(ctx, gmopg.RecruitExecInput{Access: a, RetURL: "http://x/r", ItemName: "item"})
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := s.Buy(st.AccessID, st.Token, gmopgsim.BuyerPay); err != nil {
			b.Fatal(err)
		}
		access[i] = a
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := c.RecruitSales(ctx, access[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "captures/s")
}
