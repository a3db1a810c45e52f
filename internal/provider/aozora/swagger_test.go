package aozora_test

// A small validator for the subset of Swagger 2.0 the bank's document uses (type, required,
// properties, items, minLength/maxLength, pattern, enum, format, parameters in query, header and
// body). It is strict where the document is loose: a property the schema does not declare is an
// error, so a misspelt field name cannot pass.

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// specPath is the bank's official Swagger 2.0 document (MIT, licence beside it in testdata), kept
// in the package so that a clone of the repository alone runs the conformance tests.
const specPath = "testdata/aozora-corporate-v1.1.12.swagger.yaml"

type swagger struct {
	doc      map[string]any
	basePath string
}

func loadSwagger(t *testing.T) *swagger {
	t.Helper()
	b, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	var raw any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		t.Fatalf("parse spec: %v", err)
	}
	doc, ok := stringKeys(raw).(map[string]any)
	if !ok || doc["swagger"] != "2.0" {
		t.Fatal("spec is not a Swagger 2.0 document")
	}
	bp, _ := doc["basePath"].(string)
	return &swagger{doc: doc, basePath: bp}
}

// stringKeys turns YAML maps (whose keys may be ints, like response codes) into map[string]any.
func stringKeys(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = stringKeys(x)
		}
		return v
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[fmt.Sprint(k)] = stringKeys(x)
		}
		return m
	case []any:
		for i := range v {
			v[i] = stringKeys(v[i])
		}
		return v
	}
	return v
}

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

// operation returns the operation object for method and path (relative to basePath).
func (s *swagger) operation(method, path string) map[string]any {
	return obj(obj(obj(s.doc["paths"])[path])[strings.ToLower(method)])
}

// resolve follows a $ref and returns the schema and its definition name.
func (s *swagger) resolve(schema map[string]any) (map[string]any, string) {
	ref, ok := schema["$ref"].(string)
	if !ok {
		return schema, ""
	}
	name := strings.TrimPrefix(ref, "#/definitions/")
	return obj(obj(s.doc["definitions"])[name]), name
}

// extensions are properties the sandbox adds beyond spec v1.1.12, on purpose.
var extensions = map[string]bool{"UnableDetailInfo.unableReason": true}

func (s *swagger) validate(v any, schema map[string]any, at string) []string {
	schema, def := s.resolve(schema)
	if schema == nil {
		return []string{at + ": schema not found"}
	}
	var errs []string
	bad := func(f string, a ...any) { errs = append(errs, at+": "+fmt.Sprintf(f, a...)) }
	switch schema["type"] {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			bad("want an object, got %T", v)
			return errs
		}
		for _, r := range anySlice(schema["required"]) {
			if _, ok := m[r.(string)]; !ok {
				bad("required property %q missing", r)
			}
		}
		props := obj(schema["properties"])
		for k, x := range m {
			ps, ok := props[k]
			if !ok {
				if !extensions[def+"."+k] {
					bad("property %q is not declared in %s", k, def)
				}
				continue
			}
			errs = append(errs, s.validate(x, obj(ps), at+"."+k)...)
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			bad("want an array, got %T", v)
			return errs
		}
		for i, x := range a {
			errs = append(errs, s.validate(x, obj(schema["items"]), fmt.Sprintf("%s[%d]", at, i))...)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			bad("want a string, got %T %v", v, v)
			return errs
		}
		errs = append(errs, checkString(at, str, schema)...)
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad("want a boolean, got %T", v)
		}
	case "integer", "number":
		f, ok := v.(float64)
		if !ok || (schema["type"] == "integer" && f != float64(int64(f))) {
			bad("want a %s, got %T %v", schema["type"], v, v)
		}
	default:
		bad("unsupported schema type %v", schema["type"])
	}
	return errs
}

func anySlice(v any) []any { a, _ := v.([]any); return a }

func num(v any) (int, bool) {
	switch v := v.(type) {
	case int:
		return v, true
	case float64:
		return int(v), true
	}
	return 0, false
}

func checkString(at, s string, schema map[string]any) []string {
	var errs []string
	n := utf8.RuneCountInString(s)
	if min, ok := num(schema["minLength"]); ok && n < min {
		errs = append(errs, fmt.Sprintf("%s: %q shorter than minLength %d", at, s, min))
	}
	if max, ok := num(schema["maxLength"]); ok && n > max {
		errs = append(errs, fmt.Sprintf("%s: %q longer than maxLength %d", at, s, max))
	}
	if p, ok := schema["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(s) {
		errs = append(errs, fmt.Sprintf("%s: %q does not match %s", at, s, p))
	}
	if e := anySlice(schema["enum"]); e != nil && !slices.ContainsFunc(e, func(x any) bool { return fmt.Sprint(x) == s }) {
		errs = append(errs, fmt.Sprintf("%s: %q not in enum %v", at, s, e))
	}
	switch schema["format"] {
	case "date":
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %q is not a date", at, s))
		}
	case "date-time":
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %q is not a date-time", at, s))
		}
	}
	return errs
}

