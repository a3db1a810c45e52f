package yamato

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"kessai/internal/platform/clock"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, clock.JST)

func goodRequest() CreditRequest {
	return CreditRequest{OrderNo: "C-1", OrderDate: t0, ShipDate: t0.AddDate(0, 0, 2), Name: "ﾔﾏﾀﾞ ﾀﾛｳ", NameKana: "やまだ　たろう",
		PostCode: "１００－０００５", Address: "東京都千代田区丸の内1-1-1", Tel: "０３－１２３４－５６７８", TotalAmount: 1000,
		Items: []Item{{Name: "Apple", Count: 1, UnitPrice: 1000, SubTotal: 1000}}}
}

func TestParseAnswer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body     string
		rc, result     string
		date           string
		hasRequestDate bool
		dec            Decision
	}{
		{"requestDate", `<?xml version="1.0" encoding="UTF-8"?><return><ycfStrCode>12345678901</ycfStrCode><orderNo>A</orderNo><returnCode>0</returnCode><result>0</result><errorCode/><requestDate>20260302100000</requestDate></return>`, "0", "0", "20260302100000", true, Approved},
		{"returnDate only", `<return><returnCode>0</returnCode><result>0</result><errorCode></errorCode><returnDate>20260302100001</returnDate></return>`, "0", "0", "20260302100001", false, Unclear},
		{"refused", `<return><returnCode>0</returnCode><result>1</result><requestDate>20260302100000</requestDate></return>`, "0", "1", "20260302100000", true, Refused},
		{"over max", `<return><returnCode>0</returnCode><result>2</result><requestDate>x</requestDate></return>`, "0", "2", "x", true, Refused},
		{"review", `<return><returnCode>0</returnCode><result>3</result><requestDate>x</requestDate></return>`, "0", "3", "x", true, Pending},
		{"unknown result kept", `<return><returnCode>0</returnCode><result>7</result><requestDate>x</requestDate></return>`, "0", "7", "x", true, Unclear},
		{"error", "<return>\n <returnCode>1</returnCode>\n <result></result><errorCode>kaara040E</errorCode><requestDate>x</requestDate></return>", "1", "", "x", true, Unclear},
	}
	for _, tt := range tests {
		a, err := ParseAnswer([]byte(tt.body))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		ca := CreditAnswer{Answer: a, Result: CreditResult(a.Result)}
		if a.ReturnCode != tt.rc || a.Result != tt.result || a.RequestDate != tt.date || a.HasRequestDate != tt.hasRequestDate || ca.Decision() != tt.dec {
			t.Errorf("%s: %+v decision %s", tt.name, a, ca.Decision())
		}
	}
	for _, bad := range []string{"", "  ", "<html>maintenance</html>", "<return><result>0</result></return>"} {
		if _, err := ParseAnswer([]byte(bad)); err == nil {
			t.Errorf("ParseAnswer(%q) accepted", bad)
		}
	}
	// What the sandbox writes reads back the same.
	in := Answer{StoreCode: "12345678901", OrderNo: "A&B", ReturnCode: "0", Result: "10", Warning: "2", ReissueCode: "1", RequestDate: "20260302100000"}
	out, err := ParseAnswer(EncodeAnswer(in))
	if err != nil || out.OrderNo != "A&B" || out.Result != "10" || out.Warning != "2" || out.ReissueCode != "1" || !out.HasRequestDate {
		t.Errorf("EncodeAnswer round trip = %+v, %v", out, err)
	}
}

func TestCreditFormConversions(t *testing.T) {
	t.Parallel()
	f, extra := goodRequest().Form()
	want := map[string]string{"name": "ヤマダ　タロウ", "nameKana": "ﾔﾏﾀﾞ ﾀﾛｳ", "postCode": "100-0005", "telNum": "03-1234-5678",
		"address1": "東京都千代田区丸の内１－１－１", "itemName1": "Ａｐｐｌｅ", "orderYmd": "20260302", "shipYmd": "20260304", "sendDiv": "0"}
	for k, v := range want {
		if f.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, f.Get(k), v)
		}
	}
	if len(extra) != 0 {
		t.Errorf("extra errors %v", extra)
	}
	r := goodRequest()
	for range 11 {
		r.Items = append(r.Items, Item{Name: "x", Count: 1})
	}
	if _, extra := r.Form(); len(extra) != 1 || !strings.Contains(extra[0].Message, "10行まで") {
		t.Errorf("11+ items: %v", extra)
	}
}

