// Package kana converts and checks the half-width kana that Japanese banks accept for account
// holder names (全銀 kana), and folds kana for search.
//
// The accepted set is deliberately the intersection of what banks accept, so that a name kessai
// accepts is accepted by every bank:
//
//	ｱ–ﾝ and ｦ, ﾞ ﾟ, A–Z, 0–9, space, and ( ) - . /
//
// Left out on purpose: "," (some banks' CSV transfer files use it as a separator and several
// bank manuals exclude it), ｢ ｣ and ¥ (allowed by the 全銀 format itself but not by every bank's
// screens and APIs; ¥ is also 0x5C, which half the world reads as a backslash). ｦ is kept:
// the 全銀 character set has it and GMO あおぞらネット銀行 accepts it.
//
// Conversion rules (ToZengin):
//   - hiragana become katakana, full-width becomes half-width;
//   - voiced and semi-voiced kana become base + ﾞ / ﾟ (ガ→ｶﾞ, パ→ﾊﾟ, ヴ→ｳﾞ);
//   - small kana become full-size (ァ→ｱ, ッ→ﾂ, ャ→ﾔ, ヵ→ｶ, ヶ→ｹ), as banks print them;
//   - ヰ→ｲ, ヱ→ｴ (their modern readings);
//   - the long vowel mark (ー, ｰ) and dash look-alikes (－ − ‐ ‑ ‒ – — ― ﹣) become "-",
//     which is how banks register long vowels;
//   - the middle dot (・ ･) and the ideographic full stop (｡) become ".";
//   - lower-case latin letters become upper-case; the ideographic space becomes a space.
//
// Spaces are kept as given (leading, trailing and repeated ones too): trimming is the caller's
// decision. Anything else is reported, every bad character at once, so a person can fix the name
// in one go.
package kana

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	voicedMark     = 'ﾞ' // U+FF9E
	semiVoicedMark = 'ﾟ' // U+FF9F
)

// Allowed lists the accepted characters for error messages.
const Allowed = "半角カナ・英大文字・数字・スペース・( ) - . /"

// fullToHalf maps full-width katakana (after the hiragana shift) to their 全銀 form.
var fullToHalf = buildFullToHalf()

func buildFullToHalf() map[rune]string {
	m := make(map[rune]string, 100)
	pairs := func(full, half string) {
		f, h := []rune(full), []rune(half)
		if len(f) != len(h) {
			panic("kana: table length mismatch")
		}
		for i := range f {
			m[f[i]] = string(h[i])
		}
	}
	pairs("アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン",
		"ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝ")
	// Small kana are written full-size in bank names.
	pairs("ァィゥェォッャュョヮヵヶ", "ｱｲｳｴｵﾂﾔﾕﾖﾜｶｹ")
	pairs("ヰヱ", "ｲｴ")
	voiced := func(full, base string, mark rune) {
		f, b := []rune(full), []rune(base)
		for i := range f {
			m[f[i]] = string(b[i]) + string(mark)
		}
	}
	voiced("ガギグゲゴザジズゼゾダヂヅデドバビブベボヴヷヸヹヺ", "ｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾊﾋﾌﾍﾎｳﾜｲｴｦ", voicedMark)
	voiced("パピプペポ", "ﾊﾋﾌﾍﾎ", semiVoicedMark)
	return m
}

// smallHalf maps small half-width kana to full-size ones.
var smallHalf = map[rune]rune{
	'ｧ': 'ｱ', 'ｨ': 'ｲ', 'ｩ': 'ｳ', 'ｪ': 'ｴ', 'ｫ': 'ｵ',
	'ｬ': 'ﾔ', 'ｭ': 'ﾕ', 'ｮ': 'ﾖ', 'ｯ': 'ﾂ',
}

