package aozorasim

import (
	"errors"
	"fmt"
	"kessai/internal/platform/clock"
	"net/url"
	"strings"
	"time"

	"kessai/internal/provider/aozora"
)

// ApproverAddress is where the sandbox "mails" approval requests.
const ApproverAddress = "approver@sandbox.kessai.invalid"

// Mail is a message the sandbox bank sent; the mailbox page and the JSON API list them.
type Mail struct {
	ID      int       `json:"id"`
	Kind    string    `json:"kind"` // "approval" or "notice"
	To      string    `json:"to"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	SentAt  time.Time `json:"sent_at"`
	ApplyNo string    `json:"apply_no"`
	Token   string    `json:"token,omitempty"` // the mail token, for approval mails
	Link    string    `json:"link,omitempty"`  // the approval page, below the mount prefix
	Waiting bool      `json:"waiting"`         // an approval mail whose request still waits
}

// Errors of the approval step.
var (
	ErrUnknownToken  = errors.New("aozorasim: unknown mail token")
	ErrWrongPassword = errors.New("aozorasim: wrong transaction password")
	ErrNotWaiting    = errors.New("aozorasim: the request no longer waits for approval")
	ErrUnknownApply  = errors.New("aozorasim: unknown applyNo")
)

func (s *Sim) approveLink(token string) string {
	return s.opts.Prefix + "/approve?token=" + url.QueryEscape(token)
}

func (s *Sim) addMailLocked(m *Mail) {
	m.ID = len(s.st.Mails) + 1
	m.To = ApproverAddress
	s.st.Mails = append(s.st.Mails, m)
}

func describe(t *transfer) string {
	var b strings.Builder
	kind := "振込"
	if t.Bulk {
		kind = "総合振込"
	}
	fmt.Fprintf(&b, "受付番号: %s\n種類: %s\n振込指定日: %s\n件数: %d件\n合計金額: %s円\n", t.ApplyNo, kind, t.ExecDate, len(t.Items), yen(t.TotalAmount))
	for i, it := range t.Items {
		if i == 5 {
			fmt.Fprintf(&b, "  …ほか%d件\n", len(t.Items)-5)
			break
		}
		fmt.Fprintf(&b, "  %d. %s-%s %s %s %s %s円\n", it.ItemID, it.BankCode, it.BranchCode, aozora.AccountType(it.AccountType).Label(), it.AccountNumber, it.Name, yen(it.Amount))
	}
	return b.String()
}

func (s *Sim) mailApprovalLocked(t *transfer, now time.Time) {
	link := s.approveLink(t.MailToken)
	s.addMailLocked(&Mail{Kind: "approval", SentAt: now, ApplyNo: t.ApplyNo, Token: t.MailToken, Link: link,
		Subject: "【GMOあおぞらネット銀行】振込の承認依頼（受付番号 " + t.ApplyNo + "）",
		Body: "振込の承認依頼が届きました。\n\n" + describe(t) +
			"\n下記のページでワンタイムトークンと取引パスワードを入力して承認してください。\n" + link +
			"\nワンタイムトークン: " + t.MailToken + "\n承認期限: " + t.Deadline.In(clock.JST).Format("2006-01-02 15:04") + "\n"})
}

func (s *Sim) mailUnableLocked(t *transfer, now time.Time) {
	var reasons []string
	for _, it := range t.Items {
		if it.Unable {
			reasons = append(reasons, fmt.Sprintf("  明細%d: %s %s円 — %s", it.ItemID, it.Name, yen(it.Amount), it.UnableReason))
		}
	}
	s.addMailLocked(&Mail{Kind: "notice", SentAt: now, ApplyNo: t.ApplyNo,
		Subject: "【GMOあおぞらネット銀行】振込不能のお知らせ（受付番号 " + t.ApplyNo + "）",
		Body:    "次の振込は手続不成立となりました。\n\n" + describe(t) + "\n" + strings.Join(reasons, "\n") + "\n"})
}

// Mails returns every mail, newest first.
func (s *Sim) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked()
	return s.mailsLocked()
}

func (s *Sim) mailsLocked() []Mail {
	out := make([]Mail, 0, len(s.st.Mails))
	for i := len(s.st.Mails) - 1; i >= 0; i-- {
		m := *s.st.Mails[i]
		if m.Kind == "approval" {
			t := s.byTokenLocked(m.Token)
			m.Waiting = t != nil && t.Status == aozora.StatusApplying
		}
		out = append(out, m)
	}
	return out
}

func (s *Sim) byTokenLocked(token string) *transfer {
	if token == "" {
		return nil
	}
	for _, t := range s.st.Transfers {
		if t.MailToken == token {
			return t
		}
	}
	return nil
}

// Approve is the approver entering the mail token and the transaction password ("sandbox").
// The request then answers resultCode 1, and the transfer runs on its designated date.
func (s *Sim) Approve(token, password string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked()
	t := s.byTokenLocked(token)
	switch {
	case t == nil:
		return ErrUnknownToken
	case password != TransactionPassword:
		return ErrWrongPassword
	case t.Status != aozora.StatusApplying:
		return fmt.Errorf("%w (%s)", ErrNotWaiting, t.Status.Label())
	}
	s.approveLocked(t, s.now())
	s.saveLocked()
	return nil
}

// Reject is the approver sending the request back (差戻, status 3); resultCode stays 2.
func (s *Sim) Reject(token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked()
	t := s.byTokenLocked(token)
	switch {
	case t == nil:
		return ErrUnknownToken
	case t.Status != aozora.StatusApplying:
		return fmt.Errorf("%w (%s)", ErrNotWaiting, t.Status.Label())
	}
	t.Status = aozora.StatusSentBack
	s.saveLocked()
	return nil
}

// Expire lets a waiting request run out now, as if the approval window had passed.
func (s *Sim) Expire(applyNo string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked()
	for _, t := range s.st.Transfers {
		if t.ApplyNo != applyNo {
			continue
		}
		if t.Status != aozora.StatusApplying {
			return fmt.Errorf("%w (%s)", ErrNotWaiting, t.Status.Label())
		}
		t.Status, t.Result, t.ResultAt = aozora.StatusExpired, aozora.ResultExpired, time.Time{}
		s.saveLocked()
		return nil
	}
	return ErrUnknownApply
}

// ReturnFunds plays what can still happen to a single transfer after 手続済 (20): the
// beneficiary's bank sends the money back (資金返却, 22) or a recall succeeds (組戻済, 25).
func (s *Sim) ReturnFunds(applyNo string, recalled bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked()
	for _, t := range s.st.Transfers {
		if t.ApplyNo != applyNo || t.Bulk {
			continue
		}
		if t.Status != aozora.StatusCompleted {
			return fmt.Errorf("aozorasim: %s is %s, not 手続済", applyNo, t.Status.Label())
		}
		t.Status = aozora.StatusFundsReturned
		if recalled {
			t.Status = aozora.StatusRecalled
		}
		s.saveLocked()
		return nil
	}
	return ErrUnknownApply
}

// TransferView is a transfer as the sandbox pages and JSON API show it.
type TransferView struct {
	ApplyNo        string                `json:"apply_no"`
	Bulk           bool                  `json:"bulk"`
	AccountID      string                `json:"account_id"`
	Status         aozora.TransferStatus `json:"status"`
	StatusLabel    string                `json:"status_label"`
	ResultCode     aozora.ResultCode     `json:"result_code"`
	Items          int                   `json:"items"`
	TotalAmount    int64                 `json:"total_amount"`
	DesignatedDate string                `json:"designated_date"`
	ExecDate       string                `json:"exec_date"`
	CreatedAt      time.Time             `json:"created_at"`
	Deadline       time.Time             `json:"deadline"`
	ApprovedAt     time.Time             `json:"approved_at,omitzero"`
	MailToken      string                `json:"mail_token"`
	Beneficiaries  []string              `json:"beneficiaries"`
}

// Transfers lists every transfer, newest first.
func (s *Sim) Transfers() []TransferView {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked()
	return s.transfersLocked()
}

func (s *Sim) transfersLocked() []TransferView {
	out := make([]TransferView, 0, len(s.st.Transfers))
	for i := len(s.st.Transfers) - 1; i >= 0; i-- {
		t := s.st.Transfers[i]
		v := TransferView{ApplyNo: t.ApplyNo, Bulk: t.Bulk, AccountID: t.AccountID, Status: t.Status, StatusLabel: t.Status.Label(),
			ResultCode: t.Result, Items: len(t.Items), TotalAmount: t.TotalAmount, DesignatedDate: t.DesignatedDate.String(),
			ExecDate: t.ExecDate.String(), CreatedAt: t.CreatedAt, Deadline: t.Deadline, ApprovedAt: t.ApprovedAt, MailToken: t.MailToken}
		for j, it := range t.Items {
			if j == 3 {
				v.Beneficiaries = append(v.Beneficiaries, fmt.Sprintf("…ほか%d件", len(t.Items)-3))
				break
			}
			v.Beneficiaries = append(v.Beneficiaries, fmt.Sprintf("%s-%s %s %s", it.BankCode, it.BranchCode, it.AccountNumber, it.Name))
		}
		out = append(out, v)
	}
	return out
}

// Summary is the sandbox's state at a glance, for kessai's サンドボックス page.
type Summary struct {
	Now          time.Time                     `json:"now"`
	Transfers    int                           `json:"transfers"`
	ByStatus     map[aozora.TransferStatus]int `json:"by_status"`
	MailsWaiting int                           `json:"mails_waiting"`
	Faults       []FaultState                  `json:"faults"`
	Clients      int                           `json:"clients"`
	Warnings     []string                      `json:"warnings,omitempty"`
}

// Status returns the summary.
func (s *Sim) Status() Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked()
	sum := Summary{Now: s.now(), Transfers: len(s.st.Transfers), ByStatus: map[aozora.TransferStatus]int{},
		Faults: s.faultsLocked(), Clients: len(s.st.Clients), Warnings: append([]string(nil), s.warnings...)}
	for _, t := range s.st.Transfers {
		sum.ByStatus[t.Status]++
		if t.Status == aozora.StatusApplying {
			sum.MailsWaiting++
		}
	}
	return sum
}

// yen formats 1234567 as 1,234,567.
func yen(v int64) string {
	s := fmt.Sprint(v)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
