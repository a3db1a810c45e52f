package payout_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"kessai/internal/payout"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/sandbox/aozorasim"
)

// zenginIn is a valid 振込依頼人 for the 全銀 file.
func zenginIn() payout.ZenginInput {
	return payout.ZenginInput{RequesterCode: "123", RequesterName: "ｹｯｻｲ", Date: "2026-03-03",
		BankCode: "0001", BranchCode: "001", AccountType: "1", Account: "0123456", CRLF: true}
}

// countRequests counts the transfer and 総合振込 requests that reach the simulator (calls, not what it holds:
// a refused call counts too).
func countRequests(e *env) *atomic.Int64 {
	var n atomic.Int64
	e.answer = func(r *http.Request, status int, body []byte) []byte {
		if r.Method == http.MethodPost && (strings.HasSuffix(r.URL.Path, "/transfer/request") || strings.HasSuffix(r.URL.Path, "/bulktransfer/request")) {
			n.Add(1)
		}
		return body
	}
	return &n
}

const exportedReason = "全銀ファイルに出力済みのため、APIでは振込できません"

// TestExportedTransferIsNotSentByAPI: a transfer written to a 全銀 file may be paid by that file
// at another bank, so the API never sends it — alone or in a bulk execution, whose other rows
// still go — until someone clears the export (the file was never uploaded). Then it is sent once.
func TestExportedTransferIsNotSentByAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	calls := countRequests(e)
	a := e.register(seller{bank: "0001", branch: "001", number: "3131313", kana: "ｻﾄｳ ﾊﾅｺ", amount: 5101, caseStatus: "stocked"})
	b := e.register(seller{bank: "0001", branch: "001", number: "3232323", kana: "ｽｽﾞｷ ｲﾁﾛｳ", amount: 5102, caseStatus: "stocked"})

	file, err := e.room.svc.ExportZengin(e.ctx, zenginIn(), []string{a.ID})
	if err != nil || len(file) != 4*122 {
		t.Fatalf("export: %v, %d bytes", err, len(file))
	}
	if e.get(a.ID).FileExportedAt == nil {
		t.Fatal("the exported transfer is not marked")
	}

	_, err = e.room.exec.ExecuteOne(e.ctx, a.ID)
	if errs.KindOf(err) != errs.KindConflict || !strings.Contains(err.Error(), exportedReason) || !strings.Contains(err.Error(), a.CaseCode) {
		t.Fatalf("execute an exported transfer: %v, want refused naming the case and the reason", err)
	}
	if cur := e.get(a.ID); cur.Status != payout.StatusAwaitingExecution {
		t.Fatalf("after the refusal: %s", cur.Status)
	}
	if atts, _ := e.room.svc.Attempts(e.ctx, a.ID); len(atts) != 0 {
		t.Fatalf("refused execution wrote %d attempts", len(atts))
	}
	if calls.Load() != 0 {
		t.Fatalf("the bank received %d transfer requests, want 0", calls.Load())
	}

	// A bulk execution sends the others and reports the exported one with the reason.
	res, err := e.room.exec.Execute(e.ctx, []string{a.ID, b.ID})
	if err != nil || len(res) != 2 {
		t.Fatalf("bulk execute: %v %+v", err, res)
	}
	if !strings.Contains(res[0].Error, exportedReason) || res[0].Status != payout.StatusAwaitingExecution {
		t.Errorf("bulk row of the exported transfer: %+v, want skipped with the reason", res[0])
	}
	if res[1].Error != "" || res[1].Status != payout.StatusAwaitingApproval {
		t.Errorf("bulk row of the other transfer: %+v, want sent", res[1])
	}
	if calls.Load() != 1 || e.simTransfers(5101) != 0 {
		t.Fatalf("bank received %d requests (%d for the exported one), want only the other one", calls.Load(), e.simTransfers(5101))
	}

	// Exporting it again needs the explicit choice.
	if _, err := e.room.svc.ExportZengin(e.ctx, zenginIn(), []string{a.ID}); errs.KindOf(err) != errs.KindInvalid ||
		!strings.Contains(errs.As(err).Fields["reexport"], a.CaseCode) {
		t.Fatalf("re-export without choosing to: %v, want refused naming the case", err)
	}
	again := zenginIn()
	again.Reexport = true
	if _, err := e.room.svc.ExportZengin(e.ctx, again, []string{a.ID}); err != nil {
		t.Fatalf("re-export chosen: %v", err)
	}
	// Neither deleted nor edited while exported: a new transfer for the case, or other values,
	// could then be sent by API besides the file.
	if err := e.room.svc.Delete(e.ctx, a.ID); errs.KindOf(err) != errs.KindConflict || !strings.Contains(err.Error(), "全銀ファイルに出力済み") {
		t.Errorf("delete an exported transfer: %v, want refused", err)
	}
	if _, err := e.room.svc.Update(e.ctx, a.ID, payout.Input{BankCode: "0001", BranchCode: "001", AccountType: "1",
		AccountNumber: "3131313", HolderName: "ｻﾄｳ ﾊﾅｺ", Amount: payout.Yen(5103)}); errs.KindOf(err) != errs.KindConflict {
		t.Errorf("edit an exported transfer: %v, want refused", err)
	}

	// The file was never uploaded: clearing the export allows the API again, once.
	if err := e.room.svc.ClearExport(e.ctx, a.ID); err != nil {
		t.Fatalf("clear export: %v", err)
	}
	if e.get(a.ID).FileExportedAt != nil || e.auditCount(a.ID, "transfer.zengin_file_cleared") != 1 {
		t.Fatal("clearing is not recorded")
	}
	if err := e.room.svc.ClearExport(e.ctx, a.ID); errs.KindOf(err) != errs.KindConflict {
		t.Errorf("clear a transfer not exported: %v, want refused", err)
	}
	got, err := e.room.exec.ExecuteOne(e.ctx, a.ID)
	if err != nil || got.Status != payout.StatusAwaitingApproval {
		t.Fatalf("execute after clearing: %v %s", err, got.Status)
	}
	if _, err := e.room.exec.ExecuteOne(e.ctx, a.ID); errs.KindOf(err) != errs.KindConflict {
		t.Fatalf("execute twice: %v", err)
	}
	if e.simTransfers(5101) != 1 || calls.Load() != 2 {
		t.Fatalf("bank holds %d for the cleared transfer after %d requests, want exactly 1 of 2", e.simTransfers(5101), calls.Load())
	}
	// And now the bank holds it, it cannot go into a file either.
	if _, err := e.room.svc.ExportZengin(e.ctx, again, []string{a.ID}); errs.KindOf(err) != errs.KindInvalid {
		t.Fatalf("export a transfer the bank holds: %v", err)
	}
	if e.get(a.ID).FileExportedAt != nil {
		t.Fatal("a refused export marked the transfer")
	}
}

