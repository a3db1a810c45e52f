package payout

import (
	"strings"
	"testing"

	"kessai/internal/provider/aozora"
)

// TestFromBank pins the mapping of the bank's answers: only a known completion is 振込完了; a
// missing or unknown transferStatus keeps the transfer 承認待ち (asked again), never completed.
func TestFromBank(t *testing.T) {
	t.Parallel()
	tests := []struct {
		result     aozora.ResultCode
		st         aozora.TransferStatus
		want       string
		wantReason string
	}{
		{"2", "", StatusAwaitingApproval, ""},
		{"2", "2", StatusAwaitingApproval, ""},
		{"2", "3", StatusCancelled, "差戻"},
		{"8", "", StatusCancelled, "承認期限切れ"},
		{"8", "5", StatusCancelled, "承認期限切れ"},
		{"1", "20", StatusCompleted, ""},
		{"1", "26", StatusCompleted, ""},
		{"1", "", StatusAwaitingApproval, ""},   // no status detail: not known to be done
		{"1", "99", StatusAwaitingApproval, ""}, // a status code this version does not know
		{"1", "11", StatusAwaitingApproval, ""},
		{"1", "12", StatusAwaitingApproval, ""},
		{"1", "13", StatusAwaitingApproval, ""},
		{"1", "24", StatusAwaitingApproval, ""},
		{"1", "4", StatusCancelled, "取下げ"},
		{"1", "8", StatusCancelled, "取消"},
		{"1", "40", StatusFailed, "手続不成立"},
		{"1", "22", StatusFailed, "資金返却"},
		{"1", "25", StatusFailed, "組戻済"},
		{"", "20", StatusAwaitingApproval, ""}, // no resultCode: nothing is concluded
		{"7", "20", StatusAwaitingApproval, ""},
	}
	for _, tc := range tests {
		t.Run(string(tc.result)+"/"+string(tc.st), func(t *testing.T) {
			got, reason := fromBank(tc.result, tc.st, "")
			if got != tc.want || !strings.Contains(reason, tc.wantReason) {
				t.Fatalf("fromBank(%q, %q) = %s (%s), want %s containing %q", tc.result, tc.st, got, reason, tc.want, tc.wantReason)
			}
		})
	}
}
