package aozora

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

// The spec's own example for GET /transfer/status writes count as a JSON number, while its
// schema says string; banks also send "" for a value they do not have.
func TestTransferStatusLenientNumbers(t *testing.T) {
	t.Parallel()
	for _, enc := range []struct{ name, count, fee, amount string }{
		{"numbers", `1`, `440`, `3000`},
		{"strings", `"1"`, `"440"`, `"3000"`},
		{"empty strings", `""`, `""`, `""`},
	} {
		t.Run(enc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				fmt.Fprintf(w, `{"acceptanceKeyClass":"1","baseDate":"2026-03-02","baseTime":"10:00:00+09:00","count":%s,
					"transferDetails":[{"transferStatus":"20","transferDetailFee":%s,"totalDebitAmount":%s,
					"transferApplies":[{"applyNo":"2026030200000001"}],
					"transferResponses":[{"accountId":"101011234567","transferInfos":[{"transferAmount":%s,"ediInfo":"E1",
					"transferDetailResponses":[{"usedPoint":%s,"transferFee":%s}]}]}]}]}`,
					enc.count, enc.fee, enc.amount, enc.amount, enc.count, enc.fee)
			}))
			defer srv.Close()
			c := New(Config{APIBaseURL: srv.URL}).WithTokenSource(StaticToken("t"))
			res, err := c.TransferStatus(context.Background(), StatusQuery{AccountID: "101011234567", QueryKeyClass: QueryByApplyNo, ApplyNo: "2026030200000001"})
			if err != nil {
				t.Fatalf("status with %s: %v", enc.name, err)
			}
			want := map[string]int64{"count": 1, "fee": 440, "amount": 3000}
			if enc.name == "empty strings" {
				want = map[string]int64{}
			}
			d := res.TransferDetails[0]
			in := d.TransferResponses[0].TransferInfos[0]
			got := map[string]int64{"count": int64(res.Count), "fee": d.TransferDetailFee, "amount": in.TransferAmount}
			for k, v := range got {
				if v != want[k] {
					t.Errorf("%s = %d, want %d", k, v, want[k])
				}
			}
			if d.TotalDebitAmount != want["amount"] || in.TransferDetailResponses[0].TransferFee != want["fee"] {
				t.Errorf("detail %+v", d)
			}
		})
	}
}

// Every numeric field of every answer reads a number, a string and an empty string: the
// answers are filled by reflection, so a field added later is covered too.
func TestEveryNumericFieldLenient(t *testing.T) {
	t.Parallel()
	answers := []any{&AccountsResponse{}, &TransferRequestResponse{}, &CancelResponse{}, &TransferFeeResponse{},
		&TransferStatusResponse{}, &BulkTransferStatusResponse{}, &tokenResponse{}, &wireError{}}
	total := 0
	for _, a := range answers {
		v := reflect.ValueOf(a).Elem()
		fill(v)
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatalf("%T: %v", a, err)
		}
		var raw any
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if err := d.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		for _, variant := range []struct {
			name string
			to   any
			want int64
		}{{"number", json.Number("7"), 7}, {"string", "7", 7}, {"empty string", "", 0}} {
			nb, _ := json.Marshal(replace(raw, variant.to))
			out := reflect.New(v.Type())
			if err := unmarshalLenient(nb, out.Interface()); err != nil {
				t.Errorf("%T with every number as %s: %v\n%s", a, variant.name, err, nb)
				continue
			}
			var nums []int64
			collect(out.Elem(), &nums)
			for i, n := range nums {
				if n != variant.want {
					t.Errorf("%T as %s: numeric field %d = %d, want %d", a, variant.name, i, n, variant.want)
				}
			}
			if variant.name == "number" {
				total += len(nums)
			}
		}
	}
	if total < 20 {
		t.Fatalf("only %d numeric fields exercised; the fill missed some", total)
	}
}

var unmarshaler = reflect.TypeFor[json.Unmarshaler]()

func numeric(k reflect.Kind) bool { return isNumeric(k) }

// fill sets every numeric field to 7 and gives every slice one element.
func fill(v reflect.Value) {
	if v.CanAddr() && v.Addr().Type().Implements(unmarshaler) {
		return
	}
	switch {
	case numeric(v.Kind()):
		if v.CanInt() {
			v.SetInt(7)
		} else if v.CanUint() {
			v.SetUint(7)
		}
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() && f.Tag.Get("json") != "-" {
				fill(v.Field(i))
			}
		}
	case v.Kind() == reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	}
}

func collect(v reflect.Value, out *[]int64) {
	if v.CanAddr() && v.Addr().Type().Implements(unmarshaler) {
		return
	}
	switch {
	case numeric(v.Kind()) && v.CanInt():
		*out = append(*out, v.Int())
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() && f.Tag.Get("json") != "-" {
				collect(v.Field(i), out)
			}
		}
	case v.Kind() == reflect.Slice:
		for i := range v.Len() {
			collect(v.Index(i), out)
		}
	}
}

// replace writes every value that was 7 (as "7" or 7) as to.
func replace(v any, to any) any {
	switch x := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, e := range x {
			m[k] = replace(e, to)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = replace(e, to)
		}
		return s
	case string:
		if x == "7" {
			return to
		}
	case json.Number:
		if x == "7" {
			return to
		}
	}
	return v
}
