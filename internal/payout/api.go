package payout

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"kessai/internal/api"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/status"
	"kessai/internal/web"
)

// APIFieldSets lets the OpenAPI document list the status codes with their labels.
func (Transfer) APIFieldSets() map[string]*status.Set {
	return map[string]*status.Set{"status": Statuses}
}

// BulkRequestBody is the body of POST /api/v1/transfers/bulk-request.
type BulkRequestBody struct {
	CaseIDs []string `json:"case_ids" required:"true" doc:"買取ケースID（最大50,000件）"`
}

// ExecuteBody is the body of POST /api/v1/transfers/execute.
type ExecuteBody struct {
	TransferIDs []string `json:"transfer_ids" required:"true" doc:"振込ID"`
	Mode        string   `json:"mode,omitempty" doc:"bulk（既定: まとめて1回の総合振込・銀行の承認は1回）または single（1件ずつ）。実行できる振込が1件だけなら1件の振込で送ります"`
}

// ExecuteResponse answers an execution: one result per transfer.
type ExecuteResponse struct {
	Results []ExecResult `json:"results"`
}

// RegisterAPI routes and documents the payout operations on v1.
func RegisterAPI(v1 *api.API, svc *Service, exec *Executor) {
	h := apiHandlers{svc: svc, exec: exec}
	const tag = "振込"
	id := map[string]string{"id": "振込ID"}
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/cases/{id}/transfers", Perm: auth.PermOperate, ID: "registerTransfer", Tag: tag,
		Summary: "買取ケースの振込を登録（振込実行待ち）", PathParams: map[string]string{"id": "買取ケースID"},
		Description: "空の項目は顧客の振込先口座と買取金額から補います。振込先名義はひらがな・カタカナ可（全銀カナに変換）。",
		Request:     Input{}, Response: Transfer{}}, h.register)
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/transfers/bulk-request", Perm: auth.PermOperate, ID: "bulkRequestTransfers", Tag: tag,
		Summary:     "買取ケースの一括振込依頼",
		Description: "ケースごとに requested（登録）、errors（振込先口座の不備・金額0円など、理由つき）、skipped（登録済み）に分けて答えます。",
		Request:     BulkRequestBody{}, Response: BulkResult{}, Status: http.StatusOK},
		api.Do(func(r *http.Request, in BulkRequestBody) (BulkResult, error) {
			return svc.BulkRequest(r.Context(), in.CaseIDs)
		}, api.AsIs[BulkResult]))
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/transfers", Perm: auth.PermView, ID: "listTransfers", Tag: tag,
		Summary: "振込の一覧", Paged: true, Response: Transfer{},
		Query: []api.Param{api.StatusParam("status", Statuses), {Name: "case_id", Description: "買取ケースID"}}},
		api.List(50, 0, apiFilter, h.search, api.AsIs[Transfer]))
	v1.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/transfers/{id}", Perm: auth.PermView, ID: "getTransfer", Tag: tag,
		Summary: "振込を取得", PathParams: id, Response: Transfer{}}, api.Get(svc.Get, api.AsIs[Transfer]))
	v1.Handle(api.Operation{Method: http.MethodPatch, Path: "/api/v1/transfers/{id}", Perm: auth.PermOperate, ID: "updateTransfer", Tag: tag,
		Summary: "振込を修正（振込実行待ち・キャンセル・エラーのみ。送った項目だけ）", PathParams: id,
		Description: "キャンセル・エラーの振込を修正すると振込実行待ちに戻ります。",
		Request:     Input{}, Response: Transfer{}}, h.update)
	v1.Handle(api.Operation{Method: http.MethodDelete, Path: "/api/v1/transfers/{id}", Perm: auth.PermOperate, ID: "deleteTransfer", Tag: tag,
		Summary: "振込を削除（振込実行待ち・キャンセル・エラーのみ）", PathParams: id}, h.delete)
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/transfers/{id}/zengin/clear", Perm: auth.PermMoney, ID: "clearTransferZenginExport", Tag: tag,
		Summary: "全銀ファイル出力を取り消す（経理・管理者のみ）", PathParams: id,
		Description: "全銀ファイルに出力した振込は API では実行できません（execute の結果に理由が入ります）。そのファイルを銀行に取り込んでいない場合に出力済みを取り消すと、実行できるようになります。操作履歴に残ります。",
		Response:    Transfer{}, Status: http.StatusOK}, h.clearExport)
	v1.Handle(api.Operation{Method: http.MethodPost, Path: "/api/v1/transfers/execute", Perm: auth.PermMoney, ID: "executeTransfers", Tag: tag,
		Summary:     "振込を実行（銀行へ振込依頼を送信。経理・管理者のみ）",
		Description: "振込ごとに結果を返します。mode=bulk（既定）は選んだ振込を1回の総合振込として送り（承認1回、batch_id が同じ）、明細ごとの結果で各振込が振込完了・エラーになります。送信後は銀行の承認者の承認を待ち（承認待ち）、銀行の状態に従って振込完了・キャンセル・エラーになります。",
		Request:     ExecuteBody{}, Response: ExecuteResponse{}, Status: http.StatusOK}, api.Do(h.execute, api.AsIs[ExecuteResponse]))
}

type apiHandlers struct {
	svc  *Service
	exec *Executor
}

func (h apiHandlers) register(w http.ResponseWriter, r *http.Request) {
	var in Input
	if err := web.DecodeJSON(r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	t, err := h.svc.Register(r.Context(), r.PathValue("id"), in)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, t)
}

// apiFilter reads GET /api/v1/transfers' search (paging is api.List's).
func apiFilter(q url.Values) (Filter, error) {
	f := Filter{Status: q.Get("status")}
	if c := q.Get("case_id"); c != "" {
		f.CaseIDs = strings.Split(c, ",")
	}
	return f, nil
}

func (h apiHandlers) search(ctx context.Context, f Filter, page, perPage int) ([]Transfer, int, error) {
	f.Page, f.PerPage = page, perPage
	return h.svc.List(ctx, f)
}

func (h apiHandlers) update(w http.ResponseWriter, r *http.Request) {
	cur, err := h.svc.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	in := inputOf(cur) // fields the client leaves out keep their values
	if err := web.DecodeJSON(r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	t, err := h.svc.Update(r.Context(), cur.ID, in)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, t)
}

func (h apiHandlers) delete(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.Delete(r.Context(), r.PathValue("id")); err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h apiHandlers) execute(r *http.Request, in ExecuteBody) (ExecuteResponse, error) {
	res, err := h.exec.ExecuteAs(r.Context(), in.TransferIDs, in.Mode)
	return ExecuteResponse{Results: res}, err
}

// inputOf is a transfer's current values as an Input (the starting point of an edit).
func inputOf(t Transfer) Input {
	return Input{RemitterName: t.RemitterName, Memo: t.Memo, BankCode: t.BankCode, BranchCode: t.BranchCode,
		AccountType: t.AccountType, AccountNumber: t.AccountNumber, HolderName: t.HolderKana, Amount: Yen(t.Amount)}
}

func (h apiHandlers) clearExport(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.ClearExport(r.Context(), r.PathValue("id")); err != nil {
		web.WriteError(w, r, err)
		return
	}
	t, err := h.svc.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, t)
}
