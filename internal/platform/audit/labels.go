package audit

import "sort"

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

// fieldLabels names, in Japanese, the fields that appear in entries' before and after values:
// JSON keys and, for values recorded as Go structs without tags, Go field names. A field
// missing here shows its key.
var fieldLabels = map[string]string{
	"id": "ID", "code": "番号", "name": "名前", "email": "メールアドレス", "role": "ロール", "disabled": "無効",
	"status": "状態", "status_label": "状態（表示）", "reason": "理由", "note": "メモ", "memo": "メモ", "version": "版",
	"kind": "種別", "amount": "金額", "purchase_amount": "買取金額", "item_count": "点数", "shop_id": "店舗ID",
	"customer_id": "顧客ID", "customer_name": "顧客名", "case_id": "買取ケースID", "case_code": "ケース番号",
	"confirmed_on": "買取確定日", "received_on": "受付日", "name_kana": "フリガナ", "phone": "電話番号",
	"postal_code": "郵便番号", "prefecture": "都道府県", "address1": "住所1", "address2": "住所2",
	"bank_account": "振込先口座", "bank_code": "銀行コード", "bank_name": "銀行名", "branch_code": "支店コード",
	"branch_name": "支店名", "account_type": "預金種目", "account_number": "口座番号",
	"account_holder_kana": "口座名義", "holder_kana": "振込先名義", "holder_name": "振込先名義",
	"remitter_name": "振込元名義", "source_account_id": "振込元口座", "apply_no": "受付番号", "bank_status": "銀行の状態",
	"designated_date": "振込指定日", "requested_by": "依頼者", "executed_by": "実行者", "executed_at": "実行日時",
	"completed_at": "振込完了日時", "created_at": "登録日時", "updated_at": "更新日時", "fee": "振込手数料",
	"file_exported_at": "全銀ファイル出力日時", "attempt_id": "試行ID", "outcome": "結果", "account": "口座",
	"masked_pan": "カード番号", "expire_ym": "有効期限", "card_id": "カードID", "member_id": "会員ID",
	"product_name": "商品名", "cycle_months": "周期（月）", "next_billing_on": "次回請求日",
	"client_id": "クライアントID", "auth_method": "クライアント認証方式", "auth_base_url": "認証URL",
	"api_base_url": "API URL", "enabled": "連携", "account_id": "振込元口座ID", "account_label": "振込元口座",
	"verified_at": "確認日時", "last_error": "最後のエラー", "action": "操作", "total": "件数", "counts": "件数（結果別）",
	// Go field names (values recorded as structs without JSON names).
	"BankCode": "銀行コード", "BankName": "銀行名", "BranchCode": "支店コード", "BranchName": "支店名",
	"AccountType": "預金種目", "AccountNumber": "口座番号", "HolderKana": "振込先名義", "RemitterName": "振込元名義",
	"Memo": "メモ", "Amount": "金額",
}

// FieldLabel is the Japanese name of a field in an entry's values, or the key itself.
func FieldLabel(key string) string {
	if l, ok := fieldLabels[key]; ok {
		return l
	}
	return key
}

// Choice is one option of the 操作履歴 page's pickers: the stable code and its label.
type Choice struct{ Code, Label string }

// ActionChoices lists every known action, by label, for the page's operation picker.
func ActionChoices() []Choice { return choices(actionLabels) }

// RecordTypeChoices lists every known record type, by label (synonyms once).
func RecordTypeChoices() []Choice { return choices(recordTypeLabels) }

func choices(m map[string]string) []Choice {
	seen := map[string]bool{}
	var out []Choice
	for code, label := range m {
		if code == "api_key" { // the same as apikey: one entry in the picker
			continue
		}
		if !seen[code] {
			seen[code] = true
			out = append(out, Choice{Code: code, Label: label})
		}
	}
	// By code, so the choices of one kind of record (user.…, transfer.…) stand together.
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}
