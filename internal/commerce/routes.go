package commerce

import (
	"net/http"

	"kessai/internal/platform/auth"
	"kessai/internal/web"
)

// Routes lists every commerce page (the JSON API is in api.go).
func (p *Pages) Routes(s *web.Shell) {
	for _, e := range []web.NavEntry{
		{Key: "takuhai", Label: "宅配買取", Path: "/cases?kind=takuhai", Order: web.NavCommerce},
		{Key: "ippan", Label: "一般仕入", Path: "/cases?kind=ippan", Order: web.NavCommerce + 1},
		{Key: "orders", Label: "受注管理", Path: "/orders", Order: web.NavCommerce + 2},
		{Key: "subscriptions", Label: "定期受注管理", Path: "/subscriptions", Order: web.NavCommerce + 3},
		{Key: "customers", Label: "顧客", Path: "/customers", Order: web.NavCommerce + 4},
		{Key: "shops", Label: "店舗", Path: "/settings/shops", Group: web.GroupSettings, Order: 20},
	} {
		s.AddNav(e)
	}
	s.HandleFunc(http.MethodGet, "/cases", auth.PermView, "買取ケース一覧（宅配買取・一般仕入）", p.listCases)
	s.HandleFunc(http.MethodGet, "/cases.csv", auth.PermView, "買取ケースのCSV出力", p.exportCases)
	s.HandleFunc(http.MethodGet, "/cases/import", auth.PermOperate, "買取ケースのCSV取込画面", p.importForm("cases"))
	s.HandleFunc(http.MethodPost, "/cases/import", auth.PermOperate, "買取ケースのCSV取込", p.importUpload("cases"))
	s.Upload(http.MethodPost, "/cases/import")
	s.HandleFunc(http.MethodGet, "/cases/new", auth.PermOperate, "買取ケースの登録画面", p.newCase)
	s.HandleFunc(http.MethodPost, "/cases", auth.PermOperate, "買取ケースの登録", p.createCase)
	s.HandleFunc(http.MethodGet, "/cases/{id}", auth.PermView, "買取ケースの詳細（タブ）", p.showCase)
	s.HandleFunc(http.MethodGet, "/cases/{id}/edit", auth.PermOperate, "買取ケースの編集画面", p.editCase)
	s.HandleFunc(http.MethodPost, "/cases/{id}", auth.PermOperate, "買取ケースの保存", p.updateCase)

	s.HandleFunc(http.MethodGet, "/customers", auth.PermView, "顧客一覧", p.listCustomers)
	s.HandleFunc(http.MethodGet, "/customers.csv", auth.PermView, "顧客のCSV出力", p.exportCustomers)
	s.HandleFunc(http.MethodGet, "/customers/import", auth.PermOperate, "顧客のCSV取込画面", p.importForm("customers"))
	s.HandleFunc(http.MethodPost, "/customers/import", auth.PermOperate, "顧客のCSV取込", p.importUpload("customers"))
	s.Upload(http.MethodPost, "/customers/import")
	s.HandleFunc(http.MethodGet, "/customers/new", auth.PermOperate, "顧客の登録画面", p.newCustomer)
	s.HandleFunc(http.MethodPost, "/customers", auth.PermOperate, "顧客の登録", p.createCustomer)
	s.HandleFunc(http.MethodGet, "/customers/{id}", auth.PermView, "顧客の詳細", p.showCustomer)
	s.HandleFunc(http.MethodGet, "/customers/{id}/edit", auth.PermOperate, "顧客の編集画面", p.editCustomer)
	s.HandleFunc(http.MethodPost, "/customers/{id}", auth.PermOperate, "顧客の保存", p.updateCustomer)
	s.HandleFunc(http.MethodGet, "/lookup/banks", auth.PermView, "金融機関の検索（入力補助）", p.lookupBanks)
	s.HandleFunc(http.MethodGet, "/lookup/branches", auth.PermView, "支店の検索（入力補助）", p.lookupBranches)
	s.HandleFunc(http.MethodGet, "/lookup/customers", auth.PermView, "顧客の検索（入力補助）", p.lookupCustomers)

	s.HandleFunc(http.MethodGet, "/orders", auth.PermView, "受注一覧", p.listOrders)
	s.HandleFunc(http.MethodGet, "/orders.csv", auth.PermView, "受注のCSV出力", p.exportOrders)
	s.HandleFunc(http.MethodGet, "/orders/import", auth.PermOperate, "受注のCSV取込画面", p.importForm("orders"))
	s.HandleFunc(http.MethodPost, "/orders/import", auth.PermOperate, "受注のCSV取込", p.importUpload("orders"))
	s.Upload(http.MethodPost, "/orders/import")
	s.HandleFunc(http.MethodGet, "/orders/new", auth.PermOperate, "受注の登録画面（?copy= で複写）", p.newOrder)
	s.HandleFunc(http.MethodPost, "/orders", auth.PermOperate, "受注の登録", p.createOrder)
	s.HandleFunc(http.MethodGet, "/orders/{id}", auth.PermView, "受注の詳細", p.showOrder)
	s.HandleFunc(http.MethodGet, "/orders/{id}/edit", auth.PermOperate, "受注の編集画面", p.editOrder)
	s.HandleFunc(http.MethodPost, "/orders/{id}", auth.PermOperate, "受注の保存", p.updateOrder)
	s.HandleFunc(http.MethodPost, "/orders/{id}/cancel", auth.PermOperate, "受注のキャンセル", p.cancelOrder)
	s.HandleFunc(http.MethodPost, "/orders/{id}/ship", auth.PermOperate, "受注の出荷確定", p.shipOrder)

	s.HandleFunc(http.MethodGet, "/subscriptions", auth.PermView, "定期受注一覧", p.listSubscriptions)
	s.HandleFunc(http.MethodGet, "/subscriptions/new", auth.PermOperate, "定期受注の登録画面", p.newSubscription)
	s.HandleFunc(http.MethodPost, "/subscriptions", auth.PermOperate, "定期受注の登録", p.createSubscription)
	s.HandleFunc(http.MethodGet, "/subscriptions/{id}", auth.PermView, "定期受注の詳細", p.showSubscription)
	s.HandleFunc(http.MethodGet, "/subscriptions/{id}/edit", auth.PermOperate, "定期受注の編集画面", p.editSubscription)
	s.HandleFunc(http.MethodPost, "/subscriptions/{id}", auth.PermOperate, "定期受注の保存", p.updateSubscription)
	s.HandleFunc(http.MethodPost, "/subscriptions/{id}/status", auth.PermOperate, "定期受注の休止・再開・解約", p.setSubscriptionStatus)

	s.HandleFunc(http.MethodGet, "/imports/{id}", auth.PermOperate, "CSV取込の進み具合と結果", p.showImport)

	s.HandleFunc(http.MethodGet, "/settings/shops", auth.PermAdmin, "店舗一覧", p.listShops)
	s.HandleFunc(http.MethodGet, "/settings/shops/new", auth.PermAdmin, "店舗の登録画面", p.newShop)
	s.HandleFunc(http.MethodPost, "/settings/shops", auth.PermAdmin, "店舗の登録", p.createShop)
	s.HandleFunc(http.MethodGet, "/settings/shops/{id}/edit", auth.PermAdmin, "店舗の編集画面", p.editShop)
	s.HandleFunc(http.MethodPost, "/settings/shops/{id}", auth.PermAdmin, "店舗の保存", p.updateShop)
}
