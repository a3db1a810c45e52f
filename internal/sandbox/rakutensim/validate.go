package rakutensim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"time"

	"kessai/internal/provider/rakuten"
)

// Request checking is one table per method: field → rule. Every offending field gives one
// ERROR message, named in the text as Rakuten does ("dateTypeの項目を指定して下さい。"):
//
//	…_ERROR_009  the item is missing
//	…_ERROR_010  the item is present but empty ("", [], null)
//	…_ERROR_011  the value has the wrong type or format, or is not an allowed value
//	…_ERROR_012  a list has more items than allowed (the code is the Sim's choice)

type kind int

const (
	kInt kind = iota
	kString
	kDatetime
	kDate
	kIntList
	kStringList
	kObject
	kObjectList
)

type rule struct {
	name     string
	kind     kind
	required bool
	enum     []int          // allowed values of an int (or of each int of a list)
	min, max int            // int range when max > 0; a string's maximum length when max > 0
	maxItems int            // list length
	pattern  *regexp.Regexp // strings and each string of a list
	sub      []rule         // object fields, or each object's fields of a list
}

var (
	orderNumberRE = regexp.MustCompile(`^[0-9]{6}-[0-9]{8}-[0-9]{8,10}$`)
	datetimeRE    = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\+0900$`)
	dateRE        = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	companyRE     = regexp.MustCompile(`^[0-9]{4}$`)
	trackingRE    = regexp.MustCompile(`^[0-9A-Za-z-]*$`)
)

func ints[T ~int](vs []T) []int {
	out := make([]int, len(vs))
	for i, v := range vs {
		out[i] = int(v)
	}
	return out
}

var (
	searchRules = []rule{
		{name: "dateType", kind: kInt, required: true, enum: []int{1, 2, 3, 4, 5, 6}},
		{name: "startDatetime", kind: kDatetime, required: true},
		{name: "endDatetime", kind: kDatetime, required: true},
		{name: "orderProgressList", kind: kIntList, enum: ints(rakuten.OrderProgresses())},
		{name: "subStatusIdList", kind: kIntList},
		{name: "orderTypeList", kind: kIntList, enum: []int{1, 4, 5, 6}},
		{name: "settlementMethod", kind: kInt, enum: ints(rakuten.SettlementCodes())},
		{name: "PaginationRequestModel", kind: kObject, required: true, sub: []rule{
			{name: "requestRecordsAmount", kind: kInt, required: true, min: 1, max: rakuten.MaxPageSize},
			{name: "requestPage", kind: kInt, required: true, min: 1, max: 1 << 30},
			{name: "SortModelList", kind: kObjectList, sub: []rule{
				{name: "sortColumn", kind: kInt, required: true, enum: []int{1}},
				{name: "sortDirection", kind: kInt, required: true, enum: []int{1, 2}},
			}},
		}},
	}
	getOrderRules = []rule{
		{name: "orderNumberList", kind: kStringList, required: true, maxItems: rakuten.MaxGetOrder, pattern: orderNumberRE},
		{name: "version", kind: kInt, required: true, min: 3, max: rakuten.OrderVersion},
	}
	getPaymentRules = []rule{
		{name: "orderNumber", kind: kString, required: true, pattern: orderNumberRE},
		{name: "version", kind: kInt, required: true, min: 1, max: 10},
	}
	confirmRules = []rule{
		{name: "orderNumberList", kind: kStringList, required: true, maxItems: rakuten.MaxGetOrder, pattern: orderNumberRE},
	}
	shippingRules = []rule{
		{name: "orderNumber", kind: kString, required: true, pattern: orderNumberRE},
		{name: "BasketidModelList", kind: kObjectList, required: true, sub: []rule{
			{name: "basketId", kind: kInt, required: true, min: 1, max: 1 << 62},
			{name: "ShippingModelList", kind: kObjectList, required: true, maxItems: rakuten.MaxShippingRows, sub: []rule{
				{name: "shippingDetailId", kind: kInt, min: 1, max: 1 << 62},
				{name: "deliveryCompany", kind: kString, pattern: companyRE},
				{name: "shippingNumber", kind: kString, max: 120, pattern: trackingRE},
				{name: "shippingDate", kind: kDate},
				{name: "shippingDeleteFlag", kind: kInt, enum: []int{0, 1}},
			}},
		}},
	}
	cancelRules = []rule{
		{name: "orderNumber", kind: kString, required: true, pattern: orderNumberRE},
		{name: "inventoryRestoreType", kind: kInt, required: true, enum: []int{0, 1, 2}},
		{name: "changeReasonDetailApply", kind: kInt, required: true, enum: rakuten.CancelReasons()},
	}
)

// checker collects the messages of one request.
type checker struct {
	prefix string // e.g. "ORDER_EXT_API_SEARCH_ORDER"
	msgs   rakuten.Messages
}

func (c *checker) add(num, text string) {
	c.msgs = append(c.msgs, rakuten.Message{Type: rakuten.MessageError, Code: c.prefix + "_ERROR_" + num, Text: text})
}

func (c *checker) missing(f string)   { c.add("009", f+"の項目を指定して下さい。") }
func (c *checker) empty(f string)     { c.add("010", f+"の値を指定して下さい。") }
func (c *checker) badFormat(f string) { c.add("011", f+"の書式が不正です。") }
func (c *checker) tooMany(f string, n int) {
	c.add("012", fmt.Sprintf("%sは%d件以内で指定して下さい。", f, n))
}

// object checks the fields of one JSON object against rules.
func (c *checker) object(raw json.RawMessage, rules []rule, name string) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		c.badFormat(name)
		return
	}
	for _, r := range rules {
		v, ok := obj[r.name]
		if !ok {
			if r.required {
				c.missing(r.name)
			}
			continue
		}
		c.value(r, v)
	}
}

func isEmpty(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return bytes.Equal(v, []byte("null")) || bytes.Equal(v, []byte(`""`)) || bytes.Equal(v, []byte("[]"))
}

func (c *checker) value(r rule, v json.RawMessage) {
	if isEmpty(v) {
		if r.required {
			c.empty(r.name)
		}
		return
	}
	switch r.kind {
	case kInt:
		n, ok := jsonInt(v)
		if !ok || !r.intOK(n) {
			c.badFormat(r.name)
		}
	case kString, kDatetime, kDate:
		var s string
		if json.Unmarshal(v, &s) != nil || !r.stringOK(s) {
			c.badFormat(r.name)
		}
	case kIntList:
		var items []json.RawMessage
		if json.Unmarshal(v, &items) != nil {
			c.badFormat(r.name)
			return
		}
		for _, it := range items {
			if n, ok := jsonInt(it); !ok || !r.intOK(n) {
				c.badFormat(r.name)
				return
			}
		}
	case kStringList:
		var items []json.RawMessage
		if json.Unmarshal(v, &items) != nil {
			c.badFormat(r.name)
			return
		}
		if r.maxItems > 0 && len(items) > r.maxItems {
			c.tooMany(r.name, r.maxItems)
			return
		}
		for _, it := range items {
			var s string
			if json.Unmarshal(it, &s) != nil || !r.stringOK(s) || s == "" {
				c.badFormat(r.name)
				return
			}
		}
	case kObject:
		c.object(v, r.sub, r.name)
	case kObjectList:
		var items []json.RawMessage
		if json.Unmarshal(v, &items) != nil {
			c.badFormat(r.name)
			return
		}
		if r.maxItems > 0 && len(items) > r.maxItems {
			c.tooMany(r.name, r.maxItems)
			return
		}
		for _, it := range items {
			c.object(it, r.sub, r.name)
		}
	}
}

func (r rule) intOK(n int64) bool {
	if len(r.enum) > 0 && !slices.Contains(r.enum, int(n)) {
		return false
	}
	if r.max > 0 && (n < int64(r.min) || n > int64(r.max)) {
		return false
	}
	return true
}

func (r rule) stringOK(s string) bool {
	switch r.kind {
	case kDatetime:
		if !datetimeRE.MatchString(s) {
			return false
		}
		_, err := time.Parse(rakuten.DateTimeLayout, s)
		return err == nil
	case kDate:
		if s == "" {
			return true // an empty optional date deletes the value
		}
		if !dateRE.MatchString(s) {
			return false
		}
		_, err := time.Parse(rakuten.DateLayout, s)
		return err == nil
	}
	if r.max > 0 && len([]rune(s)) > r.max {
		return false
	}
	return r.pattern == nil || r.pattern.MatchString(s)
}

// jsonInt reads an integral JSON number; a quoted number is a format error, as the documents
// declare numbers.
func jsonInt(v json.RawMessage) (int64, bool) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || (v[0] != '-' && (v[0] < '0' || v[0] > '9')) {
		return 0, false
	}
	var n json.Number
	if json.Unmarshal(v, &n) != nil {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}
