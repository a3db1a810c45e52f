package aozorasim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"kessai/internal/provider/aozora"
	"kessai/internal/sandbox/aozorasim"
)

func TestFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mode        aozorasim.FaultMode
		unknown     bool
		maintenance bool
		recorded    int // transfers the faulty call left behind
	}{
		{aozorasim.FaultHTTP500Before, true, false, 0},
		{aozorasim.FaultHTTP500, true, false, 1},
		{aozorasim.FaultTimeoutAfterAccept, true, false, 1},
		{aozorasim.FaultCloseAfterAccept, true, false, 1},
		{aozorasim.FaultMaintenance, false, true, 0},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			t.Parallel()
			// No keep-alive: net/http may replay a request carrying an Idempotency-Key on a
			// reused connection that dropped, which would hide the fault from this test.
			e := newEnv(t, func(_ *aozorasim.Options, c *aozora.Config) {
				c.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			})
			if err := e.sim.SetFault(tt.mode, 1); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			_, err := e.api.TransferRequest(ctx, single("1234567", 1000), "fault-key")
			if err == nil {
				t.Fatal("no error")
			}
			if got := aozora.IsOutcomeUnknown(err); got != tt.unknown {
				t.Errorf("IsOutcomeUnknown(%v) = %v, want %v", err, got, tt.unknown)
			}
			if got := aozora.IsMaintenance(err); got != tt.maintenance {
				t.Errorf("IsMaintenance(%v) = %v", err, got)
			}
			if n := len(e.sim.Transfers()); n != tt.recorded {
				t.Fatalf("%d transfers after the fault, want %d", n, tt.recorded)
			}
			if len(e.sim.Faults()) != 0 {
				t.Fatalf("one-shot fault still armed: %+v", e.sim.Faults())
			}
			// Resolving: the same request with the same key creates at most one transfer.
			res, err := e.api.TransferRequest(context.Background(), single("1234567", 1000), "fault-key")
			if err != nil {
				t.Fatalf("retry with the same key: %v", err)
			}
			ts := e.sim.Transfers()
			if len(ts) != 1 || ts[0].ApplyNo != res.ApplyNo {
				t.Fatalf("after the retry: %d transfers, want exactly the one answered", len(ts))
			}
		})
	}
}

// Read-only calls never have an unknown outcome, whatever goes wrong.
func TestMaintenanceOnReadsAndTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if err := e.sim.SetFault(aozorasim.FaultMaintenance, 2); err != nil {
		t.Fatal(err)
	}
	_, err := e.api.Accounts(context.Background())
	if !aozora.IsMaintenance(err) || aozora.IsOutcomeUnknown(err) {
		t.Fatalf("accounts: %v", err)
	}
	_, err = e.client.Refresh(context.Background(), e.tok.RefreshToken)
	if ae, ok := errors.AsType[*aozora.APIError](err); !ok || ae.Code != "WG_ERR_300" || ae.HTTPStatus != 503 {
		t.Fatalf("token endpoint in maintenance: %v", err)
	}
}

func TestSandboxJSONAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base := e.srv.URL + prefix + "/_sim"
	post := func(path string, body any) *http.Response {
		t.Helper()
		b, _ := json.Marshal(body)
		resp, err := http.Post(base+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	if r := post("/faults", map[string]any{"mode": "nonsense"}); r.StatusCode != 400 {
		t.Fatalf("unknown fault: HTTP %d", r.StatusCode)
	}
	if r := post("/faults", map[string]any{"mode": "http_500", "count": 2}); r.StatusCode != 200 {
		t.Fatalf("set fault: HTTP %d", r.StatusCode)
	}
	if st := e.sim.Status(); len(st.Faults) != 1 || st.Faults[0].Remaining != 2 {
		t.Fatalf("status faults: %+v", st.Faults)
	}
	req, _ := http.NewRequest(http.MethodDelete, base+"/faults", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("clear faults: %v", err)
	}

	res, err := e.api.TransferRequest(context.Background(), single("1234567", 1000), "json")
	if err != nil {
		t.Fatal(err)
	}
	var mails []aozorasim.Mail
	resp, err := http.Get(base + "/mails")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&mails); err != nil || len(mails) != 1 || !mails[0].Waiting {
		t.Fatalf("mails: %+v %v", mails, err)
	}
	if st := e.sim.Status(); st.MailsWaiting != 1 || st.ByStatus[aozora.StatusApplying] != 1 {
		t.Fatalf("status: %+v", st)
	}
	if r := post("/approve", map[string]string{"token": mails[0].Token, "password": "sandbox"}); r.StatusCode != 200 {
		t.Fatalf("approve: HTTP %d", r.StatusCode)
	}
	if e.result(t, res.ApplyNo).ResultCode != aozora.ResultCompleted {
		t.Fatal("not completed after the JSON approval")
	}
	if r := post("/reset", nil); r.StatusCode != 200 || len(e.sim.Transfers()) != 0 {
		t.Fatalf("reset: HTTP %d", r.StatusCode)
	}
}
