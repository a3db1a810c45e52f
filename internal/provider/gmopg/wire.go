package gmopg

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/text/encoding/japanese"
)

// Pair is one key=value of a request, an answer or a notification.
type Pair struct {
	Key   string
	Value string
}

// Values is an ordered list of pairs. Order is kept because GMO-PG's answers list keys in a
// fixed order and the simulator reproduces it; lookups are linear, which is fine for the few
// dozen keys an answer has.
type Values []Pair

// Get returns the first value for key, or "" when absent.
func (v Values) Get(key string) string {
	s, _ := v.Lookup(key)
	return s
}

// Lookup returns the first value for key and whether the key was present at all (GMO-PG sends
// empty keys; an absent key and an empty one are different things to a parser that checks
// the answer shape).
func (v Values) Lookup(key string) (string, bool) {
	for _, p := range v {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// Set replaces the first value for key, or appends the pair.
func (v *Values) Set(key, value string) {
	for i, p := range *v {
		if p.Key == key {
			(*v)[i].Value = value
			return
		}
	}
	*v = append(*v, Pair{key, value})
}

// Add appends a pair.
func (v *Values) Add(key, value string) { *v = append(*v, Pair{key, value}) }

// cp932Fix maps characters that Windows-31J cannot encode to the ones Windows itself decodes
// CP932 into (〜 → ～ and so on), so text typed on a Mac or in a browser still encodes.
var cp932Fix = strings.NewReplacer(
	"\u301C", "\uFF5E", // 〜 → ～
	"\u2212", "\uFF0D", // − → －
	"\u2016", "\u2225", // ‖ → ∥
	"\u00AC", "\uFFE2", // ¬ → ￢
	"\u00A2", "\uFFE0", // ¢ → ￠
	"\u00A3", "\uFFE1", // £ → ￡
	"\u2014", "\u2015", // — → ―
	"\u00A0", " ", // no-break space
)

// EncodeCP932 encodes s as Windows-31J. Characters it cannot hold are an error naming them,
// never a silent "?" or 0x1A.
func EncodeCP932(s string) ([]byte, error) {
	s = cp932Fix.Replace(s)
	b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(s))
	if err == nil {
		return b, nil
	}
	var bad []string
	enc := japanese.ShiftJIS.NewEncoder()
	for _, r := range s {
		if _, err := enc.String(string(r)); err != nil {
			bad = append(bad, fmt.Sprintf("%q (U+%04X)", r, r))
		}
	}
	return nil, fmt.Errorf("Shift_JIS（CP932）で送れない文字があります: %s", strings.Join(bad, ", "))
}

// DecodeCP932 decodes Windows-31J bytes (including the NEC and IBM extensions such as ①).
// Bytes that are not CP932 become U+FFFD.
func DecodeCP932(b []byte) string {
	if isASCII(b) {
		return string(b)
	}
	s, err := japanese.ShiftJIS.NewDecoder().Bytes(b)
	if err != nil {
		return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
	}
	return string(s)
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// EncodeForm writes v as a request body: each value encoded as CP932, then percent-encoded
// (space as "+", which GMO-PG reads as a space). Keys are ASCII and sent as they are. A value
// that CP932 cannot hold is an error naming the key, before anything is sent.
func EncodeForm(v Values) (string, error) {
	var b strings.Builder
	for i, p := range v {
		enc, err := EncodeCP932(p.Value)
		if err != nil {
			return "", fmt.Errorf("gmopg: %s: %w", p.Key, err)
		}
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(p.Key))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(string(enc)))
	}
	return b.String(), nil
}

// ParseForm reads a percent-encoded CP932 form body: the requests the simulator receives and
// the result notifications GMO-PG posts to the merchant.
func ParseForm(body []byte) (Values, error) {
	var v Values
	s := strings.TrimRight(string(body), "\r\n")
	if s == "" {
		return v, nil
	}
	for part := range strings.SplitSeq(s, "&") {
		if part == "" {
			continue
		}
		k, val, _ := strings.Cut(part, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, fmt.Errorf("gmopg: form key %q: %w", k, err)
		}
		raw, err := url.QueryUnescape(val)
		if err != nil {
			return nil, fmt.Errorf("gmopg: form value of %s: %w", key, err)
		}
		v = append(v, Pair{key, DecodeCP932([]byte(raw))})
	}
	return v, nil
}

// ParseAnswer reads an answer body as GMO-PG writes it: raw Windows-31J, not percent-encoded.
// It splits on "&", then each pair on its first "=", and decodes CP932; it never URL-decodes,
// because a Token may hold a raw "+" and a StartURL a raw "/" and ":". A trailing CR/LF is
// dropped, as the official module does. (3-D Secure answers whose values hold raw "&" are not
// spoken by this client.)
func ParseAnswer(body []byte) Values {
	var v Values
	body = bytes.TrimRight(body, "\r\n")
	if len(body) == 0 {
		return v
	}
	for part := range bytes.SplitSeq(body, []byte("&")) {
		if len(part) == 0 {
			continue
		}
		k, val, _ := bytes.Cut(part, []byte("="))
		v = append(v, Pair{string(k), DecodeCP932(val)})
	}
	return v
}

// FormatAnswer writes v the way GMO-PG answers: raw CP932, "&" between pairs, nothing escaped.
// Values must not hold "&" (none of the answers this package speaks do).
func FormatAnswer(v Values) ([]byte, error) {
	var b bytes.Buffer
	for i, p := range v {
		if strings.Contains(p.Value, "&") {
			return nil, fmt.Errorf("gmopg: answer value of %s holds '&'", p.Key)
		}
		enc, err := EncodeCP932(p.Value)
		if err != nil {
			return nil, fmt.Errorf("gmopg: %s: %w", p.Key, err)
		}
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.Key)
		b.WriteByte('=')
		b.Write(enc)
	}
	return b.Bytes(), nil
}

// splitErrors splits ErrCode or ErrInfo: "|"-separated, a trailing "|" adds no element (the
// official module strips it), an empty string is no element.
func splitErrors(s string) []string {
	s = strings.TrimSuffix(s, "|")
	if s == "" {
		return nil
	}
	return strings.Split(s, "|")
}

// splitCards splits one field of a several-card SearchCard answer. Unlike errors, every element
// counts, empty ones too: "CardName=|" is two cards without a name. Missing elements read as "".
func splitCards(s string, n int) []string {
	parts := strings.Split(s, "|")
	for len(parts) < n {
		parts = append(parts, "")
	}
	return parts
}