// IsZengin reports whether r is allowed as is in a 全銀 name.
func IsZengin(r rune) bool {
	switch {
	case r >= 'ｱ' && r <= 'ﾝ', r == 'ｦ', r == voicedMark, r == semiVoicedMark:
		return true
	case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune(" ()-./", r)
}

// convert returns the 全銀 form of one rune, or ok=false if there is none.
func convert(r rune) (string, bool) {
	if IsZengin(r) {
		return string(r), true
	}
	// Hiragana ぁ–ゖ sit 0x60 below their katakana.
	if r >= 'ぁ' && r <= 'ゖ' {
		r += 0x60
	}
	if h, ok := fullToHalf[r]; ok {
		return h, true
	}
	if h, ok := smallHalf[r]; ok {
		return string(h), true
	}
	switch {
	case r >= 'a' && r <= 'z':
		return string(r - 'a' + 'A'), true
	case r >= 'Ａ' && r <= 'Ｚ':
		return string(r - 'Ａ' + 'A'), true
	case r >= 'ａ' && r <= 'ｚ':
		return string(r - 'ａ' + 'A'), true
	case r >= '０' && r <= '９':
		return string(r - '０' + '0'), true
	}
	switch r {
	case '\u3099', '゛': // combining and spacing voiced sound marks
		return string(voicedMark), true
	case '\u309A', '゜':
		return string(semiVoicedMark), true
	case '　', '\u00A0': // ideographic and no-break space
		return " ", true
	case '（':
		return "(", true
	case '）':
		return ")", true
	case '．', '｡', '・', '･':
		return ".", true
	case '／':
		return "/", true
	case 'ー', 'ｰ', '－', '−', '‐', '‑', '‒', '–', '—', '―', '﹣':
		return "-", true
	}
	return "", false
}

// ToZengin converts s to 全銀 kana. If some characters cannot be converted it returns an Errors
// value naming each of them.
func ToZengin(s string) (string, error) {
	var b strings.Builder
	b.Grow(len(s))
	var errs Errors
	i := 0
	for _, r := range s {
		i++
		h, ok := convert(r)
		if !ok {
			errs = append(errs, &CharError{Char: r, Index: i})
			continue
		}
		b.WriteString(h)
	}
	if errs != nil {
		return "", errs
	}
	return b.String(), nil
}

// ToZenginMax converts s like ToZengin and then checks that the result is at most max
// half-width characters long (ｶﾞ counts as two, as it does at the bank).
func ToZenginMax(s string, max int) (string, error) {
	z, err := ToZengin(s)
	if err != nil {
		return "", err
	}
	if err := CheckLength(z, max); err != nil {
		return "", err
	}
	return z, nil
}

// Validate checks that s is already in 全銀 form, and reports every character that is not.
func Validate(s string) error {
	var errs Errors
	i := 0
	for _, r := range s {
		i++
		if !IsZengin(r) {
			errs = append(errs, &CharError{Char: r, Index: i})
		}
	}
	if errs != nil {
		return errs
	}
	return nil
}

// CheckLength reports a *LengthError if the 全銀 string z is longer than max characters.
func CheckLength(z string, max int) error {
	if n := utf8.RuneCountInString(z); n > max {
		return &LengthError{Length: n, Max: max}
	}
	return nil
}

// CharError is one character that has no 全銀 form.
type CharError struct {
	Char  rune
	Index int // position in runes, 1-based as a person counts
}

func (e *CharError) Error() string {
	return fmt.Sprintf("%sは振込先名義に使えません。%s のみ使えます", e.label(), Allowed)
}

func (e *CharError) label() string {
	return fmt.Sprintf("「%s」（%d文字目）", displayRune(e.Char), e.Index)
}

// displayRune shows invisible characters by their code point, so the message is never blank.
func displayRune(r rune) string {
	if unicode.IsGraphic(r) && !unicode.Is(unicode.Mn, r) && r != utf8.RuneError {
		return string(r)
	}
	return fmt.Sprintf("U+%04X", r)
}

// Errors lists every bad character of one string. It unwraps to its *CharError values, so
// errors.As finds the first one.
type Errors []*CharError

func (es Errors) Error() string {
	if len(es) == 1 {
		return es[0].Error()
	}
	labels := make([]string, len(es))
	for i, e := range es {
		labels[i] = e.label()
	}
	return fmt.Sprintf("%sは振込先名義に使えません。%s のみ使えます", strings.Join(labels, "、"), Allowed)
}

// Unwrap returns the individual errors.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// LengthError says a converted name is longer than the bank allows.
type LengthError struct {
	Length int // half-width characters after conversion
	Max    int
}

func (e *LengthError) Error() string {
	return fmt.Sprintf("振込先名義が長すぎます（半角%d文字、上限は%d文字）。濁点・半濁点も1文字に数えます", e.Length, e.Max)
}
