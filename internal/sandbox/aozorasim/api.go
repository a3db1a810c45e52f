package aozorasim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"kessai/internal/provider/aozora"
)

// sandboxAccounts are the corporation's accounts. The first is the one kessai pays from.
var sandboxAccounts = []aozora.Account{
	{AccountID: "101011234567", BranchCode: "101", BranchName: "法人営業部", AccountTypeCode: aozora.SubjectOrdinaryInterest,
		AccountTypeName: "普通預金（有利息）", AccountNumber: "1234567", PrimaryAccountCode: "1", PrimaryAccountCodeName: "代表口座",
		AccountName: "カ）ケッサイサンドボックス", AccountNameKana: "ｶ)ｹﾂｻｲｻﾝﾄﾞﾎﾞﾂｸｽ", CurrencyCode: "JPY", CurrencyName: "日本円",
		TransferLimitAmount: 10_000_000},
	{AccountID: "101021234568", BranchCode: "101", BranchName: "法人営業部", AccountTypeCode: aozora.SubjectOrdinarySettle,
		AccountTypeName: "普通預金（決済用）", AccountNumber: "1234568", PrimaryAccountCode: "2", PrimaryAccountCodeName: "追加口座",
		AccountName: "カ）ケッサイサンドボックス", AccountNameKana: "ｶ)ｹﾂｻｲｻﾝﾄﾞﾎﾞﾂｸｽ", CurrencyCode: "JPY", CurrencyName: "日本円",
		TransferLimitAmount: 1_000_000},
}

func accountByID(id string) (aozora.Account, bool) {
	for _, a := range sandboxAccounts {
		if a.AccountID == id {
			return a, true
		}
	}
	return aozora.Account{}, false
}

// api wraps a corporation endpoint: maintenance, then the token and its scope.
func (s *Sim) api(scope string, h func(w http.ResponseWriter, r *http.Request, clientID string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.maintenance(w) {
			return
		}
		clientID := s.authorize(w, r, scope)
		if clientID == "" {
			return
		}
		h(w, r, clientID)
	}
}

func (s *Sim) handleAccounts(w http.ResponseWriter, r *http.Request, _ string) {
	now := s.now()
	writeJSON(w, http.StatusOK, aozora.AccountsResponse{BaseDate: aozora.DateOf(now), BaseTime: aozora.FormatBaseTime(now), Accounts: sandboxAccounts})
}

// readBody reads a JSON body; it writes the error answer and returns nil when it cannot.
func readBody(w http.ResponseWriter, r *http.Request, v any) []byte {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, apiError{Code: codeMediaType, Message: "Content-Type は application/json;charset=UTF-8 を指定してください。"})
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, apiError{Code: codeInvalid, Message: "リクエストの形式が正しくありません。",
			Details: []aozora.ErrorDetail{{Code: detailFormat, Message: "JSONとして読めないか、文字列で送るべき項目が文字列ではありません。"}}})
		return nil
	}
	return b
}

// handleRequest is /transfer/request and /bulktransfer/request.
func (s *Sim) handleRequest(bulk bool) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, clientID string) {
		var raw rawRequest
		body := readBody(w, r, &raw)
		if body == nil {
			return
		}
		key := r.Header.Get("Idempotency-Key")
		if utf8.RuneCountInString(key) > 128 {
			writeError(w, http.StatusBadRequest, apiError{Code: codeInvalid, Message: "Idempotency-Key は128文字以内で指定してください。"})
			return
		}
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])
		idemKey := clientID + " " + r.URL.Path + " " + key

		s.mu.Lock()
		defer s.mu.Unlock()
		s.settleLocked()
		now := s.now()
		if key != "" {
			if rec := s.st.Idem[idemKey]; rec != nil && now.Sub(rec.At) < idemTTL {
				if rec.BodyHash != hash {
					writeError(w, http.StatusBadRequest, apiError{Code: codeIdemReuse, Message: "同じIdempotency-Keyで異なる内容の依頼はできません。"})
					return
				}
				w.Header().Set("Idempotent-Replayed", "true")
				w.Header().Set("Content-Type", "application/json;charset=UTF-8")
				w.WriteHeader(rec.Status)
				_, _ = w.Write(rec.Body)
				return
			}
		}
		status, answer := s.createLocked(raw, bulk, clientID, now)
		b, _ := json.Marshal(answer)
		if key != "" {
			s.st.Idem[idemKey] = &idemRecord{BodyHash: hash, Status: status, Body: b, At: now}
		}
		s.saveLocked()
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.WriteHeader(status)
		_, _ = w.Write(b)
	}
}

