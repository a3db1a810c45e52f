package commerce

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"kessai/internal/platform/errs"
)

// TestDepositAndApprovalStatusAliases: deposit_status and approval_status select like
// payment_status and authorization_status, also by the numbers mall tools use; a bad value
// names the alias.
func TestDepositAndApprovalStatusAliases(t *testing.T) {
	tests := []struct {
		query          string
		payment, auth  []string
		wantErrOnField string
	}{
		{query: "deposit_status=0&approval_status=10", payment: []string{"unpaid"}, auth: []string{"pending"}},
		{query: "deposit_status=2&approval_status=30", payment: []string{"paid"}, auth: []string{"authorized"}},
		{query: "deposit_status=paid,1", payment: []string{"paid", "partially_paid"}},
		{query: "payment_status=paid&deposit_status=2", payment: []string{"paid"}},
		{query: "approval_status=authorized", auth: []string{"authorized"}},
		{query: "deposit_status=9", wantErrOnField: "deposit_status"},
		{query: "approval_status=20", wantErrOnField: "approval_status"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			v, _ := url.ParseQuery(tt.query)
			f, err := OrderFilterFromQuery(v)
			if tt.wantErrOnField != "" {
				if err == nil || !strings.Contains(err.Error()+fieldsOf(err), tt.wantErrOnField) {
					t.Fatalf("err %v, want one on %s", err, tt.wantErrOnField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(f.PaymentStatuses, tt.payment) || !slices.Equal(f.AuthorizationStatuses, tt.auth) {
				t.Fatalf("payment %v auth %v, want %v %v", f.PaymentStatuses, f.AuthorizationStatuses, tt.payment, tt.auth)
			}
		})
	}
}

func fieldsOf(err error) string {
	var b strings.Builder
	if e := errs.As(err); e != nil {
		for k, v := range e.Fields {
			b.WriteString(" " + k + "=" + v)
		}
	}
	return b.String()
}
