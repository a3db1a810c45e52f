package yamato

import (
	"net/url"
	"strings"
	"testing"
)

// goodCredit is a KAARA0010 form that passes every rule.
func goodCredit() url.Values {
	return url.Values{
		"ycfStrCode": {"12345678901"}, "orderNo": {"K-0001_a"}, "requestDate": {"20260302100000"}, "password": {"sandbox1"},
		"orderYmd": {"20260302"}, "shipYmd": {"20260303"}, "name": {"山田　太郎"}, "nameKana": {"ﾔﾏﾀﾞ ﾀﾛｳ"},
		"postCode": {"100-0005"}, "address1": {"東京都千代田区丸の内１－１－１"}, "address2": {"丸の内ビル１０１"},
		"telNum": {"03-1234-5678"}, "email": {"taro@example.jp"}, "totalAmount": {"3300"}, "sendDiv": {"0"},
		"itemName1": {"りんご"}, "itemCount1": {"2"}, "unitPrice1": {"1500"}, "subTotal1": {"3000"},
		"itemName2": {"送料"}, "itemCount2": {"1"}, "unitPrice2": {"300"}, "subTotal2": {"300"},
	}
}

func TestValidateCreditGood(t *testing.T) {
	t.Parallel()
	if errs := Validate(APICredit, goodCredit()); len(errs) != 0 {
		t.Fatalf("good form refused: %v", errs)
	}
}

// RuleCase breaks one rule of an endpoint's form and names the code the provider answers.
type RuleCase struct {
	Name string
	API  API
	Set  map[string]string // "" deletes
	Key  string
	Code string // "" = the form passes
}

