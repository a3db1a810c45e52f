package commerce_test

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/errs"
	"kessai/internal/web"
)

// TestListExtensions: a room's field, SQL condition and column on the order, subscription and
// case lists; the condition holds on the page, in 「全N件を一括操作」's selection and in the CSV.
func TestListExtensions(t *testing.T) {
	t.Parallel()
	e := newPages(t, auth.RoleAdmin)
	orders := e.orders(t, "new", "new", "new")
	flagged := orders[1]
	e.pages.AddListExtension(commerce.ListExtension{List: commerce.ListOrders, Perm: auth.PermView,
		Field: &web.Field{Name: "x_pay", Label: "決済ステータス", Type: "select", Options: []web.Option{{Value: "held", Label: "保留"}}},
		Where: func(q url.Values) (*commerce.Cond, error) {
			switch q.Get("x_pay") {
			case "":
				return nil, nil
			case "held":
				return &commerce.Cond{SQL: "o.number = ?", Args: []any{flagged.Number}}, nil
			}
			return nil, errs.Invalid("決済ステータスの値が正しくありません").Field("x_pay", "保留 のみ選べます")
		},
		Column: &web.Column{Label: "決済ステータス"},
		Cells: func(ctx context.Context, ids []string) (map[string]web.Cell, error) {
			out := map[string]web.Cell{}
			for _, id := range ids {
				if id == flagged.ID {
					out[id] = web.Cell{Text: "保留中", Badge: true, Level: "warn"}
				}
			}
			return out, nil
		}})
	_, page := e.get(t, "/orders")
	if !strings.Contains(page, "決済ステータス") || !strings.Contains(page, `name="x_pay"`) || strings.Count(page, "保留中") != 1 {
		t.Errorf("the order list lacks the room's field or column")
	}
	_, page = e.get(t, "/orders?x_pay=held")
	if !strings.Contains(page, flagged.Number) || strings.Contains(page, orders[0].Number) || strings.Contains(page, orders[2].Number) {
		t.Errorf("the room's condition did not select exactly %s", flagged.Number)
	}
	if status, page := e.get(t, "/orders?x_pay=bogus"); status != http.StatusUnprocessableEntity || !strings.Contains(page, "保留 のみ選べます") {
		t.Errorf("a bad value: %d", status)
	}
	f, err := e.store.OrderFilterFromQuery(url.Values{"x_pay": {"held"}})
	if err != nil {
		t.Fatal(err)
	}
	if ids, err := e.store.OrderIDs(context.Background(), f); err != nil || len(ids) != 1 || ids[0] != flagged.ID {
		t.Errorf("bulk selection with the room's condition: %v %v", ids, err)
	}
	if status, csv := e.get(t, "/orders.csv?x_pay=held&template="+commerce.TemplateStandard+"&encoding=utf8"); status != http.StatusOK ||
		!strings.Contains(csv, flagged.Number) || strings.Contains(csv, orders[0].Number) {
		t.Errorf("the CSV export with the room's condition: %d, has %s %v, has %s %v", status, flagged.Number,
			strings.Contains(csv, flagged.Number), orders[0].Number, strings.Contains(csv, orders[0].Number))
	}

	subs := e.subscriptions(t, "active", "active")
	e.pages.AddListExtension(commerce.ListExtension{List: commerce.ListSubscriptions, Column: &web.Column{Label: "洗替ステータス"},
		Cells: func(ctx context.Context, ids []string) (map[string]web.Cell, error) {
			return map[string]web.Cell{subs[0].ID: web.Text("洗替済み")}, nil
		}})
	if _, page := e.get(t, "/subscriptions"); !strings.Contains(page, "洗替ステータス") || !strings.Contains(page, "洗替済み") {
		t.Errorf("the subscription list lacks the room's column")
	}
	e.cases(t, "takuhai", 2)
	e.pages.AddListExtension(commerce.ListExtension{List: commerce.ListCases, Perm: auth.PermMoney, Column: &web.Column{Label: "振込状態"},
		Cells: func(ctx context.Context, ids []string) (map[string]web.Cell, error) {
			out := map[string]web.Cell{}
			for _, id := range ids {
				out[id] = web.Text("振込完了")
			}
			return out, nil
		}})
	if _, page := e.get(t, "/cases?kind=takuhai"); strings.Count(page, "振込完了") != 2 {
		t.Errorf("the case list lacks the room's column")
	}
	if staff := newPages(t, auth.RoleStaff); staff != nil {
		staff.cases(t, "takuhai", 1)
		staff.pages.AddListExtension(commerce.ListExtension{List: commerce.ListCases, Perm: auth.PermMoney, Column: &web.Column{Label: "振込状態"},
			Cells: func(ctx context.Context, ids []string) (map[string]web.Cell, error) { return nil, nil }})
		if _, page := staff.get(t, "/cases?kind=takuhai"); strings.Contains(page, "振込状態") {
			t.Errorf("スタッフ sees a column its role may not")
		}
	}
}

