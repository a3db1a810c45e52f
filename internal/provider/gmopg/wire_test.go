package gmopg_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"kessai/internal/provider/gmopg"
)

func TestParseAnswerRawCP932(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		key  string
		want string
	}{
		// A recorded answer echoes ClientField1 as raw Shift_JIS bytes, ① being a CP932 extension.
		{"cp932 extensions", "OrderID=o1&ClientField1=\x81\x60\x81\x7c\x87\x40\x82\xd9\x82\xb0hoge", "ClientField1", "～－①ほげhoge"},
		{"raw plus in token", "AccessID=a&Token=MUPNG5Kkc3cF+qn/x==&StartURL=https://h/payment/X.idPass", "Token", "MUPNG5Kkc3cF+qn/x=="},
		{"raw url", "AccessID=a&Token=t&StartURL=https://pt01.mul-pay.jp/payment/RecruitStart.idPass", "StartURL", "https://pt01.mul-pay.jp/payment/RecruitStart.idPass"},
		{"percent is not decoded", "ClientField1=100%25", "ClientField1", "100%25"},
		{"raw space", "MemberID=1&MemberName=John Smith&DeleteFlag=0", "MemberName", "John Smith"},
		{"half-width kana", "ClientField1=\xb6\xbf\xb3\xbc\xc3\xdd", "ClientField1", "ｶｿｳｼﾃﾝ"},
		{"trailing crlf", "CardSeq=0\r\n", "CardSeq", "0"},
		{"empty value kept", "SiteID=&MemberID=", "SiteID", ""},
	}
	for _, tt := range tests {
		v := gmopg.ParseAnswer([]byte(tt.body))
		got, ok := v.Lookup(tt.key)
		if !ok || got != tt.want {
			t.Errorf("%s: %s = %q (present %v), want %q", tt.name, tt.key, got, ok, tt.want)
		}
	}
	if v := gmopg.ParseAnswer([]byte("SiteID=&MemberID=")); len(v) != 2 {
		t.Errorf("empty keys must be present: %v", v)
	}
}

func TestEncodeForm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   gmopg.Values
		want string
	}{
		// The recorded request: 購入する商品名 in Shift_JIS, percent-encoded.
		{gmopg.Values{{Key: "ItemName", Value: "購入する商品名"}}, "ItemName=%8Dw%93%FC%82%B7%82%E9%8F%A4%95i%96%BC"},
		{gmopg.Values{{Key: "MemberName", Value: "John Smith"}}, "MemberName=John+Smith"},
		{gmopg.Values{{Key: "CardSeq", Value: "0"}, {Key: "Token", Value: "a+b/c="}}, "CardSeq=0&Token=a%2Bb%2Fc%3D"},
		{gmopg.Values{{Key: "ClientField1", Value: "〜"}}, "ClientField1=%81%60"}, // WAVE DASH sent as ～
	}
	for _, tt := range tests {
		got, err := gmopg.EncodeForm(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("EncodeForm(%v) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		back, err := gmopg.ParseForm([]byte(got))
		if err != nil || back[0].Value != strings.ReplaceAll(tt.in[0].Value, "〜", "～") {
			t.Errorf("ParseForm(%q) = %v, %v", got, back, err)
		}
	}
	if _, err := gmopg.EncodeForm(gmopg.Values{{Key: "ItemName", Value: "ok😀"}}); err == nil || !strings.Contains(err.Error(), "ItemName") {
		t.Errorf("unencodable: err = %v, want one naming ItemName", err)
	}
}

func TestFormatAnswerRoundTrip(t *testing.T) {
	t.Parallel()
	in := gmopg.Values{{Key: "Token", Value: "x+y/z=="}, {Key: "StartURL", Value: "http://127.0.0.1:1/a/b"}, {Key: "ClientField1", Value: "①ｶﾅ"}, {Key: "Empty", Value: ""}}
	b, err := gmopg.FormatAnswer(in)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "%") {
		t.Errorf("answer must not be percent-encoded: %q", b)
	}
	if got := gmopg.ParseAnswer(b); !reflect.DeepEqual(got, in) {
		t.Errorf("round trip = %v, want %v", got, in)
	}
}