// CreditRuleCases break one rule of KAARA0010 each (GoodCredit is the form they start from).
var CreditRuleCases = []RuleCase{
	{"store missing", APICredit, map[string]string{"ycfStrCode": ""}, "ycfStrCode", "kaara004E"},
	{"store letters", APICredit, map[string]string{"ycfStrCode": "1234567890a"}, "ycfStrCode", "kaara003E"},
	{"store length", APICredit, map[string]string{"ycfStrCode": "1234567890"}, "ycfStrCode", "kaara002E"},
	{"order missing", APICredit, map[string]string{"orderNo": ""}, "orderNo", "kaara006E"},
	{"order chars", APICredit, map[string]string{"orderNo": "K/0001"}, "orderNo", "kaara007E"},
	{"order 21", APICredit, map[string]string{"orderNo": strings.Repeat("1", 21)}, "orderNo", "kaara008E"},
	{"order 20 ok", APICredit, map[string]string{"orderNo": strings.Repeat("1", 20)}, "", ""},
	{"orderYmd missing", APICredit, map[string]string{"orderYmd": ""}, "orderYmd", "kaara010E"},
	{"orderYmd letters", APICredit, map[string]string{"orderYmd": "2026030a"}, "orderYmd", "kaara011E"},
	{"orderYmd length", APICredit, map[string]string{"orderYmd": "2026032"}, "orderYmd", "kaara012E"},
	{"orderYmd not a date", APICredit, map[string]string{"orderYmd": "20260230"}, "orderYmd", "kaara013E"},
	{"shipYmd missing", APICredit, map[string]string{"shipYmd": ""}, "shipYmd", "kaara014E"},
	{"shipYmd 91 days", APICredit, map[string]string{"shipYmd": "20260601"}, "shipYmd", "kaara018E"},
	{"shipYmd 90 days ok", APICredit, map[string]string{"shipYmd": "20260531"}, "", ""},
	{"ship before order", APICredit, map[string]string{"shipYmd": "20260301"}, "shipYmd", "kaara100E"},
	{"name missing", APICredit, map[string]string{"name": ""}, "name", "kaara019E"},
	{"name half-width", APICredit, map[string]string{"name": "Yamada"}, "name", "kaara020E"},
	{"name 31", APICredit, map[string]string{"name": strings.Repeat("山", 31)}, "name", "kaara021E"},
	{"name not cp932", APICredit, map[string]string{"name": "山田🍎"}, "name", "kaara022E"},
	{"kana full-width", APICredit, map[string]string{"nameKana": "ヤマダ"}, "nameKana", "kaara023E"},
	{"kana 81", APICredit, map[string]string{"nameKana": strings.Repeat("ｱ", 81)}, "nameKana", "kaara024E"},
	{"postal missing", APICredit, map[string]string{"postCode": ""}, "postCode", "kaara025E"},
	{"postal letters", APICredit, map[string]string{"postCode": "100-000a"}, "postCode", "kaara026E"},
	{"postal two hyphens", APICredit, map[string]string{"postCode": "10-00-005"}, "postCode", "kaara027E"},
	{"postal 6 digits", APICredit, map[string]string{"postCode": "100000"}, "postCode", "kaara028E"},
	{"postal hyphen misplaced", APICredit, map[string]string{"postCode": "1000-005"}, "postCode", "kaara105E"},
	{"postal 7 digits ok", APICredit, map[string]string{"postCode": "1000005"}, "", ""},
	{"address1 missing", APICredit, map[string]string{"address1": ""}, "address1", "kaara030E"},
	{"address1 half-width", APICredit, map[string]string{"address1": "東京都千代田区1-1"}, "address1", "kaara031E"},
	{"address1 26", APICredit, map[string]string{"address1": "東京都" + strings.Repeat("区", 23)}, "address1", "kaara032E"},
	{"address1 no prefecture", APICredit, map[string]string{"address1": "千代田区丸の内１－１"}, "address1", "kaara034E"},
	{"address2 half-width", APICredit, map[string]string{"address2": "Bldg"}, "address2", "kaara035E"},
	{"address2 26", APICredit, map[string]string{"address2": strings.Repeat("号", 26)}, "address2", "kaara036E"},
	{"no banchi", APICredit, map[string]string{"address1": "東京都千代田区丸の内", "address2": "ビル"}, "address2", "kaara103E"},
	{"tel missing", APICredit, map[string]string{"telNum": ""}, "telNum", "kaara038E"},
	{"tel letters", APICredit, map[string]string{"telNum": "03-1234-567a"}, "telNum", "kaara039E"},
	{"tel one hyphen", APICredit, map[string]string{"telNum": "03-12345678"}, "telNum", "kaara039E"},
	{"tel three hyphens", APICredit, map[string]string{"telNum": "0-3-1234-5678"}, "telNum", "kaara039E"},
	{"tel mobile 10", APICredit, map[string]string{"telNum": "090-1234-567"}, "telNum", "kaara040E"},
	{"tel fixed 11", APICredit, map[string]string{"telNum": "03-1234-56789"}, "telNum", "kaara040E"},
	{"tel not 0", APICredit, map[string]string{"telNum": "3312345678"}, "telNum", "kaara093E"},
	{"tel only hyphens", APICredit, map[string]string{"telNum": "--"}, "telNum", "kaara040E"},
	{"tel mobile ok", APICredit, map[string]string{"telNum": "09012345678"}, "", ""},
	{"email not ascii", APICredit, map[string]string{"email": "たろう@example.jp"}, "email", "kaara043E"},
	{"email 65", APICredit, map[string]string{"email": strings.Repeat("a", 54) + "@example.jp"}, "email", "kaara044E"},
	{"email no at", APICredit, map[string]string{"email": "taro.example.jp"}, "email", "kaara045E"},
	{"amount missing", APICredit, map[string]string{"totalAmount": ""}, "totalAmount", "kaara046E"},
	{"amount letters", APICredit, map[string]string{"totalAmount": "3,300"}, "totalAmount", "kaara047E"},
	{"amount 7 digits", APICredit, map[string]string{"totalAmount": "1000000"}, "totalAmount", "kaara048E"},
	{"amount zero", APICredit, map[string]string{"totalAmount": "0", "subTotal1": "-300"}, "totalAmount", "kaara049E"},
	{"sum differs", APICredit, map[string]string{"totalAmount": "3301"}, "totalAmount", "kaara101E"},
	{"sendDiv missing", APICredit, map[string]string{"sendDiv": ""}, "sendDiv", "kaara050E"},
	{"sendDiv letter", APICredit, map[string]string{"sendDiv": "a"}, "sendDiv", "kaara051E"},
	{"sendDiv 5", APICredit, map[string]string{"sendDiv": "5"}, "sendDiv", "kaara052E"},
	{"item1 missing", APICredit, map[string]string{"itemName1": "", "itemCount1": "", "unitPrice1": "", "subTotal1": "", "totalAmount": "300"}, "itemName1", "kaara057E"},
	{"item half-width", APICredit, map[string]string{"itemName2": "Shipping"}, "itemName2", "kaara054E"},
	{"item 31", APICredit, map[string]string{"itemName2": strings.Repeat("送", 31)}, "itemName2", "kaara055E"},
	{"count letters", APICredit, map[string]string{"itemCount1": "two"}, "itemCount1", "kaara058E"},
	{"count 5 digits", APICredit, map[string]string{"itemCount1": "10000"}, "itemCount1", "kaara059E"},
	{"price letters", APICredit, map[string]string{"unitPrice1": "1,500"}, "unitPrice1", "kaara060E"},
	{"price 7 digits", APICredit, map[string]string{"unitPrice1": "1000000"}, "unitPrice1", "kaara061E"},
	{"price below min", APICredit, map[string]string{"unitPrice1": "-1000000"}, "unitPrice1", "kaara062E"},
	{"subtotal letters", APICredit, map[string]string{"subTotal2": "3oo"}, "subTotal2", "kaara063E"},
	{"subtotal 7 digits", APICredit, map[string]string{"subTotal2": "1000000"}, "subTotal2", "kaara064E"},
	{"subtotal below min", APICredit, map[string]string{"subTotal2": "-1000000"}, "subTotal2", "kaara065E"},
	{"discount line ok", APICredit, map[string]string{"itemName3": "値引き", "itemCount3": "1", "unitPrice3": "-300", "subTotal3": "-300", "totalAmount": "3000"}, "", ""},
	{"gift without address", APICredit, map[string]string{"sendDiv": "1", "sendName": "佐藤　花子"}, "sendPostCode", "kaara102E"},
	{"gift name half", APICredit, map[string]string{"sendName": "Hanako"}, "sendName", "kaara066E"},
	{"gift postal", APICredit, map[string]string{"sendPostCode": "1000-005"}, "sendPostCode", "kaara106E"},
	{"gift address prefecture", APICredit, map[string]string{"sendAddress1": "千代田区１－１"}, "sendAddress1", "kaara078E"},
	{"gift no banchi", APICredit, map[string]string{"sendAddress1": "東京都千代田区"}, "sendAddress2", "kaara104E"},
	{"gift tel one hyphen", APICredit, map[string]string{"sendTelNum": "03-12345678"}, "sendTelNum", "kaara083E"},
	{"gift tel not 0", APICredit, map[string]string{"sendTelNum": "3312345678"}, "sendTelNum", "kaara094E"},
	{"free field not cp932", APICredit, map[string]string{"billPostCode": "🍎"}, "billPostCode", "kaara095E"},
	{"free field symbols", APICredit, map[string]string{"billPostCode": "a+b"}, "billPostCode", "kaara095E"},
	{"free field half 40 ok", APICredit, map[string]string{"billPostCode": strings.Repeat("a", 40)}, "", ""},
	{"free field too long", APICredit, map[string]string{"billPostCode": strings.Repeat("あ", 21)}, "billPostCode", "kaara096E"},
	{"request date missing", APICredit, map[string]string{"requestDate": ""}, "requestDate", "kaara086E"},
	{"request date letters", APICredit, map[string]string{"requestDate": "2026030210000a"}, "requestDate", "kaara087E"},
	{"request date length", APICredit, map[string]string{"requestDate": "202603021000"}, "requestDate", "kaara088E"},
	{"request date invalid", APICredit, map[string]string{"requestDate": "20260302250000"}, "requestDate", "kaara089E"},
	{"password missing", APICredit, map[string]string{"password": ""}, "password", "kaara090E"},
	{"password symbols", APICredit, map[string]string{"password": "pass-1"}, "password", "kaara091E"},
}

