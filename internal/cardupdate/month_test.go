package cardupdate_test

import (
	"encoding/csv"
	"errors"
	"strconv"

	"golang.org/x/text/encoding/japanese"
	"sort"
	"strings"
	"testing"
	"time"

	"kessai/internal/cardupdate"
	"kessai/internal/sandbox/gmopgsim"
)

// TestWholeMonth drives two months on the simulator clock: the first run sends every card, the
// results of every kind are applied, and the second run sends only the cards expiring that
// month or the next, registered before it began, leaving out the failed ones.
func TestWholeMonth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jst(2026, 10, 25, 10))
	cards := map[string]string{} // member → card ID
	for _, c := range []struct{ member, number, expire string }{
		{"m-newexp", gmopgsim.CardUpdateNewExpiry, "2611"},
		{"m-newno", gmopgsim.CardUpdateNewNumber, "2612"},
		{"m-invalid", gmopgsim.CardUpdateInvalid, "2612"},
		{"m-mismatch", gmopgsim.CardUpdateMismatch, "2701"},
		{"m-inputerr", gmopgsim.CardUpdateInputErr, "2612"},
		{"m-ok-2612", gmopgsim.CardOK, "2612"},
		{"m-ok-2801", gmopgsim.CardOK, "2801"},
	} {
		cards[c.member] = e.card(c.member, c.number, c.expire).ID
	}

	// Month 1 (first run ever): every stored card.
	e.setClock(jst(2026, 11, 20, 9))
	n, list, err := e.svc.Preview(e.ctx, "202611", 100)
	if err != nil || n != 7 || len(list) != 7 {
		t.Fatalf("preview = %d %d %v", n, len(list), err)
	}
	run := e.month("202611")
	want := map[string]string{
		"m-newexp": cardupdate.StatusOK, "m-newno": cardupdate.StatusOK, "m-invalid": cardupdate.StatusInvalid,
		"m-mismatch": cardupdate.StatusMismatch, "m-inputerr": cardupdate.StatusInputError,
		"m-ok-2612": cardupdate.StatusOK, "m-ok-2801": cardupdate.StatusOK,
	}
	for m, st := range want {
		if got := e.cardStatus(cards[m]); got != st {
			t.Errorf("%s: 洗替ステータス %s, want %s", m, got, st)
		}
	}
	if run.Status != cardupdate.RunApplied || run.Targets != 7 || run.OK != 4 || run.Invalid != 1 || run.Mismatch != 1 || run.InputError != 1 {
		t.Fatalf("month 1 run = %+v", run)
	}
	for _, c := range []struct{ member, expire, masked string }{
		{"m-newexp", "2911", "************0010"}, {"m-newno", "2912", "*036"}, {"m-ok-2612", "2612", "************1111"},
	} {
		got, err := e.store.GetCard(e.ctx, cards[c.member])
		if err != nil || got.ExpireYM != c.expire || !strings.HasSuffix(got.MaskedPAN, c.masked) {
			t.Errorf("%s: card = %s %s, want %s …%s (%v)", c.member, got.ExpireYM, got.MaskedPAN, c.expire, c.masked, err)
		}
	}

	e.checkCSV(run)

	// Between the months: one card registered in November expiring in January (sent), one in
	// December (not: registered after the month began).
	e.setClock(jst(2026, 11, 28, 9))
	cards["m-nov"] = e.card("m-nov", gmopgsim.CardOK, "2701").ID
	e.setClock(jst(2026, 12, 5, 9))
	cards["m-dec"] = e.card("m-dec", gmopgsim.CardOK, "2612").ID

	e.setClock(jst(2026, 12, 20, 9))
	_, list, err = e.svc.Preview(e.ctx, "202612", 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tg := range list {
		got = append(got, tg.MemberID)
	}
	sort.Strings(got)
	if strings.Join(got, ",") != "m-nov,m-ok-2612" {
		t.Fatalf("month 2 targets = %v, want m-nov and m-ok-2612 (failed, renewed, later and far cards left out)", got)
	}
	run2 := e.month("202612")
	if run2.Targets != 2 || run2.OK != 2 {
		t.Fatalf("month 2 run = %+v", run2)
	}
	// The failed cards keep their failed status (not sent, not overwritten).
	if st := e.cardStatus(cards["m-invalid"]); st != cardupdate.StatusInvalid {
		t.Fatalf("m-invalid after month 2: %s", st)
	}
	if st := e.cardStatus(cards["m-dec"]); st != cardupdate.StatusUnchecked {
		t.Fatalf("m-dec: %s", st)
	}
}

// month prepares and uploads month's run on its submit day, checks that the result is not
// fetched before the result day, then moves to the 27th 0:00 JST and fetches and applies it.
func (e *env) month(month string) cardupdate.Run {
	e.t.Helper()
	run, err := e.svc.Prepare(e.ctx, month)
	if err != nil {
		e.t.Fatal(err)
	}
	if again, err := e.svc.Prepare(e.ctx, month); err != nil || again.ID != run.ID {
		e.t.Fatalf("second prepare = %+v, %v", again, err)
	}
	if run, err = e.svc.Upload(e.ctx, run.ID); err != nil || run.Status != cardupdate.RunUploaded {
		e.t.Fatalf("upload = %+v, %v", run, err)
	}
	if _, err := e.svc.Upload(e.ctx, run.ID); err == nil {
		e.t.Fatal("a second upload of the month was accepted")
	}
	if _, err := e.svc.Fetch(e.ctx, run.ID); !errors.Is(err, cardupdate.ErrNotReady) {
		e.t.Fatalf("fetch before the result day: %v", err)
	}
	start, _ := time.ParseInLocation("200601", month, jstLoc)
	e.setClock(start.AddDate(0, 0, 26))
	e.sim.ProcessDue()
	run, err = e.svc.Fetch(e.ctx, run.ID)
	if err != nil {
		e.t.Fatalf("fetch %s: %v", month, err)
	}
	return run
}

// checkCSV: the job's CP932 CSV lists every targeted customer once, with the result, old and
// new expiry the database holds.
func (e *env) checkCSV(run cardupdate.Run) {
	e.t.Helper()
	b, err := e.svc.ResultCSV(e.ctx, run.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	text, err := japanese.ShiftJIS.NewDecoder().Bytes(b)
	if err != nil {
		e.t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(string(text))).ReadAll()
	if err != nil {
		e.t.Fatal(err)
	}
	if len(recs) != run.Targets+1 || recs[0][4] != "洗替判定結果" {
		e.t.Fatalf("csv has %d rows for %d targets: %v", len(recs), run.Targets, recs[0])
	}
	for _, r := range recs[1:] {
		var result int
		var oldExp, newExp string
		if err := e.db.QueryRowContext(e.ctx, `SELECT result, old_expire, new_expire FROM cardupdate_results WHERE run_id = ? AND member_id = ?`,
			run.ID, r[2]).Scan(&result, &oldExp, &newExp); err != nil {
			e.t.Fatalf("csv member %s: %v", r[2], err)
		}
		if r[4] != strconv.Itoa(result) || r[7] != oldExp || r[8] != newExp {
			e.t.Errorf("csv row %v, database %d %s %s", r, result, oldExp, newExp)
		}
	}
}
