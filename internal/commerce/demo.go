package commerce

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/platform/kana"
	"kessai/internal/platform/zengin"
)

// Demo account numbers that GMO あおぞら's simulator treats specially (see sandbox/aozorasim):
// a transfer to demoRejectedAccount is refused when requested, so a bulk transfer of the demo
// data shows a per-item error.
const demoRejectedAccount = "9999998"

// DemoSummary counts what SeedDemo created.
type DemoSummary struct {
	Skipped       bool // shops already existed: nothing was seeded
	Shops         int
	Customers     int
	Cards         int
	Cases         int
	Orders        int
	Subscriptions int
}

func (d DemoSummary) String() string {
	if d.Skipped {
		return "デモデータは登録済みのため何もしませんでした"
	}
	return fmt.Sprintf("店舗%d・顧客%d・カード%d・買取ケース%d・受注%d・定期受注%d件",
		d.Shops, d.Customers, d.Cards, d.Cases, d.Orders, d.Subscriptions)
}

// SeedDemo fills an empty database with demo records; see Seed.
func SeedDemo(ctx context.Context, s *Store, rng *rand.Rand) error {
	_, err := Seed(ctx, s, rng)
	return err
}

// Seed creates demo data once: when any shop exists it does nothing. It makes 2 shops, 50
// customers across the prefectures (bank accounts at real banks and branches, a few without one,
// one whose account the bank simulator refuses), cards, 200 purchase cases (most stocked in the
// last 60 days), 300 orders across payment methods and statuses, and 50 subscriptions (some
// with card errors). The content depends only on rng and the store's clock.
func Seed(ctx context.Context, s *Store, rng *rand.Rand) (DemoSummary, error) {
	var sum DemoSummary
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM shops`).Scan(&n); err != nil {
		return sum, fmt.Errorf("demo: %w", err)
	}
	if n > 0 {
		sum.Skipped = true
		return sum, nil
	}
	master, err := zengin.Load()
	if err != nil {
		return sum, fmt.Errorf("demo: %w", err)
	}
	g := &demoGen{rng: rng, today: clock.Today(s.clock), now: s.now(), master: master}

	main, err := s.CreateShop(ctx, Shop{Code: "main", Name: "ケッサイ本店"})
	if err != nil {
		return sum, fmt.Errorf("demo shop: %w", err)
	}
	buy, err := s.CreateShop(ctx, Shop{Code: "kaitori", Name: "ケッサイ買取センター"})
	if err != nil {
		return sum, fmt.Errorf("demo shop: %w", err)
	}
	sum.Shops = 2

	customers, err := s.CreateCustomers(ctx, g.customers(50))
	if err != nil {
		return sum, fmt.Errorf("demo customers: %w", err)
	}
	sum.Customers = len(customers)

	cards, err := s.CreateCards(ctx, g.cards(customers[:40]))
	if err != nil {
		return sum, fmt.Errorf("demo cards: %w", err)
	}
	sum.Cards = len(cards)

	cases, err := s.CreateCases(ctx, g.cases(200, customers, main.ID, buy.ID))
	if err != nil {
		return sum, fmt.Errorf("demo cases: %w", err)
	}
	sum.Cases = len(cases)

	orders, err := s.CreateOrders(ctx, g.orders(300, customers, main.ID, buy.ID))
	if err != nil {
		return sum, fmt.Errorf("demo orders: %w", err)
	}
	sum.Orders = len(orders)

	subs, err := s.CreateSubscriptions(ctx, g.subscriptions(50, cards, main.ID))
	if err != nil {
		return sum, fmt.Errorf("demo subscriptions: %w", err)
	}
	sum.Subscriptions = len(subs)
	return sum, nil
}

type demoGen struct {
	rng    *rand.Rand
	today  time.Time // 00:00 JST
	now    time.Time
	master *zengin.Master
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

func (g *demoGen) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.rng.IntN(10))
	}
	return string(b)
}

// day returns the JST date offset days from today.
func (g *demoGen) day(offset int) string { return g.today.AddDate(0, 0, offset).Format(dateLayout) }

func (g *demoGen) customers(n int) []Customer {
	var banks []string
	for _, code := range demoBanks {
		if _, ok := g.master.Bank(code); ok && len(g.master.Branches(code)) > 0 {
			banks = append(banks, code)
		}
	}
	big := []string{"東京都", "神奈川県", "大阪府", "愛知県", "埼玉県", "千葉県", "福岡県", "北海道"}
	out := make([]Customer, n)
	for i := range out {
		fam, given := pick(g.rng, demoFamilyNames), pick(g.rng, demoGivenNames)
		pref := pick(g.rng, Prefectures)
		if g.rng.IntN(2) == 0 {
			pref = pick(g.rng, big)
		}
		place := demoPlaces[pref]
		c := Customer{
			Name:       fam.kanji + " " + given.kanji,
			NameKana:   fam.kana + " " + given.kana,
			Email:      fmt.Sprintf("%s.%s%d@example.jp", given.roma, fam.roma, i+1),
			Phone:      fmt.Sprintf("0%d0-%s-%s", 7+g.rng.IntN(3), g.digits(4), g.digits(4)),
			PostalCode: place.postal + "-" + g.digits(4),
			Prefecture: pref,
			Address1:   fmt.Sprintf("%s%s%d-%d-%d", place.city, pick(g.rng, demoTowns), 1+g.rng.IntN(5), 1+g.rng.IntN(20), 1+g.rng.IntN(30)),
			Address2:   pick(g.rng, demoBuildings),
		}
		switch {
		case i%12 == 5: // a few sellers have not given an account yet
		default:
			code := pick(g.rng, banks)
			br := pick(g.rng, g.master.Branches(code))
			holder, _ := kana.ToZengin(c.NameKana)
			c.Bank = BankAccount{BankCode: code, BranchCode: br.Code, AccountType: "1", AccountNumber: g.digits(7), HolderKana: holder}
			if g.rng.IntN(10) == 0 {
				c.Bank.AccountType = "2"
			}
			if c.Bank.AccountNumber >= "9999990" {
				c.Bank.AccountNumber = "1" + c.Bank.AccountNumber[1:]
			}
		}
		if i == 7 {
			c.Bank.AccountNumber = demoRejectedAccount
			c.Note = "デモ: 振込先口座が銀行で受け付けられない例"
		}
		out[i] = c
	}
	return out
}

func (g *demoGen) cards(customers []Customer) []Card {
	prefixes := []string{"411111", "545454", "356600", "376100"}
	out := make([]Card, len(customers))
	for i, c := range customers {
		// Expiry from last month to four years ahead; some expire soon, for 洗替.
		exp := g.today.AddDate(0, g.rng.IntN(50)-1, 0)
		card := Card{
			CustomerID: c.ID, Provider: "gmopg", MemberID: "KS" + c.Code, CardSeq: "0",
			MaskedPAN: pick(g.rng, prefixes) + "******" + g.digits(4), ExpireYM: exp.Format("0601"), Status: "valid",
		}
		if exp.Before(g.today.AddDate(0, 0, 1-g.today.Day())) {
			card.Status = "expired"
		}
		if i%13 == 4 {
			card.Status = "invalid"
		}
		out[i] = card
	}
	return out
}

func (g *demoGen) cases(n int, customers []Customer, mainShop, buyShop string) []PurchaseCase {
	early := []string{"received", "arrived", "appraising", "awaiting_consent", "consented", "cancelled"}
	out := make([]PurchaseCase, n)
	for i := range out {
		c := PurchaseCase{Kind: "takuhai", ShopID: buyShop, CustomerID: pick(g.rng, customers).ID, Note: pick(g.rng, demoCaseNotes)}
		if g.rng.IntN(10) < 3 {
			c.Kind, c.ShopID = "ippan", mainShop
		}
		c.ItemCount = 1 + g.rng.IntN(30)
		if g.rng.IntN(10) < 6 {
			c.Status = "stocked"
			confirmed := -g.rng.IntN(60)
			c.ConfirmedOn = g.day(confirmed)
			c.ReceivedOn = g.day(confirmed - 2 - g.rng.IntN(9))
			c.PurchaseAmount = 1000 + g.rng.Int64N(300)*1000
			if g.rng.IntN(5) == 0 {
				c.PurchaseAmount = 1000 + g.rng.Int64N(30)*100
			}
		} else {
			c.Status = pick(g.rng, early)
			c.ReceivedOn = g.day(-g.rng.IntN(20))
			if c.Status == "awaiting_consent" || c.Status == "consented" {
				c.PurchaseAmount = 1000 + g.rng.Int64N(100)*500
			}
		}
		out[i] = c
	}
	// Cases bought for nothing (買取不可 items kept for disposal) show how 0 yen is handled.
	for _, i := range []int{3, 11} {
		out[i].Status, out[i].PurchaseAmount = "stocked", 0
		out[i].ConfirmedOn = g.day(-5 - i)
		out[i].ReceivedOn = g.day(-10 - i)
	}
	return out
}

func (g *demoGen) orders(n int, customers []Customer, mainShop, buyShop string) []Order {
	methods := []string{"credit_card", "credit_card", "rakuten_pay", "kantan", "atobarai", "bank_transfer", "cod"}
	out := make([]Order, n)
	for i := range out {
		cu := pick(g.rng, customers)
		o := Order{
			ShopID: mainShop, CustomerID: cu.ID, Source: "manual", PaymentMethod: pick(g.rng, methods),
			OrderedAt:      g.now.Add(-time.Duration(g.rng.Int64N(int64(90 * 24 * time.Hour)))).Truncate(time.Minute),
			ShipName:       cu.Name,
			ShipPostalCode: cu.PostalCode,
			ShipAddress:    strings.TrimSpace(cu.Prefecture + cu.Address1 + " " + cu.Address2), // no trailing space without 住所2
			ShipPhone:      cu.Phone,
		}
		if i%10 == 9 {
			o.ShopID = buyShop
		}
		taxByRate := map[int]int64{}
		for j, lines := 0, 1+g.rng.IntN(4); j < lines; j++ {
			p := pick(g.rng, demoProducts)
			l := OrderLine{SKU: p.sku, Name: p.name, UnitPrice: p.price, Quantity: 1 + g.rng.IntN(3), TaxRate: p.tax}
			o.Lines = append(o.Lines, l)
			taxByRate[p.tax] += l.UnitPrice * int64(l.Quantity)
		}
		// Tax per rate on the rate's total, rounded down, as an invoice (インボイス) states it.
		o.Tax = taxByRate[8]*8/100 + taxByRate[10]*10/100
		if g.rng.IntN(3) > 0 {
			o.ShippingFee = pick(g.rng, []int64{550, 880})
		}
		g.orderState(&o, i)
		out[i] = o
	}
	return out
}

// orderState gives an order statuses that make sense together for its payment method.
func (g *demoGen) orderState(o *Order, i int) {
	orderedOn := o.OrderedAt.In(clock.JST).Format(dateLayout)
	age := g.now.Sub(o.OrderedAt)
	stage := g.rng.IntN(10) // 0–1 new, 2–4 awaiting shipment, 5–8 shipped, 9 cancelled
	if age < 48*time.Hour {
		stage = min(stage, 3)
	}
	switch o.PaymentMethod {
	case "rakuten_pay":
		o.Source = "api"
		o.ExternalRef = fmt.Sprintf("%d-%s-%010d", 400123, o.OrderedAt.In(clock.JST).Format("20060102"), 1000+i)
	case "credit_card", "kantan":
		if g.rng.IntN(3) == 0 {
			o.Source = "api"
		}
	}
	authorizing := authorizingMethods[o.PaymentMethod]
	switch {
	case stage <= 1:
		o.OrderStatus = "new"
		o.PaymentStatus = "unpaid"
		if authorizing {
			o.AuthorizationStatus = "pending"
			if o.PaymentMethod == "atobarai" && i%7 == 0 {
				o.AuthorizationStatus, o.OrderStatus = "failed", "on_hold"
			}
		}
		if o.PaymentMethod == "bank_transfer" {
			o.OrderStatus = "awaiting_payment"
		}
	case stage <= 8:
		o.OrderStatus = "awaiting_shipment"
		if authorizing {
			o.AuthorizationStatus, o.AuthorizedOn = "authorized", orderedOn
		}
		switch o.PaymentMethod {
		case "bank_transfer":
			o.PaymentStatus = "paid"
		case "cod", "atobarai":
			o.PaymentStatus = "unpaid"
		default:
			o.PaymentStatus = "unpaid"
		}
		o.DeliveryNotePrintOn = orderedOn
		if stage >= 5 {
			o.OrderStatus = "shipped"
			o.Carrier = pick(g.rng, demoCarriers)
			o.TrackingNumber = g.digits(12)
			o.ShippedOn = o.OrderedAt.Add(time.Duration(1+g.rng.IntN(3)) * 24 * time.Hour).In(clock.JST).Format(dateLayout)
			if o.ShippedOn > g.day(0) {
				o.ShippedOn = g.day(0)
			}
			if o.PaymentMethod != "atobarai" {
				o.PaymentStatus = "paid"
			}
		}
	default:
		o.OrderStatus, o.CancelType = "cancelled", "1"
		o.PaymentStatus = "not_required"
		if authorizing {
			o.AuthorizationStatus = "cancelled"
		}
	}
	if !authorizing {
		o.AuthorizationStatus = "not_required"
	}
}

func (g *demoGen) subscriptions(n int, cards []Card, shop string) []Subscription {
	out := make([]Subscription, n)
	for i := range out {
		card := cards[i%len(cards)]
		plan := demoPlans[g.rng.IntN(len(demoPlans))]
		sb := Subscription{
			ShopID: shop, CustomerID: card.CustomerID, CardID: card.ID, ProductName: plan.name,
			Amount: plan.amount, CycleMonths: plan.cycle, NextBillingOn: g.day(1 + g.rng.IntN(45)), Status: "active",
		}
		switch {
		case card.Status != "valid":
			sb.Status = "card_error"
			sb.Note = "カードが有効ではありません。お客様にカードの更新を依頼してください"
		case i%12 == 3:
			sb.Status = "paused"
		case i%25 == 11:
			sb.Status = "cancelled"
		}
		out[i] = sb
	}
	return out
}
