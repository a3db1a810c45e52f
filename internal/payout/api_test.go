package payout_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"kessai/internal/api"
	"kessai/internal/payout"
	"kessai/internal/platform/auth"
	"kessai/internal/web"
)

// apiServer serves the payout API over real HTTP; the X-Role header picks the caller's role.
func apiServer(t *testing.T, e *env) *httptest.Server {
	rt := web.NewRouter(nil)
	v1 := api.New(rt)
	payout.RegisterAPI(v1, e.room.svc, e.room.exec)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := &auth.Principal{Kind: auth.KindAPIKey, ID: "k", Name: "key", Role: auth.Role(r.Header.Get("X-Role"))}
		rt.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, srv *httptest.Server, role auth.Role, method, path string, body, out any) int {
	t.Helper()
	var b bytes.Buffer
	if body != nil {
		_ = json.NewEncoder(&b).Encode(body)
	}
	req, _ := http.NewRequest(method, srv.URL+path, &b)
	req.Header.Set("X-Role", string(role))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil {
		_ = json.NewDecoder(res.Body).Decode(out)
	}
	return res.StatusCode
}

func TestAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := apiServer(t, e)
	single := e.newCases(1, goodSeller)[0]
	var tr payout.Transfer
	if st := call(t, srv, auth.RoleStaff, "POST", "/api/v1/cases/"+single+"/transfers", map[string]any{"memo": "初回"}, &tr); st != 201 {
		t.Fatalf("register: %d", st)
	}
	if tr.Status != "awaiting_execution" || tr.StatusLabel != "振込実行待ち" || tr.Amount != goodSeller.amount || tr.Memo != "初回" {
		t.Fatalf("registered %+v", tr)
	}
	bulk := e.newCases(2, goodSeller)
	noBank := e.newCases(1, seller{amount: 1, caseStatus: "stocked"})
	var res payout.BulkResult
	if st := call(t, srv, auth.RoleStaff, "POST", "/api/v1/transfers/bulk-request",
		map[string]any{"case_ids": append(append(bulk, noBank...), single)}, &res); st != 200 {
		t.Fatalf("bulk: %d", st)
	}
	if len(res.Requested) != 2 || len(res.Errors) != 1 || res.Errors[0].CaseID != noBank[0] || len(res.Skipped) != 1 {
		t.Fatalf("bulk result %+v", res)
	}
	var errBody web.ErrorBody
	if st := call(t, srv, auth.RoleStaff, "PATCH", "/api/v1/transfers/"+tr.ID, map[string]any{"holder_name": "ヤマダ☆"}, &errBody); st != 422 ||
		errBody.Error.Fields["holder_name"] == "" {
		t.Fatalf("patch with a bad name: %d %+v", st, errBody)
	}
	if st := call(t, srv, auth.RoleStaff, "PATCH", "/api/v1/transfers/"+tr.ID, map[string]any{"amount": 15000}, &tr); st != 200 || tr.Amount != 15000 || tr.Memo != "初回" {
		t.Fatalf("patch: %d %+v", st, tr)
	}
	exec := map[string]any{"transfer_ids": []string{tr.ID}}
	if st := call(t, srv, auth.RoleStaff, "POST", "/api/v1/transfers/execute", exec, nil); st != 403 {
		t.Fatalf("execute as staff: %d, want 403", st)
	}
	var er payout.ExecuteResponse
	if st := call(t, srv, auth.RoleAccountant, "POST", "/api/v1/transfers/execute", exec, &er); st != 200 ||
		len(er.Results) != 1 || er.Results[0].Status != "awaiting_approval" {
		t.Fatalf("execute: %d %+v", st, er)
	}
	if st := call(t, srv, auth.RoleStaff, "DELETE", "/api/v1/transfers/"+tr.ID, nil, &errBody); st != 409 {
		t.Fatalf("delete while 承認待ち: %d, want 409", st)
	}
	var list web.ListBody[payout.Transfer]
	if st := call(t, srv, auth.RoleViewer, "GET", "/api/v1/transfers?status=awaiting_execution", nil, &list); st != 200 || list.Total != 2 {
		t.Fatalf("list: %d total %d, want 2", st, list.Total)
	}
	if st := call(t, srv, auth.RoleViewer, "GET", "/api/v1/transfers?status=nope", nil, nil); st != 422 {
		t.Fatalf("list with a bad status: %d", st)
	}
	if st := call(t, srv, auth.RoleStaff, "DELETE", "/api/v1/transfers/"+list.Items[0].ID, nil, nil); st != 204 {
		t.Fatalf("delete: %d", st)
	}
}

// An explicit 0 is an error, on register and on edit; only an absent amount takes the case's
// purchase amount.
func TestAPIAmountZero(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := apiServer(t, e)
	cases := e.newCases(2, goodSeller)
	var errBody web.ErrorBody
	if st := call(t, srv, auth.RoleStaff, "POST", "/api/v1/cases/"+cases[0]+"/transfers", map[string]any{"amount": 0}, &errBody); st != 422 ||
		!strings.Contains(errBody.Error.Fields["amount"], "1円以上") {
		t.Fatalf("register with amount 0: %d %+v, want 422 on amount", st, errBody)
	}
	var tr payout.Transfer
	if st := call(t, srv, auth.RoleStaff, "POST", "/api/v1/cases/"+cases[1]+"/transfers", map[string]any{}, &tr); st != 201 || tr.Amount != goodSeller.amount {
		t.Fatalf("register without amount: %d amount %d, want 201 with the purchase amount %d", st, tr.Amount, goodSeller.amount)
	}
	errBody = web.ErrorBody{}
	if st := call(t, srv, auth.RoleStaff, "PATCH", "/api/v1/transfers/"+tr.ID, map[string]any{"amount": 0}, &errBody); st != 422 ||
		!strings.Contains(errBody.Error.Fields["amount"], "1円以上") {
		t.Fatalf("patch amount 0: %d %+v, want 422 on amount", st, errBody)
	}
	if got, _ := e.room.svc.Get(e.ctx, tr.ID); got.Amount != goodSeller.amount {
		t.Fatalf("amount after the refused patch: %d", got.Amount)
	}
}
