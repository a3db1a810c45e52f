package gmopgsim

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"kessai/internal/provider/gmopg"
)

// notice is one result notification, delivered or waiting.
type notice struct {
	Seq       int64        `json:"seq"`
	At        time.Time    `json:"at"`
	OrderID   string       `json:"order_id"`
	Status    gmopg.Status `json:"status"`
	Ping      bool         `json:"ping"`
	Body      string       `json:"body"` // the form as posted (percent-encoded CP932)
	Attempts  int          `json:"attempts"`
	Delivered bool         `json:"delivered"`
	Answer    string       `json:"answer,omitempty"`
	Error     string       `json:"error,omitempty"`
}

// maxNoticeAttempts is how often a notification is posted before the Sim gives up (GMO-PG
// retries a failed notification for a while; the exact schedule is not public).
const maxNoticeAttempts = 5

func (s *Sim) notification(t *tran, errs []gmopg.ErrPair) gmopg.Notification {
	n := gmopg.Notification{ShopID: s.opts.ShopID, AccessID: t.AccessID, OrderID: t.OrderID, Status: t.Status,
		JobCd: t.JobCd, Amount: t.Amount, Tax: t.Tax, Currency: "JPN", Forward: t.Forward, Method: t.Method,
		PayTimes: t.PayTimes, TranID: t.TranID, Approve: t.Approve, PayType: t.PayType, Errors: errs,
		RcOrderID: t.RcOrderID, RcUsePoint: t.RcUsePoint, RcUseCoupon: t.RcUseCoupon, RcUseShopCoupon: t.RcUseShopCoupon}
	if !t.TranDate.IsZero() {
		n.TranDate = gmopg.FormatTime(t.TranDate)
	}
	if !t.RcOrderTime.IsZero() {
		n.RcOrderTime = gmopg.FormatTime(t.RcOrderTime)
	}
	return n
}

// noticeLocked queues a notification of t's current state.
func (s *Sim) noticeLocked(t *tran) { s.queueNoticeLocked(s.notification(t, nil)) }

func (s *Sim) queueNoticeLocked(n gmopg.Notification) {
	if s.st.NotifyURL == "" {
		return
	}
	body, err := gmopg.EncodeForm(gmopg.NotificationValues(n))
	if err != nil {
		s.warnings = append(s.warnings, "gmopgsim: notification: "+err.Error())
		return
	}
	s.st.Notices = append(s.st.Notices, &notice{Seq: s.nextSeq(), At: s.now(), OrderID: n.OrderID, Status: n.Status,
		Ping: n.IsPing(), Body: body})
}

// QueuePing queues the connectivity check GMO-PG sends to a notification URL (ErrInfo
// E00000000).
func (s *Sim) QueuePing() {
	s.mu.Lock()
	s.queueNoticeLocked(gmopg.Notification{ShopID: s.opts.ShopID, Errors: []gmopg.ErrPair{{Code: "E00", Info: gmopg.InfoPing}}})
	s.saveLocked()
	s.mu.Unlock()
	s.kickDelivery()
}

// kickDelivery asks the background deliverer (when started) to post waiting notifications.
func (s *Sim) kickDelivery() {
	s.sftpMu.Lock()
	started := s.ln != nil
	s.sftpMu.Unlock()
	if started {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
}

// DeliverNotifications posts every waiting notification, in order, and reports how many were
// acknowledged with NotificationAck. A notification answered otherwise stays waiting (until
// maxNoticeAttempts). Start runs this in the background; tests call it directly.
func (s *Sim) DeliverNotifications(ctx context.Context) int {
	s.deliverMu.Lock()
	defer s.deliverMu.Unlock()
	s.mu.Lock()
	url := s.st.NotifyURL
	var todo []*notice
	for _, n := range s.st.Notices {
		if !n.Delivered && n.Attempts < maxNoticeAttempts {
			todo = append(todo, n)
		}
	}
	s.mu.Unlock()
	ok := 0
	for _, n := range todo {
		answer, err := s.post(ctx, url, n.Body)
		s.mu.Lock()
		n.Attempts++
		n.Answer = answer
		n.Error = ""
		if err != nil {
			n.Error = err.Error()
		} else if answer == gmopg.NotificationAck {
			n.Delivered = true
			ok++
		} else {
			n.Error = "受信側の応答が " + strconv.Quote(answer) + " でした（" + gmopg.NotificationAck + " を期待）"
		}
		s.saveLocked()
		s.mu.Unlock()
	}
	return ok
}

func (s *Sim) post(ctx context.Context, url, body string) (string, error) {
	if url == "" {
		return "", errNoURL
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := s.opts.HTTPClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1024))
	answer := strings.TrimSpace(string(b))
	if res.StatusCode != http.StatusOK {
		return answer, &httpStatusError{res.StatusCode}
	}
	return answer, nil
}

type httpStatusError struct{ code int }

func (e *httpStatusError) Error() string { return "HTTP " + strconv.Itoa(e.code) }

type constError string

func (e constError) Error() string { return string(e) }

const errNoURL = constError("結果通知先URLが設定されていません")

// Notice is a notification as Status and _sim/notifications report it.
type Notice struct {
	Seq       int64        `json:"seq"`
	At        time.Time    `json:"at"`
	OrderID   string       `json:"order_id"`
	Status    gmopg.Status `json:"status"`
	Ping      bool         `json:"ping"`
	Attempts  int          `json:"attempts"`
	Delivered bool         `json:"delivered"`
	Answer    string       `json:"answer,omitempty"`
	Error     string       `json:"error,omitempty"`
}

// Notices lists every notification queued so far.
func (s *Sim) Notices() []Notice {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Notice, len(s.st.Notices))
	for i, n := range s.st.Notices {
		out[i] = Notice{Seq: n.Seq, At: n.At, OrderID: n.OrderID, Status: n.Status, Ping: n.Ping, Attempts: n.Attempts,
			Delivered: n.Delivered, Answer: n.Answer, Error: n.Error}
	}
	return out
}
