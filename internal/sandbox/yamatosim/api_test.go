package yamatosim_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"kessai/internal/provider/yamato"
	"kessai/internal/sandbox/yamatosim"
)

// The whole life of an order through every endpoint, through the client over real HTTP.
func TestOrderLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, err := e.client.Credit(e.ctx, order("LIFE-1", "山田 太郎"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Decision() != yamato.Approved || a.Result != yamato.CreditOK || a.OrderNo != "LIFE-1" || !a.HasRequestDate {
		t.Fatalf("credit answer = %+v", a)
	}
	o, _ := e.sim.Order("LIFE-1")
	if o.Name != "山田　太郎" || o.Address1 != "東京都千代田区丸の内１－１－１　丸の内ビルＬＩＦＥ" || o.Address2 != "－１" || o.NameKana != "ﾔﾏﾀﾞ ﾀﾛｳ" {
		t.Errorf("the client did not convert name/address as sent: %q %q %q %q", o.Name, o.Address1, o.Address2, o.NameKana)
	}
	if r, err := e.client.CreditResult(e.ctx, "LIFE-1"); err != nil || r.Result != yamato.CreditOK {
		t.Fatalf("result = %+v, %v", r, err)
	}
	st, err := e.client.Status(e.ctx, "LIFE-1")
	if err != nil || st.Status != yamato.StatusApproved || st.Warning != yamato.WarningNone {
		t.Fatalf("status = %+v, %v", st, err)
	}
	// Past the planned ship date without a tracking number: warning 1.
	e.clk.Advance(48 * time.Hour)
	if st, _ := e.client.Status(e.ctx, "LIFE-1"); st.Warning != yamato.WarningNoTracking {
		t.Errorf("warning after ship date = %s, want 1", st.Warning)
	}
	e.ship(t, "LIFE-1", "12345678901")
	if st, _ := e.client.Status(e.ctx, "LIFE-1"); st.Status != yamato.StatusShipped || st.Warning != yamato.WarningUndelivered {
		t.Fatalf("after shipment = %+v", st)
	}
	// Change the tracking number (処理区分 1), then cancel and re-register it.
	if _, err := e.client.RegisterShipment(e.ctx, yamato.ShipmentRequest{OrderNo: "LIFE-1", ProcessDiv: yamato.ProcessChange,
		TrackingNo: yamato.WithCheckDigit("22222222222"), BeforeTrackingNo: yamato.WithCheckDigit("12345678901"), ShipDate: start}); err != nil {
		t.Fatalf("change: %v", err)
	}
	if _, err := e.client.RegisterShipment(e.ctx, yamato.ShipmentRequest{OrderNo: "LIFE-1", ProcessDiv: yamato.ProcessCancel}); err != nil {
		t.Fatalf("cancel shipment: %v", err)
	}
	if st, _ := e.client.Status(e.ctx, "LIFE-1"); st.Status != yamato.StatusApproved {
		t.Fatalf("after shipment cancel = %s", st.Status)
	}
	e.ship(t, "LIFE-1", "12345678901")
	// Delivery and invoice on the Sim's clock.
	e.clk.Advance(24 * time.Hour)
	if st, _ := e.client.Status(e.ctx, "LIFE-1"); st.Status != yamato.StatusSold {
		t.Fatalf("a day after shipment = %s, want 10", st.Status)
	}
	e.clk.Advance(24 * time.Hour)
	if st, _ := e.client.Status(e.ctx, "LIFE-1"); st.Status != yamato.StatusInvoiced {
		t.Fatalf("two days after shipment = %s, want 11", st.Status)
	}
	// Reduce: 3,300 → 3,000 without the shipping line.
	red := yamato.ReductionRequest{OrderNo: "LIFE-1", PostCode: "1000005", Address: "東京都千代田区丸の内1-1-1",
		Items: []yamato.Item{{Name: "りんご", Count: 2, UnitPrice: 1500, SubTotal: 3000}}, TotalAmount: 3000}
	if _, err := e.client.ReduceAmount(e.ctx, red); err != nil {
		t.Fatalf("reduce: %v", err)
	}
	if o, _ := e.sim.Order("LIFE-1"); o.Total != 3000 || o.InitialTotal != 3300 || len(o.Items) != 1 {
		t.Errorf("after reduction: total %d initial %d items %d", o.Total, o.InitialTotal, len(o.Items))
	}
	// Reissue the invoice, then withdraw the request.
	re := yamato.ReissueRequest{OrderNo: "LIFE-1", Contents: yamato.ReissueChange, Reason: yamato.ReasonMoved,
		PostCode: "1500001", Address: "東京都渋谷区神宮前1-2-3", Items: red.Items}
	ra, err := e.client.ReissueInvoice(e.ctx, re)
	if err != nil || ra.ReissueCode != "1" {
		t.Fatalf("reissue = %+v, %v", ra, err)
	}
	if _, err := e.client.ReissueInvoice(e.ctx, yamato.ReissueRequest{OrderNo: "LIFE-1", Contents: yamato.ReissueWithdraw}); err != nil {
		t.Fatalf("withdraw: %v", err)
	}
	if _, err := e.client.Cancel(e.ctx, "LIFE-1"); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	if st, _ := e.client.Status(e.ctx, "LIFE-1"); st.Status != yamato.StatusCancelled {
		t.Fatalf("after cancel = %s", st.Status)
	}
	// A result query for a cancelled order is an error, not a status.
	if _, err := e.client.CreditResult(e.ctx, "LIFE-1"); code(err) != "kaars008E" || !yamato.IsNotFound(err) {
		t.Fatalf("result of cancelled order: %v", err)
	}
}

func TestCreditTestData(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name   string
		mutate func(*yamato.CreditRequest)
		result yamato.CreditResult
		dec    yamato.Decision
	}{
		{"ok", nil, yamato.CreditOK, yamato.Approved},
		{"refused", func(r *yamato.CreditRequest) { r.Name = "利用 不可子" }, yamato.CreditNG, yamato.Refused},
		{"over max by name", func(r *yamato.CreditRequest) { r.Name = "限度 超子" }, yamato.CreditOverMax, yamato.Refused},
		{"over max by amount", func(r *yamato.CreditRequest) {
			r.TotalAmount = 300001
			r.Items = []yamato.Item{{Name: "テレビ", Count: 1, UnitPrice: 300001, SubTotal: 300001}}
		}, yamato.CreditOverMax, yamato.Refused},
		{"at the limit", func(r *yamato.CreditRequest) {
			r.TotalAmount = 300000
			r.Items = []yamato.Item{{Name: "テレビ", Count: 1, UnitPrice: 300000, SubTotal: 300000}}
		}, yamato.CreditOK, yamato.Approved},
		{"review", func(r *yamato.CreditRequest) { r.Name = "審査 待子" }, yamato.CreditReviewed, yamato.Pending},
		{"sms", func(r *yamato.CreditRequest) { r.SendDiv = yamato.SendSMS; r.Tel = "090-1234-5678" }, yamato.CreditReviewed, yamato.Pending},
	}
	for i, tt := range tests {
		r := order("TD-"+string(rune('A'+i)), "山田 太郎")
		if tt.mutate != nil {
			tt.mutate(&r)
		}
		a, err := e.client.Credit(e.ctx, r)
		if err != nil || a.Result != tt.result || a.Decision() != tt.dec {
			t.Errorf("%s: %+v %v, want %s %s", tt.name, a.Result, err, tt.result, tt.dec)
		}
	}
}

