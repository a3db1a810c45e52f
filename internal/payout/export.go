package payout

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/bankaccount"
	"kessai/internal/platform/clock"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/jpcsv"
	"kessai/internal/platform/kana"
	"kessai/internal/platform/zenginfile"
	"kessai/internal/web"
)

// csvColumns are 銀行振込一覧's accounting export: what was (or will be) sent to the bank, as
// the transfer holds it — not the case's registered account, which staff may have changed.
var csvColumns = []struct {
	name string
	val  func(Transfer) string
}{
	{"ケース番号", func(t Transfer) string { return t.CaseCode }},
	{"顧客", func(t Transfer) string { return t.CustomerName }},
	{"銀行コード", func(t Transfer) string { return t.BankCode }},
	{"銀行名", func(t Transfer) string { return t.BankName }},
	{"支店コード", func(t Transfer) string { return t.BranchCode }},
	{"支店名", func(t Transfer) string { return t.BranchName }},
	{"預金種目", func(t Transfer) string { return t.AccountTypeLabel() }},
	{"口座番号", func(t Transfer) string { return t.AccountNumber }},
	{"受取人名", func(t Transfer) string { return t.HolderKana }},
	{"振込金額", func(t Transfer) string { return fmt.Sprint(t.Amount) }},
	{"振込手数料", func(t Transfer) string {
		if t.Fee == nil {
			return ""
		}
		return fmt.Sprint(*t.Fee)
	}},
	{"受付番号", func(t Transfer) string { return t.ApplyNo }},
	{"振込指定日", func(t Transfer) string { return t.DesignatedDate }},
	{"状態", func(t Transfer) string { return t.StatusLabel }},
	{"理由", func(t Transfer) string { return t.Reason }},
	{"登録日時", func(t Transfer) string { return csvTime(&t.CreatedAt) }},
	{"振込依頼日時", func(t Transfer) string { return csvTime(t.ExecutedAt) }},
	{"振込完了日時", func(t Transfer) string { return csvTime(t.CompletedAt) }},
	{"実行者", func(t Transfer) string { return t.ExecutedBy }},
	{"全銀ファイル出力日時", func(t Transfer) string { return csvTime(t.FileExportedAt) }},
}

func csvTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return web.FormatJST(*t, "2006-01-02 15:04:05")
}

// WriteCSV writes ts as CP932 CSV with CRLF (nothing if a value cannot be encoded).
func WriteCSV(buf *bytes.Buffer, ts []Transfer) error {
	header := make([]string, len(csvColumns))
	for i, c := range csvColumns {
		header[i] = c.name
	}
	rows := make([][]string, len(ts))
	for i, t := range ts {
		row := make([]string, len(csvColumns))
		for j, c := range csvColumns {
			row[j] = c.val(t)
		}
		rows[i] = row
	}
	return jpcsv.WriteAll(buf, jpcsv.CP932, header, rows)
}

// selection reads which transfers a list action is for: the checked ids, or with scope=all
// every transfer matching the search the form carries (全N件).
func (p *Pages) selection(ctx context.Context, r *http.Request) ([]Transfer, Filter, error) {
	_ = r.ParseForm()
	if r.Method == http.MethodGet || r.PostForm.Get("scope") == "all" {
		q := r.URL.Query()
		if r.Method == http.MethodPost {
			q = r.PostForm
		}
		f, err := filterFrom(q)
		if err != nil {
			return nil, f, err
		}
		ts, _, err := p.svc.List(ctx, f)
		return ts, f, err
	}
	ids := dedupe(r.PostForm["id"])
	if len(ids) == 0 {
		return nil, Filter{}, errs.Invalid("振込を選んでください")
	}
	ts, _, err := p.svc.List(ctx, Filter{IDs: ids})
	return ts, Filter{IDs: ids}, err
}