// GoodCredit is exported for the conformance test.
var GoodCredit = goodCredit

func TestValidateCreditRules(t *testing.T) {
	t.Parallel()
	for _, tt := range CreditRuleCases {
		tt := struct {
			name string
			set  map[string]string
			key  string
			code string
		}{tt.Name, tt.Set, tt.Key, tt.Code}
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := goodCredit()
			for k, v := range tt.set {
				if v == "" {
					f.Del(k)
				} else {
					f.Set(k, v)
				}
			}
			errs := Validate(APICredit, f)
			if tt.code == "" {
				if len(errs) != 0 {
					t.Fatalf("refused: %v", errs)
				}
				return
			}
			if len(errs) == 0 {
				t.Fatalf("accepted, want %s on %s", tt.code, tt.key)
			}
			var got []string
			for _, e := range errs {
				got = append(got, e.Key+" "+e.Code)
				if e.Key == tt.key && e.Code == tt.code {
					if e.Label == "" || e.Message == "" {
						t.Errorf("error lacks label or message: %+v", e)
					}
					return
				}
			}
			t.Fatalf("errors %v, want %s %s", got, tt.key, tt.code)
		})
	}
}

var reduceForm = map[string]string{"postCode": "1000005", "address1": "東京都千代田区丸の内１－１", "totalAmount": "1000",
	"itemName1": "りんご", "itemCount1": "1", "unitPrice1": "1000", "subTotal1": "1000"}