// answerServer answers each request with the next body; it records the request bodies.
type answerServer struct {
	mu      sync.Mutex
	bodies  []string
	answers []string
	paths   []string
}

func (a *answerServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	a.bodies = append(a.bodies, string(b))
	a.paths = append(a.paths, r.URL.Path)
	ans := a.answers[min(len(a.bodies)-1, len(a.answers)-1)]
	a.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain;charset=Windows-31J")
	io.WriteString(w, ans)
}

func (a *answerServer) calls() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.bodies)
}

func TestErrorPairsAndRetry(t *testing.T) {
	t.Parallel()
	ok := "OrderID=o1&Status=AUTH&ProcessDate=20260301120000&JobCd=AUTH&AccessID=a&AccessPass=p"
	tests := []struct {
		name      string
		answers   []string
		wantCalls int
		wantInfos []string
		wantDelay []time.Duration
		double    bool
		retryable bool
	}{
		{"every pair kept", []string{"ErrCode=E01|E01&ErrInfo=E01050002|E01060006"}, 1, []string{"E01050002", "E01060006"}, nil, false, false},
		{"trailing bar", []string{"ErrCode=E01|&ErrInfo=E01390002|"}, 1, []string{"E01390002"}, nil, false, false},
		{"unknown code verbatim", []string{"ErrCode=X99&ErrInfo=X99123456"}, 1, []string{"X99123456"}, nil, false, false},
		{"double submission never retried", []string{"ErrCode=E90&ErrInfo=E90010001", ok}, 1, []string{"E90010001"}, nil, true, false},
		{"E92 retried then ok", []string{"ErrCode=E92&ErrInfo=E92000001", "ErrCode=E92&ErrInfo=E92000002", ok}, 3, nil, []time.Duration{time.Second, 2 * time.Second}, false, false},
		{"42C retried then ok", []string{"ErrCode=42C&ErrInfo=42C010000", ok}, 2, nil, []time.Duration{time.Second}, false, false},
		{"E92 until attempts run out", []string{"ErrCode=E92&ErrInfo=E92000001"}, 3, []string{"E92000001"}, []time.Duration{time.Second, 2 * time.Second}, false, true},
		{"E92 with a business error is final", []string{"ErrCode=E92|E01&ErrInfo=E92000001|E01110002", ok}, 1, []string{"E92000001", "E01110002"}, nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			as := &answerServer{answers: tt.answers}
			srv := httptest.NewServer(as)
			defer srv.Close()
			var delays []time.Duration
			c := gmopg.New(gmopg.Config{BaseURL: srv.URL, ShopID: "s", ShopPass: "p", Retry: gmopg.RetryPolicy{
				Sleep: func(_ context.Context, d time.Duration) error { delays = append(delays, d); return nil }}})
			tr, err := c.SearchTrade(context.Background(), "o1")
			if as.calls() != tt.wantCalls {
				t.Errorf("calls = %d, want %d", as.calls(), tt.wantCalls)
			}
			if !reflect.DeepEqual(delays, tt.wantDelay) {
				t.Errorf("delays = %v, want %v", delays, tt.wantDelay)
			}
			if as.paths[0] != "/payment/SearchTrade.idPass" {
				t.Errorf("path = %s", as.paths[0])
			}
			if tt.wantInfos == nil {
				if err != nil || tr.Status != gmopg.StatusAuth {
					t.Fatalf("SearchTrade = %+v, %v", tr, err)
				}
				return
			}
			ae, isAPI := errors.AsType[*gmopg.APIError](err)
			if !isAPI || !reflect.DeepEqual(ae.Infos(), tt.wantInfos) {
				t.Fatalf("err = %v, want infos %v", err, tt.wantInfos)
			}
			for _, p := range ae.Pairs {
				if len(p.Code) != 3 || !strings.HasPrefix(p.Info, p.Code) {
					t.Errorf("pair %+v: code must be the info's first three characters", p)
				}
			}
			if gmopg.IsDoubleSubmission(err) != tt.double || gmopg.IsRetryable(err) != tt.retryable {
				t.Errorf("double %v retryable %v", gmopg.IsDoubleSubmission(err), gmopg.IsRetryable(err))
			}
		})
	}
}