func TestReviewResolvesOnTheClock(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, n := range []struct{ no, name string }{{"RV-OK", "審査 待子"}, {"RV-NG", "審査 不可子"}} {
		if a, err := e.client.Credit(e.ctx, order(n.no, n.name)); err != nil || a.Decision() != yamato.Pending {
			t.Fatalf("%s: %+v %v", n.no, a, err)
		}
	}
	e.clk.Advance(29 * time.Minute)
	if r, _ := e.client.CreditResult(e.ctx, "RV-OK"); r.Result != yamato.CreditReviewed {
		t.Fatalf("after 29 minutes = %s", r.Result)
	}
	e.clk.Advance(time.Minute)
	if r, _ := e.client.CreditResult(e.ctx, "RV-OK"); r.Decision() != yamato.Approved {
		t.Errorf("after 30 minutes = %+v", r)
	}
	if r, _ := e.client.CreditResult(e.ctx, "RV-NG"); r.Result != yamato.CreditNG {
		t.Errorf("refused review after 30 minutes = %s", r.Result)
	}
}

func TestSMSAuthentication(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sms := func(no string) {
		r := order(no, "山田 太郎")
		r.SendDiv, r.Tel = yamato.SendSMS, "09012345678"
		if a, err := e.client.Credit(e.ctx, r); err != nil || a.Decision() != yamato.Pending {
			t.Fatalf("%s: %+v %v", no, a, err)
		}
	}
	sms("SMS-1")
	if a, err := e.client.VerifySMS(e.ctx, "SMS-1", "9999"); err != nil || a.Result != yamato.SMSMismatch {
		t.Fatalf("wrong code = %+v %v", a, err)
	}
	if a, err := e.client.VerifySMS(e.ctx, "SMS-1", yamatosim.SMSCode); err != nil || a.Result != yamato.SMSOK || !a.HasRequestDate {
		t.Fatalf("right code = %+v %v", a, err)
	}
	if r, _ := e.client.CreditResult(e.ctx, "SMS-1"); r.Decision() != yamato.Approved {
		t.Errorf("result after SMS = %+v", r)
	}
	if _, err := e.client.VerifySMS(e.ctx, "SMS-1", yamatosim.SMSCode); code(err) != "kaasa020E" {
		t.Errorf("second check: %v, want kaasa020E", err)
	}
	// Three wrong codes lock it.
	sms("SMS-2")
	for range 3 {
		_, _ = e.client.VerifySMS(e.ctx, "SMS-2", "0000")
	}
	if _, err := e.client.VerifySMS(e.ctx, "SMS-2", yamatosim.SMSCode); code(err) != "kaasa021E" {
		t.Errorf("after 3 wrong codes: %v, want kaasa021E", err)
	}
	// An expired code answers 3 and the credit is refused.
	sms("SMS-3")
	e.clk.Advance(10 * time.Minute)
	if a, err := e.client.VerifySMS(e.ctx, "SMS-3", yamatosim.SMSCode); err != nil || a.Result != yamato.SMSExpired {
		t.Errorf("expired = %+v %v", a, err)
	}
	if r, _ := e.client.CreditResult(e.ctx, "SMS-3"); r.Result != yamato.CreditNG {
		t.Errorf("result after expiry = %s", r.Result)
	}
	// An order without SMS authentication has nothing to check.
	e.approve(t, "SMS-4")
	if _, err := e.client.VerifySMS(e.ctx, "SMS-4", "1234"); code(err) != "kaasa020E" {
		t.Errorf("non-SMS order: %v", err)
	}
}

