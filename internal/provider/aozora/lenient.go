package aozora

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
)

// unmarshalLenient decodes an answer of the bank into out, reading every numeric field whether
// the bank wrote it as a JSON string ("1000", what the spec's schema says), a JSON number (1000,
// what the spec's own examples show, e.g. /transfer/status's count) or an empty string (no
// value, read as 0). The struct tags stay the single description of the wire: the answer is
// rewritten to what the tags expect, then decoded by encoding/json.
func unmarshalLenient(b []byte, out any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var raw any
	if err := d.Decode(&raw); err != nil {
		return err
	}
	nb, err := json.Marshal(lenient(raw, reflect.TypeOf(out)))
	if err != nil {
		return err
	}
	return json.Unmarshal(nb, out)
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// lenient rewrites v, decoded with UseNumber, towards what type t's tags expect.
func lenient(v any, t reflect.Type) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return v // a type that reads itself (Date, DateTime) knows its own empty value
	}
	switch t.Kind() {
	case reflect.Struct:
		if m, ok := v.(map[string]any); ok {
			lenientFields(m, t)
		}
	case reflect.Slice, reflect.Array:
		if s, ok := v.([]any); ok {
			for i := range s {
				s[i] = lenient(s[i], t.Elem())
			}
		}
	case reflect.Map:
		if m, ok := v.(map[string]any); ok {
			for k := range m {
				m[k] = lenient(m[k], t.Elem())
			}
		}
	}
	return v
}

func lenientFields(m map[string]any, t reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				lenientFields(m, ft) // embedded: its fields sit in the same object
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		val, ok := m[name]
		if !ok {
			continue
		}
		if !isNumeric(f.Type.Kind()) {
			m[name] = lenient(val, f.Type)
			continue
		}
		quoted := strings.Contains(","+opts+",", ",string,")
		switch x := val.(type) {
		case json.Number:
			if quoted {
				m[name] = x.String()
			}
		case string:
			s := strings.TrimSpace(x)
			switch {
			case s == "":
				delete(m, name) // no value: the field keeps its zero
			case !quoted && isNumber(s):
				m[name] = json.Number(s)
			case quoted:
				m[name] = s
			}
		}
	}
}

func isNumeric(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}
