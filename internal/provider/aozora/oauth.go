package aozora

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Token is what the authorization server issued. Store it sealed: the refresh token gives
// access to the merchant's accounts.
type Token struct {
	AccessToken  string
	RefreshToken string
	Scope        string
	Expiry       time.Time // zero when the server did not say
}

// AuthCodeURL returns the bank's login page URL for the authorization-code flow. state must be
// unguessable and checked on the way back.
func (c *Client) AuthCodeURL(state string) string {
	q := url.Values{
		"response_type": {"code"},
		"client_id":     {c.cfg.ClientID},
		"redirect_uri":  {c.cfg.RedirectURI},
		"scope":         {c.cfg.Scope},
		"state":         {state},
	}
	return c.cfg.AuthBaseURL + "/authorization?" + q.Encode()
}

// Exchange trades the code from the redirect for a token.
func (c *Client) Exchange(ctx context.Context, code string) (Token, error) {
	return c.token(ctx, url.Values{
		"grant_type":   {"authorization_code"},
		"code":         {code},
		"redirect_uri": {c.cfg.RedirectURI},
	})
}

// Refresh gets a new token with a refresh token. The answer may or may not carry a new refresh
// token; TokenHolder keeps the old one when it does not.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (Token, error) {
	return c.token(ctx, url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {refreshToken},
	})
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
}

func (c *Client) token(ctx context.Context, form url.Values) (Token, error) {
	const op = "POST /token"
	if c.cfg.AuthMethod == ClientSecretPost {
		form.Set("client_id", c.cfg.ClientID)
		form.Set("client_secret", c.cfg.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.AuthBaseURL+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, fmt.Errorf("aozora: %s: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c.cfg.AuthMethod == ClientSecretBasic {
		// RFC 6749 §2.3.1: both parts are form-encoded before Basic encoding.
		req.SetBasicAuth(url.QueryEscape(c.cfg.ClientID), url.QueryEscape(c.cfg.ClientSecret))
	}
	start := c.now()
	var tr tokenResponse
	if err := c.send(req, op, false, &tr, parseAPIError); err != nil {
		return Token{}, err
	}
	if tr.AccessToken == "" {
		return Token{}, fmt.Errorf("aozora: %s: answer has no access_token", op)
	}
	t := Token{AccessToken: tr.AccessToken, RefreshToken: tr.RefreshToken, Scope: tr.Scope}
	if tr.ExpiresIn > 0 {
		// Count from before the call, so the token is never thought to live longer than it does.
		t.Expiry = start.Add(time.Duration(tr.ExpiresIn) * time.Second)
	}
	return t, nil
}

// MarshalJSON and UnmarshalJSON let a caller store a Token as one sealed JSON blob.
func (t Token) MarshalJSON() ([]byte, error) {
	type wire struct {
		AccessToken  string    `json:"access_token"`
		RefreshToken string    `json:"refresh_token,omitempty"`
		Scope        string    `json:"scope,omitempty"`
		Expiry       time.Time `json:"expiry,omitzero"`
	}
	return json.Marshal(wire(t))
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (t *Token) UnmarshalJSON(b []byte) error {
	var w struct {
		AccessToken  string    `json:"access_token"`
		RefreshToken string    `json:"refresh_token,omitempty"`
		Scope        string    `json:"scope,omitempty"`
		Expiry       time.Time `json:"expiry,omitzero"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("aozora: token: %w", err)
	}
	*t = Token(w)
	return nil
}
