package kana

import (
	"errors"
	"strings"
	"testing"
)

func TestToZengin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		bad      []rune // characters that must be reported, in order
	}{
		{in: "", want: ""},
		{in: "ﾔﾏﾀﾞ ﾀﾛｳ", want: "ﾔﾏﾀﾞ ﾀﾛｳ"},
		{in: "ヤマダ タロウ", want: "ﾔﾏﾀﾞ ﾀﾛｳ"},
		{in: "やまだ　たろう", want: "ﾔﾏﾀﾞ ﾀﾛｳ"},
		{in: "ガギグゲゴ", want: "ｶﾞｷﾞｸﾞｹﾞｺﾞ"},
		{in: "ザジズゼゾダヂヅデド", want: "ｻﾞｼﾞｽﾞｾﾞｿﾞﾀﾞﾁﾞﾂﾞﾃﾞﾄﾞ"},
		{in: "バビブベボ", want: "ﾊﾞﾋﾞﾌﾞﾍﾞﾎﾞ"},
		{in: "パピプペポ", want: "ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ"},
		{in: "ぱぴぷぺぽ", want: "ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ"},
		{in: "ヴァイオリン", want: "ｳﾞｱｲｵﾘﾝ"},
		{in: "ゔ", want: "ｳﾞ"},
		{in: "ァィゥェォ", want: "ｱｲｳｴｵ"},
		{in: "ッャュョヮ", want: "ﾂﾔﾕﾖﾜ"},
		{in: "ヵヶ", want: "ｶｹ"},
		{in: "ゕゖ", want: "ｶｹ"},
		{in: "ｧｨｩｪｫｬｭｮｯ", want: "ｱｲｳｴｵﾔﾕﾖﾂ"},
		{in: "キョウ", want: "ｷﾖｳ"},
		{in: "ニッポン", want: "ﾆﾂﾎﾟﾝ"},
		{in: "コーヒー", want: "ｺ-ﾋ-"},
		{in: "ｺｰﾋｰ", want: "ｺ-ﾋ-"},
		{in: "セ−ル", want: "ｾ-ﾙ"}, // U+2212
		{in: "セ‐ル", want: "ｾ-ﾙ"}, // U+2010
		{in: "セ－ル", want: "ｾ-ﾙ"}, // U+FF0D
		{in: "セ—ル", want: "ｾ-ﾙ"}, // U+2014
		{in: "ヰヱヲ", want: "ｲｴｦ"},
		{in: "をんな", want: "ｦﾝﾅ"},
		{in: "ヷヸヹヺ", want: "ﾜﾞｲﾞｴﾞｦﾞ"},
		{in: "ｶﾞｷﾞ", want: "ｶﾞｷﾞ"}, // already half-width with ﾞ
		{in: "ﾊﾟﾋﾟ", want: "ﾊﾟﾋﾟ"},
		{in: "か\u3099", want: "ｶﾞ"}, // decomposed (NFD) input
		{in: "は\u309A", want: "ﾊﾟ"},
		{in: "か゛", want: "ｶﾞ"},
		{in: "ＡＢＣ", want: "ABC"},
		{in: "ａｂｃ", want: "ABC"},
		{in: "abc XYZ", want: "ABC XYZ"},
		{in: "０１２３４５６７８９", want: "0123456789"},
		{in: "0123456789", want: "0123456789"},
		{in: "カ）ヤマダショウジ", want: "ｶ)ﾔﾏﾀﾞｼﾖｳｼﾞ"},
		{in: "（カ）ヤマダ", want: "(ｶ)ﾔﾏﾀﾞ"},
		{in: "ｶ.ﾔﾏﾀﾞ", want: "ｶ.ﾔﾏﾀﾞ"},
		{in: "ヤマダ．タロウ／ハナコ", want: "ﾔﾏﾀﾞ.ﾀﾛｳ/ﾊﾅｺ"},
		{in: "ジョン・スミス", want: "ｼﾞﾖﾝ.ｽﾐｽ"},
		{in: "ﾔﾏﾀﾞ  ﾀﾛｳ", want: "ﾔﾏﾀﾞ  ﾀﾛｳ"}, // repeated spaces kept
		{in: " ﾔﾏﾀﾞ　　", want: " ﾔﾏﾀﾞ  "},     // leading/trailing kept
		{in: "ABC(DEF)-G.H/I", want: "ABC(DEF)-G.H/I"},
		{in: "たかはし", want: "ﾀｶﾊｼ"},
		{in: "髙橋", bad: []rune{'髙', '橋'}},
		{in: "ﾀｶ髙ｼ", bad: []rune{'髙'}},
		{in: "山田 タロウ", bad: []rune{'山', '田'}},
		{in: "ヤマダ😀", bad: []rune{'😀'}},
		{in: "TARO@EXAMPLE", bad: []rune{'@'}},
		{in: "タロウ＠", bad: []rune{'＠'}},
		{in: "ﾔﾏﾀﾞ,ﾀﾛｳ", bad: []rune{','}},
		{in: "｢ﾔﾏﾀﾞ｣", bad: []rune{'｢', '｣'}},
		{in: "¥100", bad: []rune{'¥'}},
		{in: "ヤマダ〜", bad: []rune{'〜'}},
		{in: "ヤ\tマ", bad: []rune{'\t'}},
		{in: "ゝヽ", bad: []rune{'ゝ', 'ヽ'}},
		{in: "Café", bad: []rune{'é'}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ToZengin(tt.in)
			if tt.bad == nil {
				if err != nil {
					t.Fatalf("ToZengin(%q): unexpected error %v", tt.in, err)
				}
				if got != tt.want {
					t.Fatalf("ToZengin(%q) = %q, want %q", tt.in, got, tt.want)
				}
				if err := Validate(got); err != nil {
					t.Fatalf("Validate(ToZengin(%q)) = %v", tt.in, err)
				}
				return
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("ToZengin(%q) error = %v (%T), want Errors", tt.in, err, err)
			}
			if len(errs) != len(tt.bad) {
				t.Fatalf("ToZengin(%q) reported %d characters, want %d: %v", tt.in, len(errs), len(tt.bad), err)
			}
			for i, ce := range errs {
				if ce.Char != tt.bad[i] {
					t.Errorf("error %d: Char = %q, want %q", i, ce.Char, tt.bad[i])
				}
				if want := []rune(tt.in)[ce.Index-1]; want != ce.Char {
					t.Errorf("error %d: Index %d points at %q, not %q", i, ce.Index, want, ce.Char)
				}
			}
		})
	}
}

