package commerce

import (
	"context"
	"io"
	"strconv"

	"kessai/internal/platform/jpcsv"
)

const (
	colSubscriptionCode = "定期番号"
	colProductName      = "商品名"
	colSubAmount        = "金額"
	colCycleMonths      = "周期（月）"
	colNextBillingOn    = "次回請求日"
	colCardMasked       = "カード番号"
	colCardExpire       = "有効期限"
	colCardStatus       = "カードの状態"
	colCardMember       = "会員ID"
)

var subscriptionTemplates = jpcsv.Templates[SubscriptionRow]{
	{ID: TemplateStandard, Name: "標準（全項目）", Columns: []jpcsv.Column[SubscriptionRow]{
		col(colSubscriptionCode, func(r SubscriptionRow) string { return r.Code }),
		col(colCaseStatus, func(r SubscriptionRow) string { return SubscriptionStatuses.Label(r.Status) }),
		col(colShopCode, func(r SubscriptionRow) string { return r.ShopCode }),
		col(colShopName, func(r SubscriptionRow) string { return r.ShopName }),
		col(colCustomerCode, func(r SubscriptionRow) string { return r.CustomerCode }),
		col(colCustomerName, func(r SubscriptionRow) string { return r.CustomerName }),
		col(colProductName, func(r SubscriptionRow) string { return r.ProductName }),
		col(colSubAmount, func(r SubscriptionRow) string { return yen(r.Amount) }),
		col(colCycleMonths, func(r SubscriptionRow) string { return strconv.Itoa(r.CycleMonths) }),
		col(colNextBillingOn, func(r SubscriptionRow) string { return r.NextBillingOn }),
		col(colCardMember, func(r SubscriptionRow) string { return r.CardMemberID }),
		col(colCardMasked, func(r SubscriptionRow) string { return r.CardMasked }),
		col(colCardExpire, func(r SubscriptionRow) string { return r.CardExpireYM }),
		col(colCardStatus, func(r SubscriptionRow) string { return cardStatusLabel(r.CardStatus) }),
		col(colNote, func(r SubscriptionRow) string { return r.Note }),
	}},
	{ID: "billing", Name: "請求予定（次回請求日・金額）", Columns: []jpcsv.Column[SubscriptionRow]{
		col(colSubscriptionCode, func(r SubscriptionRow) string { return r.Code }),
		col(colNextBillingOn, func(r SubscriptionRow) string { return r.NextBillingOn }),
		col(colCustomerCode, func(r SubscriptionRow) string { return r.CustomerCode }),
		col(colCustomerName, func(r SubscriptionRow) string { return r.CustomerName }),
		col(colProductName, func(r SubscriptionRow) string { return r.ProductName }),
		col(colSubAmount, func(r SubscriptionRow) string { return yen(r.Amount) }),
		col(colCardStatus, func(r SubscriptionRow) string { return cardStatusLabel(r.CardStatus) }),
	}},
}

func cardStatusLabel(code string) string {
	if code == "" {
		return "未登録"
	}
	return CardStatuses.Label(code)
}

// SubscriptionExportTemplates lists the subscription export layouts.
func SubscriptionExportTemplates() []ExportTemplate { return describe(subscriptionTemplates) }

// ExportSubscriptions writes the subscriptions matching f with a template (TemplateStandard or
// "billing"), in CP932 unless enc says otherwise. (There is no subscription import: they are
// made with a stored card, which a file can't provide.)
func (s *Store) ExportSubscriptions(ctx context.Context, w io.Writer, f SubscriptionFilter, template string, enc ...jpcsv.Encoding) error {
	t, err := findTemplate(subscriptionTemplates, template)
	if err != nil {
		return err
	}
	rows, err := s.ListSubscriptions(ctx, f)
	if err != nil {
		return err
	}
	return t.Write(w, encodingOf(enc), rows)
}
