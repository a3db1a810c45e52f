package aozorasim

import (
	"time"

	"kessai/internal/provider/aozora"
)

// applyStatusOf maps a transfer status to the application's applyStatus (振込申請ステータス).
func applyStatusOf(t *transfer) string {
	switch t.Status {
	case aozora.StatusApplying:
		return "1" // 申請中
	case aozora.StatusSentBack:
		return "2" // 差戻
	case aozora.StatusWithdrawn:
		return "3" // 取下げ
	case aozora.StatusExpired:
		return "4" // 期限切れ
	case aozora.StatusCancelled:
		if t.ApprovedAt.IsZero() {
			return "3"
		}
		return "6" // 承認取消
	}
	return "5" // 承認済
}

func appliesOf(t *transfer) []aozora.TransferApply {
	d := aozora.TransferApplyDetail{ApplyDatetime: aozora.DateTime{Time: t.CreatedAt}, ApplyStatus: applyStatusOf(t),
		ApplyUser: "APIユーザー", ApplyComment: t.ApplyComment}
	if !t.ApprovedAt.IsZero() {
		d.ApprovalUser = "サンドボックス承認者"
	}
	return []aozora.TransferApply{{ApplyNo: t.ApplyNo, TransferApplyDetails: []aozora.TransferApplyDetail{d}}}
}

func acceptsOf(t *transfer) []aozora.TransferAccept {
	if t.AcceptNo == "" {
		return []aozora.TransferAccept{}
	}
	return []aozora.TransferAccept{{AcceptNo: t.AcceptNo, AcceptDatetime: aozora.DateTime{Time: t.ApprovedAt}}}
}

// itemResult gives an item's detail responses and unable infos; the bank sets the latter only
// once processing has started.
func itemResult(t *transfer, it item) ([]aozora.TransferDetailResponse, []aozora.UnableDetailInfo) {
	if t.FinishedAt.IsZero() {
		return []aozora.TransferDetailResponse{}, nil
	}
	if it.Unable {
		info := aozora.UnableDetailInfo{TransferDetailStatus: aozora.DetailUnable, UnableReason: it.UnableReason}
		if t.Bulk {
			info.IsRepayment, info.RepaymentDate = true, aozora.DateOf(t.FinishedAt)
		}
		return []aozora.TransferDetailResponse{}, []aozora.UnableDetailInfo{info}
	}
	return []aozora.TransferDetailResponse{{IsFeeFreeUsed: false, TransferFee: it.Fee}},
		[]aozora.UnableDetailInfo{{TransferDetailStatus: aozora.DetailCompleted}}
}

func detailOf(t *transfer) aozora.TransferDetail {
	fee := t.fee()
	d := aozora.TransferDetail{TransferStatus: t.Status, TransferStatusName: t.Status.Label(), TransferTypeName: "振込振替",
		TransferDetailFee: fee, TotalDebitAmount: t.TotalAmount + fee,
		TransferApplies: appliesOf(t), TransferAccepts: acceptsOf(t)}
	resp := aozora.TransferResponse{AccountID: t.AccountID, RemitterName: t.RemitterName, TransferDesignatedDate: t.ExecDate,
		TransferInfos: []aozora.TransferInfo{}}
	for _, it := range t.Items {
		dr, ud := itemResult(t, it)
		resp.TransferInfos = append(resp.TransferInfos, aozora.TransferInfo{TransferAmount: it.Amount, EDIInfo: it.EDI,
			BeneficiaryBankCode: it.BankCode, BeneficiaryBankName: it.BankName, BeneficiaryBranchCode: it.BranchCode,
			BeneficiaryBranchName: it.BranchName, AccountTypeCode: aozora.AccountType(it.AccountType), AccountNumber: it.AccountNumber,
			BeneficiaryName: it.Name, TransferDetailResponses: dr, UnableDetailInfos: ud})
	}
	d.TransferResponses = []aozora.TransferResponse{resp}
	return d
}

// bulkDetailOf builds a bulk detail; with sq.details it adds the items from sq.itemKey once
// they are ready (bulkDetailDelay after completion), and reports whether they were.
func bulkDetailOf(t *transfer, sq statusQuery, now time.Time) (aozora.BulkTransferDetail, bool) {
	fee := t.fee()
	d := aozora.BulkTransferDetail{TransferStatus: t.Status, TransferStatusName: t.Status.Label(), TransferTypeName: "総合振込",
		TotalFee: fee, TotalDebitAmount: t.TotalAmount + fee, TransferApplies: appliesOf(t), TransferAccepts: acceptsOf(t)}
	resp := aozora.BulkTransferResponse{AccountID: t.AccountID, RemitterName: t.RemitterName, TransferDesignatedDate: t.ExecDate,
		TransferDataName: t.DataName, TotalCount: len(t.Items), TotalAmount: t.TotalAmount}
	ready := !t.ApprovedAt.IsZero() && !now.Before(t.ApprovedAt.Add(bulkDetailDelay))
	if sq.details && ready {
		start := max(sq.itemKey, 1) - 1
		resp.BulkTransferInfos = []aozora.BulkTransferInfo{}
		for _, it := range t.Items[min(start, len(t.Items)):min(start+pageSize, len(t.Items))] {
			dr, ud := itemResult(t, it)
			resp.BulkTransferInfos = append(resp.BulkTransferInfos, aozora.BulkTransferInfo{ItemID: it.ItemID,
				BeneficiaryBankCode: it.BankCode, BeneficiaryBankName: it.BankName, BeneficiaryBranchCode: it.BranchCode,
				BeneficiaryBranchName: it.BranchName, AccountTypeCode: aozora.AccountType(it.AccountType), AccountNumber: it.AccountNumber,
				BeneficiaryName: it.Name, TransferAmount: it.Amount, EDIInfo: it.EDI, Identification: it.Identification,
				TransferDetailResponses: dr, UnableDetailInfos: ud})
		}
	}
	d.BulkTransferResponses = []aozora.BulkTransferResponse{resp}
	return d, ready
}
