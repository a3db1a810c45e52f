package yamato

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// Text rules of the API. Yamato counts characters, not bytes: 氏名 is "30桁" of 全角 characters.

// lookalikes are characters that CP932 cannot hold, mapped to the ones Windows produces, so a
// name typed on a Mac still passes the 文字コード check.
var lookalikes = strings.NewReplacer(
	"\u301C", "～", // 〜 WAVE DASH
	"\u2212", "－", // − MINUS SIGN
	"\u2016", "∥", // ‖
	"\u00A2", "￠", "\u00A3", "￡", "\u00AC", "￢",
	"\u2014", "―", // — EM DASH
)

// ToZenkaku converts s to the full-width form the API wants for names, addresses and item names:
// ASCII and half-width katakana become full-width (voiced marks composed: ｶﾞ → ガ), a space
// becomes U+3000, and the CP932 look-alikes are mapped. Other characters are kept; the checks
// then report what is still not allowed.
func ToZenkaku(s string) string {
	s = lookalikes.Replace(s)
	return norm.NFC.String(width.Widen.String(s))
}

// ToHankakuKana converts s to half-width katakana as 氏名カナ wants it: hiragana become
// katakana, ガ becomes ｶﾞ, a full-width space a half-width one.
func ToHankakuKana(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'ぁ' && r <= 'ゖ' {
			r += 'ァ' - 'ぁ'
		}
		b.WriteRune(r)
	}
	return width.Narrow.String(norm.NFD.String(b.String()))
}

// halfDigits turns full-width digits and hyphens into ASCII, for telephone and postal codes
// typed in an IME.
func halfDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return r - '０' + '0'
		case r == '－' || r == 'ー' || r == '‐' || r == '−' || r == '―':
			return '-'
		}
		return r
	}, strings.TrimSpace(s))
}

// charClass is what CP932 makes of a string.
type charClass int

const (
	allFull    charClass = iota // every character is a CP932 double-byte character
	hasHalf                     // some character is single-byte (ASCII or half-width kana)
	notEncoded                  // some character is outside CP932
)

// classify tells whether s is all 全角, has 半角 characters, or has characters outside the
// "指定された文字コード" (CP932, Windows-31J).
func classify(s string) charClass {
	class := allFull
	for _, r := range s {
		switch cp932Width(r) {
		case 0:
			return notEncoded
		case 1:
			class = hasHalf
		}
	}
	return class
}

// cp932Widths holds, for every BMP rune, its CP932 length: 0 (not encodable), 1 or 2. Built on
// first use by encoding each rune once, so the checks of a 100,000-row file allocate nothing.
var cp932Widths = sync.OnceValue(func() *[0x10000]uint8 {
	var t [0x10000]uint8
	enc := japanese.ShiftJIS.NewEncoder()
	var buf [8]byte
	for r := rune(0); r < 0x10000; r++ {
		if r == utf8.RuneError || unicode.IsControl(r) || r >= 0xD800 && r < 0xE000 {
			continue
		}
		n := utf8.EncodeRune(buf[:], r)
		out := make([]byte, 4)
		nDst, _, err := enc.Transform(out, buf[:n], true)
		enc.Reset()
		if err == nil && nDst > 0 && nDst <= 2 {
			t[r] = uint8(nDst)
		}
	}
	return &t
})

func cp932Width(r rune) int {
	if r >= 0x10000 || r < 0 {
		return 0
	}
	return int(cp932Widths()[r])
}

// isHankakuKana reports whether s is only half-width katakana (with voiced marks), the
// half-width space and the prolonged-sound mark.
func isHankakuKana(s string) bool {
	for _, r := range s {
		if (r < '\uFF61' || r > '\uFF9F') && r != ' ' {
			return false
		}
	}
	return true
}

func runeLen(s string) int { return utf8.RuneCountInString(s) }

// SplitAddress converts a whole address to 全角 and splits it into 住所１ and 住所２ at 25
// characters each, as Yamato's own modules do. ok is false when it needs more than 50
// characters: it is never cut, because a cut address is an undeliverable invoice.
func SplitAddress(addr string) (address1, address2 string, ok bool) {
	z := []rune(ToZenkaku(strings.TrimSpace(addr)))
	switch {
	case len(z) <= AddressMax:
		return string(z), "", true
	case len(z) <= 2*AddressMax:
		return string(z[:AddressMax]), string(z[AddressMax:]), true
	}
	return string(z[:AddressMax]), string(z[AddressMax:]), false
}

// AddressMax is the length of 住所１ and of 住所２ in characters.
const AddressMax = 25

// prefectures are the 47 都道府県 an address must start with (kaara034E).
var prefectures = []string{
	"北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県",
	"埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県",
	"岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県",
	"鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県",
	"佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
}

func startsWithPrefecture(s string) bool {
	for _, p := range prefectures {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// hasBanchi reports whether an address names a 番地: Yamato refuses one without (kaara103E).
// The exact test is not public; a digit (either width) or a kanji numeral before 番, 番地, 丁目
// or 号 is taken as one.
func hasBanchi(s string) bool {
	if strings.ContainsFunc(s, func(r rune) bool { return r >= '0' && r <= '9' || r >= '０' && r <= '９' }) {
		return true
	}
	rs := []rune(s)
	for i := 1; i < len(rs); i++ {
		if strings.ContainsRune("番丁号", rs[i]) && strings.ContainsRune("一二三四五六七八九十百千", rs[i-1]) {
			return true
		}
	}
	return false
}

// isMobile reports whether a telephone number (digits only) is a mobile or IP number, which has
// 11 digits; all others have 10.
func isMobile(digits string) bool {
	for _, p := range []string{"070", "080", "090", "050", "060", "020"} {
		if strings.HasPrefix(digits, p) {
			return true
		}
	}
	return false
}

func isDigits(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0
}

func isAlnum(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0
}

// isOrderNoChars reports whether s uses only [0-9A-Za-z_-].
func isOrderNoChars(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_')
	}) < 0
}

// TrackingCheckDigitOK reports whether a 12-digit ヤマト運輸 送り状番号 carries the right check
// digit: the first 11 digits read as a number, modulo 7 (the "7DR" scheme). Hyphens are ignored.
func TrackingCheckDigitOK(no string) bool {
	d := strings.ReplaceAll(no, "-", "")
	if len(d) != 12 || !isDigits(d) {
		return false
	}
	var n uint64
	for _, r := range d[:11] {
		n = n*10 + uint64(r-'0')
	}
	return uint64(d[11]-'0') == n%7
}

// WithCheckDigit appends the mod-7 check digit to an 11-digit base number; the sandbox and
// tests use it to make valid tracking numbers.
func WithCheckDigit(base11 string) string {
	var n uint64
	for _, r := range base11 {
		n = n*10 + uint64(r-'0')
	}
	return base11 + string(rune('0'+n%7))
}
