package payout

import (
	"context"
	"net/url"
	"strings"
	"time"

	"kessai/internal/platform/errs"
	"kessai/internal/platform/secrets"
	"kessai/internal/provider/aozora"
)

// SunabarAPIBaseURL is the corporate API of sunabar, GMO あおぞらネット銀行's own test
// environment, where access tokens are issued by hand on the portal (no OAuth, no refresh).
const SunabarAPIBaseURL = "https://api.sunabar.gmo-aozora.com/corporation/v1"

// checkEndpoint says what is wrong with a base URL typed into the settings, "" when fine. The
// bank is reached over https only; http is allowed for the built-in simulator alone.
func (c *Connection) checkEndpoint(v string) string {
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "https:// で始まるURLを入力してください（空欄なら自動）"
	}
	if u.Scheme == "http" && !c.isSandboxURL(v) {
		return "銀行との通信は https:// だけです。http:// は内蔵のサンドボックスにだけ使えます"
	}
	return ""
}

// isSandboxURL reports whether v points at the in-process simulator.
func (c *Connection) isSandboxURL(v string) bool {
	sa, sp := c.sandboxURLs()
	v = strings.TrimRight(v, "/")
	return sa != "" && (v == strings.TrimRight(sa, "/") || v == strings.TrimRight(sp, "/"))
}

// SaveAccessToken connects with an access token issued by hand (sunabar's portal: お知らせ ›
// アクセストークン発行), at apiURL (empty: sunabar). It is never refreshed: when the bank answers
// 401, a new one has to be entered. The connection is 『有効』 only after the accounts call
// with the token succeeded.
func (c *Connection) SaveAccessToken(ctx context.Context, apiURL, token string) error {
	token = strings.TrimSpace(token)
	apiURL = strings.TrimRight(strings.TrimSpace(apiURL), "/")
	if apiURL == "" {
		apiURL = SunabarAPIBaseURL
	}
	f := errs.Fields{}
	switch {
	case token == "":
		f.Add("access_token", "アクセストークンを入力してください（sunabar のポータルで発行したもの）")
	case len(token) > 128 || strings.ContainsAny(token, " \t\r\n"):
		f.Add("access_token", "アクセストークンは空白を含まない128文字以内です。発行された値をそのまま貼り付けてください")
	}
	if msg := c.checkEndpoint(apiURL); msg != "" {
		f.Add("token_api_base_url", msg)
	}
	if err := f.Err(); err != nil {
		return err
	}
	cs, _, err := c.load(ctx)
	if err != nil {
		return err
	}
	cs.Manual, cs.APIBaseURL = true, apiURL
	cs.Enabled, cs.VerifiedAt, cs.AccountID, cs.AccountLabel, cs.LastError = false, time.Time{}, "", "", ""
	if err := c.save(ctx, secrets.Update{Public: &cs}); err != nil {
		return err
	}
	cl := c.manualClient(cs)
	return c.verify(ctx, cl, cs, aozora.Token{AccessToken: token})
}

// manualClient is a client for a hand-issued token: no OAuth endpoints or credentials.
func (c *Connection) manualClient(cs ConnSettings) *aozora.Client {
	_, apiURL, _ := c.endpoints(cs)
	return aozora.New(aozora.Config{APIBaseURL: apiURL, Clock: c.clock, HTTPClient: c.HTTPClient})
}

// manualBank is Bank for a hand-issued token.
func (c *Connection) manualBank(cs ConnSettings, s *secrets.Settings) (Bank, error) {
	tok, err := c.token(s)
	if err != nil {
		return Bank{}, err
	}
	if tok.AccessToken == "" {
		return Bank{}, errNotConnected()
	}
	return Bank{Client: c.manualClient(cs).WithTokenSource(aozora.StaticToken(tok.AccessToken)), AccountID: cs.AccountID}, nil
}