func with(m map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// OtherRuleCases: the other endpoints, one case per rule family, each with its own code. The
// form starts from BaseForm (credentials, orderNo, requestDate).
var OtherRuleCases = []RuleCase{
	{"result ok", APIResult, nil, "", ""},
	{"result order chars", APIResult, map[string]string{"orderNo": "K 1"}, "orderNo", "kaars014E"},
	{"result store", APIResult, map[string]string{"ycfStrCode": ""}, "ycfStrCode", "kaars004E"},
	{"result password", APIResult, map[string]string{"password": ""}, "password", "kaars013E"},
	{"status order long", APIStatus, map[string]string{"orderNo": strings.Repeat("a", 21)}, "orderNo", "kaast005E"},
	{"status date", APIStatus, map[string]string{"requestDate": "x"}, "requestDate", "kaast010E"},
	{"cancel order chars", APICancel, map[string]string{"orderNo": "K+1"}, "orderNo", "kaacl016E"},
	{"cancel date invalid", APICancel, map[string]string{"requestDate": "20261332000000"}, "requestDate", "kaacl010E"},
	{"shipment ok", APIShipment, map[string]string{"processDiv": "0", "paymentNo": WithCheckDigit("12345678901")}, "", ""},
	{"shipment div", APIShipment, map[string]string{"processDiv": "5", "paymentNo": "123456789013"}, "processDiv", "kaasl019E"},
	{"shipment no number", APIShipment, map[string]string{"processDiv": "0"}, "paymentNo", "kaasl011E"},
	{"shipment too long", APIShipment, map[string]string{"processDiv": "0", "paymentNo": "1234567890123"}, "paymentNo", "kaasl010E"},
	{"shipment chars", APIShipment, map[string]string{"processDiv": "0", "paymentNo": "1234/5678901"}, "paymentNo", "kaasl012E"},
	{"shipment check digit", APIShipment, map[string]string{"processDiv": "0", "paymentNo": "123456789014"}, "paymentNo", "kaasl014E"},
	{"shipment other carrier", APIShipment, map[string]string{"processDiv": "2", "paymentNo": "SG-1234"}, "", ""},
	{"shipment cancel with number", APIShipment, map[string]string{"processDiv": "9", "paymentNo": "123456789013"}, "paymentNo", "kaasl013E"},
	{"shipment cancel with date", APIShipment, map[string]string{"processDiv": "9", "shipYmd": "20260303"}, "shipYmd", "kaasl031E"},
	{"shipment change without before", APIShipment, map[string]string{"processDiv": "1", "paymentNo": "123456789013", "shipYmd": "20260303"}, "beforePaymentNo", "kaasl011E"},
	{"shipment date invalid", APIShipment, map[string]string{"processDiv": "0", "paymentNo": "123456789013", "shipYmd": "20260231"}, "shipYmd", "kaasl023E"},
	{"shipment date 91 days", APIShipment, map[string]string{"processDiv": "0", "paymentNo": "123456789013", "shipYmd": "20260601"}, "shipYmd", "kaasl042E"},
	{"shipment order chars", APIShipment, map[string]string{"processDiv": "0", "paymentNo": "123456789013", "orderNo": "あ"}, "orderNo", "kaasl038E"},
	{"reduce ok", APIReduce, reduceForm, "", ""},
	{"reduce sum", APIReduce, with(reduceForm, "totalAmount", "900"), "totalAmount", "kaakk051E"},
	{"reduce postal", APIReduce, with(reduceForm, "postCode", "1234"), "postCode", "kaakk020E"},
	{"reduce address half", APIReduce, with(reduceForm, "address1", "Tokyo"), "address1", "kaakk025E"},
	{"reduce no prefecture", APIReduce, with(reduceForm, "address1", "千代田区１－１"), "address1", "kaakk027E"},
	{"reduce item missing", APIReduce, with(reduceForm, "itemName1", ""), "itemName1", "kaakk032E"},
	{"reduce price minus last", APIReduce, with(reduceForm, "unitPrice1", "100-"), "unitPrice1", "kaakk039E"},
	{"reduce subtotal minus last", APIReduce, with(reduceForm, "subTotal1", "100-"), "subTotal1", "kaakk043E"},
	{"reduce sendDiv", APIReduce, with(reduceForm, "sendDiv", "2"), "sendDiv", "kaakk054E"},
	{"reduce amount 7", APIReduce, with(reduceForm, "totalAmount", "1000000"), "totalAmount", "kaakk048E"},
	{"reduce password long", APIReduce, with(reduceForm, "password", "abcdefghi"), "password", "kaakk060E"},
	{"reduce store", APIReduce, with(reduceForm, "ycfStrCode", ""), "ycfStrCode", "kaakk001E"},
	{"reissue withdraw ok", APIReissue, map[string]string{"requestContents": "3"}, "", ""},
	{"reissue contents", APIReissue, map[string]string{"requestContents": "2"}, "requestContents", "kaarr014E"},
	{"reissue no contents", APIReissue, nil, "requestContents", "kaarr013E"},
	{"reissue no reason", APIReissue, with(reduceForm, "requestContents", "1"), "reasonReissue", "kaarr018E"},
	{"reissue other without text", APIReissue, with(reduceForm, "requestContents", "1", "reasonReissue", "6"), "reasonReissueEtc", "kaarr020E"},
	{"reissue ok", APIReissue, with(reduceForm, "requestContents", "1", "reasonReissue", "4"), "", ""},
	{"sms ok", APISMSVerify, map[string]string{"ninCode": "1234"}, "", ""},
	{"sms missing", APISMSVerify, nil, "ninCode", "kaasa010E"},
	{"sms letters", APISMSVerify, map[string]string{"ninCode": "12a4"}, "ninCode", "kaasa011E"},
	{"sms 5 digits", APISMSVerify, map[string]string{"ninCode": "12345"}, "ninCode", "kaasa012E"},
	{"sms password long", APISMSVerify, map[string]string{"ninCode": "1234", "password": "abcdefghi"}, "password", "kaasa023E"},
}

// BaseForm is the common part of every endpoint's form, with set applied ("" deletes).
func BaseForm(set map[string]string) url.Values {
	f := url.Values{"ycfStrCode": {"12345678901"}, "orderNo": {"K-1"}, "requestDate": {"20260302100000"}, "password": {"sandbox1"}}
	for k, v := range set {
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
	}
	return f
}

func TestValidateOtherAPIs(t *testing.T) {
	t.Parallel()
	for _, c := range OtherRuleCases {
		tt := struct {
			name string
			api  API
			set  map[string]string
			key  string
			code string
		}{c.Name, c.API, c.Set, c.Key, c.Code}
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			errs := Validate(tt.api, BaseForm(tt.set))
			if tt.code == "" {
				if len(errs) != 0 {
					t.Fatalf("refused: %v", errs)
				}
				return
			}
			for _, e := range errs {
				if e.Key == tt.key && e.Code == tt.code {
					return
				}
			}
			t.Fatalf("errors %v, want %s %s", errs, tt.key, tt.code)
		})
	}
}

