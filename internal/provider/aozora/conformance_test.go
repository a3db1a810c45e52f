package aozora_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/aozora"
	"kessai/internal/sandbox/aozorasim"
)

// recorder keeps every call to the corporate API as it went over the wire.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	log  []exchange
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	res, err := r.next.RoundTrip(req)
	x := exchange{req: req, reqBody: body, transportE: err}
	if err == nil {
		x.status, x.resType = res.StatusCode, res.Header.Get("Content-Type")
		x.resBody, _ = io.ReadAll(res.Body)
		res.Body = io.NopCloser(bytes.NewReader(x.resBody))
	}
	r.mu.Lock()
	r.log = append(r.log, x)
	r.mu.Unlock()
	return res, err
}

// TestSpecConformance drives every call the client can make against the simulator, including
// error answers, and checks each request and each answer against the bank's official Swagger
// document.
func TestSpecConformance(t *testing.T) {
	spec := loadSwagger(t)
	clk := clock.NewFrozen(time.Date(2026, 3, 2, 10, 0, 0, 0, clock.JST))
	sim := aozorasim.New(aozorasim.Options{Clock: clk})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	rec := &recorder{next: http.DefaultTransport}
	c := aozora.New(aozora.Config{AuthBaseURL: sim.AuthBaseURL(srv.URL), APIBaseURL: sim.APIBaseURL(srv.URL),
		ClientID: aozorasim.DefaultClientID, ClientSecret: aozorasim.DefaultClientSecret, RedirectURI: "http://kessai.test/cb",
		HTTPClient: &http.Client{Transport: rec}, Clock: clk})
	ctx := context.Background()
	code, _, err := aozorasim.LogIn(ctx, nil, c.AuthCodeURL("s"), aozorasim.DefaultClientID, aozorasim.DefaultPassword)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.Exchange(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	api := c.WithTokenSource(aozora.NewTokenHolder(c, tok, aozora.HolderOptions{Clock: clk}))

	const acct = "101011234567"
	today := aozora.DateOf(clk.Now())
	item := func(no string, amount int64) aozora.Transfer {
		return aozora.Transfer{TransferAmount: amount, EDIInfo: "ｾｲｷﾕｳ 123", BeneficiaryBankCode: "0001", BeneficiaryBankName: "ﾐｽﾞﾎ",
			BeneficiaryBranchCode: "001", BeneficiaryBranchName: "ﾎﾝﾃﾝ", AccountTypeCode: aozora.AccountOrdinary, AccountNumber: no,
			BeneficiaryName: "ﾔﾏﾀﾞ ﾀﾛｳ"}
	}
	one := aozora.TransferRequest{AccountID: acct, TransferDesignatedDate: today, RemitterName: "ｹﾂｻｲ", ApplyComment: "3月分",
		Transfers: []aozora.Transfer{item("1234567", 1000)}}
	three := aozora.TransferRequest{AccountID: acct, TransferDesignatedDate: today, TransferDateHolidayCode: aozora.HolidayNextBusinessDay,
		Transfers: []aozora.Transfer{item("1234567", 1000), item(aozorasim.ScenarioUnable, 2000), item("7654321", 3000)}}
	bulkItem := func(no string) aozora.BulkTransfer {
		return aozora.BulkTransfer{BeneficiaryBankCode: "0005", BeneficiaryBranchCode: "123", AccountTypeCode: aozora.AccountSavings,
			AccountNumber: no, BeneficiaryName: "ｶ)ｱｵｿﾞﾗ", TransferAmount: 5000, EDIInfo: "INV 1", Identification: "Y"}
	}
	bulk := aozora.BulkTransferRequest{AccountID: acct, TransferDesignatedDate: today, TransferDataName: "ﾃｽﾄ",
		BulkTransfers: []aozora.BulkTransfer{bulkItem("1111111"), bulkItem(aozorasim.ScenarioUnable)}}

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	approve := func(applyNo string) {
		t.Helper()
		for _, m := range sim.Mails() {
			if m.ApplyNo == applyNo && m.Kind == "approval" {
				must(sim.Approve(m.Token, aozorasim.TransactionPassword))
				return
			}
		}
		t.Fatalf("no mail for %s", applyNo)
	}
	byNo := func(no string) aozora.StatusQuery {
		return aozora.StatusQuery{AccountID: acct, QueryKeyClass: aozora.QueryByApplyNo, ApplyNo: no}
	}
	period := aozora.StatusQuery{AccountID: acct, QueryKeyClass: aozora.QueryByPeriod, DateFrom: today, DateTo: today,
		TransferTerm: "1", Statuses: []aozora.TransferStatus{aozora.StatusApplying, aozora.StatusCompleted, aozora.StatusUnable}}

	_, err = api.Accounts(ctx)
	must(err)
	_, err = api.TransferFee(ctx, three)
	must(err)
	r1, err := api.TransferRequest(ctx, one, "conf-1")
	must(err)
	r3, err := api.TransferRequest(ctx, three, "conf-3")
	must(err)
	_, err = api.TransferRequestResult(ctx, acct, r1.ApplyNo)
	must(err)
	_, err = api.TransferStatus(ctx, byNo(r1.ApplyNo))
	must(err)
	approve(r1.ApplyNo)
	approve(r3.ApplyNo)
	_, err = api.TransferRequestResult(ctx, acct, r1.ApplyNo)
	must(err)
	_, err = api.TransferStatus(ctx, byNo(r3.ApplyNo))
	must(err)
	_, err = api.TransferStatus(ctx, period)
	must(err)
	rc, err := api.TransferRequest(ctx, one, "conf-cancel")
	must(err)
	_, err = api.TransferCancel(ctx, aozora.CancelRequest{AccountID: acct, CancelTargetKeyClass: aozora.CancelAccepted, ApplyNo: rc.ApplyNo})
	must(err)

	_, err = api.BulkTransferFee(ctx, bulk)
	must(err)
	rb, err := api.BulkTransferRequest(ctx, bulk, "conf-bulk")
	must(err)
	_, err = api.BulkTransferRequestResult(ctx, acct, rb.ApplyNo)
	must(err)
	approve(rb.ApplyNo)
	clk.Advance(10 * time.Minute)
	bq := byNo(rb.ApplyNo)
	bq.DetailInfoNecessity, bq.BulkTransferItemKey = true, 1
	_, err = api.BulkTransferStatus(ctx, bq)
	must(err)
	_, err = api.BulkTransferStatus(ctx, aozora.StatusQuery{AccountID: acct, QueryKeyClass: aozora.QueryByPeriod,
		Statuses: []aozora.TransferStatus{aozora.StatusPartlyUnable}})
	must(err)
	rbc, err := api.BulkTransferRequest(ctx, bulk, "conf-bulk-cancel")
	must(err)
	_, err = api.BulkTransferCancel(ctx, aozora.CancelRequest{AccountID: acct, CancelTargetKeyClass: aozora.CancelBulkAccepted, ApplyNo: rbc.ApplyNo})
	must(err)

	// Error answers are part of the contract too.
	bad := one
	bad.Transfers = []aozora.Transfer{item("123456", 0)}
	expectErr := func(err error) {
		t.Helper()
		if err == nil {
			t.Fatal("want an error")
		}
	}
	_, err = api.TransferRequest(ctx, bad, "conf-bad")
	expectErr(err)
	_, err = api.TransferRequest(ctx, aozora.TransferRequest{AccountID: acct, TransferDesignatedDate: today,
		Transfers: []aozora.Transfer{item(aozorasim.ScenarioRejected, 1)}}, "conf-rejected")
	expectErr(err)
	_, err = api.TransferRequestResult(ctx, acct, "2026030299999999")
	expectErr(err)
	_, err = c.WithTokenSource(aozora.StaticToken("not-a-token")).Accounts(ctx)
	expectErr(err)
	must(sim.SetFault(aozorasim.FaultMaintenance, 1))
	_, err = api.TransferStatus(ctx, period)
	expectErr(err)
	must(sim.SetFault(aozorasim.FaultHTTP500, 1))
	_, err = api.TransferRequest(ctx, one, "conf-500")
	expectErr(err)

	covered := map[string]bool{}
	checked := 0
	for _, x := range rec.log {
		if x.transportE != nil {
			t.Errorf("%s %s: %v", x.req.Method, x.req.URL.Path, x.transportE)
			continue
		}
		_, path, ok := strings.Cut(x.req.URL.Path, aozorasim.APIPath)
		if !ok {
			continue // the token endpoint is not in this document
		}
		op := spec.operation(x.req.Method, path)
		name := x.req.Method + " " + path
		if op == nil {
			t.Errorf("%s: no such operation in the spec", name)
			continue
		}
		covered[name] = true
		checked++
		// conf-bad breaks the document on purpose, to get the bank's 400; only its answer counts.
		if x.req.Header.Get("Idempotency-Key") == "conf-bad" {
			if len(spec.validateRequest(op, x)) == 0 {
				t.Errorf("the deliberately bad request passed the validator")
			}
		} else {
			for _, e := range spec.validateRequest(op, x) {
				t.Errorf("%s request: %s\n%s", name, e, x.reqBody)
			}
		}
		for _, e := range spec.validateResponse(op, x) {
			t.Errorf("%s answer (HTTP %d): %s\n%s", name, x.status, e, x.resBody)
		}
	}
	for _, want := range []string{"GET /accounts", "POST /transfer/request", "GET /transfer/request-result", "GET /transfer/status",
		"POST /transfer/cancel", "POST /transfer/transferfee", "POST /bulktransfer/request", "GET /bulktransfer/request-result",
		"GET /bulktransfer/status", "POST /bulktransfer/cancel", "POST /bulktransfer/transferfee"} {
		if !covered[want] {
			t.Errorf("%s was not exercised", want)
		}
	}
	t.Logf("%d business calls checked against the spec (of %d recorded; token calls are not in it)", checked, len(rec.log))
}

// The validator must be able to fail: these bodies break the document in known ways.
func TestSwaggerValidatorCatchesViolations(t *testing.T) {
	spec := loadSwagger(t)
	op := spec.operation("POST", "/transfer/request")
	body := func(mut func(item map[string]any, top map[string]any)) []byte {
		item := map[string]any{"transferAmount": "1000", "beneficiaryBankCode": "0001", "beneficiaryBranchCode": "001",
			"accountTypeCode": "1", "accountNumber": "1234567", "beneficiaryName": "ﾔﾏﾀﾞ"}
		top := map[string]any{"accountId": "101011234567", "transferDesignatedDate": "2026-03-02", "transfers": []any{item}}
		mut(item, top)
		b, _ := json.Marshal(top)
		return b
	}
	tests := []struct {
		name string
		mut  func(item, top map[string]any)
		want string
	}{
		{"valid", func(_, _ map[string]any) {}, ""},
		{"8-digit account number", func(i, _ map[string]any) { i["accountNumber"] = "12345678" }, "maxLength"},
		{"amount as a number", func(i, _ map[string]any) { i["transferAmount"] = 1000 }, "want a string"},
		{"missing beneficiary", func(i, _ map[string]any) { delete(i, "beneficiaryName") }, "required"},
		{"unknown field", func(_, top map[string]any) { top["amount"] = "1" }, "not declared"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/transfer/request", nil)
			req.Header.Set("Content-Type", "application/json;charset=UTF-8")
			req.Header.Set("x-access-token", "t")
			errs := spec.validateRequest(op, exchange{req: req, reqBody: body(tt.mut)})
			got := strings.Join(errs, "\n")
			if (tt.want == "") != (len(errs) == 0) || !strings.Contains(got, tt.want) {
				t.Fatalf("errors %q, want one containing %q", got, tt.want)
			}
		})
	}
}
