package commerce

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"kessai/internal/platform/errs"
	"kessai/internal/web"
)

// subscriptionForm is what the subscription create/edit form shows.
type subscriptionForm struct {
	Sub          Subscription
	CustomerCode string
	Amount       string
	Cards        []cardChoice // the chosen customer's cards
	Shops        []Shop
	Statuses     []web.Option // new subscriptions only; later changes use the status buttons
	Cycles       []int
	Status       string // label of the stored status (edit)
	Transitions  []subscriptionAction
	New          bool
	Errors       map[string]string
	Conflict     string
}

// cardChoice is a card in the card select, with its status in Japanese.
type cardChoice struct {
	Card
	StatusLabel string
}

// subscriptionAction is a status button (休止・再開・解約) the current status allows.
type subscriptionAction struct {
	To, Label, Confirm string
	Danger             bool
}

// subscriptionActions lists the buttons for status, from SubscriptionStatuses.
func subscriptionActions(status string) []subscriptionAction {
	var out []subscriptionAction
	if SubscriptionStatuses.Allows(status, "pause") {
		out = append(out, subscriptionAction{To: "paused", Label: "休止する", Confirm: "この定期受注を休止しますか？休止中は請求しません。"})
	}
	if SubscriptionStatuses.Allows(status, "resume") {
		out = append(out, subscriptionAction{To: "active", Label: "再開する", Confirm: "この定期受注を再開しますか？次回請求日にカードへ請求します。"})
	}
	if SubscriptionStatuses.Allows(status, "cancel") {
		out = append(out, subscriptionAction{To: "cancelled", Label: "解約する", Danger: true, Confirm: "この定期受注を解約しますか？解約すると元に戻せません。"})
	}
	return out
}

func (p *Pages) renderSubscriptionForm(w http.ResponseWriter, r *http.Request, status int, f subscriptionForm) {
	ctx := r.Context()
	shops, err := p.store.ListShops(ctx)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	f.Shops = shops
	if f.Sub.CustomerID != "" {
		cards, err := p.store.CustomerCards(ctx, f.Sub.CustomerID)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		for _, c := range cards {
			f.Cards = append(f.Cards, cardChoice{Card: c, StatusLabel: CardStatuses.Label(c.Status)})
		}
	}
	for m := 1; m <= 12; m++ {
		f.Cycles = append(f.Cycles, m)
	}
	title := "定期受注の登録"
	if f.New {
		for _, code := range []string{"active", "paused"} {
			f.Statuses = append(f.Statuses, web.Option{Value: code, Label: SubscriptionStatuses.Label(code)})
		}
	} else {
		title = "定期受注 " + f.Sub.Code + " の編集"
		f.Status = SubscriptionStatuses.Label(f.Sub.Status)
		f.Transitions = subscriptionActions(f.Sub.Status)
	}
	p.render.Render(w, r, status, "commerce/subscription_form.html", web.View{Title: title, Nav: "subscriptions", Data: f})
}

func (p *Pages) newSubscription(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f := subscriptionForm{New: true, Sub: Subscription{Status: "active", CycleMonths: 1}, CustomerCode: r.URL.Query().Get("customer")}
	if shops, err := p.store.ListShops(ctx); err == nil && len(shops) == 1 {
		f.Sub.ShopID = shops[0].ID
	}
	if f.CustomerCode != "" {
		if c, err := p.store.GetCustomerByCode(ctx, f.CustomerCode); err == nil {
			f.Sub.CustomerID = c.ID
		}
	}
	p.renderSubscriptionForm(w, r, http.StatusOK, f)
}

// readSubscription reads the form into sb (the stored one when editing). The status is read
// only for a new subscription: afterwards it moves by the status buttons.
func (p *Pages) readSubscription(r *http.Request, sb *Subscription, f *subscriptionForm) error {
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("フォームを読み取れません").Wrap(err)
	}
	fe := errs.Fields{}
	v := func(k string) string { return strings.TrimSpace(r.PostForm.Get(k)) }
	f.CustomerCode = v("customer_code")
	prevCustomer := sb.CustomerID
	sb.CustomerID = ""
	if f.CustomerCode == "" {
		fe.Add("customer_id", "顧客番号を入力してください")
	} else if c, err := p.store.GetCustomerByCode(r.Context(), f.CustomerCode); err != nil {
		if !IsNotFound(err) {
			return err
		}
		fe.Add("customer_id", "顧客番号 "+f.CustomerCode+" の顧客が見つかりません")
	} else {
		sb.CustomerID = c.ID
	}
	sb.ShopID = v("shop_id")
	sb.CardID = v("card_id")
	if sb.CustomerID != prevCustomer && prevCustomer != "" {
		sb.CardID = "" // the old customer's card can't be billed for the new one
	}
	sb.ProductName = v("product_name")
	f.Amount = v("amount")
	if numberText(f.Amount) == "" {
		fe.Add("amount", "金額を入力してください")
	}
	sb.Amount = parseNumber(f.Amount, "amount", "金額", fe)
	sb.CycleMonths = int(parseNumber(v("cycle_months"), "cycle_months", "お届け周期", fe))
	sb.NextBillingOn = v("next_billing_on")
	sb.Note = r.PostForm.Get("note")
	if sb.ID == "" {
		sb.Status = v("status")
		if sb.Status != "active" && sb.Status != "paused" {
			fe.Add("status", "新しい定期受注の状態は「継続中」か「休止中」にしてください")
		}
	}
	if n, err := strconv.Atoi(v("version")); err == nil {
		sb.Version = n
	}
	if _, err := ValidateSubscription(*sb); err != nil {
		for k, msg := range formErrors(err) {
			fe.Add(k, msg)
		}
	}
	return fe.Err()
}

