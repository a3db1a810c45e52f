package commerce

import (
	"net/http"

	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"

	"kessai/internal/platform/auth"
	"kessai/internal/web"
)

func (p *Pages) listOrders(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	shops, err := p.store.ListShops(ctx)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	l := &web.List{Path: "/orders", Query: q, Paging: web.PagingFrom(q, DefaultPerPage), RecordType: "order",
		Fields: []web.Field{
			{Name: "order_status", Label: "受注状態", Type: "checks", Options: web.Options(OrderStatuses)},
			{Name: "payment_status", Label: "入金状況", Type: "checks", Options: web.Options(PaymentStatuses)},
			{Name: "authorization_status", Label: "承認状況", Type: "checks", Options: web.Options(AuthorizationStatuses)},
			{Name: "payment_method", Label: "支払方法", Type: "checks", Options: web.Options(PaymentMethods)},
			{Name: "ordered_from", Name2: "ordered_to", Label: "受注日", Type: "daterange"},
			{Name: "number", Label: "受注番号"},
			{Name: "customer", Label: "顧客（氏名・カナ・番号・メール・電話）"},
			{Name: "tracking_number", Label: "送り状番号"},
			{Name: "external_ref", Label: "外部受注番号"},
			{Name: "shop", Label: "店舗", Type: "select", Options: optionsOf(shops)},
		},
		Columns: []web.Column{{Label: "受注番号", Sort: "number", OneWay: true}, {Label: "受注日時", Sort: "ordered_at"}, {Label: "顧客"},
			{Label: "支払方法"}, {Label: "受注状態"}, {Label: "入金状況"}, {Label: "承認状況"}, {Label: "合計", Sort: "-total", OneWay: true, Num: true}, {Label: "店舗"}},
	}
	l.Actions = p.bulk.Actions(r, "order")
	p.extendFields(r, l, ListOrders)
	l.Links = []web.Link{{Label: "新規登録", Href: "/orders/new", Primary: true, Perm: auth.PermOperate}, {Label: "CSV取込", Href: "/orders/import", Perm: auth.PermOperate}}
	l.Exports, l.ExportPath = exportsOf(p.store.orderExportMenu()), "/orders.csv"
	f, err := p.store.OrderFilterFromQuery(q)
	if err == nil {
		f.IDs, err = p.listResult(r, l, f.IDs)
	}
	status := http.StatusOK
	if fe := formErrors(err); fe != nil {
		l.FieldErrors, status = fe, http.StatusUnprocessableEntity
	} else if err != nil {
		p.fail(w, r, err)
		return
	} else {
		rows, total, err := p.store.SearchOrders(ctx, f, l.Paging.Page, l.Paging.PerPage)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		l.Total, l.CountLimit = total, CountLimit
		if len(rows) > 0 && f.Keyset() {
			l.NextAfter = rows[len(rows)-1].ID
		}
		for _, o := range rows {
			l.Rows = append(l.Rows, web.Row{ID: o.ID, Cells: []web.Cell{
				web.LinkCell(o.Number, "/orders/"+o.ID), web.Text(web.FormatJST(o.OrderedAt, "2006/01/02 15:04")),
				{Text: o.CustomerName, Detail: o.CustomerCode}, web.Text(PaymentMethods.Label(o.PaymentMethod)),
				web.StatusCell(OrderStatuses, o.OrderStatus), web.StatusCell(PaymentStatuses, o.PaymentStatus),
				web.StatusCell(AuthorizationStatuses, o.AuthorizationStatus), web.YenCell(o.Total), web.Text(o.ShopName)}})
		}
	}
	if err := p.extendRows(r, l, ListOrders); err != nil {
		p.fail(w, r, err)
		return
	}
	p.render.Render(w, r, status, "web/list.html", web.View{Title: "受注一覧", Nav: "orders", Data: l})
}

