package yamato

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"time"

	"kessai/internal/platform/clock"
)

// Base URLs. The path of an endpoint is {base}{API}APIAction_execute.action.
const (
	ProductionBaseURL = "https://atobarai.kuronekoyamato.co.jp/kuroneko-atobarai-api/"
	TestBaseURL       = "https://atobarai-test.kuronekoyamato.co.jp/kuroneko-atobarai-api/"
	// Older hosts still named by Yamato's own cart modules.
	LegacyProductionBaseURL = "https://yamato-credit-finance.jp/kuroneko-atobarai-api/"
	LegacyTestBaseURL       = "https://demo.yamato-credit-finance.jp/kuroneko-atobarai-api/"
)

// DefaultTimeout bounds one call when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

const contentTypeForm = "application/x-www-form-urlencoded; charset=UTF-8"

// Config says where Yamato is and who the merchant is. Only BaseURL and the credentials differ
// between production, the provider's test environment and the sandbox.
type Config struct {
	BaseURL   string // ProductionBaseURL, TestBaseURL or the sandbox's
	StoreCode string // ycfStrCode, the 11-digit 加盟店コード
	Password  string
	CartCode  string        // optional パートナー社識別コード; not sent when empty
	Timeout   time.Duration // per call; DefaultTimeout when zero
	// HTTPClient defaults to one with Timeout; a given client's own timeout also applies.
	HTTPClient *http.Client
	Clock      clock.Clock // for requestDate; the system clock when nil
}

// Client talks to Yamato. It keeps no state and is safe for concurrent use.
type Client struct {
	cfg   Config
	hc    *http.Client
	clock clock.Clock
}

// New returns a client for cfg.
func New(cfg Config) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	c := &Client{cfg: cfg, hc: cfg.HTTPClient, clock: cfg.Clock}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: cfg.Timeout}
	}
	if c.clock == nil {
		c.clock = clock.System{}
	}
	if !strings.HasSuffix(c.cfg.BaseURL, "/") {
		c.cfg.BaseURL += "/"
	}
	return c
}

// URL returns the endpoint URL of api.
func (c *Client) URL(api API) string {
	return c.cfg.BaseURL + string(api) + "APIAction_execute.action"
}

// moneyMoving marks the calls that change the transaction at Yamato; they are sent at most once.
var moneyMoving = map[API]bool{
	APICredit: true, APIShipment: true, APICancel: true, APIReduce: true, APIReissue: true, APISMSVerify: true,
}

// Answer is a `<return>` answer with every element kept verbatim.
type Answer struct {
	XMLName    xml.Name `xml:"return"`
	StoreCode  string   `xml:"ycfStrCode"`
	OrderNo    string   `xml:"orderNo"`
	ReturnCode string   `xml:"returnCode"`
	Result     string   `xml:"result"`
	Warning    string   `xml:"warning"`
	ErrorCode  string   `xml:"errorCode"`
	// RequestDate is requestDate as production clients read it, or returnDate when only that
	// came (older answers and mocks use it). HasRequestDate tells which.
	RequestDate    string `xml:"requestDate"`
	ReturnDate     string `xml:"returnDate"`
	ReissueCode    string `xml:"reissueCode"`
	HasRequestDate bool   `xml:"-"`
}

// ParseAnswer reads a `<return>` answer. It fails only when the body is not such an XML
// document; business refusals are in the fields.
func ParseAnswer(b []byte) (Answer, error) {
	var a Answer
	if len(bytes.TrimSpace(b)) == 0 {
		return a, errors.New("empty answer")
	}
	if err := xml.Unmarshal(b, &a); err != nil {
		return a, fmt.Errorf("read <return> answer: %w", err)
	}
	trim := func(s *string) { *s = strings.TrimSpace(*s) }
	for _, s := range []*string{&a.StoreCode, &a.OrderNo, &a.ReturnCode, &a.Result, &a.Warning, &a.ErrorCode, &a.RequestDate, &a.ReturnDate, &a.ReissueCode} {
		trim(s)
	}
	a.HasRequestDate = a.RequestDate != ""
	if !a.HasRequestDate {
		a.RequestDate = a.ReturnDate
	}
	if a.ReturnCode == "" {
		return a, errors.New("answer has no returnCode")
	}
	return a, nil
}

