package gmopgsim

import (
	"strings"
	"time"

	"kessai/internal/platform/clock"
	"kessai/internal/provider/gmopg"
)

// Test card numbers. Any other well-formed number behaves like CardOK.
const (
	CardOK = "4111111111111111" // approves; card update: stays valid (0, unchanged)
	// Card update (自動洗替) outcomes, chosen by the stored card's number.
	CardUpdateNewExpiry = "4000000000000010" // 0 with a new expiry (three years later)
	CardUpdateNewNumber = "4000000000000028" // 0 with a new number (…0036) and expiry
	CardUpdateInvalid   = "4000000000000101" // 1 有効性NG
	CardUpdateMismatch  = "4000000000000202" // 2 照合エラー
	CardUpdateInputErr  = "4000000000000303" // 3 入力データエラー
	// ExecTran outcomes.
	CardDeclined    = "4000000000000002" // 42G020000: declined by the issuer, the transaction stays UNPROCESSED
	CardCompanyDown = "4000000000000119" // 42C010000: card company unreachable, retryable, nothing recorded
	// CardUpdateNewNumberTo is the number CardUpdateNewNumber becomes.
	CardUpdateNewNumberTo = "4000000000000036"
)

// Codes this simulator answers that the public error tables read for it did not show; they are
// assumptions, kept here so they are easy to correct.
const (
	infoMemberIDMissing = "E01390001" // assumed: MemberID not given
	infoTokenInvalid    = "E61040001" // assumed: token unknown or already used
	infoRetURLMissing   = "E01350001" // assumed: RetURL not given
	infoUnknownAPI      = "E91099997"
	infoDeclined        = "42G020000"
	infoCardCompanyDown = "42C010000"
	infoRecruitFailed   = "RC1000009" // Recruit: payment failed (documented)
)

type member struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Deleted   bool      `json:"deleted"`
	Cards     []*card   `json:"cards"`
	CreatedAt time.Time `json:"created_at"`
}

type card struct {
	Seq     int       `json:"seq"`
	No      string    `json:"no"`
	Expire  string    `json:"expire"`
	Name    string    `json:"name"`
	Holder  string    `json:"holder"`
	Default bool      `json:"default"`
	Deleted bool      `json:"deleted"`
	SavedAt time.Time `json:"saved_at"`
}

func (m *member) card(seq int) *card {
	for _, c := range m.Cards {
		if c.Seq == seq && !c.Deleted {
			return c
		}
	}
	return nil
}

// target is the card the card update checks when the request leaves CardSeq empty: the one
// with DefaultFlag=1, else the first live card.
func (m *member) target() *card {
	var first *card
	for _, c := range m.Cards {
		if c.Deleted {
			continue
		}
		if c.Default {
			return c
		}
		if first == nil {
			first = c
		}
	}
	return first
}

type token struct {
	CardNo       string    `json:"card_no"`
	Expire       string    `json:"expire"`
	SecurityCode string    `json:"security_code"`
	Holder       string    `json:"holder"`
	Used         bool      `json:"used"`
	CreatedAt    time.Time `json:"created_at"`
}

// tran is one transaction, card or Recruit.
type tran struct {
	OrderID      string         `json:"order_id"`
	AccessID     string         `json:"access_id"`
	AccessPass   string         `json:"access_pass"`
	PayType      gmopg.PayType  `json:"pay_type"`
	JobCd        gmopg.JobCd    `json:"job_cd"`
	Status       gmopg.Status   `json:"status"`
	Amount       int64          `json:"amount"`
	Tax          int64          `json:"tax"`
	ItemCode     string         `json:"item_code"`
	ProcessDate  time.Time      `json:"process_date"`
	MemberID     string         `json:"member_id,omitempty"`
	CardNo       string         `json:"card_no,omitempty"` // masked
	Expire       string         `json:"expire,omitempty"`
	Method       string         `json:"method,omitempty"`
	PayTimes     string         `json:"pay_times,omitempty"`
	Forward      string         `json:"forward,omitempty"`
	Approve      string         `json:"approve,omitempty"`
	TranID       string         `json:"tran_id,omitempty"`
	TranDate     time.Time      `json:"tran_date"`
	ClientField  [3]string      `json:"client_field"`
	AuthDeadline time.Time      `json:"auth_deadline"`
	CapturedAt   time.Time      `json:"captured_at"`
	History      []historyEntry `json:"history"`

	// Recruit
	RetURL          string    `json:"ret_url,omitempty"`
	ItemName        string    `json:"item_name,omitempty"`
	Token           string    `json:"token,omitempty"`
	StartLimit      time.Time `json:"start_limit"`
	PointsOnly      bool      `json:"points_only"`
	RcOrderID       string    `json:"rc_order_id,omitempty"`
	RcOrderTime     time.Time `json:"rc_order_time"`
	RcUsePoint      int64     `json:"rc_use_point"`
	RcUseCoupon     int64     `json:"rc_use_coupon"`
	RcUseShopCoupon int64     `json:"rc_use_shop_coupon"`
	RcUpdateAuthDay time.Time `json:"rc_update_auth_day"`
}

type historyEntry struct {
	At     time.Time    `json:"at"`
	Action string       `json:"action"`
	Status gmopg.Status `json:"status"`
	Amount int64        `json:"amount"`
}

func (t *tran) record(now time.Time, action string) {
	t.ProcessDate = now
	t.History = append(t.History, historyEntry{At: now, Action: action, Status: t.Status, Amount: t.Amount})
}

// settle lapses an authorization past its period: a Recruit one becomes EXPIRED (the PG's
// 期限切れ); a card one stays AUTH but can no longer be captured (E01420010).
func (t *tran) settle(now time.Time) {
	if t.Status == gmopg.StatusAuth && !t.AuthDeadline.IsZero() && now.After(t.AuthDeadline) && t.PayType == gmopg.PayTypeRecruit {
		t.Status = gmopg.StatusExpired
		t.record(now, "expire")
	}
}

// mask hides all but the last three digits, as SaveCard and SearchCard answer.
func mask(no string) string {
	if len(no) <= 3 {
		return no
	}
	return strings.Repeat("*", len(no)-3) + no[len(no)-3:]
}

func brand(no string) string {
	switch {
	case strings.HasPrefix(no, "4"):
		return "VISA"
	case strings.HasPrefix(no, "5"):
		return "MASTER"
	case strings.HasPrefix(no, "35"):
		return "JCB"
	case strings.HasPrefix(no, "34"), strings.HasPrefix(no, "37"):
		return "AMEX"
	case strings.HasPrefix(no, "36"):
		return "DINERS"
	}
	return ""
}

// endOfFollowingMonth is the last instant (JST) of the month after t's: the limit of changes and
// cancels after capture.
func endOfFollowingMonth(t time.Time) time.Time {
	j := t.In(clock.JST)
	return time.Date(j.Year(), j.Month()+2, 1, 0, 0, 0, 0, clock.JST).Add(-time.Nanosecond)
}

func sameJSTDay(a, b time.Time) bool {
	ay, am, ad := a.In(clock.JST).Date()
	by, bm, bd := b.In(clock.JST).Date()
	return ay == by && am == bm && ad == bd
}

var jst = clock.JST