// Repeated orders to one address flip the earlier OK to NG; KAAST0010 shows it as 取消済.
func TestRepeatedAddressFlipsOKToNG(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	same := func(no string) yamato.CreditRequest {
		r := order(no, "山田 太郎")
		r.Address = "東京都千代田区丸の内1-1-1"
		return r
	}
	for _, no := range []string{"REP-1", "REP-2"} {
		if a, err := e.client.Credit(e.ctx, same(no)); err != nil || a.Decision() != yamato.Approved {
			t.Fatalf("%s: %+v %v", no, a, err)
		}
	}
	e.ship(t, "REP-2", "33333333333") // shipped orders are not withdrawn
	// The same address in the other width is still the same address.
	third := same("REP-3")
	third.Address = "東京都千代田区丸の内１－１－１"
	a, err := e.client.Credit(e.ctx, third)
	if err != nil || a.Result != yamato.CreditNG {
		t.Fatalf("third order = %+v %v, want NG", a, err)
	}
	if st, _ := e.client.Status(e.ctx, "REP-1"); st.Status != yamato.StatusCancelled {
		t.Errorf("REP-1 status = %s, want 2 (withdrawn)", st.Status)
	}
	if o, _ := e.sim.Order("REP-1"); o.Result != yamato.CreditNG || !o.Flipped {
		t.Errorf("REP-1 = %s flipped %v", o.Result, o.Flipped)
	}
	if st, _ := e.client.Status(e.ctx, "REP-2"); st.Status != yamato.StatusShipped {
		t.Errorf("shipped REP-2 = %s, want 3", st.Status)
	}
	// Outside the window the address is fine again.
	e.clk.Advance(time.Hour)
	if a, err := e.client.Credit(e.ctx, same("REP-4")); err != nil || a.Decision() != yamato.Approved {
		t.Errorf("an hour later = %+v %v", a, err)
	}
}

