package payout

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"kessai/internal/platform/audit"
	"kessai/internal/platform/bankaccount"
	"kessai/internal/platform/bulk"
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
	ids := bulk.Dedupe(r.PostForm["id"])
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
// Reexport is the explicit choice to write transfers already in an earlier file again (that file
// was lost or never uploaded); without it they are refused.
type ZenginInput struct {
	RequesterCode, RequesterName               string
	Date                                       string // YYYY-MM-DD, 振込指定日
	BankCode, BranchCode, AccountType, Account string
	CRLF                                       bool
	Reexport                                   bool
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
	var refused, exported []string
	items := make([]zenginfile.Item, 0, len(ts))
	for _, t := range ts {
		if !t.Allows(ActExecute) {
			refused = append(refused, t.CaseCode+"（"+t.StatusLabel+"）")
			continue
		}
		if t.FileExportedAt != nil && !in.Reexport {
			exported = append(exported, t.CaseCode+"（"+jst(*t.FileExportedAt)+" 出力）")
		}
		bn, brn := s.kanaNames(t.BankCode, t.BranchCode)
		items = append(items, zenginfile.Item{BankCode: t.BankCode, BankName: bn, BranchCode: t.BranchCode, BranchName: brn,
			AccountType: t.AccountType, AccountNumber: t.AccountNumber, Holder: t.HolderKana, Amount: t.Amount})
	}
	if len(refused) > 0 {
		f.Add("", "銀行に送信済み・送信中の振込はファイルにできません（二重払いになります）。選択から外してください: "+strings.Join(refused, "、"))
	}
	if len(exported) > 0 {
		f.Add("reexport", "全銀ファイルに出力済みの振込が含まれています: "+strings.Join(exported, "、")+
			"。前のファイルを銀行に取り込んでいない（これからも取り込まない）ことを確かめたうえで「出力済みの振込も再出力する」を選んでください（両方のファイルを取り込むと二重払いになります）")
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

// ErrFileExported marks the refusal to send a transfer by API while it is in a 全銀 file.
var ErrFileExported = errors.New("payout: transfer is in a 全銀 file")

// refuseExported is the error for sending (or changing) a transfer that went into a 全銀 file:
// that file may be paid at another bank, so the API would pay it twice.
func refuseExported(t Transfer, what string) error {
	at := ""
	if t.FileExportedAt != nil {
		at = jst(*t.FileExportedAt) + " 出力。"
	}
	return errs.Conflict(fmt.Sprintf("振込 %s は全銀ファイルに出力済みのため、%s（%s二重払いになります）。"+
		"そのファイルを銀行に取り込んでいない場合は、振込の【全銀ファイル出力を取り消す】を行ってからにしてください", t.CaseCode, what, at)).Wrap(ErrFileExported)
}

// ExportZengin builds the 全銀 総合振込 file of the transfers ids (in that order) and marks each
// exported, in one transaction that holds their rows: what is in the file is what is marked, and
// an execution claiming one of them meanwhile either waits and is refused, or wins and the
// export fails with nothing marked. A transfer whose earlier API request may still be at the
// bank (not proven absent, see absence.go) is refused like one the bank holds.
func (s *Service) ExportZengin(ctx context.Context, in ZenginInput, ids []string) ([]byte, error) {
	ids = bulk.Dedupe(ids)
	var file []byte
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		ts, err := s.lockTransfers(ctx, tx, ids)
		if err != nil {
			return err
		}
		var unproven []string
		for _, t := range ts {
			if a, until, open := s.unproven(ctx, tx, t); open {
				unproven = append(unproven, refuseUnproven(t, a, until, "全銀ファイルへの出力は").Error())
			}
		}
		b, f := s.ZenginFile(in, ts)
		if len(unproven) > 0 {
			if f == nil {
				f = errs.Fields{}
			}
			f[""] = strings.TrimPrefix(f[""]+" ／ "+strings.Join(unproven, " ／ "), " ／ ")
		}
		if err := f.Err(); err != nil {
			return err
		}
		if err := s.markExported(ctx, tx, ts, in.Reexport); err != nil {
			return err
		}
		file = b
		return nil
	})
	return file, err
}

