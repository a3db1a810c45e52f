package payout_test

import (
	"bytes"
	"strings"
	"testing"

	"kessai/internal/payout"
	"kessai/internal/platform/jpcsv"
)

// The accounting CSV holds what was sent (the edited account and amount, not the case's),
// the fee and 受付番号 the bank gave, and the times, in CP932.
func TestExportCSVIsWhatWasSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tr := e.register(goodSeller)
	// Staff change the account and the amount before sending: the export must show these.
	edited, err := e.room.svc.Update(e.ctx, tr.ID, payout.Input{BankCode: "0005", BranchCode: "001", AccountType: "2",
		AccountNumber: "7654321", HolderName: "ﾔﾏﾀﾞ ﾊﾅｺ", Amount: payout.Yen(11500)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.room.exec.ExecuteOne(e.ctx, edited.ID)
	if err != nil || got.ApplyNo == "" {
		t.Fatalf("execute: %v %+v", err, got)
	}
	e.approve(got.ApplyNo)
	if _, err := e.room.poller.Poll(e.ctx); err != nil {
		t.Fatal(err)
	}
	done := e.get(tr.ID)
	if done.Status != payout.StatusCompleted || done.Fee == nil || *done.Fee != 145 {
		t.Fatalf("after approval: %s fee %v, want 振込完了 with the bank's fee 145", done.Status, done.Fee)
	}
	other := e.register(goodSeller) // not sent: no 受付番号, no fee, no times

	var buf bytes.Buffer
	if err := payout.WriteCSV(&buf, []payout.Transfer{done, e.get(other.ID)}); err != nil {
		t.Fatal(err)
	}
	if jpcsv.Detect(buf.Bytes()) != jpcsv.CP932 || !bytes.Contains(buf.Bytes(), []byte("\r\n")) {
		t.Fatal("not CP932 with CRLF")
	}
	r, err := jpcsv.NewReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"ケース番号": done.CaseCode, "銀行コード": "0005", "銀行名": "三菱ＵＦＪ", "支店コード": "001",
		"預金種目": "当座", "口座番号": "7654321", "受取人名": "ﾔﾏﾀﾞ ﾊﾅｺ", "振込金額": "11500", "振込手数料": "145",
		"受付番号": got.ApplyNo, "状態": "振込完了", "振込依頼日時": "2026-03-02 10:00:00", "振込完了日時": "2026-03-02 10:00:00",
		"登録日時": "2026-03-02 10:00:00", "実行者": "keiri@example.com"}
	for col, w := range want {
		if g := rec.Get(col); g != w {
			t.Errorf("%s = %q, want %q", col, g, w)
		}
	}
	rec, _ = r.Read()
	for _, col := range []string{"振込手数料", "受付番号", "振込依頼日時", "振込完了日時"} {
		if g := rec.Get(col); g != "" {
			t.Errorf("unsent transfer: %s = %q, want empty", col, g)
		}
	}
	if rec.Get("状態") != "振込実行待ち" || rec.Get("振込金額") != "12000" {
		t.Errorf("unsent transfer: %v", rec.Values())
	}
}

// The 全銀 file takes only transfers the bank does not hold: one 承認待ち or 振込完了 at the bank
// would be paid twice.
func TestZenginFileRefusesSentTransfers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	waiting := e.register(goodSeller)
	if _, err := e.room.exec.ExecuteOne(e.ctx, waiting.ID); err != nil {
		t.Fatal(err)
	}
	fresh := e.register(seller{bank: "0005", branch: "001", number: "0000001", kana: "ｽｽﾞｷ ｲﾁﾛｳ", amount: 5000, caseStatus: "stocked"})
	in := payout.ZenginInput{RequesterCode: "123", RequesterName: "かぶしきがいしゃ けっさい", Date: "2026-03-03",
		BankCode: "0001", BranchCode: "001", AccountType: "1", Account: "0123456", CRLF: true}
	if _, f := e.room.svc.ZenginFile(in, []payout.Transfer{e.get(waiting.ID), e.get(fresh.ID)}); !strings.Contains(f[""], e.get(waiting.ID).CaseCode+"（承認待ち）") {
		t.Fatalf("errors %v, want the 承認待ち case named", f)
	}
	b, f := e.room.svc.ZenginFile(in, []payout.Transfer{e.get(fresh.ID)})
	if f != nil {
		t.Fatal(f)
	}
	if len(b) != 4*122 {
		t.Fatalf("%d bytes, want 4 records of 122", len(b))
	}
	hdr, data := string(b[:120]), b[122:242]
	if hdr[:4] != "1210" || hdr[4:14] != "0000000123" || hdr[54:58] != "0303" || hdr[58:62] != "0001" {
		t.Errorf("header %q", hdr)
	}
	if string(data[1:5]) != "0005" || string(data[20:23]) != "001" || string(data[43:50]) != "0000001" || string(data[80:90]) != "0000005000" {
		t.Errorf("data %q", data)
	}
	// Names are the master's, in half-width kana (JIS8 bytes), never UTF-8.
	if !bytes.HasPrefix(data[5:20], []byte{0xd0, 0xc2, 0xcb, 0xde, 0xbc}) { // ﾐﾂﾋﾞｼ
		t.Errorf("bank name bytes % x", data[5:20])
	}
	// The merchant's own account follows the one rule too: a short number is refused.
	in.Account = "12345"
	if _, f := e.room.svc.ZenginFile(in, []payout.Transfer{e.get(fresh.ID)}); !strings.Contains(f["account_number"], "数字7桁") {
		t.Fatalf("short source account: %v", f)
	}
}
