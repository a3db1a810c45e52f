package gmopgsim_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"kessai/internal/provider/gmopg"
	"kessai/internal/sandbox/gmopgsim"
)

func TestMembersAndCards(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	wantInfos(t, "SearchMember unknown", func() error { _, err := c.SearchMember(ctx, "nobody"); return err }(), gmopg.InfoMemberNotFound)
	if err := c.SaveMember(ctx, "cust-1", "John Smith"); err != nil {
		t.Fatal(err)
	}
	wantInfos(t, "SaveMember twice", c.SaveMember(ctx, "cust-1", "x"), gmopg.InfoMemberExists)
	m, err := c.SearchMember(ctx, "cust-1")
	if err != nil || m.Name != "John Smith" || m.Deleted {
		t.Fatalf("SearchMember = %+v, %v", m, err)
	}
	// Card number (sandbox) and token; the token holds raw + or / and must arrive intact.
	c1, err := c.SaveCard(ctx, gmopg.SaveCardInput{MemberID: "cust-1", CardNo: gmopgsim.CardOK, Expire: "2704"})
	if err != nil || c1.CardSeq != 0 || c1.MaskedNo != "*************111" || c1.Brand != "VISA" {
		t.Fatalf("SaveCard = %+v, %v", c1, err)
	}
	tok := e.token("4000000000000010")
	c2, err := c.SaveCard(ctx, gmopg.SaveCardInput{MemberID: "cust-1", Token: tok, Default: true, CardName: "メイン"})
	if err != nil || c2.CardSeq != 1 || c2.MaskedNo != "*************010" {
		t.Fatalf("SaveCard token = %+v, %v", c2, err)
	}
	_, err = c.SaveCard(ctx, gmopg.SaveCardInput{MemberID: "cust-1", Token: tok})
	wantInfos(t, "token reused", err, "E61040001")

	cards, err := c.SearchCard(ctx, "cust-1", gmopg.AllCards)
	if err != nil || len(cards) != 2 {
		t.Fatalf("SearchCard = %+v, %v", cards, err)
	}
	if cards[0].Default || !cards[1].Default || cards[1].Name != "メイン" || cards[0].Name != "" ||
		cards[1].Expire != "2812" || cards[1].HolderName != "TARO YAMADA" || cards[0].MaskedNo != "*************111" {
		t.Errorf("several cards = %+v", cards)
	}
	one, err := c.SearchCard(ctx, "cust-1", 1)
	if err != nil || len(one) != 1 || one[0].Seq != 1 {
		t.Errorf("SearchCard(1) = %+v, %v", one, err)
	}
	if err := c.DeleteCard(ctx, "cust-1", 0); err != nil {
		t.Fatal(err)
	}
	_, err = c.SearchCard(ctx, "cust-1", 0)
	wantInfos(t, "deleted card", err, gmopg.InfoCardNotFound)
	wantInfos(t, "delete again", c.DeleteCard(ctx, "cust-1", 0), gmopg.InfoCardNotFound)

	tests := []struct {
		name string
		in   gmopg.SaveCardInput
		want []string
	}{
		{"unknown member", gmopg.SaveCardInput{MemberID: "nobody", CardNo: gmopgsim.CardOK, Expire: "2704"}, []string{gmopg.InfoMemberNotFound}},
		{"every bad field at once", gmopg.SaveCardInput{MemberID: "cust-1", CardNo: "4111-1111", Expire: "27x4"}, []string{gmopg.InfoCardNoNotDigits, gmopg.InfoExpireNotDigits}},
		{"short number, month 13", gmopg.SaveCardInput{MemberID: "cust-1", CardNo: "411111", Expire: "2713"}, []string{gmopg.InfoCardNoLength, gmopg.InfoExpireFormat}},
		{"missing number and expiry", gmopg.SaveCardInput{MemberID: "cust-1"}, []string{gmopg.InfoCardNoMissing, gmopg.InfoExpireMissing}},
		{"update unknown seq", gmopg.SaveCardInput{MemberID: "cust-1", UpdateSeq: true, CardSeq: 7, CardNo: gmopgsim.CardOK, Expire: "2704"}, []string{gmopg.InfoCardNotFound}},
	}
	for _, tt := range tests {
		_, err := c.SaveCard(ctx, tt.in)
		wantInfos(t, tt.name, err, tt.want...)
	}
	// Too many cards.
	for range 4 {
		if _, err := c.SaveCard(ctx, gmopg.SaveCardInput{MemberID: "cust-1", CardNo: gmopgsim.CardOK, Expire: "2704"}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.SaveCard(ctx, gmopg.SaveCardInput{MemberID: "cust-1", CardNo: gmopgsim.CardOK, Expire: "2704"})
	wantInfos(t, "sixth card", err, gmopg.InfoTooManyCards)

	bad := gmopg.New(gmopg.Config{BaseURL: e.cfg.BaseURL, SiteID: gmopgsim.DefaultSiteID, SitePass: "wrong"})
	_, err = bad.SearchMember(ctx, "cust-1")
	wantInfos(t, "wrong site password", err, gmopg.InfoSiteNotFound)
}

func TestRawAnswerFormat(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// The recorded EntryTran with "null" values: JobCd undefined and Amount non-numeric, both.
	body, ctype := e.raw("EntryTran", e.shopForm("&OrderID=null&JobCd=null&Amount=null"))
	if body != "ErrCode=E01|E01&ErrInfo=E01050002|E01060006" || ctype != "text/plain;charset=Windows-31J" {
		t.Errorf("EntryTran null answer = %q (%s)", body, ctype)
	}
	body, _ = e.raw("SearchTradeMulti", e.shopForm("&OrderID=&PayType=null"))
	if body != "ErrCode=M01|M01|M01&ErrInfo=M01051005|M01051011|M01004002" {
		t.Errorf("SearchTradeMulti null answer = %q", body)
	}
	body, _ = e.raw("NoSuchAPI", "")
	if body != "ErrCode=E91&ErrInfo=E91099997" {
		t.Errorf("unknown API = %q", body)
	}
	body, _ = e.raw("SearchTrade", "ShopID=&ShopPass=x&OrderID=o1")
	if !strings.HasPrefix(body, "ErrCode=E01") || !strings.Contains(body, gmopg.InfoShopIDMissing) {
		t.Errorf("no shop = %q", body)
	}
	ctx := context.Background()
	if _, err := e.client.EntryTran(ctx, gmopg.EntryTranInput{OrderID: "o-raw", JobCd: gmopg.JobAuth, Amount: 100}); err != nil {
		t.Fatal(err)
	}
	body, _ = e.raw("SearchTrade", e.shopForm("&OrderID=o-raw"))
	if !strings.HasPrefix(body, "OrderID=o-raw&Status=UNPROCESSED&ProcessDate=20260302100000&JobCd=AUTH&AccessID=") ||
		!strings.Contains(body, "&ItemCode=0000990&Amount=100&Tax=0&SiteID=&MemberID=&CardNo=&Expire=&Method=&PayTimes=&Forward=&TranID=&Approve=&ClientField1=&ClientField2=&ClientField3=") {
		t.Errorf("SearchTrade answer = %q: every key, empty ones too, in the recorded order", body)
	}
	body, _ = e.raw("SearchTradeMulti", e.shopForm("&OrderID=o-raw&PayType=0"))
	if strings.Contains(body, "OrderID=") || !strings.HasPrefix(body, "Status=UNPROCESSED&") || !strings.HasSuffix(body, "&Currency=JPN") {
		t.Errorf("SearchTradeMulti answer = %q: no OrderID, Currency last", body)
	}
}

func TestCardTransactions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.client
	e.member("m-1", gmopgsim.CardOK)
	e.member("m-2", gmopgsim.CardDeclined)
	e.member("m-3", gmopgsim.CardCompanyDown)

	_, err := c.EntryTran(ctx, gmopg.EntryTranInput{OrderID: "bad order!", JobCd: "NOPE", Amount: 1})
	wantInfos(t, "bad entry", err, gmopg.InfoOrderIDChars, gmopg.InfoJobCdUndefined)
	_, err = c.EntryTran(ctx, gmopg.EntryTranInput{OrderID: strings.Repeat("9", 28), JobCd: gmopg.JobAuth, Amount: 1})
	wantInfos(t, "long order", err, gmopg.InfoOrderIDTooLong)

	a, err := c.EntryTran(ctx, gmopg.EntryTranInput{OrderID: "ord-1", JobCd: gmopg.JobAuth, Amount: 1200, Tax: 100})
	if err != nil || a.OrderID != "ord-1" || len(a.AccessID) != 32 {
		t.Fatalf("EntryTran = %+v, %v", a, err)
	}
	_, err = c.EntryTran(ctx, gmopg.EntryTranInput{OrderID: "ord-1", JobCd: gmopg.JobAuth, Amount: 1200})
	wantInfos(t, "same OrderID", err, gmopg.InfoOrderIDExists)

	// A stored card with CardSeq 0: the seq must be sent, not dropped.
	ex, err := c.ExecTran(ctx, gmopg.ExecTranInput{Access: a, MemberID: "m-1", CardSeq: 0, ClientField1: "定期①", ClientFieldFlag: true})
	if err != nil || ex.OrderID != "ord-1" || ex.TranID == "" || ex.PayTimes != "" || ex.TranDate.IsZero() {
		t.Fatalf("ExecTran = %+v, %v", ex, err)
	}
	_, err = c.ExecTran(ctx, gmopg.ExecTranInput{Access: a, MemberID: "m-1", CardSeq: 0})
	wantInfos(t, "exec twice", err, gmopg.InfoAlreadySettled)
	tr, err := c.SearchTrade(ctx, "ord-1")
	if err != nil || tr.Status != gmopg.StatusAuth || tr.MemberID != "m-1" || tr.CardNo != "*************111" || tr.Amount != 1200 || tr.ClientField1 != "定期①" {
		t.Fatalf("SearchTrade = %+v, %v", tr, err)
	}
	_, err = c.AlterTran(ctx, a, gmopg.JobSales, 1000)
	wantInfos(t, "capture another amount", err, gmopg.InfoAmountMismatch)
	if _, err := c.ChangeTran(ctx, a, gmopg.JobAuth, 1000, 80); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AlterTran(ctx, a, gmopg.JobSales, 1000); err != nil {
		t.Fatal(err)
	}
	_, err = c.AlterTran(ctx, a, gmopg.JobSales, 1000)
	wantInfos(t, "capture twice", err, gmopg.InfoJobCdNotAllowed)
	if _, err := c.AlterTran(ctx, a, gmopg.JobReturn, 0); err != nil {
		t.Fatal(err)
	}
	if tr, _ := c.SearchTrade(ctx, "ord-1"); tr.Status != gmopg.StatusReturn || tr.Amount != 1000 {
		t.Errorf("after return: %+v", tr)
	}

	// Declined: the transaction stays UNPROCESSED. Card company down: 42C, retried, still down.
	a2, _ := c.EntryTran(ctx, gmopg.EntryTranInput{OrderID: "ord-2", JobCd: gmopg.JobCapture, Amount: 500})
	_, err = c.ExecTran(ctx, gmopg.ExecTranInput{Access: a2, MemberID: "m-2"})
	wantInfos(t, "declined", err, "42G020000")
	if tr, _ := c.SearchTrade(ctx, "ord-2"); tr.Status != gmopg.StatusUnprocessed {
		t.Errorf("declined trade = %s", tr.Status)
	}
	a3, _ := c.EntryTran(ctx, gmopg.EntryTranInput{OrderID: "ord-3", JobCd: gmopg.JobCapture, Amount: 500})
	_, err = c.ExecTran(ctx, gmopg.ExecTranInput{Access: a3, MemberID: "m-3"})
	wantInfos(t, "card company down", err, "42C010000")
	if !gmopg.IsRetryable(err) || len(e.delays) != 2 {
		t.Errorf("42C: retryable %v, delays %v (want two retries)", gmopg.IsRetryable(err), e.delays)
	}
	// A token, immediate capture.
	a4, _ := c.EntryTran(ctx, gmopg.EntryTranInput{OrderID: "ord-4", JobCd: gmopg.JobCapture, Amount: 700})
	if _, err := c.ExecTran(ctx, gmopg.ExecTranInput{Access: a4, Token: e.token(gmopgsim.CardOK)}); err != nil {
		t.Fatal(err)
	}
	if tr, _ := c.SearchTrade(ctx, "ord-4"); tr.Status != gmopg.StatusCapture {
		t.Errorf("immediate capture = %s", tr.Status)
	}
	_, err = c.ExecTran(ctx, gmopg.ExecTranInput{Access: gmopg.Access{OrderID: "ord-4", AccessID: "x", AccessPass: "y"}, CardNo: gmopgsim.CardOK, Expire: "2812"})
	wantInfos(t, "bad access", err, gmopg.InfoAccessIDFormat, gmopg.InfoAccessPassFormat, gmopg.InfoTranNotFound)

	// The authorization period runs on the Sim's clock.
	a5, _ := c.EntryTran(ctx, gmopg.EntryTranInput{OrderID: "ord-5", JobCd: gmopg.JobAuth, Amount: 300})
	if _, err := c.ExecTran(ctx, gmopg.ExecTranInput{Access: a5, MemberID: "m-1"}); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(61 * 24 * time.Hour)
	_, err = c.AlterTran(ctx, a5, gmopg.JobSales, 300)
	wantInfos(t, "capture after the period", err, gmopg.InfoAuthPeriodOver)
	if _, err := c.AlterTran(ctx, a5, gmopg.JobVoid, 0); err != nil {
		t.Fatal(err)
	}
}