func TestTrackingCheckDigit(t *testing.T) {
	t.Parallel()
	// 12345678901 mod 7 = 3, the worked example of the 7DR scheme.
	if got := WithCheckDigit("12345678901"); got != "123456789013" {
		t.Fatalf("WithCheckDigit = %s", got)
	}
	for no, want := range map[string]bool{"123456789013": true, "1234-5678-9013": true, "123456789012": false,
		"111111111111": false, WithCheckDigit("11111111111"): true, "12345678901": false, "12345678901a": false} {
		if got := TrackingCheckDigitOK(no); got != want {
			t.Errorf("TrackingCheckDigitOK(%s) = %v, want %v", no, got, want)
		}
	}
}

func TestTextConversions(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"ﾔﾏﾀﾞ ﾀﾛｳ": "ヤマダ　タロウ", "1-2-3 Bldg〜": "１－２－３　Ｂｌｄｇ～", "山田": "山田"} {
		if got := ToZenkaku(in); got != want {
			t.Errorf("ToZenkaku(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"やまだ　たろう": "ﾔﾏﾀﾞ ﾀﾛｳ", "ガーデン": "ｶﾞｰﾃﾞﾝ"} {
		if got := ToHankakuKana(in); got != want {
			t.Errorf("ToHankakuKana(%q) = %q, want %q", in, got, want)
		}
	}
	long := "東京都千代田区丸の内一丁目１番１号丸の内ビルディング３４５６号室とても長い住所"
	a1, a2, ok := SplitAddress(long)
	if !ok || len([]rune(a1)) != 25 || a1+a2 != long {
		t.Errorf("SplitAddress = %q %q %v", a1, a2, ok)
	}
	if _, _, ok := SplitAddress(strings.Repeat("東", 51)); ok {
		t.Error("51 characters split without complaint")
	}
}

// No form makes the rules panic; the seeds run with every go test.
func FuzzValidate(f *testing.F) {
	for _, s := range []string{"--", "-", "", "0", "０３", "\xff", "-1-", "1-", "00000000000000000000", "東京都", "🍎"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, api := range APIs {
			form := goodCredit()
			for _, k := range []string{"telNum", "postCode", "sendTelNum", "sendPostCode", "totalAmount", "unitPrice1", "subTotal1",
				"itemCount1", "orderYmd", "shipYmd", "requestDate", "paymentNo", "processDiv", "ninCode", "address1", "billPostCode"} {
				form.Set(k, a)
			}
			form.Set("address2", b)
			form.Set("sendDiv", b)
			form.Set("requestContents", b)
			form.Set("reasonReissue", a)
			_ = Validate(api, form)
		}
	})
}
