package aozorasim_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"kessai/internal/provider/aozora"
	"kessai/internal/sandbox/aozorasim"
)

var applyNoRE = regexp.MustCompile(`^\d{16}$`)

func TestSingleTransferApprovedByMailToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	fee, err := e.api.TransferFee(ctx, single("1234567", 5000))
	if err != nil || fee.TotalFee != 145 || len(fee.TransferFeeDetails) != 1 {
		t.Fatalf("fee: %+v, %v", fee, err)
	}
	res, err := e.api.TransferRequest(ctx, single("1234567", 5000), "key-1")
	if err != nil {
		t.Fatal(err)
	}
	if res.ResultCode != aozora.ResultIncomplete || !applyNoRE.MatchString(res.ApplyNo) || !res.ApplyEndDatetime.IsZero() {
		t.Fatalf("request answer %+v: want resultCode 2, a 16-digit applyNo, no end time", res)
	}
	if got := e.status(t, res.ApplyNo).TransferStatus; got != aozora.StatusApplying {
		t.Fatalf("status before approval = %s, want 2", got)
	}
	token := e.mailToken(t, res.ApplyNo)
	if err := e.sim.Approve(token, "wrong"); !errors.Is(err, aozorasim.ErrWrongPassword) {
		t.Fatalf("wrong password: %v", err)
	}
	if err := e.sim.Approve(token, aozorasim.TransactionPassword); err != nil {
		t.Fatal(err)
	}
	r := e.result(t, res.ApplyNo)
	if r.ResultCode != aozora.ResultCompleted || r.ApplyEndDatetime.IsZero() {
		t.Fatalf("result after approval %+v, want 1 with applyEndDatetime", r)
	}
	d := e.status(t, res.ApplyNo)
	if d.TransferStatus != aozora.StatusCompleted || d.TransferStatusName != "手続済" || d.TotalDebitAmount != 5145 {
		t.Fatalf("status after approval: %s %s debit %d", d.TransferStatus, d.TransferStatusName, d.TotalDebitAmount)
	}
	if d.TransferStatus.Outcome() != aozora.OutcomeCompleted {
		t.Errorf("outcome = %v", d.TransferStatus.Outcome())
	}
}

// The approver can also use the HTML pages: the mailbox links to the approval form.
func TestApprovalThroughPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res, err := e.api.TransferRequest(context.Background(), single("1234567", 1000), "k")
	if err != nil {
		t.Fatal(err)
	}
	body := httpGet(t, e.srv.URL+prefix+"/mailbox")
	token := e.mailToken(t, res.ApplyNo)
	if !strings.Contains(body, prefix+"/approve?token="+token) || !strings.Contains(body, "承認待ち") || !strings.Contains(body, "9999999") {
		t.Fatalf("mailbox page lacks the link, the waiting mark or the scenarios:\n%s", body)
	}
	if !strings.Contains(body, "承認期限は依頼から30分") || strings.Contains(body, "30m0s") {
		t.Errorf("mailbox page does not say the approval window in Japanese")
	}
	page := httpGet(t, e.srv.URL+prefix+"/approve?token="+token)
	if !strings.Contains(page, res.ApplyNo) || !strings.Contains(page, "取引パスワード") {
		t.Fatalf("approval page:\n%s", page)
	}
	resp, err := http.PostForm(e.srv.URL+prefix+"/approve", url.Values{"token": {token}, "password": {"sandbox"}, "action": {"approve"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "承認しました") {
		t.Fatalf("approve form: HTTP %d\n%s", resp.StatusCode, b)
	}
	if r := e.result(t, res.ApplyNo); r.ResultCode != aozora.ResultCompleted {
		t.Fatalf("result = %s", r.ResultCode)
	}
}

func httpGet(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: HTTP %d", u, resp.StatusCode)
	}
	return string(b)
}

func TestUnapprovedRequestExpires(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res, err := e.api.TransferRequest(context.Background(), single("1234567", 1000), "k")
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(29 * time.Minute)
	if r := e.result(t, res.ApplyNo); r.ResultCode != aozora.ResultIncomplete {
		t.Fatalf("inside the window: %s", r.ResultCode)
	}
	e.clk.Advance(2 * time.Minute)
	if r := e.result(t, res.ApplyNo); r.ResultCode != aozora.ResultExpired || r.ResultCode.Label() != "期限切" {
		t.Fatalf("after the window: %s, want 8", r.ResultCode)
	}
	if d := e.status(t, res.ApplyNo); d.TransferStatus != aozora.StatusExpired {
		t.Fatalf("status = %s, want 5", d.TransferStatus)
	}
	if err := e.sim.Approve(e.mailToken(t, res.ApplyNo), "sandbox"); !errors.Is(err, aozorasim.ErrNotWaiting) {
		t.Fatalf("late approval: %v", err)
	}
}