// lockTransfers reads the transfers ids in tx, in the order given, locking their rows on
// PostgreSQL (in id order, so two exports never deadlock). An unknown id is an error.
func (s *Service) lockTransfers(ctx context.Context, tx *db.Tx, ids []string) ([]Transfer, error) {
	sorted := append([]string(nil), ids...)
	slices.Sort(sorted)
	lock := ""
	if tx.Dialect() == db.Postgres {
		lock = " FOR UPDATE OF t"
	}
	byID := make(map[string]Transfer, len(ids))
	for start := 0; start < len(sorted); start += readChunk {
		chunk := sorted[start:min(start+readChunk, len(sorted))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := tx.QueryContext(ctx, selectTransfer+` WHERE t.id IN (`+db.Placeholders(len(chunk))+`) ORDER BY t.id`+lock, args...)
		if err != nil {
			return nil, fmt.Errorf("lock transfers: %w", err)
		}
		for rows.Next() {
			t, err := scanTransfer(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("lock transfers: %w", err)
			}
			byID[t.ID] = t
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("lock transfers: %w", err)
		}
	}
	out := make([]Transfer, 0, len(ids))
	for _, id := range ids {
		t, ok := byID[id]
		if !ok {
			return nil, errs.NotFound("振込 " + id + " が見つかりません")
		}
		out = append(out, t)
	}
	return out, nil
}

// markExported records in tx that ts went into a 全銀 file, with an audit entry each. Each
// UPDATE holds only while the transfer is still as read (same status, not 送信中, not in a file
// unless reexport): if any row changed, the whole export fails and nothing is marked.
func (s *Service) markExported(ctx context.Context, tx *db.Tx, ts []Transfer, reexport bool) error {
	now := s.now()
	for _, t := range ts {
		q := `UPDATE transfers SET file_exported_at = ? WHERE id = ? AND status = ? AND status <> ?`
		if !reexport {
			q += ` AND file_exported_at IS NULL`
		}
		res, err := tx.ExecContext(ctx, q, now, t.ID, t.Status, StatusSending)
		if err != nil {
			return fmt.Errorf("transfer %s: mark exported: %w", t.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.Conflict(fmt.Sprintf("振込 %s は別の操作で状態が変わったため、全銀ファイルを作成しませんでした（どの振込も出力済みにしていません）。画面を更新してください", t.CaseCode))
		}
		after := map[string]string{"amount": fmt.Sprint(t.Amount), "account": t.BankCode + "-" + t.BranchCode + " " + t.AccountNumber}
		note := "全銀 総合振込ファイルに出力"
		if t.FileExportedAt != nil {
			note = "全銀 総合振込ファイルに再出力（前回 " + jst(*t.FileExportedAt) + "）"
		}
		if err := s.audit.Record(ctx, tx, audit.Entry{Action: "transfer.zengin_file", RecordType: RecordType, RecordID: t.ID,
			After: after, Note: note}); err != nil {
			return err
		}
	}
	return nil
}

// ClearExport is 【全銀ファイル出力を取り消す】: the file the transfer went into was never
// uploaded to the bank, so the transfer may be executed through the API again. Audited.
func (s *Service) ClearExport(ctx context.Context, id string) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		t, err := s.getForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		if t.FileExportedAt == nil {
			return errs.Conflict(fmt.Sprintf("振込 %s は全銀ファイルに出力されていません", t.CaseCode))
		}
		res, err := tx.ExecContext(ctx, `UPDATE transfers SET file_exported_at = NULL WHERE id = ? AND file_exported_at IS NOT NULL`, id)
		if err != nil {
			return fmt.Errorf("transfer %s: clear export: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.Conflict("振込の状態が変わったため取り消せませんでした。画面を更新してください")
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "transfer.zengin_file_cleared", RecordType: RecordType, RecordID: id,
			Before: map[string]string{"file_exported_at": t.FileExportedAt.UTC().Format(time.RFC3339)},
			Note:   "全銀ファイル出力を取り消し（ファイルは銀行に取り込まれていない）。APIで振込実行できるようになりました"})
	})
}

type zenginView struct {
	Items    []Transfer
	Total    int64
	Exported int // how many of Items are in an earlier file (the 再出力 choice is shown)
	In       ZenginInput
	Errors   map[string]string
	Scope    string
	Query    map[string][]string
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
		CRLF: f.Get("newline") != "none", Reexport: f.Get("reexport") == "1"}
	if in.Date == "" {
		in.Date = clock.BusinessDayOnOrAfter(clock.Today(p.svc.clock)).Format("2006-01-02")
	}
	if in.AccountType == "" {
		in.AccountType = "1"
	}
	v := zenginView{Items: ts, In: in, Scope: f.Get("scope"), Query: map[string][]string{}}
	for _, t := range ts {
		v.Total += t.Amount
		if t.FileExportedAt != nil {
			v.Exported++
		}
	}
	for k, vs := range f {
		if k != "csrf_token" && k != "download" && !strings.HasPrefix(k, "requester_") && k != "date" && k != "bank_code" &&
			k != "branch_code" && k != "account_type" && k != "account_number" && k != "newline" && k != "reexport" {
			v.Query[k] = vs
		}
	}
	status := http.StatusOK
	if f.Get("download") == "1" {
		ids := make([]string, len(ts))
		for i, t := range ts {
			ids[i] = t.ID
		}
		b, err := p.svc.ExportZengin(ctx, in, ids)
		if err == nil {
			name := "sogo-furikomi-" + strings.ReplaceAll(in.Date, "-", "") + ".txt"
			w.Header().Set("Content-Type", "text/plain; charset=Shift_JIS")
			w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
			_, _ = w.Write(b)
			return
		}
		e := errs.As(err)
		switch {
		case e != nil && e.Kind == errs.KindInvalid:
			v.Errors = e.Fields
		case e != nil && e.Kind != errs.KindInternal:
			v.Errors = map[string]string{"": e.Message}
		default:
			p.render.Error(w, r, err)
			return
		}
		status = http.StatusUnprocessableEntity
	}
	p.render.Render(w, r, status, "payout/zengin.html", web.View{Title: "全銀ファイル（総合振込）", Nav: "accounting", Data: v})
}