// Right after a credit the provider does not know the order yet; after the window it does.
func TestFollowUpWindow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *yamatosim.Options) { o.FollowUpWindow = 5 * time.Second })
	e.approve(t, "FW-1")
	calls := map[string]func() error{
		"result": func() error { _, err := e.client.CreditResult(e.ctx, "FW-1"); return err },
		"status": func() error { _, err := e.client.Status(e.ctx, "FW-1"); return err },
		"shipment": func() error {
			_, err := e.client.RegisterShipment(e.ctx, yamato.ShipmentRequest{OrderNo: "FW-1", TrackingNo: yamato.WithCheckDigit("44444444444")})
			return err
		},
		"reduce": func() error {
			_, err := e.client.ReduceAmount(e.ctx, yamato.ReductionRequest{OrderNo: "FW-1", PostCode: "1000005", Address: "東京都千代田区1-1",
				Items: []yamato.Item{{Name: "りんご", Count: 1, UnitPrice: 100, SubTotal: 100}}, TotalAmount: 100})
			return err
		},
		"reissue": func() error {
			_, err := e.client.ReissueInvoice(e.ctx, yamato.ReissueRequest{OrderNo: "FW-1", Contents: yamato.ReissueWithdraw})
			return err
		},
		"cancel": func() error { _, err := e.client.Cancel(e.ctx, "FW-1"); return err },
	}
	want := map[string]string{"result": "kaars008E", "status": "kaast008E", "shipment": "kaasl008E", "reduce": "kaakk008E", "reissue": "kaarr008E", "cancel": "kaacl008E"}
	for name, call := range calls {
		if err := call(); code(err) != want[name] || !yamato.IsNotFound(err) {
			t.Errorf("%s inside the window: %v, want %s", name, err, want[name])
		}
	}
	e.clk.Advance(5 * time.Second)
	if st, err := e.client.Status(e.ctx, "FW-1"); err != nil || st.Status != yamato.StatusApproved {
		t.Fatalf("status after the window = %+v, %v", st, err)
	}
	if _, err := e.client.Cancel(e.ctx, "FW-1"); err != nil {
		t.Errorf("cancel after the window: %v", err)
	}
	// The window is a setting of the running Sim.
	e.sim.SetFollowUpWindow(-1)
	e.approve(t, "FW-2")
	if _, err := e.client.Status(e.ctx, "FW-2"); err != nil {
		t.Errorf("no window: %v", err)
	}
}