// TestExportRefusesUnprovenRequest: a transfer whose earlier API request the bank did not list
// (and may still list) cannot be paid by file either — it would be paid twice if the request
// did reach the bank. Nothing of the export is marked.
func TestExportRefusesUnprovenRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tr := e.register(seller{bank: "0001", branch: "001", number: "3333333", kana: "ｻﾄｳ ﾊﾅｺ", amount: 5201, caseStatus: "stocked"})
	other := e.register(seller{bank: "0001", branch: "001", number: "3434343", kana: "ｽｽﾞｷ ｲﾁﾛｳ", amount: 5202, caseStatus: "stocked"})
	if err := e.sim.SetFault(aozorasim.FaultCloseAfterAccept, 1); err != nil {
		t.Fatal(err)
	}
	e.answer = hideFromListings
	if _, err := e.room.exec.ExecuteOne(e.ctx, tr.ID); err != nil {
		t.Fatal(err)
	}
	e.settle()
	if cur := e.get(tr.ID); cur.Status != payout.StatusFailed {
		t.Fatalf("after settling: %s, want エラー (not found, still looked for)", cur.Status)
	}
	_, err := e.room.svc.ExportZengin(e.ctx, zenginIn(), []string{other.ID, tr.ID})
	if errs.KindOf(err) != errs.KindInvalid || !strings.Contains(err.Error()+errs.As(err).Fields[""], "まだ確認できていません") {
		t.Fatalf("export: %v, want refused with the reason", err)
	}
	if e.get(tr.ID).FileExportedAt != nil || e.get(other.ID).FileExportedAt != nil {
		t.Fatal("a refused export marked transfers")
	}
}

