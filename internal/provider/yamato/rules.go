package yamato

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"kessai/internal/platform/clock"
)

// The field rules of every endpoint, as the provider's error table (spec v5.5) states them, each
// with the error code the provider answers when the rule is broken. The client runs them on the
// form it is about to send, so a bad field is refused before anything leaves kessai with the
// field named; the sandbox runs the same table on what it receives and answers the same code.
// Rules that need the provider's records (an existing order, its status, its registered total)
// are the sandbox's own.

// FieldError is one broken field rule.
type FieldError struct {
	Key     string // wire key, e.g. "telNum", "itemName2"
	Label   string // the provider's Japanese field name, e.g. 電話番号, 購入商品名称(2)
	Code    string // the error code the provider answers, e.g. kaara040E
	Message string // what is allowed, in Japanese
	Value   string // the offending value
}

func (e FieldError) Error() string {
	s := fmt.Sprintf("%s（%s）: %s [%s]", e.Label, e.Key, e.Message, e.Code)
	if e.Value != "" {
		s += fmt.Sprintf("（値: %s）", e.Value)
	}
	return s
}

// ValidationError lists every broken rule of one request; nothing was sent.
type ValidationError struct {
	API    API
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "yamato: %s: 送信前の検査で%d件の誤りがあります", e.API, len(e.Fields))
	for _, f := range e.Fields {
		b.WriteString("; ")
		b.WriteString(f.Error())
	}
	return b.String()
}

// Field returns the first error about the wire key, if any.
func (e *ValidationError) Field(key string) (FieldError, bool) {
	for _, f := range e.Fields {
		if f.Key == key {
			return f, true
		}
	}
	return FieldError{}, false
}

// Validate checks a request form against the field rules of api and returns every broken rule,
// in field order. An unknown api has no rules.
func Validate(api API, form url.Values) []FieldError {
	c := &checker{f: form, api: api}
	switch api {
	case APICredit:
		c.common(commonCodes{4, 3, 2, 6, 7, 8, 86, 87, 88, 89, 90, 91, 0})
		c.credit()
	case APIResult:
		c.common(commonCodes{4, 3, 2, 7, 14, 5, 11, 10, 0, 9, 13, 0, 0})
	case APIStatus:
		c.common(commonCodes{4, 3, 2, 7, 6, 5, 11, 10, 0, 9, 13, 0, 0})
	case APIShipment:
		c.common(commonCodes{4, 3, 2, 7, 38, 5, 35, 34, 0, 33, 37, 0, 0})
		c.shipment()
	case APICancel:
		c.common(commonCodes{4, 3, 2, 7, 16, 5, 12, 11, 0, 10, 14, 0, 0})
	case APIReduce:
		c.common(commonCodes{1, 2, 3, 5, 6, 7, 62, 63, 64, 65, 59, 0, 60})
		c.reduce()
	case APIReissue:
		// The table has no 依頼日時 codes for KAARR0010; it is sent and not checked here.
		c.common(commonCodes{1, 2, 3, 5, 6, 7, 0, 0, 0, 0, 10, 11, 0})
		c.reissue()
	case APISMSVerify:
		c.common(commonCodes{1, 2, 3, 6, 7, 0, 13, 14, 15, 16, 17, 18, 23})
		c.digitsMax("ninCode", "認証コード", 10, 11, 12, 4)
	}
	return c.errs
}

type checker struct {
	f    url.Values
	api  API
	errs []FieldError
}

func (c *checker) get(key string) string { return c.f.Get(key) }

// code returns the provider's code number n of this endpoint, e.g. 40 → kaara040E.
func (c *checker) code(n int) string { return fmt.Sprintf("%s%03dE", c.api.errPrefix(), n) }

func (c *checker) add(key, label string, n int, msg string) {
	c.errs = append(c.errs, FieldError{Key: key, Label: label, Code: c.code(n), Message: msg, Value: c.get(key)})
}

// commonCodes are the code numbers of the fields every endpoint takes; 0 means the table has
// no code for that rule and the nearest one is used.
type commonCodes struct {
	storeMissing, storeDigits, storeLen    int
	orderMissing, orderChars, orderLen     int
	dateMissing, dateDigits, dateLen, date int
	passMissing, passChars, passLen        int
}