// Every state refuses the operations it does not allow, with the provider's code.
func TestStateMachineRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	shipment := func(no string, div yamato.ProcessDiv) error {
		r := yamato.ShipmentRequest{OrderNo: no, ProcessDiv: div, TrackingNo: yamato.WithCheckDigit("55555555555")}
		switch div {
		case yamato.ProcessChange:
			r.BeforeTrackingNo, r.ShipDate = yamato.WithCheckDigit("12345678901"), start
		case yamato.ProcessCancel:
			r.TrackingNo = ""
		}
		_, err := e.client.RegisterShipment(e.ctx, r)
		return err
	}
	reduce := func(no string) error {
		_, err := e.client.ReduceAmount(e.ctx, yamato.ReductionRequest{OrderNo: no, PostCode: "1000005", Address: "東京都千代田区1-1",
			Items: []yamato.Item{{Name: "りんご", Count: 1, UnitPrice: 100, SubTotal: 100}}, TotalAmount: 100})
		return err
	}
	reissue := func(no string) error {
		_, err := e.client.ReissueInvoice(e.ctx, yamato.ReissueRequest{OrderNo: no, Contents: yamato.ReissueChange, Reason: yamato.ReasonLost,
			PostCode: "1000005", Address: "東京都千代田区1-1", Items: []yamato.Item{{Name: "りんご", Count: 2, UnitPrice: 1500, SubTotal: 3000}, {Name: "送料", Count: 1, UnitPrice: 300, SubTotal: 300}}})
		return err
	}
	cancel := func(no string) error { _, err := e.client.Cancel(e.ctx, no); return err }
	tests := []struct {
		status yamato.Status
		op     string
		call   func(string) error
		code   string // "" = allowed
	}{
		{yamato.StatusApproved, "change shipment", func(n string) error { return shipment(n, yamato.ProcessChange) }, "kaasl022E"},
		{yamato.StatusApproved, "cancel shipment", func(n string) error { return shipment(n, yamato.ProcessCancel) }, "kaasl022E"},
		{yamato.StatusApproved, "reissue", reissue, "kaarr016E"},
		{yamato.StatusSold, "register shipment", func(n string) error { return shipment(n, yamato.ProcessRegister) }, "kaasl020E"},
		{yamato.StatusSold, "change shipment", func(n string) error { return shipment(n, yamato.ProcessChange) }, "kaasl022E"},
		{yamato.StatusSold, "cancel", cancel, ""},
		{yamato.StatusInvoiced, "register shipment", func(n string) error { return shipment(n, yamato.ProcessRegister) }, "kaasl020E"},
		{yamato.StatusInvoiced, "reissue", reissue, ""},
		{yamato.StatusInvoiced, "reduce", reduce, ""},
		{yamato.StatusInvestigating, "register shipment", func(n string) error { return shipment(n, yamato.ProcessRegister) }, ""},
		{yamato.StatusPaid, "cancel", cancel, "kaacl015E"},
		{yamato.StatusPaid, "reduce", reduce, "kaakk011E"},
		{yamato.StatusPaid, "reissue", reissue, "kaarr016E"},
		{yamato.StatusPaid, "register shipment", func(n string) error { return shipment(n, yamato.ProcessRegister) }, "kaasl020E"},
		{yamato.StatusCancelled, "cancel", cancel, "kaacl009E"},
		{yamato.StatusCancelled, "reduce", reduce, "kaakk011E"},
		{yamato.StatusCancelled, "register shipment", func(n string) error { return shipment(n, yamato.ProcessRegister) }, "kaasl020E"},
		{yamato.StatusCancelled, "change shipment", func(n string) error { return shipment(n, yamato.ProcessChange) }, "kaasl022E"},
	}
	for i, tt := range tests {
		no := "SM-" + string(rune('A'+i))
		e.approve(t, no)
		if err := e.sim.SetStatus(no, tt.status); err != nil {
			t.Fatal(err)
		}
		err := tt.call(no)
		if got := code(err); got != tt.code || (tt.code == "" && err != nil) {
			t.Errorf("%s in %s: %v, want %q", tt.op, tt.status.Label(), err, tt.code)
		}
	}
}