// createLocked records a valid request as 申請中 and mails the approver.
func (s *Sim) createLocked(raw rawRequest, bulk bool, clientID string, now time.Time) (int, any) {
	t, e := s.parseRequest(raw, bulk, now)
	if e != nil {
		return http.StatusBadRequest, e
	}
	t.ApplyNo = s.nextNumberLocked()
	t.ClientID = clientID
	t.Status, t.Result = aozora.StatusApplying, aozora.ResultIncomplete
	t.Deadline = now.Add(s.opts.ApprovalWindow)
	t.MailToken = randomToken(16)
	s.st.Transfers = append(s.st.Transfers, t)
	s.mailApprovalLocked(t, now)
	return http.StatusCreated, aozora.TransferRequestResponse{AccountID: t.AccountID, ResultCode: t.Result, ApplyNo: t.ApplyNo}
}

// handleFee is /transfer/transferfee and /bulktransfer/transferfee: the same checks, nothing
// recorded.
func (s *Sim) handleFee(bulk bool) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, _ string) {
		var raw rawRequest
		if readBody(w, r, &raw) == nil {
			return
		}
		now := s.now()
		t, e := s.parseRequest(raw, bulk, now)
		if e != nil {
			writeError(w, http.StatusBadRequest, *e)
			return
		}
		out := aozora.TransferFeeResponse{AccountID: t.AccountID, BaseDate: aozora.DateOf(now), BaseTime: aozora.FormatBaseTime(now),
			TotalFee: t.fee(), TransferFeeDetails: []aozora.TransferFeeDetail{}}
		for _, it := range t.Items {
			out.TransferFeeDetails = append(out.TransferFeeDetails, aozora.TransferFeeDetail{ItemID: it.ItemID, TransferFee: it.Fee})
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// findLocked returns the transfer of the given kind, or nil.
func (s *Sim) findLocked(applyNo, accountID string, bulk bool) *transfer {
	for _, t := range s.st.Transfers {
		if t.ApplyNo == applyNo && t.AccountID == accountID && t.Bulk == bulk {
			return t
		}
	}
	return nil
}

// handleResult is /transfer/request-result and /bulktransfer/request-result.
func (s *Sim) handleResult(bulk bool) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, _ string) {
		q := r.URL.Query()
		var p problems
		checkAccountID(&p, q.Get("accountId"))
		checkApplyNo(&p, q.Get("applyNo"), true)
		if !p.empty() {
			writeError(w, http.StatusBadRequest, p.err(codeInvalid, "入力内容に誤りがあります。"))
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.settleLocked()
		t := s.findLocked(q.Get("applyNo"), q.Get("accountId"), bulk)
		if t == nil {
			writeError(w, http.StatusNotFound, apiError{Code: codeNoApply, Message: "該当する受付番号がありません。"})
			return
		}
		writeJSON(w, http.StatusOK, resultOf(t))
	}
}

func resultOf(t *transfer) aozora.RequestResultResponse {
	out := aozora.RequestResultResponse{AccountID: t.AccountID, ResultCode: t.Result, ApplyNo: t.ApplyNo}
	if t.Result == aozora.ResultCompleted {
		out.ApplyEndDatetime = aozora.DateTime{Time: t.ResultAt}
	}
	return out
}

func checkAccountID(p *problems, v string) {
	switch n := utf8.RuneCountInString(v); {
	case v == "":
		p.add(detailRequired, "accountId: 必須項目です。")
	case n < 12 || n > 29:
		p.add(detailFormat, "accountId: 12〜29文字で指定してください。")
	}
}

func checkApplyNo(p *problems, v string, required bool) {
	switch {
	case v == "" && required:
		p.add(detailRequired, "applyNo: 必須項目です。")
	case v != "" && !isDigits(v, 16):
		p.add(detailFormat, "applyNo: 16桁の半角数字で指定してください。")
	}
}

// handleCancel is /transfer/cancel and /bulktransfer/cancel. Without ビジネスID管理 the sandbox
// completes a cancel at once (resultCode 1): 申請中 or 予約中 become 承認取消/予約取消 (8), or
// 取下げ (4) for the applicant's withdrawal (class 1 or 3) of a 申請中 request.
func (s *Sim) handleCancel(bulk bool) func(http.ResponseWriter, *http.Request, string) {
	return func(w http.ResponseWriter, r *http.Request, _ string) {
		var req struct {
			AccountID string `json:"accountId"`
			Class     string `json:"cancelTargetKeyClass"`
			ApplyNo   string `json:"applyNo"`
		}
		if readBody(w, r, &req) == nil {
			return
		}
		var p problems
		checkAccountID(&p, req.AccountID)
		checkApplyNo(&p, req.ApplyNo, true)
		if req.Class == "" {
			p.add(detailRequired, "cancelTargetKeyClass: 必須項目です。")
		} else if !slices.Contains([]string{"1", "2", "3", "4"}, req.Class) {
			p.add(detailRange, "cancelTargetKeyClass: 1〜4で指定してください。")
		}
		if !p.empty() {
			writeError(w, http.StatusBadRequest, p.err(codeInvalid, "入力内容に誤りがあります。"))
			return
		}
		class := aozora.CancelTarget(req.Class)
		withdraw, accept := aozora.CancelApplication, aozora.CancelAccepted
		if bulk {
			withdraw, accept = aozora.CancelBulkApplication, aozora.CancelBulkAccepted
		}
		if class != withdraw && class != accept {
			writeError(w, http.StatusBadRequest, apiError{Code: codeState, Message: "取消対象キー区分が取消対象の取引と一致しません。"})
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.settleLocked()
		t := s.findLocked(req.ApplyNo, req.AccountID, bulk)
		if t == nil {
			writeError(w, http.StatusNotFound, apiError{Code: codeNoApply, Message: "該当する受付番号がありません。"})
			return
		}
		now := s.now()
		switch {
		case t.CancelClass != "":
			writeError(w, http.StatusBadRequest, apiError{Code: codeState, Message: "この受付番号には取消依頼済みです。"})
			return
		case t.Status == aozora.StatusApplying && class == withdraw:
			t.Status = aozora.StatusWithdrawn
		case t.Status == aozora.StatusApplying || t.Status == aozora.StatusReserved:
			t.Status = aozora.StatusCancelled
		default:
			writeError(w, http.StatusBadRequest, apiError{Code: codeState, Message: "現在の状態（" + t.Status.Label() + "）では取消できません。"})
			return
		}
		t.CancelClass = class
		t.Result, t.ResultAt = aozora.ResultCompleted, now
		s.saveLocked()
		writeJSON(w, http.StatusCreated, aozora.CancelResponse{AccountID: t.AccountID, CancelTargetKeyClass: class,
			ResultCode: aozora.ResultCompleted, ApplyNo: t.ApplyNo, ApplyEndDatetime: aozora.DateTime{Time: now}})
	}
}

// statusQuery is a parsed and checked status query.
type statusQuery struct {
	accountID, applyNo string
	byApplyNo          bool
	from, to           aozora.Date
	next               int
	statuses           []aozora.TransferStatus
	term               string
	details            bool
	itemKey            int
}

// parseStatusQuery applies the spec's rules: parameters of the other key class are a 400.
func parseStatusQuery(q map[string][]string, bulk bool) (statusQuery, *apiError) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	var p problems
	sq := statusQuery{accountID: get("accountId"), applyNo: get("applyNo"), term: get("requestTransferTerm")}
	checkAccountID(&p, sq.accountID)
	for _, v := range q["requestTransferStatus"] {
		for _, c := range strings.Split(v, ",") {
			st := aozora.TransferStatus(c)
			ok := st.Label() != "" && (bulk || st != aozora.StatusPartlyUnable)
			if bulk && slices.Contains([]aozora.TransferStatus{aozora.StatusFundsReturned, aozora.StatusRecallRunning, aozora.StatusRecalled, aozora.StatusRecallFailed}, st) {
				ok = false
			}
			if !ok {
				p.add(detailRange, "requestTransferStatus: 照会できないステータスです。")
			}
			sq.statuses = append(sq.statuses, st)
		}
	}
	periodParams := []string{"dateFrom", "dateTo", "nextItemKey", "requestTransferStatus", "requestTransferClass", "requestTransferTerm"}
	details := get("detailInfoNecessity")
	switch details {
	case "", "false", "False":
	case "true", "True":
		sq.details = true
	default:
		p.add(detailFormat, "detailInfoNecessity: true または false を指定してください。")
	}
	if !bulk && (details != "" || get("bulktransferItemKey") != "") {
		p.add(detailRange, "detailInfoNecessity/bulktransferItemKey: 総合振込状況照会でのみ指定できます。")
	}
	if k := get("bulktransferItemKey"); k != "" {
		n, err := strconv.Atoi(k)
		if !sq.details || !isDigits(k, 0) || len(k) > 6 || err != nil || n < 1 {
			p.add(detailRange, "bulktransferItemKey: 明細情報取得フラグがtrueのとき1以上の数字で指定してください。")
		}
		sq.itemKey = n
	}
	switch get("queryKeyClass") {
	case "1":
		sq.byApplyNo = true
		checkApplyNo(&p, sq.applyNo, true)
		for _, k := range periodParams {
			if get(k) != "" {
				p.add(detailRange, k+": 照会対象キー区分が1のときは指定できません。")
			}
		}
	case "2":
		if sq.applyNo != "" {
			p.add(detailRange, "applyNo: 照会対象キー区分が2のときは指定できません。")
		}
		if sq.details {
			p.add(detailRange, "detailInfoNecessity: 照会対象キー区分が2のときは指定できません。")
		}
		if get("requestTransferClass") != "" {
			p.add(detailRange, "requestTransferClass: ビジネスID管理を利用していないため指定できません。")
		}
		for _, f := range []struct {
			k string
			d *aozora.Date
		}{{"dateFrom", &sq.from}, {"dateTo", &sq.to}} {
			if v := get(f.k); v != "" {
				d, err := aozora.ParseDate(v)
				if err != nil || d.String() != v {
					p.add(detailFormat, f.k+": YYYY-MM-DD形式で指定してください。")
				}
				*f.d = d
			}
		}
		if !sq.from.IsZero() && !sq.to.IsZero() && sq.to.Before(sq.from) {
			p.add(detailRange, "dateFrom/dateTo: 対象期間From≦対象期間Toで指定してください。")
		}
		if k := get("nextItemKey"); k != "" {
			n, err := strconv.Atoi(k)
			if !isDigits(k, 0) || len(k) > 24 || err != nil {
				p.add(detailFormat, "nextItemKey: 半角数字で指定してください。")
			}
			sq.next = n
		}
		switch sq.term {
		case "", "1", "2":
		default:
			p.add(detailRange, "requestTransferTerm: 1または2を指定してください。")
		}
	case "":
		p.add(detailRequired, "queryKeyClass: 必須項目です。")
	default:
		p.add(detailRange, "queryKeyClass: 1または2を指定してください。")
	}
	if !p.empty() {
		e := p.err(codeInvalid, "入力内容に誤りがあります。")
		return sq, &e
	}
	return sq, nil
}

// pageSize is the bank's page size for status queries.
const pageSize = 500

// selectLocked returns the transfers a query asks for, in the bank's order, and the page.
func (s *Sim) selectLocked(sq statusQuery, bulk bool, now time.Time) (page []*transfer, hasNext bool, next int) {
	var all []*transfer
	today := aozora.DateOf(now)
	from, to := sq.from, sq.to
	if from.IsZero() && to.IsZero() {
		from, to = today, today
	} else if to.IsZero() {
		to = today
	}
	for _, t := range s.st.Transfers {
		if t.Bulk != bulk || t.AccountID != sq.accountID {
			continue
		}
		if sq.byApplyNo {
			if t.ApplyNo == sq.applyNo {
				all = append(all, t)
			}
			continue
		}
		d := aozora.DateOf(t.CreatedAt)
		if sq.term == "2" {
			d = t.ExecDate
		}
		if (!from.IsZero() && d.Before(from)) || to.Before(d) {
			continue
		}
		if len(sq.statuses) > 0 && !slices.Contains(sq.statuses, t.Status) {
			continue
		}
		all = append(all, t)
	}
	slices.SortStableFunc(all, func(a, b *transfer) int {
		da, db := aozora.DateOf(a.CreatedAt), aozora.DateOf(b.CreatedAt)
		if sq.term == "2" {
			da, db = a.ExecDate, b.ExecDate
		}
		if c := da.Time().Compare(db.Time()); c != 0 {
			return c
		}
		return strings.Compare(a.ApplyNo, b.ApplyNo)
	})
	start := min(sq.next, len(all))
	end := min(start+pageSize, len(all))
	return all[start:end], end < len(all), end
}

func echoQuery(sq statusQuery, hasNext bool, next int) []aozora.TransferQueryBulkResponse {
	if sq.byApplyNo {
		return nil
	}
	e := aozora.TransferQueryBulkResponse{DateFrom: sq.from, DateTo: sq.to, RequestTransferTerm: sq.term, HasNext: hasNext}
	if sq.next > 0 {
		e.RequestNextItemKey = strconv.Itoa(sq.next)
	}
	for _, st := range sq.statuses {
		e.RequestTransferStatuses = append(e.RequestTransferStatuses, aozora.RequestTransferStatus{RequestTransferStatus: st})
	}
	if hasNext {
		e.NextItemKey = strconv.Itoa(next)
	}
	return []aozora.TransferQueryBulkResponse{e}
}

func (s *Sim) handleStatus(w http.ResponseWriter, r *http.Request, _ string) {
	sq, e := parseStatusQuery(r.URL.Query(), false)
	if e != nil {
		writeError(w, http.StatusBadRequest, *e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked()
	now := s.now()
	page, hasNext, next := s.selectLocked(sq, false, now)
	out := aozora.TransferStatusResponse{AcceptanceKeyClass: aozora.QueryKeyClass(r.URL.Query().Get("queryKeyClass")),
		BaseDate: aozora.DateOf(now), BaseTime: aozora.FormatBaseTime(now), Count: len(page),
		TransferQueryBulkResponses: echoQuery(sq, hasNext, next), TransferDetails: []aozora.TransferDetail{}}
	for _, t := range page {
		out.TransferDetails = append(out.TransferDetails, detailOf(t))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Sim) handleBulkStatus(w http.ResponseWriter, r *http.Request, _ string) {
	sq, e := parseStatusQuery(r.URL.Query(), true)
	if e != nil {
		writeError(w, http.StatusBadRequest, *e)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked()
	now := s.now()
	page, hasNext, next := s.selectLocked(sq, true, now)
	out := aozora.BulkTransferStatusResponse{AcceptanceKeyClass: aozora.QueryKeyClass(r.URL.Query().Get("queryKeyClass")),
		BaseDate: aozora.DateOf(now), BaseTime: aozora.FormatBaseTime(now), Count: len(page),
		TransferQueryBulkResponses: echoQuery(sq, hasNext, next), BulkTransferDetails: []aozora.BulkTransferDetail{}}
	if sq.details {
		yes := true
		out.DetailInfoNecessity = &yes
		out.BulkTransferItemKey = sq.itemKey
	}
	for _, t := range page {
		d, ready := bulkDetailOf(t, sq, now)
		if sq.details {
			out.DetailInfoResult = &ready
			if ready {
				out.Count = len(d.BulkTransferResponses[0].BulkTransferInfos)
			}
		}
		out.BulkTransferDetails = append(out.BulkTransferDetails, d)
	}
	writeJSON(w, http.StatusOK, out)
}

// notFound answers unknown API paths and methods as the bank does.
func notFound(w http.ResponseWriter, _ *http.Request) {
	writeError(w, http.StatusMethodNotAllowed, apiError{Code: codeNotFound, Message: "指定されたAPIは存在しません。"})
}