func (c *checker) common(n commonCodes) {
	const sk, sl = "ycfStrCode", "加盟店コード"
	switch s := c.get(sk); {
	case s == "":
		c.add(sk, sl, n.storeMissing, "加盟店コードを指定してください")
	case !isDigits(s):
		c.add(sk, sl, n.storeDigits, "半角数字で指定してください")
	case len(s) != 11:
		c.add(sk, sl, n.storeLen, "11桁で指定してください")
	}
	const ok, ol = "orderNo", "受注番号"
	switch s := c.get(ok); {
	case s == "":
		c.add(ok, ol, n.orderMissing, "受注番号を指定してください")
	case !isOrderNoChars(s):
		c.add(ok, ol, n.orderChars, "半角英数字と「-」「_」だけで指定してください")
	case len(s) > OrderNoMax:
		c.add(ok, ol, or(n.orderLen, n.orderChars), "20桁以内で指定してください")
	}
	if n.date != 0 {
		const dk, dl = "requestDate", "依頼日時"
		switch s := c.get(dk); {
		case s == "":
			c.add(dk, dl, n.dateMissing, "依頼日時を指定してください")
		case !isDigits(s):
			c.add(dk, dl, n.dateDigits, "半角数字で指定してください")
		case len(s) != 14:
			c.add(dk, dl, or(n.dateLen, n.date), "yyyyMMddHHmmss の14桁で指定してください")
		default:
			if _, err := time.Parse("20060102150405", s); err != nil {
				c.add(dk, dl, n.date, "実在する日時を yyyyMMddHHmmss で指定してください")
			}
		}
	}
	const pk, pl = "password", "パスワード"
	switch s := c.get(pk); {
	case s == "":
		c.add(pk, pl, n.passMissing, "パスワードを指定してください")
	case n.passChars != 0 && !isAlnum(s):
		c.add(pk, pl, n.passChars, "半角英数字で指定してください")
	case n.passLen != 0 && len(s) > PasswordMax:
		c.add(pk, pl, n.passLen, "8桁以内で指定してください")
	}
}

// Limits of the API.
const (
	OrderNoMax   = 20
	PasswordMax  = 8
	NameMax      = 30
	NameKanaMax  = 80
	ItemNameMax  = 30
	EmailMax     = 64
	AmountMax    = 999999
	ItemsMax     = 10
	ItemCountMax = 9999
	TrackingMax  = 12
	ShipWithin   = 90 // days from the request date
	ReissueMax   = 7
)

