package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"kessai/internal/app/apptest"
	"kessai/internal/browsertest"
	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
	"kessai/internal/sandbox/gmopgsim"
)

// TestCustomerCardsInBrowser registers a card on the customer page through the sandbox card
// entry form (the browser turns the number into a token at the simulator; kessai gets only the
// token), sees it masked with brand, expiry and 洗替 result, sees 要カード変更 once its 洗替
// failed, and deletes it (at GMO-PG too).
func TestCustomerCardsInBrowser(t *testing.T) {
	t.Parallel()
	inst := apptest.Start(t, apptest.Options{})
	ctx := auth.WithPrincipal(context.Background(), auth.System("test"))
	cu, err := inst.App.Commerce.CreateCustomer(ctx, commerce.Customer{Name: "洗替 花子", NameKana: "センガエ ハナコ"})
	if err != nil {
		t.Fatal(err)
	}
	p := browsertest.New(t, browsertest.Options{Timeout: 120 * time.Second})
	w := &payoutWorld{t: t, inst: inst, p: p, ctx: ctx}
	w.logIn("admin@example.com", "admin-password-1")
	p.Goto(inst.URL + "/customers/" + cu.ID)
	p.WaitText("登録カード（GMOペイメントゲートウェイ）")
	if html := p.HTML(); strings.Contains(html, `name="card`) || !strings.Contains(html, `data-card="cvc"`) {
		t.Fatalf("the card fields must have no name (never posted to kessai) and ask for the security code (the default)")
	}
	setValue(t, p, `[data-card=number]`, gmopgsim.CardUpdateNewExpiry)
	setValue(t, p, `[data-card=month]`, "12")
	setValue(t, p, `[data-card=year]`, "28")
	setValue(t, p, `[data-card=cvc]`, "123")
	setValue(t, p, `[data-card=holder]`, "HANAKO SENGAE")
	p.ClickAndWait("カードを登録")
	p.WaitText("を登録しました")
	row := p.Text("#gmopg-cards tbody tr")
	for _, want := range []string{"*************010", "VISA", "12/28", "未実施"} {
		if !strings.Contains(row, want) {
			t.Errorf("card row %q lacks %q", row, want)
		}
	}
	cards, err := inst.App.Commerce.CustomerCards(ctx, cu.ID)
	if err != nil || len(cards) != 1 || cards[0].Provider != "gmopg" || cards[0].ExpireYM != "2812" || cards[0].MemberID != cu.ID {
		t.Fatalf("stored cards = %+v, %v", cards, err)
	}
	if strings.Contains(p.HTML(), gmopgsim.CardUpdateNewExpiry) {
		t.Error("the full card number is on the page")
	}

	// Its 洗替 failed: the page says so, and that a new card is needed.
	if _, err := inst.App.DB.ExecContext(ctx, `INSERT INTO cardupdate_card_status (card_id, status, run_id, updated_at) VALUES (?, 'invalid', 'cur_x', ?)`,
		cards[0].ID, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	p.Goto(inst.URL + "/customers/" + cu.ID)
	if row := p.Text("#gmopg-cards tbody tr"); !strings.Contains(row, "有効性NG") || !strings.Contains(row, "要カード変更") {
		t.Errorf("failed card row = %q", row)
	}

	w.acceptConfirms()
	p.ClickAndWait(`#gmopg-cards form[action$="/delete"] button`)
	p.WaitText("カードを削除しました")
	if !strings.Contains(p.Text("#gmopg-cards"), "登録されていません") {
		t.Errorf("after delete: %q", p.Text("#gmopg-cards"))
	}
	if cards, _ := inst.App.Commerce.CustomerCards(ctx, cu.ID); len(cards) != 0 {
		t.Errorf("cards after delete: %+v", cards)
	}
	res := inst.API(t, inst.APIKey(t, auth.RoleViewer), "GET", "/api/v1/customers/"+cu.ID+"/cards", nil)
	if res.Status != 200 || strings.TrimSpace(res.Body) != "[]" {
		t.Errorf("API after delete: %d %s", res.Status, res.Body)
	}
}