// exportCSV is 【CSV出力】: GET exports the search, POST the selection.
func (p *Pages) exportCSV(w http.ResponseWriter, r *http.Request) {
	ts, _, err := p.selection(r.Context(), r)
	if err != nil {
		p.listError(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, ts); err != nil {
		p.render.Error(w, r, errs.Invalid("CSVに出力できない文字があります: "+err.Error()))
		return
	}
	name := "transfers-" + web.FormatJST(p.svc.clock.Now(), "20060102-1504") + ".csv"
	w.Header().Set("Content-Type", "text/csv; charset=Shift_JIS")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, _ = w.Write(buf.Bytes())
}

// listError sends the person back to the list with the message (a bad selection or search).
func (p *Pages) listError(w http.ResponseWriter, r *http.Request, err error) {
	if e := errs.As(err); e != nil && e.Kind == errs.KindInvalid {
		msg := e.Message
		for _, m := range e.Fields {
			msg += "（" + m + "）"
		}
		web.SetFlashError(w, msg)
		http.Redirect(w, r, listPath, http.StatusSeeOther)
		return
	}
	p.render.Error(w, r, err)
}

// ZenginInput is the 全銀 file form: the 振込依頼人 (the merchant at its own bank) and the day.
type ZenginInput struct {
	RequesterCode, RequesterName               string
	Date                                       string // YYYY-MM-DD, 振込指定日
	BankCode, BranchCode, AccountType, Account string
	CRLF                                       bool
}

// ZenginFile builds the 全銀協規定 総合振込 file of ts. Only transfers not (yet) with the bank
// can be paid through a file: one that is 送信中, 承認待ち or 振込完了 would be paid twice.
// Every problem is reported at once, each naming its case.
func (s *Service) ZenginFile(in ZenginInput, ts []Transfer) ([]byte, errs.Fields) {
	f := errs.Fields{}
	h := zenginfile.Header{RequesterCode: bankaccount.Digits(in.RequesterCode), AccountType: strings.TrimSpace(in.AccountType)}
	if h.RequesterCode == "" {
		f.Add("requester_code", "振込依頼人コード（銀行から通知された委託者コード、数字10桁以内）を入力してください")
	}
	if name := strings.TrimSpace(in.RequesterName); name == "" {
		f.Add("requester_name", "振込依頼人名（カナ）を入力してください")
	} else if z, err := kana.ToZenginMax(name, zenginfile.RequesterNameMax); err != nil {
		f.Add("requester_name", strings.ReplaceAll(err.Error(), "振込先名義", "振込依頼人名"))
	} else {
		h.RequesterName = z
	}
	if d, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(in.Date), clock.JST); err != nil {
		f.Add("date", "振込指定日を YYYY-MM-DD で入力してください")
	} else {
		h.Month, h.Day = int(d.Month()), d.Day()
	}
	// The merchant's own account: the same rule as any account, without a holder name.
	acct, pr := bankaccount.Check(s.banks, bankaccount.Account{BankCode: in.BankCode, BranchCode: in.BranchCode,
		AccountType: "1", AccountNumber: in.Account, Holder: "X"}, bankaccount.HolderMaxBulk)
	for field, msg := range map[string]string{"bank_code": pr.Bank, "branch_code": pr.Branch, "account_number": pr.Number} {
		if msg != "" {
			f.Add(field, msg)
		}
	}
	if h.AccountType != "1" && h.AccountType != "2" && h.AccountType != "9" {
		f.Add("account_type", "預金種目は 普通（1）・当座（2）・その他（9）から選んでください")
	}
	h.BankCode, h.BranchCode, h.AccountNumber = acct.BankCode, acct.BranchCode, acct.AccountNumber
	h.BankName, h.BranchName = s.kanaNames(acct.BankCode, acct.BranchCode)
	var refused []string
	items := make([]zenginfile.Item, 0, len(ts))
	for _, t := range ts {
		if !t.Allows(ActExecute) {
			refused = append(refused, t.CaseCode+"（"+t.StatusLabel+"）")
			continue
		}
		bn, brn := s.kanaNames(t.BankCode, t.BranchCode)
		items = append(items, zenginfile.Item{BankCode: t.BankCode, BankName: bn, BranchCode: t.BranchCode, BranchName: brn,
			AccountType: t.AccountType, AccountNumber: t.AccountNumber, Holder: t.HolderKana, Amount: t.Amount})
	}
	if len(refused) > 0 {
		f.Add("", "銀行に送信済み・送信中の振込はファイルにできません（二重払いになります）。選択から外してください: "+strings.Join(refused, "、"))
	}
	if len(ts) == 0 {
		f.Add("", "振込を選んでください")
	}
	if len(f) > 0 {
		return nil, f
	}
	var buf bytes.Buffer
	if err := zenginfile.Write(&buf, h, items, in.CRLF); err != nil {
		msg := err.Error()
		// Name the case, not the item number.
		for i := len(ts); i >= 1; i-- {
			msg = strings.ReplaceAll(msg, fmt.Sprintf("%d件目", i), ts[i-1].CaseCode)
		}
		f.Add("", msg)
		return nil, f
	}
	return buf.Bytes(), nil
}