// TestExportRacesExecution: an export and an execution of the same transfers at the same time
// (two requests; on PostgreSQL two pools, as two instances): for each transfer exactly one
// wins — it is in the file and never sent, or sent and the export fails with nothing marked.
func TestExportRacesExecution(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	other := e.room
	if e.db.Dialect() == db.Postgres {
		d2, err := db.Open(context.Background(), e.db.URL, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d2.Close() })
		other = e.openOn(d2)
	}
	for i := range 6 {
		amount := int64(5300 + i)
		tr := e.register(seller{bank: "0001", branch: "001", number: "3535353", kana: "ｻﾄｳ ﾊﾅｺ", amount: amount, caseStatus: "stocked"})
		var wg sync.WaitGroup
		var exportErr, execErr error
		go1 := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-go1
			_, exportErr = e.room.svc.ExportZengin(e.ctx, zenginIn(), []string{tr.ID})
		}()
		go func() {
			defer wg.Done()
			<-go1
			_, execErr = other.exec.ExecuteOne(e.ctx, tr.ID)
		}()
		close(go1)
		wg.Wait()
		cur := e.get(tr.ID)
		exported, sent := cur.FileExportedAt != nil, e.simTransfers(amount)
		switch {
		case exported && sent == 0 && exportErr == nil && execErr != nil && cur.Status == payout.StatusAwaitingExecution:
		case !exported && sent == 1 && execErr == nil && exportErr != nil && cur.Status == payout.StatusAwaitingApproval:
		default:
			t.Fatalf("round %d: exported %v (err %v), bank holds %d (err %v), status %s: want exactly one to win",
				i, exported, exportErr, sent, execErr, cur.Status)
		}
	}
}

// TestExportAndExecuteHoldingTheRow (PostgreSQL): whichever of the two holds the transfer's row
// first, the other waits for it and then refuses — the claim's conditional UPDATE and the
// export's are what decide, not a read made before. An export of several transfers of which
// one was claimed meanwhile marks none of them.
func TestExportAndExecuteHoldingTheRow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if e.db.Dialect() != db.Postgres {
		t.Skip("SQLite runs one transaction at a time: neither can commit inside the other")
	}
	d2, err := db.Open(context.Background(), e.db.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d2.Close() })
	other := e.openOn(d2)
	calls := countRequests(e)

	t.Run("export first", func(t *testing.T) {
		tr := e.register(seller{bank: "0001", branch: "001", number: "3636363", kana: "ｻﾄｳ ﾊﾅｺ", amount: 5401, caseStatus: "stocked"})
		tx, err := e.db.SQL.BeginTx(e.ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(e.ctx, `UPDATE transfers SET file_exported_at = $1 WHERE id = $2 AND status = $3`,
			time.Now().UTC(), tr.ID, payout.StatusAwaitingExecution); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { _, err := other.exec.ExecuteOne(e.ctx, tr.ID); done <- err }()
		waitForLockWait(t, e.db)
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; errs.KindOf(err) != errs.KindConflict || !strings.Contains(err.Error(), exportedReason) {
			t.Fatalf("execute after the export committed: %v, want refused", err)
		}
		if calls.Load() != 0 {
			t.Fatalf("bank received %d requests", calls.Load())
		}
	})
	t.Run("execution first", func(t *testing.T) {
		a := e.register(seller{bank: "0001", branch: "001", number: "3737373", kana: "ｻﾄｳ ﾊﾅｺ", amount: 5402, caseStatus: "stocked"})
		b := e.register(seller{bank: "0001", branch: "001", number: "3838383", kana: "ｽｽﾞｷ ｲﾁﾛｳ", amount: 5403, caseStatus: "stocked"})
		tx, err := e.db.SQL.BeginTx(e.ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		// The claim (as Executor.claim writes it) holds b…
		if _, err := tx.ExecContext(e.ctx, `UPDATE transfers SET status = $1 WHERE id = $2 AND status = $3`,
			payout.StatusSending, b.ID, payout.StatusAwaitingExecution); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { _, err := other.svc.ExportZengin(e.ctx, zenginIn(), []string{a.ID, b.ID}); done <- err }()
		waitForLockWait(t, e.db)
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err == nil || !strings.Contains(err.Error()+errs.As(err).Fields[""], b.CaseCode) {
			t.Fatalf("export while b was claimed: %v, want refused naming %s", err, b.CaseCode)
		}
		if e.get(a.ID).FileExportedAt != nil || e.get(b.ID).FileExportedAt != nil {
			t.Fatal("a failed export marked transfers")
		}
	})
}