func or(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// date8 checks a yyyyMMdd field and returns the date when it is good.
func (c *checker) date8(key, label string, missing, digits, length, valid int) (time.Time, bool) {
	s := c.get(key)
	switch {
	case s == "":
		if missing != 0 {
			c.add(key, label, missing, label+"を指定してください")
		}
		return time.Time{}, false
	case !isDigits(s):
		c.add(key, label, digits, "半角数字で指定してください")
	case len(s) != 8:
		c.add(key, label, length, "yyyyMMdd の8桁で指定してください")
	default:
		t, err := time.ParseInLocation("20060102", s, clock.JST)
		if err == nil {
			return t, true
		}
		c.add(key, label, valid, "実在する日付を yyyyMMdd で指定してください")
	}
	return time.Time{}, false
}

// requestDay is the JST date of requestDate, from which the 90 days are counted.
func (c *checker) requestDay() (time.Time, bool) {
	t, err := time.ParseInLocation("20060102150405", c.get("requestDate"), clock.JST)
	if err != nil {
		return time.Time{}, false
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, clock.JST), true
}

// within90 checks that a ship date lies within ShipWithin days of the request.
func (c *checker) within90(key, label string, ship time.Time, code int) {
	if day, ok := c.requestDay(); ok && (ship.Before(day.AddDate(0, 0, -ShipWithin)) || ship.After(day.AddDate(0, 0, ShipWithin))) {
		c.add(key, label, code, "依頼日から90日以内の日付を指定してください")
	}
}

// zen checks a 全角 text field. missing 0 makes it optional.
func (c *checker) zen(key, label string, missing, notZen, tooLong, charset, max int) bool {
	s := c.get(key)
	if s == "" {
		if missing != 0 {
			c.add(key, label, missing, label+"を指定してください")
			return false
		}
		return true
	}
	switch classify(s) {
	case notEncoded:
		c.add(key, label, charset, "Shift_JIS（CP932）で表せない文字は使えません")
		return false
	case hasHalf:
		c.add(key, label, notZen, "全角文字で指定してください")
		return false
	}
	if runeLen(s) > max {
		c.add(key, label, tooLong, fmt.Sprintf("全角%d文字以内で指定してください", max))
		return false
	}
	return true
}

// postal checks a 郵便番号: 7 digits, or 000-0000.
func (c *checker) postal(key, label string, missing, chars, hyphens, digits, format int) {
	s := c.get(key)
	switch {
	case s == "":
		if missing != 0 {
			c.add(key, label, missing, label+"を指定してください")
		}
	case strings.Trim(s, "0123456789-") != "":
		c.add(key, label, chars, "半角数字と「-」で指定してください")
	case strings.Count(s, "-") > 1:
		c.add(key, label, hyphens, "「-」は1つまでです")
	case len(strings.ReplaceAll(s, "-", "")) != 7:
		c.add(key, label, digits, "「-」を除いて7桁で指定してください")
	case strings.Contains(s, "-") && (len(s) != 8 || s[3] != '-'):
		c.add(key, label, format, "「-」を入れるときは 000-0000 の形で指定してください")
	}
}

// tel checks a telephone number: digits with no or exactly two hyphens, starting with 0, 11
// digits for mobiles, 10 otherwise.
func (c *checker) tel(key, label string, missing, chars, hyphens, length, zero int) {
	s := c.get(key)
	d := strings.ReplaceAll(s, "-", "")
	switch {
	case s == "":
		if missing != 0 {
			c.add(key, label, missing, label+"を指定してください")
		}
	case strings.Trim(s, "0123456789-") != "":
		c.add(key, label, chars, "半角数字と「-」で指定してください")
	case strings.Contains(s, "-") && strings.Count(s, "-") != 2:
		c.add(key, label, hyphens, "「-」を入れるときはちょうど2つにしてください（例: 03-1234-5678）")
	case d == "":
		c.add(key, label, length, "電話番号の数字がありません")
	case d[0] != '0':
		c.add(key, label, zero, "「0」で始まる電話番号を指定してください")
	case isMobile(d) && len(d) != 11:
		c.add(key, label, length, "携帯電話番号は「-」を除いて11桁で指定してください")
	case !isMobile(d) && len(d) != 10:
		c.add(key, label, length, "携帯電話以外の番号は「-」を除いて10桁で指定してください")
	}
}

// address checks 住所１ and 住所２ and the 番地 rule across both. missing 0 makes the pair
// optional (a gift address not given).
type addrCodes struct{ missing, zen1, len1, charset1, pref, zen2, len2, charset2, banchi int }

func (c *checker) address(k1, l1, k2, l2 string, n addrCodes) {
	ok1 := c.zen(k1, l1, n.missing, n.zen1, n.len1, n.charset1, AddressMax)
	ok2 := c.zen(k2, l2, 0, n.zen2, n.len2, n.charset2, AddressMax)
	a1 := c.get(k1)
	if a1 == "" {
		return
	}
	if ok1 && !startsWithPrefecture(a1) {
		c.add(k1, l1, n.pref, "都道府県から始まる住所を指定してください")
	}
	if ok1 && ok2 && !hasBanchi(a1+c.get(k2)) {
		c.add(k2, l2, n.banchi, "住所１と住所２を合わせた住所に番地を含めてください")
	}
}

// digitsMax checks an optional or required field of at most max digits.
func (c *checker) digitsMax(key, label string, missing, digits, length, max int) {
	s := c.get(key)
	switch {
	case s == "":
		if missing != 0 {
			c.add(key, label, missing, label+"を指定してください")
		}
	case !isDigits(s):
		c.add(key, label, digits, "半角数字で指定してください")
	case len(s) > max:
		c.add(key, label, length, fmt.Sprintf("%d桁以内で指定してください", max))
	}
}

// amount checks 決済金額総計 and returns it.
func (c *checker) amount(missing, digits, length, rangeCode int) (int64, bool) {
	const k, l = "totalAmount", "決済金額総計"
	s := c.get(k)
	switch {
	case s == "":
		c.add(k, l, missing, "決済金額総計を指定してください")
	case !isDigits(s):
		c.add(k, l, digits, "半角数字で指定してください")
	case len(s) > 6:
		c.add(k, l, length, "6桁以内で指定してください")
	default:
		n, _ := strconv.ParseInt(s, 10, 64)
		if n >= 1 && n <= AmountMax {
			return n, true
		}
		c.add(k, l, or(rangeCode, length), "1円以上999,999円以下で指定してください")
	}
	return 0, false
}

// signed checks a unit price or subtotal: −999,999 to 999,999, the minus sign first.
func (c *checker) signed(key, label string, chars, minus, pos, neg int) (int64, bool) {
	s := c.get(key)
	if s == "" {
		return 0, true
	}
	body := strings.TrimPrefix(s, "-")
	switch {
	case strings.Trim(s, "0123456789-") != "":
		c.add(key, label, chars, "半角数字と「-」で指定してください")
	case !isDigits(body):
		c.add(key, label, or(minus, chars), "負の数は先頭に「-」を付けて指定してください")
	case body == s && len(body) > 6:
		c.add(key, label, pos, "0〜999,999 で指定してください")
	case body != s && (len(body) > 6 || body == strings.Repeat("0", len(body))):
		c.add(key, label, neg, "負の数は -999,999〜-1 で指定してください")
	default:
		n, _ := strconv.ParseInt(s, 10, 64)
		return n, true
	}
	return 0, false
}

// itemCodes are the code numbers of the item-line rules.
type itemCodes struct {
	nameZen, nameLen, nameCharset, first int
	countDigits, countLen                int
	priceChars, priceMinus, pricePos     int
	priceNeg                             int
	subChars, subMinus, subPos, subNeg   int
}

// itemKeys are the wire keys and labels of item line n (1-based), built once.
var itemKeys = func() (k [ItemsMax + 1]struct{ name, count, price, sub, nameLabel, countLabel, priceLabel, subLabel string }) {
	for i := 1; i <= ItemsMax; i++ {
		k[i].name, k[i].count, k[i].price, k[i].sub = fmt.Sprintf("itemName%d", i), fmt.Sprintf("itemCount%d", i), fmt.Sprintf("unitPrice%d", i), fmt.Sprintf("subTotal%d", i)
		k[i].nameLabel, k[i].countLabel = fmt.Sprintf("購入商品名称(%d)", i), fmt.Sprintf("購入商品数量(%d)", i)
		k[i].priceLabel, k[i].subLabel = fmt.Sprintf("購入商品単価(%d)", i), fmt.Sprintf("購入商品小計(%d)", i)
	}
	return k
}()

// items checks the 1–10 item lines and returns the sum of the subtotals; ok is false when a
// subtotal could not be read.
func (c *checker) items(n itemCodes) (sum int64, ok bool) {
	ok = true
	for i := 1; i <= ItemsMax; i++ {
		k := itemKeys[i]
		nk, ck, pk, sk, nl := k.name, k.count, k.price, k.sub, k.nameLabel
		present := c.get(nk) != "" || c.get(ck) != "" || c.get(pk) != "" || c.get(sk) != ""
		if !present {
			if i == 1 {
				c.add(nk, nl, n.first, "購入商品名称(1)を指定してください")
			}
			continue
		}
		if c.get(nk) == "" {
			c.add(nk, nl, n.first, "商品名を指定してください")
		} else {
			c.zen(nk, nl, 0, n.nameZen, n.nameLen, n.nameCharset, ItemNameMax)
		}
		c.digitsMax(ck, k.countLabel, 0, n.countDigits, n.countLen, 4)
		c.signed(pk, k.priceLabel, n.priceChars, n.priceMinus, n.pricePos, n.priceNeg)
		v, good := c.signed(sk, k.subLabel, n.subChars, n.subMinus, n.subPos, n.subNeg)
		if c.get(sk) == "" {
			c.add(sk, k.subLabel, n.subChars, "小計を指定してください")
			good = false
		}
		ok = ok && good
		sum += v
	}
	return sum, ok
}

// freeField checks フリー項目 (billPostCode): 全角 up to 20 or 半角 up to 40.
func (c *checker) freeField(charset, chars, length int) {
	const k, l = "billPostCode", "フリー項目"
	s := c.get(k)
	if s == "" {
		return
	}
	switch classify(s) {
	case notEncoded:
		c.add(k, l, charset, "Shift_JIS（CP932）で表せない文字は使えません")
	case allFull:
		if runeLen(s) > 20 {
			c.add(k, l, length, "全角20文字以内で指定してください")
		}
	default:
		if strings.ContainsFunc(s, func(r rune) bool { return r < 0x80 && !(isAlnum(string(r)) || r == '-' || r == '_') }) {
			c.add(k, l, or(chars, charset), "英数字・カナ・「-」「_」で指定してください")
		} else if cp932Len(s) > 40 {
			c.add(k, l, length, "半角40文字以内で指定してください")
		}
	}
}

// cp932Len counts s the way CP932 does: one per half-width character, two per full-width.
func cp932Len(s string) int {
	n := 0
	for _, r := range s {
		n += max(1, cp932Width(r))
	}
	return n
}

func (c *checker) credit() {
	order, okOrder := c.date8("orderYmd", "受注日", 10, 11, 12, 13)
	ship, okShip := c.date8("shipYmd", "出荷予定日", 14, 15, 16, 17)
	if okShip {
		c.within90("shipYmd", "出荷予定日", ship, 18)
	}
	if okOrder && okShip && ship.Before(order) {
		c.add("shipYmd", "出荷予定日", 100, "出荷予定日は受注日以降にしてください")
	}
	c.zen("name", "氏名", 19, 20, 21, 22, NameMax)
	if s := c.get("nameKana"); s != "" {
		if !isHankakuKana(s) {
			c.add("nameKana", "氏名カナ", 23, "半角カナで指定してください")
		} else if runeLen(s) > NameKanaMax {
			c.add("nameKana", "氏名カナ", 24, "80文字以内で指定してください")
		}
	}
	c.postal("postCode", "郵便番号", 25, 26, 27, 28, 105)
	c.address("address1", "住所１", "address2", "住所２", addrCodes{30, 31, 32, 33, 34, 35, 36, 37, 103})
	c.tel("telNum", "電話番号", 38, 39, 39, 40, 93)
	if s := c.get("email"); s != "" {
		switch {
		case strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r > '~' }):
			c.add("email", "メールアドレス", 43, "半角英数字で指定してください")
		case len(s) > EmailMax:
			c.add("email", "メールアドレス", 44, "64文字以内で指定してください")
		case strings.Index(s, "@") < 1 || strings.HasSuffix(s, "@"):
			c.add("email", "メールアドレス", 45, "「ローカル部@ドメイン部」の形で指定してください")
		}
	}
	total, okTotal := c.amount(46, 47, 48, 49)
	switch s := c.get("sendDiv"); {
	case s == "":
		c.add("sendDiv", "送り先区分", 50, "送り先区分を指定してください")
	case !isDigits(s):
		c.add("sendDiv", "送り先区分", 51, "半角数字で指定してください")
	case !strings.Contains("0 1 2 3 4", s) || len(s) != 1:
		c.add("sendDiv", "送り先区分", 52, "0（本人送り）, 1（本人以外）, 2（同梱）, 3・4（SMS）のいずれかを指定してください")
	}
	sum, okSum := c.items(itemCodes{54, 55, 56, 57, 58, 59, 60, 0, 61, 62, 63, 0, 64, 65})
	if okTotal && okSum && sum != total {
		c.add("totalAmount", "決済金額総計", 101, fmt.Sprintf("購入商品小計の合計（%d円）と一致させてください", sum))
	}
	if c.get("sendDiv") == string(SendOther) {
		for _, k := range []string{"sendName", "sendPostCode", "sendAddress1"} {
			if c.get(k) == "" {
				c.add(k, sendLabels[k], 102, "送り先区分が1（本人以外）のときは送り先名称・郵便番号・住所１を指定してください")
			}
		}
	}
	c.zen("sendName", "送り先名称", 0, 66, 67, 68, NameMax)
	c.postal("sendPostCode", "送り先郵便番号", 0, 70, 71, 72, 106)
	c.address("sendAddress1", "送り先住所１", "sendAddress2", "送り先住所２", addrCodes{0, 75, 76, 77, 78, 79, 80, 81, 104})
	c.tel("sendTelNum", "送り先電話番号", 0, 82, 83, 84, 94)
	c.freeField(95, 95, 96)
}