func TestScenarioUnable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res, err := e.api.TransferRequest(context.Background(), single(aozorasim.ScenarioUnable, 3000), "k")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.Approve(e.mailToken(t, res.ApplyNo), "sandbox"); err != nil {
		t.Fatal(err)
	}
	d := e.status(t, res.ApplyNo)
	if d.TransferStatus != aozora.StatusUnable || d.TransferStatus.Outcome() != aozora.OutcomeFailed {
		t.Fatalf("status = %s, want 40", d.TransferStatus)
	}
	info := d.TransferResponses[0].TransferInfos[0].UnableDetailInfos
	if len(info) != 1 || info[0].TransferDetailStatus != aozora.DetailUnable || info[0].UnableReason == "" {
		t.Fatalf("unableDetailInfos = %+v", info)
	}
	var notice bool
	for _, m := range e.sim.Mails() {
		notice = notice || (m.Kind == "notice" && m.ApplyNo == res.ApplyNo)
	}
	if !notice {
		t.Error("no 振込不能 mail")
	}
}

func TestScenarioSlowAndReserved(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	slow, err := e.api.TransferRequest(ctx, single(aozorasim.ScenarioSlow, 1000), "slow")
	if err != nil {
		t.Fatal(err)
	}
	later := single("1234567", 1000)
	later.TransferDesignatedDate = today().AddDays(1)
	reserved, err := e.api.TransferRequest(ctx, later, "later")
	if err != nil {
		t.Fatal(err)
	}
	for _, no := range []string{slow.ApplyNo, reserved.ApplyNo} {
		if err := e.sim.Approve(e.mailToken(t, no), "sandbox"); err != nil {
			t.Fatal(err)
		}
	}
	if s := e.status(t, slow.ApplyNo).TransferStatus; s != aozora.StatusProcessing {
		t.Errorf("slow: %s, want 12", s)
	}
	if s := e.status(t, reserved.ApplyNo).TransferStatus; s != aozora.StatusReserved {
		t.Errorf("reserved: %s, want 11", s)
	}
	e.clk.Advance(24 * time.Hour)
	if _, err := e.holder.ForceRefresh(ctx); err != nil { // a day later the access token is gone
		t.Fatal(err)
	}
	for _, no := range []string{slow.ApplyNo, reserved.ApplyNo} {
		if s := e.status(t, no).TransferStatus; s != aozora.StatusCompleted {
			t.Errorf("%s a day later: %s, want 20", no, s)
		}
	}
}

func TestValidationErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name     string
		edit     func(*aozora.TransferRequest)
		code     string
		wantItem bool
	}{
		{"5-digit bank code", func(r *aozora.TransferRequest) { r.Transfers[0].BeneficiaryBankCode = "00011" }, "WG_ERR_101", true},
		{"2-digit branch", func(r *aozora.TransferRequest) { r.Transfers[0].BeneficiaryBranchCode = "01" }, "WG_ERR_101", true},
		{"6-digit account", func(r *aozora.TransferRequest) { r.Transfers[0].AccountNumber = "123456" }, "WG_ERR_101", true},
		{"kanji name", func(r *aozora.TransferRequest) { r.Transfers[0].BeneficiaryName = "山田太郎" }, "WG_ERR_101", true},
		{"49-char name", func(r *aozora.TransferRequest) { r.Transfers[0].BeneficiaryName = strings.Repeat("ｱ", 49) }, "WG_ERR_101", true},
		{"zero amount", func(r *aozora.TransferRequest) { r.Transfers[0].TransferAmount = 0 }, "WG_ERR_101", true},
		{"account type 3", func(r *aozora.TransferRequest) { r.Transfers[0].AccountTypeCode = "3" }, "WG_ERR_101", true},
		{"unknown account", func(r *aozora.TransferRequest) { r.AccountID = "101019999999" }, "WG_ERR_101", false},
		{"past date", func(r *aozora.TransferRequest) { r.TransferDesignatedDate = today().AddDays(-1) }, "WG_ERR_101", false},
		{"wrong total", func(r *aozora.TransferRequest) {
			r.Transfers = append(r.Transfers, r.Transfers[0])
			r.TotalAmount = 1
		}, "WG_ERR_101", false},
		{"payee refused (9999998)", func(r *aozora.TransferRequest) { r.Transfers[0].AccountNumber = aozorasim.ScenarioRejected }, "220011", true},
		{"over the transfer limit", func(r *aozora.TransferRequest) { r.Transfers[0].TransferAmount = 10_000_001 }, "220011", false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := single("1234567", 1000)
			tt.edit(&req)
			_, err := e.api.TransferRequest(context.Background(), req, "v"+string(rune('a'+i)))
			ae, ok := errors.AsType[*aozora.APIError](err)
			if !ok || ae.HTTPStatus != 400 || ae.Code != tt.code {
				t.Fatalf("err = %v, want 400 %s", err, tt.code)
			}
			if tt.wantItem != (len(ae.TransferErrorDetails) > 0) || (!tt.wantItem && len(ae.Details) == 0) {
				t.Errorf("details %+v / items %+v", ae.Details, ae.TransferErrorDetails)
			}
			if aozora.IsOutcomeUnknown(err) {
				t.Error("a 400 is not an unknown outcome")
			}
		})
	}
	if n := len(e.sim.Transfers()); n != 0 {
		t.Errorf("%d transfers recorded from refused requests", n)
	}
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	a, err := e.api.TransferRequest(ctx, single("1234567", 7000), "same-key")
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.api.TransferRequest(ctx, single("1234567", 7000), "same-key")
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Fatalf("replay answered %+v, first %+v", b, a)
	}
	_, err = e.api.TransferRequest(ctx, single("1234567", 7001), "same-key")
	if ae, ok := errors.AsType[*aozora.APIError](err); !ok || ae.Code != "WG_ERR_102" {
		t.Fatalf("same key, other body: %v", err)
	}
	if n := len(e.sim.Transfers()); n != 1 {
		t.Fatalf("%d transfers, want 1", n)
	}
	if _, err := e.api.TransferRequest(ctx, single("1234567", 7000), ""); !errors.Is(err, aozora.ErrNoIdempotencyKey) {
		t.Fatalf("no key: %v", err)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	res, err := e.api.TransferRequest(ctx, single("1234567", 1000), "c")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.api.TransferCancel(ctx, aozora.CancelRequest{AccountID: accountID, ApplyNo: res.ApplyNo, CancelTargetKeyClass: aozora.CancelBulkAccepted})
	if ae, ok := errors.AsType[*aozora.APIError](err); !ok || ae.HTTPStatus != 400 {
		t.Fatalf("bulk class on a single transfer: %v", err)
	}
	c, err := e.api.TransferCancel(ctx, aozora.CancelRequest{AccountID: accountID, ApplyNo: res.ApplyNo, CancelTargetKeyClass: aozora.CancelAccepted})
	if err != nil || c.ResultCode != aozora.ResultCompleted || c.ApplyEndDatetime.IsZero() {
		t.Fatalf("cancel: %+v, %v", c, err)
	}
	if d := e.status(t, res.ApplyNo); d.TransferStatus != aozora.StatusCancelled || d.TransferStatus.Outcome() != aozora.OutcomeCancelled {
		t.Fatalf("status = %s, want 8", d.TransferStatus)
	}
	_, err = e.api.TransferCancel(ctx, aozora.CancelRequest{AccountID: accountID, ApplyNo: res.ApplyNo, CancelTargetKeyClass: aozora.CancelAccepted})
	if ae, ok := errors.AsType[*aozora.APIError](err); !ok || ae.Code != "WG_ERR_103" {
		t.Fatalf("second cancel: %v", err)
	}
	if err := e.sim.Approve(e.mailToken(t, res.ApplyNo), "sandbox"); !errors.Is(err, aozorasim.ErrNotWaiting) {
		t.Fatalf("approving a cancelled request: %v", err)
	}
}