func (p *Pages) subscriptionSaveFailed(w http.ResponseWriter, r *http.Request, f subscriptionForm, err error) bool {
	if fe := saveErrors(err); fe != nil {
		f.Errors = fe
		p.renderSubscriptionForm(w, r, http.StatusUnprocessableEntity, f)
		return true
	}
	if errs.KindOf(err) == errs.KindConflict {
		f.Conflict = errs.As(err).Message
		p.renderSubscriptionForm(w, r, http.StatusConflict, f)
		return true
	}
	return false
}

func (p *Pages) createSubscription(w http.ResponseWriter, r *http.Request) {
	once := p.forms.Once(r)
	if once.Seen(w, r) {
		return
	}
	var sb Subscription
	f := subscriptionForm{New: true}
	err := p.readSubscription(r, &sb, &f)
	f.Sub = sb
	if r.PostForm.Get("op") == "cards" { // 「カードを表示」 without JavaScript: show the customer's cards
		p.renderSubscriptionForm(w, r, http.StatusOK, f)
		return
	}
	if err == nil {
		sb, err = p.store.CreateSubscription(r.Context(), sb, claim(once, "/subscriptions/"))
	}
	if once.Repeat(w, r, err) {
		return
	}
	if err != nil {
		if !p.subscriptionSaveFailed(w, r, f, err) {
			p.fail(w, r, err)
		}
		return
	}
	web.SetFlash(w, "定期受注 "+sb.Code+" を登録しました")
	http.Redirect(w, r, "/subscriptions/"+sb.ID, http.StatusSeeOther)
}

func (p *Pages) editSubscription(w http.ResponseWriter, r *http.Request) {
	sb, err := p.store.GetSubscription(r.Context(), r.PathValue("id"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if !SubscriptionStatuses.Allows(sb.Status, "edit") {
		p.fail(w, r, errs.Conflict("「"+SubscriptionStatuses.Label(sb.Status)+"」の定期受注は編集できません"))
		return
	}
	code, err := p.customerCode(r, sb.CustomerID)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.renderSubscriptionForm(w, r, http.StatusOK, subscriptionForm{Sub: sb, CustomerCode: code, Amount: strconv.FormatInt(sb.Amount, 10)})
}

func (p *Pages) updateSubscription(w http.ResponseWriter, r *http.Request) {
	sb, err := p.store.GetSubscription(r.Context(), r.PathValue("id"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	var f subscriptionForm
	err = p.readSubscription(r, &sb, &f)
	f.Sub = sb
	if r.PostForm.Get("op") == "cards" {
		p.renderSubscriptionForm(w, r, http.StatusOK, f)
		return
	}
	if err == nil {
		sb, err = p.store.UpdateSubscription(r.Context(), sb)
	}
	if err != nil {
		if !p.subscriptionSaveFailed(w, r, f, err) {
			p.fail(w, r, err)
		}
		return
	}
	web.SetFlash(w, "定期受注 "+sb.Code+" を保存しました")
	http.Redirect(w, r, "/subscriptions/"+sb.ID, http.StatusSeeOther)
}

// setSubscriptionStatus is the 休止・再開・解約 buttons: status "to" with the version read.
func (p *Pages) setSubscriptionStatus(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.fail(w, r, errs.Invalid("フォームを読み取れません").Wrap(err))
		return
	}
	to := r.PostForm.Get("to")
	action := map[string]string{"paused": "pause", "active": "resume", "cancelled": "cancel"}[to]
	if action == "" {
		p.fail(w, r, errs.Invalid("状態の変更先は 休止・再開・解約 のいずれかです").Field("to", "変更先を選んでください"))
		return
	}
	cur, err := p.store.GetSubscription(r.Context(), r.PathValue("id"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	// Only the buttons the status shows: 休止中 can't be paused again, 継続中 can't be resumed.
	if !SubscriptionStatuses.Allows(cur.Status, action) {
		p.fail(w, r, errs.Conflict(fmt.Sprintf("「%s」の定期受注は「%s」にできません。画面を読み込み直してください",
			SubscriptionStatuses.Label(cur.Status), SubscriptionStatuses.Label(to))))
		return
	}
	version := formVersion(r)
	if version == 0 { // 0 would skip the store's check; a person always acts on what they saw
		p.fail(w, r, errs.Invalid("読み込んだときの版（version）がありません。画面を読み込み直してください"))
		return
	}
	sb, err := p.store.SetSubscriptionStatus(r.Context(), r.PathValue("id"), version, to, "")
	if err != nil {
		p.fail(w, r, err)
		return
	}
	web.SetFlash(w, "定期受注 "+sb.Code+" を「"+SubscriptionStatuses.Label(sb.Status)+"」にしました")
	http.Redirect(w, r, "/subscriptions/"+sb.ID, http.StatusSeeOther)
}
