package aozorasim

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

var (
	formAction  = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	hiddenInput = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)
)

// LogIn does a browser's part of the authorization-code flow against a sandbox: it opens
// authURL (from aozora.Client.AuthCodeURL), submits the login form with loginID and password,
// and returns the code and state from the redirect, without following it. Tests and scripted
// sandbox runs use it instead of a browser.
func LogIn(ctx context.Context, hc *http.Client, authURL, loginID, password string) (code, state string, err error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	noFollow := *hc
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	get := func(method, u string, body io.Reader) (*http.Response, []byte, error) {
		req, err := http.NewRequestWithContext(ctx, method, u, body)
		if err != nil {
			return nil, nil, err
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		res, err := noFollow.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return res, b, err
	}
	res, page, err := get(http.MethodGet, authURL, nil)
	if err != nil {
		return "", "", fmt.Errorf("aozorasim: login page: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("aozorasim: login page: HTTP %d", res.StatusCode)
	}
	m := formAction.FindSubmatch(page)
	if m == nil {
		return "", "", errors.New("aozorasim: login page has no form")
	}
	action, err := res.Request.URL.Parse(html.UnescapeString(string(m[1])))
	if err != nil {
		return "", "", fmt.Errorf("aozorasim: form action: %w", err)
	}
	form := url.Values{"login_id": {loginID}, "password": {password}, "action": {"allow"}}
	for _, h := range hiddenInput.FindAllSubmatch(page, -1) {
		form.Set(string(h[1]), html.UnescapeString(string(h[2])))
	}
	res, page, err = get(http.MethodPost, action.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return "", "", fmt.Errorf("aozorasim: submit login: %w", err)
	}
	if res.StatusCode != http.StatusFound {
		return "", "", fmt.Errorf("aozorasim: submit login: HTTP %d: %.200s", res.StatusCode, page)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		return "", "", fmt.Errorf("aozorasim: redirect: %w", err)
	}
	q := loc.Query()
	if e := q.Get("error"); e != "" {
		return "", "", fmt.Errorf("aozorasim: authorization refused: %s", e)
	}
	return q.Get("code"), q.Get("state"), nil
}