// kanaNames are the bank's and branch's names in half-width kana from the master ("" when
// unknown: the codes decide, the names are for people).
func (s *Service) kanaNames(bank, branch string) (string, string) {
	var bn, brn string
	if b, ok := s.banks.Bank(bank); ok {
		bn, _ = kana.ToZengin(b.Kana)
	}
	if b, ok := s.banks.Branch(bank, branch); ok {
		brn, _ = kana.ToZengin(b.Kana)
	}
	return bn, brn
}

// markExported records that ts went into a 全銀 file, with an audit entry each.
func (s *Service) markExported(ctx context.Context, ts []Transfer) error {
	now := s.now()
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		for _, t := range ts {
			if _, err := tx.ExecContext(ctx, `UPDATE transfers SET file_exported_at = ? WHERE id = ?`, now, t.ID); err != nil {
				return fmt.Errorf("transfer %s: mark exported: %w", t.ID, err)
			}
			if err := s.audit.Record(ctx, tx, audit.Entry{Action: "transfer.zengin_file", RecordType: RecordType, RecordID: t.ID,
				After: map[string]string{"amount": fmt.Sprint(t.Amount), "account": t.BankCode + "-" + t.BranchCode + " " + t.AccountNumber},
				Note:  "全銀 総合振込ファイルに出力"}); err != nil {
				return err
			}
		}
		return nil
	})
}

type zenginView struct {
	Items  []Transfer
	Total  int64
	In     ZenginInput
	Errors map[string]string
	Scope  string
	Query  map[string][]string
}

// zenginForm is 【全銀ファイル】 from the list: the selection and the 振込依頼人 form. Submitting
// it with download=1 writes the file.
func (p *Pages) zenginForm(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ts, _, err := p.selection(ctx, r)
	if err != nil {
		p.listError(w, r, err)
		return
	}
	f := r.PostForm
	in := ZenginInput{RequesterCode: f.Get("requester_code"), RequesterName: f.Get("requester_name"), Date: f.Get("date"),
		BankCode: f.Get("bank_code"), BranchCode: f.Get("branch_code"), AccountType: f.Get("account_type"), Account: f.Get("account_number"),
		CRLF: f.Get("newline") != "none"}
	if in.Date == "" {
		in.Date = clock.BusinessDayOnOrAfter(clock.Today(p.svc.clock)).Format("2006-01-02")
	}
	if in.AccountType == "" {
		in.AccountType = "1"
	}
	v := zenginView{Items: ts, In: in, Scope: f.Get("scope"), Query: map[string][]string{}}
	for _, t := range ts {
		v.Total += t.Amount
	}
	for k, vs := range f {
		if k != "csrf_token" && k != "download" && !strings.HasPrefix(k, "requester_") && k != "date" && k != "bank_code" &&
			k != "branch_code" && k != "account_type" && k != "account_number" && k != "newline" {
			v.Query[k] = vs
		}
	}
	status := http.StatusOK
	if f.Get("download") == "1" {
		b, fe := p.svc.ZenginFile(in, ts)
		if fe == nil {
			if err := p.svc.markExported(ctx, ts); err != nil {
				p.render.Error(w, r, err)
				return
			}
			name := "sogo-furikomi-" + strings.ReplaceAll(in.Date, "-", "") + ".txt"
			w.Header().Set("Content-Type", "text/plain; charset=Shift_JIS")
			w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
			_, _ = w.Write(b)
			return
		}
		v.Errors, status = fe, http.StatusUnprocessableEntity
	}
	p.render.Render(w, r, status, "payout/zengin.html", web.View{Title: "全銀ファイル（総合振込）", Nav: "accounting", Data: v})
}