// TestDetailTabsAndOrderHistory: rooms' tabs on the order and subscription pages, and the
// per-order history a room appends to.
func TestDetailTabsAndOrderHistory(t *testing.T) {
	t.Parallel()
	e := newPages(t, auth.RoleAdmin)
	o := e.orders(t, "new")[0]
	sb := e.subscriptions(t, "active")[0]
	e.pages.AddOrderTab(commerce.OrderTab{Key: "kantan", Label: "かんたん決済", Perm: auth.PermView,
		Render: func(r *http.Request, o commerce.Order) (template.HTML, error) {
			return template.HTML("<p id=kantan-tab>取引 " + template.HTMLEscapeString(o.Number) + "</p>"), nil
		}})
	e.pages.AddOrderTab(commerce.OrderTab{Key: "secret", Label: "経理だけ", Perm: auth.PermAdmin + "x",
		Render: func(*http.Request, commerce.Order) (template.HTML, error) { return "見えてはいけない", nil }})
	e.pages.AddSubscriptionTab(commerce.SubscriptionTab{Key: "cardupdate", Label: "カード洗替", Perm: auth.PermView,
		Render: func(r *http.Request, s commerce.Subscription) (template.HTML, error) {
			return template.HTML("<p>洗替 " + template.HTMLEscapeString(s.Code) + "</p>"), nil
		}})

	_, page := e.get(t, "/orders/"+o.ID)
	if !strings.Contains(page, "受注情報") || !strings.Contains(page, `href="/orders/`+o.ID+`?tab=kantan"`) || strings.Contains(page, "経理だけ") {
		t.Errorf("order page tabs wrong")
	}
	if _, page := e.get(t, "/orders/"+o.ID+"?tab=kantan"); !strings.Contains(page, "取引 "+o.Number) || strings.Contains(page, "受注情報") {
		t.Errorf("the room's order tab is not shown alone")
	}
	if status, _ := e.get(t, "/orders/"+o.ID+"?tab=secret"); status != http.StatusNotFound {
		t.Errorf("a tab the role may not see: %d, want 404", status)
	}
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Kind: auth.KindUser, ID: "u", Name: "keiri@example.com", Role: auth.RoleAccountant})
	if _, err := e.store.AppendOrderHistory(ctx, e.store.DB(), commerce.OrderEvent{OrderID: o.ID, Room: "kantan", Kind: "capture.sent",
		Summary: "実売上を送信しました（12,000円）", Detail: "OrderID=K1 AccessID=abc"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.AppendOrderHistory(ctx, e.store.DB(), commerce.OrderEvent{OrderID: o.ID, Room: "kantan"}); err == nil {
		t.Error("an event without kind and summary was accepted")
	}
	hist, err := e.store.OrderHistory(context.Background(), o.ID)
	if err != nil || len(hist) != 1 || hist[0].Actor != "keiri@example.com" || hist[0].At.IsZero() {
		t.Fatalf("history: %+v %v", hist, err)
	}
	if _, page := e.get(t, "/orders/"+o.ID+"?tab=history"); !strings.Contains(page, "実売上を送信しました（12,000円）") || !strings.Contains(page, "AccessID=abc") {
		t.Errorf("the 履歴 tab does not show the room's event")
	}
	if _, page := e.get(t, "/subscriptions/"+sb.ID+"?tab=cardupdate"); !strings.Contains(page, "洗替 "+sb.Code) {
		t.Errorf("the room's subscription tab is not shown")
	}
	if _, page := e.get(t, "/subscriptions/"+sb.ID); !strings.Contains(page, "定期番号") || !strings.Contains(page, "カード洗替") {
		t.Errorf("the subscription page lost its content or its tab link")
	}
}