func (p *Pages) showOrder(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	o, err := p.store.GetOrder(ctx, r.PathValue("id"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	data := map[string]any{"Order": o,
		"OrderStatus": OrderStatuses.Lookup(o.OrderStatus), "PaymentStatus": PaymentStatuses.Lookup(o.PaymentStatus),
		"AuthorizationStatus": AuthorizationStatuses.Lookup(o.AuthorizationStatus), "PaymentMethod": PaymentMethods.Label(o.PaymentMethod),
		"Source": OrderSources.Label(o.Source), "CancelType": CancelTypes.Label(o.CancelType)}
	if o.CustomerID != "" {
		if c, err := p.store.GetCustomer(ctx, o.CustomerID); err == nil {
			data["Customer"] = c
		}
	}
	if shop, err := p.store.GetShop(ctx, o.ShopID); err == nil {
		data["Shop"] = shop
	}
	// Split children and slips merged into this one.
	ids, err := db.Strings(ctx, p.store.db, `SELECT id FROM orders WHERE parent_order_id = ? OR merged_into_order_id = ? ORDER BY number`, o.ID, o.ID)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	var children, merged []OrderRow
	if len(ids) > 0 {
		related, err := p.store.ListOrders(ctx, OrderFilter{IDs: ids}, false)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		for _, x := range related {
			if x.ParentOrderID == o.ID {
				children = append(children, x)
			}
			if x.MergedIntoOrderID == o.ID {
				merged = append(merged, x)
			}
		}
	}
	data["Children"], data["Merged"] = children, merged
	tabs, tab, extra, ok, err := pickTab(r, "/orders/"+o.ID, []tabView{{Key: "basic", Label: "基本情報"}, {Key: "history", Label: "履歴"}}, p.orderTabs, o)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if !ok {
		p.fail(w, r, errs.NotFound("タブが見つかりません: "+tab))
		return
	}
	if tab == "history" {
		if data["History"], err = p.store.OrderHistory(ctx, o.ID); err != nil {
			p.fail(w, r, err)
			return
		}
	}
	data["Tabs"], data["Tab"], data["Extra"] = tabs, tab, extra
	p.render.Render(w, r, http.StatusOK, "commerce/order_detail.html", web.View{Title: "受注 " + o.Number, Nav: "orders", Data: data})
}

func (p *Pages) listSubscriptions(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	l := &web.List{Path: "/subscriptions", Query: q, Paging: web.PagingFrom(q, DefaultPerPage), RecordType: "subscription",
		Fields: []web.Field{
			{Name: "status", Label: "状態", Type: "checks", Options: web.Options(SubscriptionStatuses)},
			{Name: "next_from", Name2: "next_to", Label: "次回請求日", Type: "daterange"},
			{Name: "customer", Label: "顧客（氏名・カナ・番号・メール・電話）"},
			{Name: "code", Label: "定期番号"},
			{Name: "product", Label: "商品名"},
			{Name: "card_status", Label: "カードの状態", Type: "select", Options: web.Options(CardStatuses)},
		},
		Columns: []web.Column{{Label: "定期番号", Sort: "code", OneWay: true}, {Label: "状態"}, {Label: "顧客"}, {Label: "商品"},
			{Label: "金額", Sort: "-amount", OneWay: true, Num: true}, {Label: "周期"}, {Label: "次回請求日", Sort: "next_billing_on"}, {Label: "カード"}},
	}
	l.Actions, l.Links = p.bulk.Actions(r, "subscription"), []web.Link{{Label: "新規登録", Href: "/subscriptions/new", Primary: true, Perm: auth.PermOperate}}
	p.extendFields(r, l, ListSubscriptions)
	f, err := p.store.SubscriptionFilterFromQuery(q)
	if err == nil {
		f.IDs, err = p.listResult(r, l, f.IDs)
	}
	status := http.StatusOK
	if fe := formErrors(err); fe != nil {
		l.FieldErrors, status = fe, http.StatusUnprocessableEntity
	} else if err != nil {
		p.fail(w, r, err)
		return
	} else {
		rows, total, err := p.store.SearchSubscriptions(ctx, f, l.Paging.Page, l.Paging.PerPage)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		l.Total = total
		for _, s := range rows {
			card := web.Cell{Text: "なし", Muted: true}
			if s.CardMasked != "" {
				card = web.Cell{Text: s.CardMasked, Detail: "有効期限 " + s.CardExpiry() + " " + CardStatuses.Label(s.CardStatus)}
			}
			l.Rows = append(l.Rows, web.Row{ID: s.ID, Cells: []web.Cell{
				web.LinkCell(s.Code, "/subscriptions/"+s.ID), web.StatusCell(SubscriptionStatuses, s.Status),
				{Text: s.CustomerName, Link: "/customers/" + s.CustomerID, Detail: s.CustomerCode}, web.Text(s.ProductName),
				web.YenCell(s.Amount), web.Text(cycleLabel(s.CycleMonths)), web.Text(web.FormatDate(s.NextBillingOn)), card}})
		}
	}
	if err := p.extendRows(r, l, ListSubscriptions); err != nil {
		p.fail(w, r, err)
		return
	}
	p.render.Render(w, r, status, "web/list.html", web.View{Title: "定期受注一覧", Nav: "subscriptions", Data: l})
}

func cycleLabel(months int) string {
	if months == 1 {
		return "毎月"
	}
	return web.Comma(int64(months)) + "か月ごと"
}

func (p *Pages) showSubscription(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	rows, err := p.store.ListSubscriptions(ctx, SubscriptionFilter{IDs: []string{r.PathValue("id")}})
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if len(rows) == 0 {
		p.render.Error(w, r, notFound("定期受注", r.PathValue("id")))
		return
	}
	s := rows[0]
	tabs, tab, extra, ok, err := pickTab(r, "/subscriptions/"+s.ID, []tabView{{Key: "basic", Label: "基本情報"}}, p.subTabs, s.Subscription)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if !ok {
		p.fail(w, r, errs.NotFound("タブが見つかりません: "+tab))
		return
	}
	p.render.Render(w, r, http.StatusOK, "commerce/subscription_detail.html", web.View{Title: "定期受注 " + s.Code, Nav: "subscriptions",
		Data: map[string]any{"Sub": s, "Status": SubscriptionStatuses.Lookup(s.Status), "Cycle": cycleLabel(s.CycleMonths),
			"CardStatus": CardStatuses.Label(s.CardStatus), "Actions": subscriptionActions(s.Status),
			"Tabs": tabs, "Tab": tab, "Extra": extra}})
}