// exchange is one recorded call.
type exchange struct {
	req        *http.Request
	reqBody    []byte
	status     int
	resType    string
	resBody    []byte
	transportE error
}

// validateRequest checks the parameters and the body of a request against its operation.
func (s *swagger) validateRequest(op map[string]any, x exchange) []string {
	var errs []string
	q := x.req.URL.Query()
	declared := map[string]bool{}
	for _, pv := range anySlice(op["parameters"]) {
		p := obj(pv)
		name, in := p["name"].(string), p["in"].(string)
		required, _ := p["required"].(bool)
		switch in {
		case "query":
			declared[name] = true
			vals, ok := q[name]
			if !ok {
				if required {
					errs = append(errs, "query: required parameter "+name+" missing")
				}
				continue
			}
			if p["type"] == "array" {
				if p["collectionFormat"] != "multi" {
					errs = append(errs, "query: unsupported collectionFormat for "+name)
				}
				for _, v := range vals {
					errs = append(errs, checkString("query."+name, v, obj(p["items"]))...)
				}
				continue
			}
			if len(vals) != 1 {
				errs = append(errs, "query: "+name+" repeated")
			}
			switch p["type"] {
			case "boolean":
				if _, err := strconv.ParseBool(vals[0]); err != nil {
					errs = append(errs, "query: "+name+" is not a boolean")
				}
			default:
				// The document writes the string limits of parameters in their description.
				errs = append(errs, checkString("query."+name, vals[0], limitsFromDescription(p))...)
			}
		case "header":
			v := x.req.Header.Get(name)
			if v == "" && required {
				errs = append(errs, "header: "+name+" missing")
			} else if v != "" {
				errs = append(errs, checkString("header."+name, v, limitsFromDescription(p))...)
			}
		case "body":
			ct := x.req.Header.Get("Content-Type")
			if !slices.ContainsFunc(anySlice(op["consumes"]), func(c any) bool { return c == ct }) {
				errs = append(errs, fmt.Sprintf("body: Content-Type %q not in consumes %v", ct, op["consumes"]))
			}
			var v any
			if err := json.Unmarshal(x.reqBody, &v); err != nil {
				errs = append(errs, "body: not JSON: "+err.Error())
				continue
			}
			errs = append(errs, s.validate(v, obj(p["schema"]), "body")...)
		}
	}
	for k := range q {
		if !declared[k] {
			errs = append(errs, "query: parameter "+k+" is not declared")
		}
	}
	return errs
}

var limitRE = regexp.MustCompile(`(minLength|maxLength): (\d+)`)

func limitsFromDescription(p map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range p {
		out[k] = v
	}
	desc, _ := p["description"].(string)
	for _, m := range limitRE.FindAllStringSubmatch(desc, -1) {
		n, _ := strconv.Atoi(m[2])
		out[m[1]] = n
	}
	return out
}

// validateResponse checks the status is declared and the body fits its schema. Error bodies
// are checked against TransferError: the document's own superset of ErrorResponse with
// errorDetails and transferErrorDetails, which the paths do not reference.
func (s *swagger) validateResponse(op map[string]any, x exchange) []string {
	r := obj(obj(op["responses"])[strconv.Itoa(x.status)])
	if r == nil {
		return []string{fmt.Sprintf("response: HTTP %d is not declared", x.status)}
	}
	var errs []string
	mt, params, _ := mime.ParseMediaType(x.resType)
	want := false
	for _, p := range anySlice(op["produces"]) {
		pmt, pparams, _ := mime.ParseMediaType(p.(string))
		want = want || (pmt == mt && strings.EqualFold(pparams["charset"], params["charset"]))
	}
	if !want {
		errs = append(errs, fmt.Sprintf("response: Content-Type %q not in produces %v", x.resType, op["produces"]))
	}
	schema := obj(r["schema"])
	if schema["$ref"] == "#/definitions/ErrorResponse" {
		schema = map[string]any{"$ref": "#/definitions/TransferError"}
	}
	var v any
	if err := json.Unmarshal(x.resBody, &v); err != nil {
		return append(errs, "response: not JSON: "+err.Error())
	}
	return append(errs, s.validate(v, schema, "response")...)
}
