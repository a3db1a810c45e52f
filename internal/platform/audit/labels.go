package audit

// actionLabels names, in Japanese, the actions kessai records. The codes stay the stable key
// (filters, the API); people read the label. An action missing here shows its code.
var actionLabels = map[string]string{
	"user.create": "ユーザー登録", "user.disable": "ユーザー無効化", "user.enable": "ユーザー有効化",
	"user.login": "ログイン", "user.login_failed": "ログイン失敗", "user.logout": "ログアウト",
	"user.password_reset": "パスワード再設定", "user.role_change": "ロール変更",
	"apikey.create": "APIキー発行", "apikey.revoke": "APIキー失効",
	"provider_settings.update": "外部連携設定の変更",
	"shop.create":              "店舗登録", "shop.update": "店舗変更",
	"customer.create": "顧客登録", "customer.update": "顧客変更", "customer.delete": "顧客削除",
	"card.create": "カード登録", "card.update": "カード変更", "card.delete": "カード削除",
	"case.create": "買取ケース登録", "case.update": "買取ケース変更", "case.cancel": "買取ケースのキャンセル",
	"order.create": "受注登録", "order.update": "受注変更", "order.cancel": "受注キャンセル", "order.ship": "出荷確定",
	"subscription.create": "定期受注登録", "subscription.update": "定期受注変更",
	"subscription.paused": "定期受注の休止", "subscription.active": "定期受注の再開",
	"subscription.card_error": "定期受注のカードエラー", "subscription.cancelled": "定期受注の解約",
	"bulk.start": "一括操作の開始", "bulk.finish": "一括操作の完了", "bulk.run": "一括操作",
	"job.retry": "ジョブ再実行", "job.cancel": "ジョブ取消",
	"transfer.register": "振込登録", "transfer.update": "振込修正", "transfer.delete": "振込削除",
	"transfer.bulk_request": "一括振込依頼", "transfer.execute": "振込実行", "transfer.request": "銀行へ振込依頼",
	"transfer.bank_answer": "銀行の応答", "transfer.bank_status": "銀行の状態の反映",
	"transfer.late_answer": "遅れて届いた銀行の応答", "transfer.late_answer_alert": "要確認: 遅れて届いた銀行の応答",
}

// recordTypeLabels names the record types in Japanese.
var recordTypeLabels = map[string]string{
	"user": "ユーザー", "apikey": "APIキー", "api_key": "APIキー", "provider_settings": "外部連携設定",
	"shop": "店舗", "customer": "顧客", "card": "カード", "purchase_case": "買取ケース", "order": "受注",
	"subscription": "定期受注", "bulk_run": "一括操作", "job": "ジョブ", "transfer": "振込",
}

// ActionLabel is the Japanese name of an action code, or the code itself when unknown.
func ActionLabel(code string) string {
	if l, ok := actionLabels[code]; ok {
		return l
	}
	return code
}

// RecordTypeLabel is the Japanese name of a record type, or the type itself when unknown.
func RecordTypeLabel(t string) string {
	if l, ok := recordTypeLabels[t]; ok {
		return l
	}
	return t
}

// ActionLabel is the entry's action in Japanese.
func (r Record) ActionLabel() string { return ActionLabel(r.Action) }

// RecordTypeLabel is the entry's record type in Japanese.
func (r Record) RecordTypeLabel() string { return RecordTypeLabel(r.RecordType) }
