package kana

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// foldKana maps katakana whose spelling varies between sources to one form, so that a search for
// とうきょう finds トウキヨウ and つきじ finds ツキヂ.
var foldKana = map[rune]rune{
	'ァ': 'ア', 'ィ': 'イ', 'ゥ': 'ウ', 'ェ': 'エ', 'ォ': 'オ',
	'ッ': 'ツ', 'ャ': 'ヤ', 'ュ': 'ユ', 'ョ': 'ヨ', 'ヮ': 'ワ', 'ヵ': 'カ', 'ヶ': 'ケ',
	'ヰ': 'イ', 'ヱ': 'エ', 'ヂ': 'ジ', 'ヅ': 'ズ',
	'－': 'ー', '-': 'ー', '−': 'ー', '‐': 'ー', '‑': 'ー', '–': 'ー', '—': 'ー', '―': 'ー',
}

// Fold returns a search key for s: width-folded (NFKC), hiragana as katakana, small kana
// full-size, long-vowel marks and dashes unified, latin letters lower-case, spaces and middle
// dots removed. Compare keys with strings.Contains or strings.HasPrefix; both sides must be
// folded.
func Fold(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r >= 'ぁ' && r <= 'ゖ' {
			r += 0x60
		}
		if f, ok := foldKana[r]; ok {
			r = f
		}
		switch {
		case unicode.IsSpace(r), r == '・':
			continue
		case r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