// server answers every POST with body and counts the requests.
func server(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func newClient(srv *httptest.Server, timeout time.Duration) *Client {
	return New(Config{BaseURL: srv.URL + "/kuroneko-atobarai-api", StoreCode: "12345678901", Password: "sandbox1",
		Clock: clock.NewFrozen(t0), Timeout: timeout})
}

func TestClientSendsTheForm(t *testing.T) {
	t.Parallel()
	var got *http.Request
	var body string
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		got = r
		b, _ := io.ReadAll(r.Body)
		body = string(b)
		_, _ = io.WriteString(w, `<return><returnCode>0</returnCode><result>0</result><requestDate>20260302100000</requestDate></return>`)
	})
	c := newClient(srv, time.Second)
	a, err := c.Credit(context.Background(), goodRequest())
	if err != nil || a.Decision() != Approved {
		t.Fatalf("Credit = %+v, %v", a, err)
	}
	if got.URL.Path != "/kuroneko-atobarai-api/KAARA0010APIAction_execute.action" || got.Method != http.MethodPost {
		t.Errorf("request %s %s", got.Method, got.URL.Path)
	}
	if ct := got.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded; charset=UTF-8" {
		t.Errorf("Content-Type %q", ct)
	}
	for _, s := range []string{"ycfStrCode=12345678901", "password=sandbox1", "requestDate=20260302100000", "name=%E3%83%A4"} {
		if !strings.Contains(body, s) {
			t.Errorf("body lacks %s: %s", s, body)
		}
	}
	if strings.Contains(body, "email=") || strings.Contains(body, "cartCode") {
		t.Errorf("empty optional fields sent: %s", body)
	}
}

func TestClientRefusesBadFieldsBeforeSending(t *testing.T) {
	t.Parallel()
	srv, n := server(t, func(w http.ResponseWriter, r *http.Request) {})
	c := newClient(srv, time.Second)
	r := goodRequest()
	r.Tel = "03-12345678"
	r.TotalAmount = 1001
	_, err := c.Credit(context.Background(), r)
	ve, ok := errors.AsType[*ValidationError](err)
	if !ok {
		t.Fatalf("err = %v, want *ValidationError", err)
	}
	if f, ok := ve.Field("telNum"); !ok || f.Code != "kaara039E" || f.Label != "電話番号" {
		t.Errorf("telNum error = %+v", f)
	}
	if f, ok := ve.Field("totalAmount"); !ok || f.Code != "kaara101E" {
		t.Errorf("totalAmount error = %+v", f)
	}
	if !strings.Contains(err.Error(), "電話番号（telNum）") {
		t.Errorf("message does not name the field: %v", err)
	}
	if _, err := c.Status(context.Background(), "bad/no"); err == nil {
		t.Error("bad order number sent")
	}
	if n.Load() != 0 {
		t.Errorf("%d requests reached the server", n.Load())
	}
}

func TestAPIErrorKeepsUnknownCodes(t *testing.T) {
	t.Parallel()
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `<return><orderNo>C-1</orderNo><returnCode>1</returnCode><errorCode>kazzz999E</errorCode><requestDate>x</requestDate></return>`)
	})
	_, err := newClient(srv, time.Second).Cancel(context.Background(), "C-1")
	ae, ok := errors.AsType[*APIError](err)
	if !ok || ae.Code != "kazzz999E" || ae.API != APICancel || ae.OrderNo != "C-1" {
		t.Fatalf("err = %#v", err)
	}
	if IsOutcomeUnknown(err) || IsNotFound(err) {
		t.Error("a plain refusal classified as unknown or not found")
	}
}

func TestTransportFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// The connection drops after the request was read: a credit's outcome is unknown, a
	// status read is simply a failure.
	drop, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	})
	c := newClient(drop, time.Second)
	_, err := c.Credit(ctx, goodRequest())
	if te, ok := errors.AsType[*TransportError](err); !ok || !te.Sent || !IsOutcomeUnknown(err) {
		t.Errorf("dropped credit: %v", err)
	}
	if _, err := c.Status(ctx, "C-1"); err == nil || IsOutcomeUnknown(err) {
		t.Errorf("dropped status: %v", err)
	}
	// Non-200 from a gateway.
	gw, _ := server(t, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "bad gateway", http.StatusBadGateway) })
	_, err = newClient(gw, time.Second).RegisterShipment(ctx, ShipmentRequest{OrderNo: "C-1", TrackingNo: "123456789013"})
	if te, ok := errors.AsType[*TransportError](err); !ok || te.HTTPStatus != 502 || !IsOutcomeUnknown(err) {
		t.Errorf("502: %v", err)
	}
	// A system exception answer leaves a money-moving call unknown.
	sys, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `<return><returnCode>1</returnCode><errorCode>err0001</errorCode></return>`)
	})
	if _, err := newClient(sys, time.Second).Cancel(ctx, "C-1"); !IsOutcomeUnknown(err) || !IsSystemError(err) {
		t.Errorf("err0001 cancel: %v", err)
	}
	// A server that never answers: the call is bounded by Config.Timeout.
	release := make(chan struct{})
	hang, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // runs before the server's Close, which waits for handlers
	began := time.Now()
	_, err = newClient(hang, 100*time.Millisecond).Cancel(ctx, "C-1")
	te, ok := errors.AsType[*TransportError](err)
	if !ok || !te.Timeout() || !IsOutcomeUnknown(err) || time.Since(began) > 5*time.Second {
		t.Errorf("hang: %v after %s", err, time.Since(began))
	}
	// Nothing listening: not sent, so not unknown.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	dead := New(Config{BaseURL: "http://" + addr + "/", StoreCode: "12345678901", Password: "p", Clock: clock.NewFrozen(t0)})
	if _, err := dead.Cancel(ctx, "C-1"); err == nil || IsOutcomeUnknown(err) {
		t.Errorf("refused connection: %v (unknown %v)", err, IsOutcomeUnknown(err))
	}
}

// recorder is a RoundTripper that notes whether requests can be replayed.
type recorder struct{ getBody map[string]bool }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	name := req.URL.Path[strings.LastIndex(req.URL.Path, "/")+1:]
	r.getBody[name[:9]] = req.GetBody != nil
	body := `<return><returnCode>0</returnCode><result>0</result><requestDate>x</requestDate></return>`
	return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(body)), Header: http.Header{}, Request: req}, nil
}

// Money-moving posts cannot be replayed by the transport; reads can.
func TestMoneyMovingPostsAreNotReplayable(t *testing.T) {
	t.Parallel()
	rec := &recorder{getBody: map[string]bool{}}
	c := New(Config{BaseURL: "http://yamato.test/", StoreCode: "12345678901", Password: "p", Clock: clock.NewFrozen(t0), HTTPClient: &http.Client{Transport: rec}})
	ctx := context.Background()
	items := []Item{{Name: "りんご", Count: 1, UnitPrice: 100, SubTotal: 100}}
	calls := []error{
		func() error { _, err := c.Credit(ctx, goodRequest()); return err }(),
		func() error { _, err := c.CreditResult(ctx, "C-1"); return err }(),
		func() error { _, err := c.Status(ctx, "C-1"); return err }(),
		func() error {
			_, err := c.RegisterShipment(ctx, ShipmentRequest{OrderNo: "C-1", TrackingNo: "1234-5678-9013"})
			return err
		}(),
		func() error { _, err := c.Cancel(ctx, "C-1"); return err }(),
		func() error {
			_, err := c.ReduceAmount(ctx, ReductionRequest{OrderNo: "C-1", PostCode: "1000005", Address: "東京都千代田区1-1", Items: items, TotalAmount: 100})
			return err
		}(),
		func() error {
			_, err := c.ReissueInvoice(ctx, ReissueRequest{OrderNo: "C-1", Contents: ReissueChange, Reason: ReasonLost, PostCode: "1000005", Address: "東京都千代田区1-1", Items: items})
			return err
		}(),
		func() error { _, err := c.VerifySMS(ctx, "C-1", "１２３４"); return err }(),
	}
	for i, err := range calls {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	for _, api := range APIs {
		replayable, sent := rec.getBody[string(api)]
		if !sent {
			t.Errorf("%s not sent", api)
			continue
		}
		if replayable == moneyMoving[api] {
			t.Errorf("%s: GetBody set = %v, money-moving = %v", api, replayable, moneyMoving[api])
		}
	}
}