// bodyRecorder records whether each request could be replayed by the transport.
type bodyRecorder struct {
	mu       sync.Mutex
	replayed map[string]bool
	next     http.RoundTripper
}

func (b *bodyRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	b.mu.Lock()
	b.replayed[strings.TrimPrefix(r.URL.Path, "/payment/")] = r.GetBody != nil
	b.mu.Unlock()
	return b.next.RoundTrip(r)
}

func TestWritesAreNotReplayable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(&answerServer{answers: []string{"AccessID=a&AccessPass=p&Status=SALES&OrderID=o&TranID=t&CardSeq=0"}})
	defer srv.Close()
	rec := &bodyRecorder{replayed: map[string]bool{}, next: http.DefaultTransport}
	c := gmopg.New(gmopg.Config{BaseURL: srv.URL, HTTPClient: &http.Client{Transport: rec}})
	ctx := context.Background()
	a := gmopg.Access{OrderID: "o", AccessID: "a", AccessPass: "p"}
	c.SearchTrade(ctx, "o")
	c.ExecTran(ctx, gmopg.ExecTranInput{Access: a, MemberID: "m", CardSeq: 0})
	c.AlterTran(ctx, a, gmopg.JobSales, 100)
	c.ChangeTran(ctx, a, gmopg.JobAuth, 100, 0)
	c.RecruitSales(ctx, a)
	c.RecruitCancel(ctx, a)
	c.RecruitChange(ctx, a, 10, 0)
	c.RecruitUpdateAuth(ctx, a)
	c.EntryTran(ctx, gmopg.EntryTranInput{OrderID: "o", JobCd: gmopg.JobAuth, Amount: 1})
	c.SaveCard(ctx, gmopg.SaveCardInput{MemberID: "m", CardNo: "4111111111111111", Expire: "3012"})
	want := map[string]bool{"SearchTrade.idPass": true, "ExecTran.idPass": false, "AlterTran.idPass": false, "ChangeTran.idPass": false,
		"RecruitSales.idPass": false, "RecruitCancel.idPass": false, "RecruitChange.idPass": false, "RecruitUpdateAuth.idPass": false,
		"EntryTran.idPass": false, "SaveCard.idPass": false}
	if !reflect.DeepEqual(rec.replayed, want) {
		t.Errorf("replayable = %v, want %v", rec.replayed, want)
	}
}

func TestTimeoutIsBoundedAndUnknown(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := gmopg.New(gmopg.Config{BaseURL: srv.URL, Timeout: 500 * time.Millisecond})
	ctx := context.Background()
	_, err := c.ExecTran(ctx, gmopg.ExecTranInput{Access: gmopg.Access{OrderID: "o"}})
	te, ok := errors.AsType[*gmopg.TransportError](err)
	if !ok || !te.Timeout() || !te.Sent {
		t.Fatalf("ExecTran err = %v, want a sent timeout", err)
	}
	if !gmopg.IsOutcomeUnknown(err) {
		t.Error("a timed-out ExecTran must be an unknown outcome")
	}
	_, err = c.SearchTrade(ctx, "o")
	if err == nil || gmopg.IsOutcomeUnknown(err) {
		t.Errorf("SearchTrade timeout: %v; a read is never unknown", err)
	}
}

func TestHTMLAnswerIsNotSuccess(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(&answerServer{answers: []string{"<html>maintenance</html>"}})
	defer srv.Close()
	c := gmopg.New(gmopg.Config{BaseURL: srv.URL})
	_, err := c.RecruitSales(context.Background(), gmopg.Access{OrderID: "o"})
	if !gmopg.IsOutcomeUnknown(err) {
		t.Errorf("an answer without Status on a capture = %v, want an unknown outcome", err)
	}
}