// Each documented error path of the Sim's own checks, by raw form over HTTP, so the Sim's
// rules answer and not the client's.
func TestErrorCodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.approve(t, "EC-OK")
	// An NG order, and one with a tracking number used three times.
	if a, _ := e.client.Credit(e.ctx, order("EC-NG", "不可 太郎")); a.Result != yamato.CreditNG {
		t.Fatal("NG order not NG")
	}
	shared := yamato.WithCheckDigit("66666666666")
	for _, no := range []string{"EC-S1", "EC-S2", "EC-S3", "EC-S4"} {
		e.approve(t, no)
	}
	for _, no := range []string{"EC-S1", "EC-S2", "EC-S3"} {
		e.ship(t, no, "66666666666")
	}
	credit := func() url.Values { f, _ := order("EC-NEW", "山田 太郎").Form(); return f }
	with := func(f url.Values, kv ...string) url.Values {
		for i := 0; i < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return f
	}
	of := func(no string, kv ...string) url.Values { return with(url.Values{"orderNo": {no}}, kv...) }
	items := []string{"itemName1", "りんご", "itemCount1", "1", "unitPrice1", "100", "subTotal1", "100"}
	reduceF := func(no string, total string, kv ...string) url.Values {
		f := of(no, append([]string{"postCode", "1000005", "address1", "東京都千代田区１－１", "totalAmount", total}, items...)...)
		f.Set("subTotal1", total)
		f.Set("unitPrice1", total)
		return with(f, kv...)
	}
	tests := []struct {
		name string
		api  yamato.API
		form url.Values
		code string
	}{
		// Field rules answered by the Sim (the same table as the client's).
		{"credit tel", yamato.APICredit, with(credit(), "telNum", "03-12345678"), "kaara039E"},
		{"credit sum", yamato.APICredit, with(credit(), "totalAmount", "3301"), "kaara101E"},
		{"credit name half-width", yamato.APICredit, with(credit(), "name", "Yamada"), "kaara020E"},
		{"credit postal format", yamato.APICredit, with(credit(), "postCode", "1000-005"), "kaara105E"},
		{"credit order chars", yamato.APICredit, with(credit(), "orderNo", "EC/1"), "kaara007E"},
		{"credit amount range", yamato.APICredit, with(credit(), "totalAmount", "0", "subTotal1", "-300"), "kaara049E"},
		{"shipment check digit", yamato.APIShipment, of("EC-OK", "processDiv", "0", "paymentNo", "123456789014"), "kaasl014E"},
		{"sms code letters", yamato.APISMSVerify, of("EC-OK", "ninCode", "12a4"), "kaasa011E"},
		// Credentials.
		{"credit wrong password", yamato.APICredit, with(credit(), "password", "wrong1"), "kaara092E"},
		{"credit unknown store", yamato.APICredit, with(credit(), "ycfStrCode", "99999999999"), "kaara092E"},
		{"result wrong password", yamato.APIResult, of("EC-OK", "password", "wrong1"), "kaars012E"},
		{"status unknown store", yamato.APIStatus, of("EC-OK", "ycfStrCode", "99999999999"), "kaast015E"},
		{"status wrong password", yamato.APIStatus, of("EC-OK", "password", "wrong1"), "kaast012E"},
		{"shipment unknown store", yamato.APIShipment, of("EC-OK", "ycfStrCode", "99999999999", "processDiv", "0", "paymentNo", shared), "kaasl041E"},
		{"shipment wrong password", yamato.APIShipment, of("EC-OK", "password", "wrong1", "processDiv", "0", "paymentNo", shared), "kaasl036E"},
		{"cancel unknown store", yamato.APICancel, of("EC-OK", "ycfStrCode", "99999999999"), "kaacl017E"},
		{"cancel wrong password", yamato.APICancel, of("EC-OK", "password", "wrong1"), "kaacl013E"},
		{"reduce unknown store", yamato.APIReduce, reduceF("EC-OK", "100", "ycfStrCode", "99999999999"), "kaakk004E"},
		{"reduce wrong password", yamato.APIReduce, reduceF("EC-OK", "100", "password", "wrong1"), "kaakk061E"},
		{"reissue unknown store", yamato.APIReissue, of("EC-OK", "ycfStrCode", "99999999999", "requestContents", "3"), "kaarr004E"},
		{"reissue wrong password", yamato.APIReissue, of("EC-OK", "password", "wrong1", "requestContents", "3"), "kaarr012E"},
		{"sms unknown store", yamato.APISMSVerify, of("EC-OK", "ycfStrCode", "99999999999", "ninCode", "1234"), "kaasa004E"},
		{"sms wrong password", yamato.APISMSVerify, of("EC-OK", "password", "wrong1", "ninCode", "1234"), "kaasa024E"},
		// Orders the provider does not have.
		{"result unknown order", yamato.APIResult, of("EC-NONE"), "kaars008E"},
		{"status unknown order", yamato.APIStatus, of("EC-NONE"), "kaast008E"},
		{"shipment unknown order", yamato.APIShipment, of("EC-NONE", "processDiv", "0", "paymentNo", shared), "kaasl008E"},
		{"cancel unknown order", yamato.APICancel, of("EC-NONE"), "kaacl008E"},
		{"reduce unknown order", yamato.APIReduce, reduceF("EC-NONE", "100"), "kaakk008E"},
		{"reissue unknown order", yamato.APIReissue, of("EC-NONE", "requestContents", "3"), "kaarr008E"},
		{"sms unknown order", yamato.APISMSVerify, of("EC-NONE", "ninCode", "1234"), "kaasa020E"},
		// Rules that need the records.
		{"credit duplicate order", yamato.APICredit, with(credit(), "orderNo", "EC-OK"), "kaara009E"},
		{"credit postal unknown", yamato.APICredit, with(credit(), "postCode", yamatosim.PostCodeUnknown), "kaara029E"},
		{"credit enclosed without contract", yamato.APICredit, with(credit(), "sendDiv", "2"), "kaara052E"},
		{"credit gift postal unknown", yamato.APICredit, with(credit(), "sendDiv", "1", "sendName", "佐藤　花子", "sendPostCode", yamatosim.PostCodeUnknown, "sendAddress1", "東京都港区１－１"), "kaara073E"},
		{"shipment for NG order", yamato.APIShipment, of("EC-NG", "processDiv", "0", "paymentNo", shared), "kaasl020E"},
		{"shipment fourth order on one number", yamato.APIShipment, of("EC-S4", "processDiv", "0", "paymentNo", shared), "kaasl045E"},
		{"shipment unusable number", yamato.APIShipment, of("EC-S4", "processDiv", "0", "paymentNo", yamato.WithCheckDigit("00001234567")), "kaasl015E"},
		{"shipment before order date", yamato.APIShipment, of("EC-S4", "processDiv", "0", "paymentNo", yamato.WithCheckDigit("77777777777"), "shipYmd", "20260301"), "kaasl027E"},
		{"shipment change wrong before", yamato.APIShipment, of("EC-S1", "processDiv", "1", "paymentNo", yamato.WithCheckDigit("77777777777"), "beforePaymentNo", yamato.WithCheckDigit("88888888888"), "shipYmd", "20260302"), "kaasl011E"},
		{"reduce NG order", yamato.APIReduce, reduceF("EC-NG", "100"), "kaakk009E"},
		{"reduce same amount", yamato.APIReduce, reduceF("EC-OK", "3300"), "kaakk049E"},
		{"reduce above initial", yamato.APIReduce, reduceF("EC-OK", "3400"), "kaakk050E"},
		{"reduce before order date", yamato.APIReduce, reduceF("EC-OK", "100", "shipYmd", "20260301"), "kaakk016E"},
		{"reduce postal unknown", yamato.APIReduce, reduceF("EC-OK", "100", "postCode", yamatosim.PostCodeUnknown), "kaakk022E"},
		{"reduce enclosed without contract", yamato.APIReduce, reduceF("EC-OK", "100", "sendDiv", "1"), "kaakk055E"},
		{"reissue withdraw nothing", yamato.APIReissue, of("EC-OK", "requestContents", "3"), "kaarr017E"},
	}
	for _, tt := range tests {
		a := e.raw(t, tt.api, tt.form)
		if a.ReturnCode != yamato.ReturnError || a.ErrorCode != tt.code {
			t.Errorf("%s: returnCode %s errorCode %s, want 1 %s", tt.name, a.ReturnCode, a.ErrorCode, tt.code)
		}
	}
	// The refusals changed nothing.
	if o, _ := e.sim.Order("EC-OK"); o.Total != 3300 || o.Status != yamato.StatusApproved {
		t.Errorf("EC-OK changed by refused calls: %d %s", o.Total, o.Status)
	}
	if _, ok := e.sim.Order("EC-NEW"); ok {
		t.Error("a refused credit created an order")
	}
}