// EncodeAnswer writes a `<return>` answer the way the provider does: UTF-8, elements in the
// provider's order, empty elements kept. The sandbox uses it.
func EncodeAnswer(a Answer) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<return>")
	el := func(name, v string) {
		b.WriteString("<" + name + ">")
		_ = xml.EscapeText(&b, []byte(v))
		b.WriteString("</" + name + ">")
	}
	el("ycfStrCode", a.StoreCode)
	el("orderNo", a.OrderNo)
	el("returnCode", a.ReturnCode)
	el("result", a.Result)
	el("warning", a.Warning)
	if a.ReissueCode != "" {
		el("reissueCode", a.ReissueCode)
	}
	el("errorCode", a.ErrorCode)
	el("requestDate", a.RequestDate)
	b.WriteString("</return>\n")
	return b.Bytes()
}

// post validates form, sends it and reads the answer. A returnCode other than 0 is an
// *APIError carrying the answer; rule failures before sending are a *ValidationError.
func (c *Client) post(ctx context.Context, api API, form url.Values, extra ...FieldError) (Answer, error) {
	form.Set("ycfStrCode", c.cfg.StoreCode)
	form.Set("password", c.cfg.Password)
	form.Set("requestDate", c.clock.Now().In(clock.JST).Format("20060102150405"))
	if c.cfg.CartCode != "" {
		form.Set("cartCode", c.cfg.CartCode)
	}
	for k, v := range form {
		if len(v) == 1 && v[0] == "" {
			delete(form, k) // optional fields left empty are not sent
		}
	}
	if errs := append(extra, Validate(api, form)...); len(errs) > 0 {
		return Answer{}, &ValidationError{API: api, Fields: errs}
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL(api), strings.NewReader(form.Encode()))
	if err != nil {
		return Answer{}, fmt.Errorf("yamato: %s: %w", api, err)
	}
	req.Header.Set("Content-Type", contentTypeForm)
	req.Header.Set("Accept", "application/xml, text/xml")
	moving := moneyMoving[api]
	if moving {
		// net/http re-sends a request on a reused connection that drops before the answer when
		// it can rewind the body. Yamato has no idempotency key, so a credit, shipment, cancel or
		// reduction goes out at most once; an unknown outcome is settled by asking.
		req.GetBody = nil
	}
	var wrote bool
	trace := &httptrace.ClientTrace{WroteHeaders: func() { wrote = true }}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	res, err := c.hc.Do(req)
	if err != nil {
		return Answer{}, &TransportError{API: api, Sent: wrote, MoneyMoving: moving, Err: err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return Answer{}, &TransportError{API: api, Sent: true, MoneyMoving: moving, HTTPStatus: res.StatusCode, Err: fmt.Errorf("read answer: %w", err)}
	}
	if res.StatusCode != http.StatusOK {
		// Yamato answers 200 even for refusals; anything else is the gateway's, and whether the
		// request got through is not known.
		return Answer{}, &TransportError{API: api, Sent: true, MoneyMoving: moving, HTTPStatus: res.StatusCode,
			Err: fmt.Errorf("HTTP %d: %s", res.StatusCode, snippet(b))}
	}
	a, err := ParseAnswer(b)
	if err != nil {
		return Answer{}, &TransportError{API: api, Sent: true, MoneyMoving: moving, HTTPStatus: res.StatusCode, Err: err}
	}
	if a.ReturnCode != ReturnOK {
		return a, &APIError{API: api, OrderNo: form.Get("orderNo"), ReturnCode: a.ReturnCode, Code: a.ErrorCode, Answer: a}
	}
	return a, nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200])
	}
	return s
}