func TestBulkTransfer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	item := func(acct string, amount int64, name string) aozora.BulkTransfer {
		return aozora.BulkTransfer{BeneficiaryBankCode: "0005", BeneficiaryBranchCode: "123", AccountTypeCode: aozora.AccountOrdinary,
			AccountNumber: acct, BeneficiaryName: name, TransferAmount: amount}
	}
	req := aozora.BulkTransferRequest{AccountID: accountID, TransferDesignatedDate: today(), TransferDataName: "3月分",
		BulkTransfers: []aozora.BulkTransfer{
			item("1111111", 1000, "ｶ)ｱｵｿﾞﾗｻﾝｷﾞﾖｳ"),
			item(aozorasim.ScenarioUnable, 2000, "ﾀﾅｶ ﾊﾅｺ"),
			item("2222222", 3000, strings.Repeat("ｱ", 40)),
		}}
	fee, err := e.api.BulkTransferFee(ctx, req)
	if err != nil || fee.TotalFee != 3*145 {
		t.Fatalf("bulk fee %+v %v", fee, err)
	}
	res, err := e.api.BulkTransferRequest(ctx, req, "bulk-1")
	if err != nil || res.ResultCode != aozora.ResultIncomplete {
		t.Fatalf("bulk request %+v %v", res, err)
	}
	if err := e.sim.Approve(e.mailToken(t, res.ApplyNo), "sandbox"); err != nil {
		t.Fatal(err)
	}
	r, err := e.api.BulkTransferRequestResult(ctx, accountID, res.ApplyNo)
	if err != nil || r.ResultCode != aozora.ResultCompleted {
		t.Fatalf("bulk result %+v %v", r, err)
	}
	q := aozora.StatusQuery{AccountID: accountID, QueryKeyClass: aozora.QueryByApplyNo, ApplyNo: res.ApplyNo, DetailInfoNecessity: true}
	st, err := e.api.BulkTransferStatus(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if st.DetailInfoResult == nil || *st.DetailInfoResult || st.BulkTransferDetails[0].TransferStatus != aozora.StatusPartlyUnable {
		t.Fatalf("right after completion: detailInfoResult %v, status %s", st.DetailInfoResult, st.BulkTransferDetails[0].TransferStatus)
	}
	e.clk.Advance(10 * time.Minute)
	st, err = e.api.BulkTransferStatus(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	infos := st.BulkTransferDetails[0].BulkTransferResponses[0].BulkTransferInfos
	if !*st.DetailInfoResult || len(infos) != 3 {
		t.Fatalf("10 minutes later: %d items", len(infos))
	}
	if infos[1].UnableDetailInfos[0].TransferDetailStatus != aozora.DetailUnable || !infos[1].UnableDetailInfos[0].IsRepayment {
		t.Errorf("item 2: %+v", infos[1].UnableDetailInfos)
	}
	if got := []rune(infos[2].BeneficiaryName); len(got) != 30 {
		t.Errorf("bulk name kept %d characters, want 30", len(got))
	}
	// The period query finds it by status.
	list, err := e.api.BulkTransferStatus(ctx, aozora.StatusQuery{AccountID: accountID, QueryKeyClass: aozora.QueryByPeriod,
		Statuses: []aozora.TransferStatus{aozora.StatusPartlyUnable}})
	if err != nil || list.Count != 1 || list.TransferQueryBulkResponses[0].HasNext {
		t.Fatalf("period query: %+v %v", list, err)
	}
}

func TestStatusQueryRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	_, err := e.api.TransferStatus(ctx, aozora.StatusQuery{AccountID: accountID, QueryKeyClass: aozora.QueryByApplyNo,
		ApplyNo: "2026030200000001", DateFrom: today()})
	if ae, ok := errors.AsType[*aozora.APIError](err); !ok || ae.HTTPStatus != 400 {
		t.Fatalf("period parameter with key class 1: %v", err)
	}
	_, err = e.api.TransferRequestResult(ctx, accountID, "2026030299999999")
	if ae, ok := errors.AsType[*aozora.APIError](err); !ok || ae.HTTPStatus != 404 {
		t.Fatalf("unknown applyNo: %v", err)
	}
}

func TestStatePersistsAcrossRestart(t *testing.T) {
	t.Parallel()
	path := t.TempDir() + "/aozora.json"
	e := newEnv(t, func(o *aozorasim.Options, _ *aozora.Config) { o.StatePath = path })
	res, err := e.api.TransferRequest(context.Background(), single("1234567", 1000), "persist")
	if err != nil {
		t.Fatal(err)
	}
	again := aozorasim.New(aozorasim.Options{Clock: e.clk, Prefix: prefix, StatePath: path})
	if ts := again.Transfers(); len(ts) != 1 || ts[0].ApplyNo != res.ApplyNo {
		t.Fatalf("after restart: %+v", ts)
	}
	if err := again.Approve(e.mailToken(t, res.ApplyNo), "sandbox"); err != nil {
		t.Fatal(err)
	}
	if w := again.Status().Warnings; len(w) != 0 {
		t.Fatalf("warnings: %v", w)
	}
}
