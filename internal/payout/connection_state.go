package payout

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"time"

	"kessai/internal/platform/errs"
)

// The OAuth state of 【リフレッシュトークンを取得】 travels in a sealed cookie that names the
// session it was made for: a callback is accepted only with the same state, in the same
// session, within stateTTL. Nothing is kept on the server, so any instance can take the callback.
const (
	stateCookie = "kessai_aozora_state"
	stateAAD    = "payout:aozora:oauth_state"
	stateTTL    = 15 * time.Minute
)

type authState struct {
	State   string    `json:"state"`
	Session string    `json:"session"`
	Expires time.Time `json:"expires"`
}

// NewAuthState returns a fresh state for the bank's login page and the sealed cookie value
// that binds it to sessionID.
func (c *Connection) NewAuthState(sessionID string) (state, cookie string, err error) {
	if sessionID == "" {
		return "", "", errs.Forbidden("銀行との連携はログインした画面から行ってください")
	}
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", err
	}
	st := authState{State: hex.EncodeToString(b[:]), Session: sessionID, Expires: c.clock.Now().Add(stateTTL).UTC()}
	raw, err := json.Marshal(st)
	if err != nil {
		return "", "", err
	}
	sealed, err := c.store.Sealer.Seal(raw, stateAAD)
	return st.State, sealed, err
}

// CheckAuthState accepts the state of a callback only when the cookie was made for this
// session, carries the same state and has not expired.
func (c *Connection) CheckAuthState(sessionID, state, cookie string) error {
	refused := errs.Invalid("銀行からの戻りを確認できませんでした（stateが一致しません）。もう一度【リフレッシュトークンを取得】を押してください")
	if cookie == "" || state == "" || sessionID == "" {
		return refused
	}
	raw, err := c.store.Sealer.Open(cookie, stateAAD)
	if err != nil {
		return refused
	}
	var st authState
	if json.Unmarshal(raw, &st) != nil {
		return refused
	}
	if subtle.ConstantTimeCompare([]byte(st.State), []byte(state)) != 1 || st.Session != sessionID {
		return refused
	}
	if c.clock.Now().After(st.Expires) {
		return errs.Invalid("銀行のログインに時間がかかりすぎました。もう一度【リフレッシュトークンを取得】を押してください")
	}
	return nil
}