func TestCharErrorMessage(t *testing.T) {
	t.Parallel()
	_, err := ToZengin("ﾀｶ髙ｼ")
	want := "「髙」（3文字目）は振込先名義に使えません。半角カナ・英大文字・数字・スペース・( ) - . / のみ使えます"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant    %s", err, want)
	}
	var ce *CharError
	if !errors.As(err, &ce) || ce.Char != '髙' || ce.Index != 3 {
		t.Fatalf("errors.As(*CharError) = %+v", ce)
	}

	_, err = ToZengin("髙山タロウ😀")
	want = "「髙」（1文字目）、「山」（2文字目）、「😀」（6文字目）は振込先名義に使えません。"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error = %v\nwant prefix %s", err, want)
	}

	_, err = ToZengin("ﾀ\tﾛ")
	if err == nil || !strings.Contains(err.Error(), "「U+0009」（2文字目）") {
		t.Fatalf("invisible character not shown by code point: %v", err)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in  string
		bad int
	}{
		{"ﾔﾏﾀﾞ ﾀﾛｳ", 0},
		{"ｶ)ABC-123./(ｦ)", 0},
		{"ﾔﾏﾀﾞ ﾀﾛｰ", 1}, // ｰ must already be "-"
		{"ヤマダ", 3},
		{"ｷｮｳ", 1},
		{"abc", 3},
		{"ﾔﾏﾀﾞ,ﾀﾛｳ", 1},
	}
	for _, tt := range tests {
		err := Validate(tt.in)
		var errs Errors
		switch {
		case tt.bad == 0 && err != nil:
			t.Errorf("Validate(%q) = %v, want nil", tt.in, err)
		case tt.bad > 0 && (!errors.As(err, &errs) || len(errs) != tt.bad):
			t.Errorf("Validate(%q) = %v, want %d bad characters", tt.in, err, tt.bad)
		}
	}
}

func TestToZenginMax(t *testing.T) {
	t.Parallel()
	got, err := ToZenginMax("ガガガ", 6)
	if err != nil || got != "ｶﾞｶﾞｶﾞ" {
		t.Fatalf("ToZenginMax within limit = %q, %v", got, err)
	}
	_, err = ToZenginMax("ガガガ", 5)
	var le *LengthError
	if !errors.As(err, &le) || le.Length != 6 || le.Max != 5 {
		t.Fatalf("ToZenginMax over limit error = %v", err)
	}
	if want := "振込先名義が長すぎます（半角6文字、上限は5文字）"; !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("message = %q", err.Error())
	}
	// Bad characters are reported before the length.
	_, err = ToZenginMax("髙髙髙髙髙髙", 3)
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("want character errors first, got %v", err)
	}
}

func TestFold(t *testing.T) {
	t.Parallel()
	tests := []struct{ a, b string }{
		{"みずほ", "ミズホ"},
		{"ﾐｽﾞﾎ", "ミズホ"},
		{"とうきょう", "トウキヨウ"},
		{"つきじ", "ツキヂ"},
		{"じーえむおー", "ジ－エムオ－"},
		{"ｼﾞｰｴﾑｵｰ", "ジ－エムオ－"},
		{"ufj", "ＵＦＪ"},
		{"三菱 UFJ", "三菱ＵＦＪ"},
		{"か\u3099", "ガ"},
	}
	for _, tt := range tests {
		if fa, fb := Fold(tt.a), Fold(tt.b); fa != fb {
			t.Errorf("Fold(%q) = %q, Fold(%q) = %q; want equal", tt.a, fa, tt.b, fb)
		}
	}
}

func BenchmarkToZengin(b *testing.B) {
	for b.Loop() {
		if _, err := ToZengin("カ）ヤマダショウジ　ヤマダ　タロウ"); err != nil {
			b.Fatal(err)
		}
	}
}