var sendLabels = map[string]string{"sendName": "送り先名称", "sendPostCode": "送り先郵便番号", "sendAddress1": "送り先住所１"}

func (c *checker) shipment() {
	div := ProcessDiv(c.get("processDiv"))
	switch div {
	case ProcessRegister, ProcessChange, ProcessOther, ProcessCancel:
	default:
		c.add("processDiv", "処理区分", 19, "0（新規登録または変更登録）, 1（変更登録）, 2（他社配送）, 9（取消）のいずれかを指定してください")
		return
	}
	const pk, pl = "paymentNo", "送り状番号"
	no := c.get(pk)
	switch {
	case div == ProcessCancel:
		if no != "" {
			c.add(pk, pl, 13, "処理区分が9（取消）のときは送り状番号を指定しないでください")
		}
	case no == "":
		c.add(pk, pl, 11, "送り状番号を指定してください")
	case len(no) > TrackingMax:
		c.add(pk, pl, 10, "12桁以内で指定してください")
	case strings.Trim(no, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-") != "":
		c.add(pk, pl, 12, "半角英数字と「-」で指定してください")
	case div != ProcessOther && !TrackingCheckDigitOK(no):
		c.add(pk, pl, 14, "ヤマト運輸の12桁の送り状番号を指定してください（末尾のチェックデジットが合いません）")
	}
	if div == ProcessChange {
		if c.get("beforePaymentNo") == "" {
			c.add("beforePaymentNo", "変更前送り状番号", 11, "処理区分が1（変更登録）のときは変更前の送り状番号を指定してください")
		}
	}
	const sk, sl = "shipYmd", "出荷日"
	switch {
	case div == ProcessCancel:
		if c.get(sk) != "" {
			c.add(sk, sl, 31, "処理区分が9（取消）のときは出荷日を指定しないでください")
		}
	case div == ProcessChange && c.get(sk) == "":
		c.add(sk, sl, 23, "処理区分が1（変更登録）のときは出荷日を指定してください")
	default:
		if ship, ok := c.date8(sk, sl, 0, 23, 23, 23); ok {
			c.within90(sk, sl, ship, 42)
		}
	}
}

func (c *checker) reduce() {
	if ship, ok := c.date8("shipYmd", "出荷予定日", 0, 13, 14, 15); ok {
		c.within90("shipYmd", "出荷予定日", ship, 17)
	}
	c.postal("postCode", "郵便番号", 18, 19, 21, 20, 19)
	c.address("address1", "住所１", "address2", "住所２", addrCodes{23, 25, 26, 24, 27, 29, 30, 28, 31})
	sum, okSum := c.items(itemCodes{34, 35, 33, 32, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45})
	total, okTotal := c.amountReduce()
	if okTotal && okSum && sum != total {
		c.add("totalAmount", "決済金額総計", 51, fmt.Sprintf("購入商品小計の合計（%d円）と一致させてください", sum))
	}
	switch s := c.get("sendDiv"); {
	case s == "":
	case !isDigits(s):
		c.add("sendDiv", "送り先区分", 53, "半角数字で指定してください")
	case s != "0" && s != "1":
		c.add("sendDiv", "送り先区分", 54, "0（別送）か1（同梱）を指定してください")
	}
	c.freeField(56, 57, 58)
}

// amountReduce is amount for KAAKK0010, whose table has no range code of its own: 1–999,999 is
// checked against the 6-digit code.
func (c *checker) amountReduce() (int64, bool) { return c.amount(46, 47, 48, 0) }

func (c *checker) reissue() {
	contents := ReissueContents(c.get("requestContents"))
	switch contents {
	case "":
		c.add("requestContents", "ご依頼内容", 13, "ご依頼内容を指定してください")
		return
	case ReissueChange, ReissueWithdraw:
	default:
		c.add("requestContents", "ご依頼内容", 14, "1（請求内容変更・請求書再発行）か3（請求書再発行取下げ）を指定してください")
		return
	}
	if contents == ReissueWithdraw {
		return
	}
	switch r := c.get("reasonReissue"); {
	case r == "":
		c.add("reasonReissue", "不備事由", 18, "ご依頼内容が1のときは不備事由を指定してください")
	case len(r) != 1 || r < "1" || r > "6":
		c.add("reasonReissue", "不備事由", 19, "1（宛先不備）〜6（その他）で指定してください")
	}
	if c.get("reasonReissue") == string(ReasonOther) && c.get("reasonReissueEtc") == "" {
		c.add("reasonReissueEtc", "不備事由その他", 20, "不備事由が6（その他）のときは内容を指定してください")
	}
	c.zen("reasonReissueEtc", "不備事由その他", 0, 22, 23, 21, 25)
	if ship, ok := c.date8("shipYmd", "出荷予定日", 0, 25, 26, 27); ok {
		c.within90("shipYmd", "出荷予定日", ship, 28)
	}
	switch s := c.get("sendDiv"); {
	case s == "":
	case !isDigits(s):
		c.add("sendDiv", "送り先区分", 31, "半角数字で指定してください")
	case s != "0" && s != "1":
		c.add("sendDiv", "送り先区分", 32, "0（別送）か1（同梱）を指定してください")
	}
	c.postal("postCode", "郵便番号", 34, 35, 37, 36, 35)
	c.address("address1", "住所１", "address2", "住所２", addrCodes{39, 40, 42, 41, 43, 44, 46, 45, 47})
	c.items(itemCodes{49, 51, 50, 48, 52, 53, 54, 55, 56, 57, 63, 64, 65, 66})
	c.freeField(59, 60, 61)
}
