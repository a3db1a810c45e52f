package api

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"time"

	"kessai/internal/platform/status"
)

// Schemas are derived from the Go types the handlers encode and decode, so the document can't
// drift from the code. Struct tags refine them:
//
//	doc:"買取金額（円）"   description of the field
//	format:"date"        format of a string (fields whose JSON name ends in _on are dates anyway)
//	enum:"a,b,c"         allowed values
//	required:"true"      listed in the object's required fields
//
// A type may also implement FieldSets to name the status set behind a code field; the
// document then lists its codes with their Japanese labels.
//
// Named struct types become components/schemas/<TypeName>; two types with one name in
// different packages get the package name in front of the second.
type schemaGen struct {
	schemas map[string]any
	names   map[reflect.Type]string
	taken   map[string]reflect.Type
}

func newSchemaGen() *schemaGen {
	return &schemaGen{schemas: map[string]any{}, names: map[reflect.Type]string{}, taken: map[string]reflect.Type{}}
}

// FieldSets is implemented (on the value) by API types whose string fields hold the codes of a
// status set, keyed by JSON field name: {"status": CaseStatuses}.
type FieldSets interface {
	APIFieldSets() map[string]*status.Set
}

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
	badName  = regexp.MustCompile(`[^A-Za-z0-9._-]+`)
)

// ref returns a schema for v's type (a $ref for named structs).
func (g *schemaGen) ref(v any) map[string]any {
	return g.of(reflect.TypeOf(v))
}

func (g *schemaGen) of(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType:
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return map[string]any{"type": "integer"}
	case reflect.Int64, reflect.Uint64:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "format": "byte"}
		}
		return map[string]any{"type": "array", "items": g.of(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.of(t.Elem())}
	case reflect.Struct:
		if t.Name() == "" {
			return g.object(t)
		}
		name := g.name(t)
		if _, done := g.schemas[name]; !done {
			g.schemas[name] = map[string]any{} // placeholder: recursive types end here
			g.schemas[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{} // interfaces and anything else: any JSON value
}

func (g *schemaGen) name(t reflect.Type) string {
	if n, ok := g.names[t]; ok {
		return n
	}
	n := badName.ReplaceAllString(t.Name(), "_")
	if other, ok := g.taken[n]; ok && other != t {
		pkg := t.PkgPath()[strings.LastIndex(t.PkgPath(), "/")+1:]
		n = strings.ToUpper(pkg[:1]) + pkg[1:] + n
	}
	g.names[t], g.taken[n] = n, t
	return n
}

// object describes a struct's JSON fields, flattening embedded structs as encoding/json does.
func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	g.fields(t, props, &required)
	if fs, ok := reflect.Zero(t).Interface().(FieldSets); ok {
		for name, set := range fs.APIFieldSets() {
			if p, ok := props[name].(map[string]any); ok && set != nil {
				p["enum"] = set.Codes()
				d, _ := p["description"].(string)
				if d != "" {
					d += "。"
				}
				p["description"] = d + codeLabels(set)
			}
		}
	}
	out := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			g.fields(ft, props, required)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := g.of(f.Type)
		if strings.Contains(opts, "string") {
			s = map[string]any{"type": "string"}
		}
		if _, isRef := s["$ref"]; isRef {
			if d := f.Tag.Get("doc"); d != "" {
				s = map[string]any{"allOf": []any{s}, "description": d}
			}
		} else {
			s = clone(s)
			if d := f.Tag.Get("doc"); d != "" {
				s["description"] = d
			}
			if fm := f.Tag.Get("format"); fm != "" {
				s["format"] = fm
			} else if s["type"] == "string" && strings.HasSuffix(name, "_on") {
				s["format"] = "date"
			}
			if e := f.Tag.Get("enum"); e != "" {
				s["enum"] = strings.Split(e, ",")
			}
		}
		props[name] = s
		if f.Tag.Get("required") == "true" {
			*required = append(*required, name)
		}
	}
}

// codeLabels describes a set: "買取ケースの状態: received=受付、arrived=到着…".
func codeLabels(set *status.Set) string {
	parts := make([]string, 0, len(set.All()))
	for _, st := range set.All() {
		parts = append(parts, st.Code+"="+st.Label)
	}
	return set.Name() + ": " + strings.Join(parts, "、")
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+2)
	for k, v := range m {
		out[k] = v
	}
	return out
}