func TestParseNotification(t *testing.T) {
	t.Parallel()
	// As GMO-PG posts it: a percent-encoded CP932 form, passwords masked, empty keys present.
	body := "ShopID=tshop00012345&ShopPass=**********&AccessID=0123456789abcdef0123456789abcdef&AccessPass=********************************" +
		"&OrderID=rc-1&Status=AUTH&JobCd=AUTH&Amount=3300&Tax=300&Currency=JPN&Forward=&Method=&PayTimes=&TranID=&Approve=&TranDate=" +
		"&ErrCode=&ErrInfo=&PayType=O&RcOrderId=RC000000000001&RcOrderTime=20260302100500&RcUsePoint=100&RcUseCoupon=0&RcUseShopCoupon=0" +
		"&ClientField1=%92%E8%8A%FA%95%D6%87%40"
	n, err := gmopg.ParseNotification([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if n.OrderID != "rc-1" || n.Status != gmopg.StatusAuth || n.Amount != 3300 || n.PayType != gmopg.PayTypeRecruit || n.RcUsePoint != 100 ||
		n.IsPing() || n.Failed() || !n.FromShop("tshop00012345") || n.FromShop("other") || n.Values.Get("ClientField1") != "定期便①" {
		t.Errorf("notification = %+v", n)
	}
	ping, err := gmopg.ParseNotification([]byte("ShopID=tshop00012345&ShopPass=**********&ErrCode=E00&ErrInfo=E00000000"))
	if err != nil || !ping.IsPing() || ping.Failed() {
		t.Errorf("ping = %+v, %v", ping, err)
	}
	failed, _ := gmopg.ParseNotification([]byte("ShopID=s&OrderID=o&Status=PAYFAIL&ErrCode=RC1&ErrInfo=RC1000009"))
	if !failed.Failed() || failed.Errors[0].Info != "RC1000009" {
		t.Errorf("failed = %+v", failed)
	}
	if _, err := gmopg.ParseNotification([]byte("OrderID=o")); err == nil {
		t.Error("a notification without ShopID was accepted")
	}
	// What the simulator posts parses back to the same notification.
	enc, err := gmopg.EncodeForm(gmopg.NotificationValues(n))
	if err != nil {
		t.Fatal(err)
	}
	back, err := gmopg.ParseNotification([]byte(enc))
	if err != nil || back.OrderID != n.OrderID || back.RcOrderID != n.RcOrderID || back.Status != n.Status || back.Values.Get("ShopPass") != "**********" {
		t.Errorf("round trip = %+v, %v", back, err)
	}
}

func TestOutcomeClassification(t *testing.T) {
	t.Parallel()
	calls := map[string]func(c *gmopg.Client) error{
		"read SearchTradeMulti": func(c *gmopg.Client) error {
			_, err := c.SearchTradeMulti(context.Background(), "o", gmopg.PayTypeRecruit)
			return err
		},
		"write EntryTranRecruit": func(c *gmopg.Client) error {
			_, err := c.EntryTranRecruit(context.Background(), gmopg.RecruitEntryInput{OrderID: "o", JobCd: gmopg.JobAuth, Amount: 1})
			return err
		},
		"money RecruitChange": func(c *gmopg.Client) error {
			_, err := c.RecruitChange(context.Background(), gmopg.Access{OrderID: "o"}, 1, 0)
			return err
		},
	}
	tests := []struct {
		answer  string
		status  int
		unknown map[string]bool // by call; absent means false
	}{
		{"ErrCode=E01&ErrInfo=E01110002", 200, nil},
		{"ErrCode=M01&ErrInfo=M01235010", 200, nil},
		{"ErrCode=E90&ErrInfo=E90010001", 200, map[string]bool{"money RecruitChange": true}},
		{"ErrCode=E91&ErrInfo=E91099996", 200, map[string]bool{"money RecruitChange": true}},
		{"ErrCode=E92&ErrInfo=E92000001", 200, nil},
		{"", 500, map[string]bool{"money RecruitChange": true}},
		{"<html>busy</html>", 200, map[string]bool{"money RecruitChange": true}},
	}
	for _, tt := range tests {
		for name, call := range calls {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.answer)
			}))
			c := gmopg.New(gmopg.Config{BaseURL: srv.URL, Retry: gmopg.RetryPolicy{MaxAttempts: 1}})
			err := call(c)
			srv.Close()
			if err == nil {
				t.Errorf("%s answered %q: no error", name, tt.answer)
				continue
			}
			if got := gmopg.IsOutcomeUnknown(err); got != tt.unknown[name] {
				t.Errorf("%s answered %d %q: IsOutcomeUnknown = %v (%v)", name, tt.status, tt.answer, got, err)
			}
		}
	}
}