// With the 同梱 option, sendDiv 2 is accepted and a bad sendDiv gets the option's code.
func TestEnclosedOption(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *yamatosim.Options) { o.Enclosed = true })
	r := order("ENC-1", "山田 太郎")
	r.SendDiv = yamato.SendEnclosed
	if a, err := e.client.Credit(e.ctx, r); err != nil || a.Decision() != yamato.Approved {
		t.Fatalf("enclosed credit: %+v %v", a, err)
	}
	f, _ := order("ENC-2", "山田 太郎").Form()
	f.Set("sendDiv", "7")
	if a := e.raw(t, yamato.APICredit, f); a.ErrorCode != "kaara053E" {
		t.Errorf("bad sendDiv with the option: %s, want kaara053E", a.ErrorCode)
	}
	red := yamato.ReductionRequest{OrderNo: "ENC-1", PostCode: "1000005", Address: "東京都千代田区1-1", SendDiv: "1",
		Items: []yamato.Item{{Name: "りんご", Count: 1, UnitPrice: 100, SubTotal: 100}}, TotalAmount: 100}
	if _, err := e.client.ReduceAmount(e.ctx, red); err != nil {
		t.Errorf("enclosed reduction: %v", err)
	}
}

// Reissues: at most seven, and the items must add up to the registered total.
func TestReissueLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.approve(t, "RI-1")
	if err := e.sim.SetStatus("RI-1", yamato.StatusInvoiced); err != nil {
		t.Fatal(err)
	}
	req := func(items []yamato.Item) yamato.ReissueRequest {
		return yamato.ReissueRequest{OrderNo: "RI-1", Contents: yamato.ReissueChange, Reason: yamato.ReasonOther, ReasonOther: "宛名の誤記",
			PostCode: "100-0005", Address: "東京都千代田区丸の内1-1", Items: items}
	}
	good := order("x", "x").Items
	if _, err := e.client.ReissueInvoice(e.ctx, req([]yamato.Item{{Name: "りんご", Count: 1, UnitPrice: 100, SubTotal: 100}})); code(err) != "kaarr067E" {
		t.Errorf("items not adding up: %v", err)
	}
	for i := range 7 {
		if _, err := e.client.ReissueInvoice(e.ctx, req(good)); err != nil {
			t.Fatalf("reissue %d: %v", i+1, err)
		}
	}
	if _, err := e.client.ReissueInvoice(e.ctx, req(good)); code(err) != "kaarr009E" {
		t.Errorf("eighth reissue: %v", err)
	}
}

func TestAdminPageAndJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.approve(t, "ADM-1")
	page := get(t, e.srv.URL+prefix+"/")
	for _, s := range []string{"クロネコ代金後払い サンドボックス", "ADM-1", "ご利用可", "承認済み", "テストデータ", yamatosim.DefaultStoreCode, prefix + yamatosim.APIPath} {
		if !strings.Contains(page, s) {
			t.Errorf("admin page lacks %q", s)
		}
	}
	st := get(t, e.srv.URL+prefix+"/_sim/status")
	if !strings.Contains(st, `"orders":1`) {
		t.Errorf("status = %s", st)
	}
	// Force a flip from the JSON API: KAAST0010 then shows 取消済.
	postJSON(t, e.srv.URL+prefix+"/_sim/orders/ADM-1/result", `{"result":"1"}`, 200)
	if s, _ := e.client.Status(e.ctx, "ADM-1"); s.Status != yamato.StatusCancelled {
		t.Errorf("after forced NG: %s", s.Status)
	}
	postJSON(t, e.srv.URL+prefix+"/_sim/orders/NOPE/status", `{"status":"12"}`, 404)
	postJSON(t, e.srv.URL+prefix+"/_sim/orders/ADM-1/status", `{"status":"4"}`, 400)
	postJSON(t, e.srv.URL+prefix+"/_sim/settings", `{"follow_up_window":"1m"}`, 200)
	e.approve(t, "ADM-2")
	if _, err := e.client.Status(e.ctx, "ADM-2"); code(err) != "kaast008E" {
		t.Errorf("window set by JSON API not applied: %v", err)
	}
	postJSON(t, e.srv.URL+prefix+"/_sim/reset", `{}`, 200)
	if len(e.sim.Orders()) != 0 {
		t.Error("reset kept orders")
	}
}

func TestSpec(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.approve(t, "SP-1")
	d := yamatosim.Describe(e.sim)
	if d.Name != "yamato" || d.Handler == nil || d.Control != "_sim/" {
		t.Fatalf("Describe = %+v", d)
	}
	var facts []string
	for _, f := range d.Summary() {
		facts = append(facts, f.Label+"="+f.Value)
	}
	if got := strings.Join(facts, " "); !strings.Contains(got, "取引=1件") || !strings.Contains(got, "承認済み=1件") {
		t.Errorf("summary = %s", got)
	}
	if !strings.Contains(d.Intro("http://h/sandbox/yamato"), "http://h/sandbox/yamato/kuroneko-atobarai-api/") {
		t.Errorf("intro = %s", d.Intro("http://h/sandbox/yamato"))
	}
}

func TestAdminPageDurationsInJapanese(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *yamatosim.Options) { o.FollowUpWindow = 5 * time.Second })
	page := get(t, e.srv.URL+prefix+"/")
	for _, s := range []string{"30分後に 0 ご利用可", "有効期限 10分", "1時間以内に3件目", "5秒 のあいだ"} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	if strings.Contains(page, "0s") {
		t.Error("a Go duration on the page")
	}
}

// Concurrent credits with one orderNo make one order: the rest are refused as kaara009E.
func TestConcurrentCreditsOneOrderNo(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := e.client.Credit(e.ctx, order("CC-1", "山田 太郎"))
			errs <- err
		}()
	}
	ok, dup := 0, 0
	for range n {
		switch err := <-errs; {
		case err == nil:
			ok++
		case code(err) == "kaara009E":
			dup++
		default:
			t.Errorf("unexpected: %v", err)
		}
		_ = get(t, e.srv.URL+prefix+"/") // pages read while credits run
	}
	if ok != 1 || dup != n-1 || len(e.sim.Orders()) != 1 {
		t.Errorf("ok %d, duplicates %d, orders %d", ok, dup, len(e.sim.Orders()))
	}
}
