package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/status"
	"kessai/internal/web"
)

// Operation describes one API route. It is both what the route table needs (method, path,
// permission, summary) and what the OpenAPI document says about it.
type Operation struct {
	Method string    // http.MethodGet, …
	Path   string    // net/http pattern, e.g. /api/v1/cases/{id}; path parameters come from it
	Perm   auth.Perm // permission the route demands
	// ID is the operationId, unique in the document (e.g. "listCases"); derived from the
	// method and path when empty.
	ID          string
	Tag         string // group in the document, e.g. "買取ケース"
	Summary     string // one line, Japanese; also the route table's summary
	Description string
	Query       []Param // query parameters
	// Paged adds page and per_page and wraps Response in the list shape
	// {"items": [Response…], "page", "per_page", "total"}.
	Paged bool
	// Request is a value of the JSON body type (nil: no body).
	Request any
	// Response is a value of the JSON answer type (the item type when Paged; nil: no body).
	Response any
	// Status is the success status: default 201 for POST, 204 without Response, else 200.
	Status int
	// RequestMedia and ResponseMedia override application/json (e.g. "text/csv"); with
	// them the body is described as a string.
	RequestMedia, ResponseMedia string
	// PathParams describes path parameters by name; undescribed ones are plain strings.
	PathParams map[string]string
	// Upload marks an operation whose body is a file: it gets the upload cap and is streamed
	// to disk before the handler runs (web.Router.Upload, web.Uploaded).
	Upload bool
}

// Param is a query parameter.
type Param struct {
	Name        string
	Description string
	Type        string // "string" (default), "integer", "boolean"
	Format      string // e.g. "date"
	Enum        []string
	Required    bool
}

// StatusParam is a query parameter taking the codes of set.
func StatusParam(name string, set *status.Set) Param {
	return Param{Name: name, Description: codeLabels(set) + "（複数指定・カンマ区切り可）", Enum: set.Codes()}
}

// DateParam is a query parameter holding a YYYY-MM-DD date.
func DateParam(name, desc string) Param {
	return Param{Name: name, Description: desc + "（YYYY-MM-DD）", Format: "date"}
}

// Router is where operations are routed: *web.Shell and *web.Router satisfy it.
type Router interface {
	HandleFunc(method, path string, perm auth.Perm, summary string, h http.HandlerFunc)
}

// API is the /api/v1 surface a room registers its operations on.
type API struct {
	Router Router
	Doc    *Doc
}

// New returns an API routing on r and describing into a new document.
func New(r Router) *API { return &API{Router: r, Doc: NewDoc()} }

// Handle routes h and describes it in the document in one call.
func (a *API) Handle(op Operation, h http.HandlerFunc) { Handle(a.Router, a.Doc, op, h) }

// Handle routes h on r and describes op in d. It panics (at start-up) on a path outside
// /api/, a missing permission or summary, or a duplicate method+path or operationId.
func Handle(r Router, d *Doc, op Operation, h http.HandlerFunc) {
	d.Add(op)
	r.HandleFunc(op.Method, op.Path, op.Perm, op.Summary, h)
	if op.Upload {
		u, ok := r.(interface{ Upload(method, path string) })
		if !ok {
			panic(fmt.Sprintf("api: %s %s: Upload needs a router that streams uploads (web.Router)", op.Method, op.Path))
		}
		u.Upload(op.Method, op.Path)
	}
}

// Doc is the OpenAPI document of the API, built from the operations added to it.
type Doc struct {
	mu  sync.Mutex
	ops []Operation
}

// NewDoc returns an empty document.
func NewDoc() *Doc { return &Doc{} }

// Add describes op. It panics on a declaration error, found at start-up.
func (d *Doc) Add(op Operation) {
	if !strings.HasPrefix(op.Path, "/api/") {
		panic(fmt.Sprintf("api: %s %s: operations live under /api/", op.Method, op.Path))
	}
	if op.Perm == "" || op.Summary == "" || op.Method == "" {
		panic(fmt.Sprintf("api: %s %s: Method, Perm and Summary are required", op.Method, op.Path))
	}
	if op.ID == "" {
		op.ID = deriveID(op.Method, op.Path)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, o := range d.ops {
		if o.Method == op.Method && o.Path == op.Path {
			panic(fmt.Sprintf("api: %s %s described twice", op.Method, op.Path))
		}
		if o.ID == op.ID {
			panic(fmt.Sprintf("api: operationId %q used by %s %s and %s %s", op.ID, o.Method, o.Path, op.Method, op.Path))
		}
	}
	d.ops = append(d.ops, op)
}

// Operations returns the described operations in the order they were added.
func (d *Doc) Operations() []Operation {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.ops)
}

var wildcard = regexp.MustCompile(`\{([A-Za-z0-9_]+)(\.\.\.)?\}`)

// OpenAPIPath turns a net/http pattern path into an OpenAPI path: {id...} → {id}, {$} dropped.
func OpenAPIPath(p string) string {
	p = strings.ReplaceAll(p, "{$}", "")
	return wildcard.ReplaceAllString(p, "{$1}")
}

func pathParams(p string) []string {
	var out []string
	for _, m := range wildcard.FindAllStringSubmatch(p, -1) {
		out = append(out, m[1])
	}
	return out
}

// deriveID makes "getCasesById" of GET /api/v1/cases/{id}.
func deriveID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, seg := range strings.Split(strings.TrimPrefix(OpenAPIPath(path), "/api/v1"), "/") {
		by := strings.HasPrefix(seg, "{")
		seg = strings.Trim(seg, "{}")
		if seg == "" {
			continue
		}
		if by {
			b.WriteString("By")
		}
		for _, w := range strings.FieldsFunc(seg, func(r rune) bool { return r == '_' || r == '-' || r == '.' }) {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

// Idempotent reports whether the method honours Idempotency-Key (see Idempotency).
func idempotent(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

const conventions = `kessai の JSON API。

- 認証: ` + "`Authorization: Bearer <APIキー>`" + `。権限はキーのロール（管理者・経理・スタッフ・閲覧）で決まります。
- フィールド名は snake_case。金額は円の整数、日付は "YYYY-MM-DD"（*_on のフィールド）、日時は RFC 3339（UTC、例 "2026-11-23T10:00:00Z"）。
- 状態は安定したコードと日本語ラベルを並べて返します（"status": "stocked", "status_label": "入庫完了"）。
- 一覧は page と per_page（最大500）で指定し、{"items", "page", "per_page", "total"} を返します。
- エラーは {"error": {"code", "message", "fields", "request_id"}}。入力エラーは 422 で fields に項目ごとの理由が入ります。
- POST・PATCH・DELETE は Idempotency-Key ヘッダー（255文字以内、UUID推奨）に対応します。同じキーと同じ内容の再送には最初の応答を Idempotent-Replayed: true を付けて返し、内容が違えば 422 idempotency_key_reused、最初のリクエストが処理中なら 409 idempotency_key_in_use を返します。キーはAPIキーごとに24時間保存されます。`

// Build returns the OpenAPI 3.1 document.
func (d *Doc) Build() map[string]any {
	g := newSchemaGen()
	errRef := g.ref(web.ErrorBody{})
	errResp := func(desc string) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": errRef}}}
	}
	paths := map[string]any{}
	var tags []any
	seenTag := map[string]bool{}
	for _, op := range d.Operations() {
		p := OpenAPIPath(op.Path)
		item, _ := paths[p].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[p] = item
		}
		if op.Tag != "" && !seenTag[op.Tag] {
			seenTag[op.Tag] = true
			tags = append(tags, map[string]any{"name": op.Tag})
		}
		item[strings.ToLower(op.Method)] = d.operation(g, op, errResp)
	}
	g.schemas["Paging"] = map[string]any{
		"type": "object",
		"properties": map[string]any{
			"page":         map[string]any{"type": "integer", "description": "ページ番号（1から）"},
			"per_page":     map[string]any{"type": "integer", "description": "1ページの件数"},
			"total":        map[string]any{"type": "integer", "description": "条件に合う全件数（total_capped のときは数え終えた上限+1: それ以上ある）"},
			"total_capped": map[string]any{"type": "boolean", "description": "件数を上限（10,000件）で数え止めたとき true"},
			"next_after":   map[string]any{"type": "string", "description": "次のページを after= で続けて取るときの値（並び順が対応し、ページが満杯のとき）"},
		},
		"required": []string{"page", "per_page", "total"},
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "kessai API",
			"version":     "v1",
			"description": conventions,
		},
		"servers":  []any{map[string]any{"url": "/"}},
		"security": []any{map[string]any{"apiKey": []string{}}},
		"paths":    paths,
		"components": map[string]any{
			"schemas": g.schemas,
			"securitySchemes": map[string]any{
				"apiKey": map[string]any{"type": "http", "scheme": "bearer",
					"description": "管理画面の「APIキー」で発行したキー"},
			},
			"parameters": map[string]any{
				"IdempotencyKey": map[string]any{
					"name": HeaderIdempotencyKey, "in": "header", "required": false,
					"description": "再送しても二重に処理されないためのキー（255文字以内、UUID推奨）。APIキーごとに24時間有効",
					"schema":      map[string]any{"type": "string", "maxLength": MaxKeyLength},
				},
				"Page":    map[string]any{"name": "page", "in": "query", "description": "ページ番号（1から）", "schema": map[string]any{"type": "integer", "minimum": 1, "default": 1}},
				"After":   map[string]any{"name": "after", "in": "query", "description": "この ID の記録の次から（前の応答の next_after。受注・買取ケース・顧客の一覧）。深いページも最初のページと同じ速さ。page より優先", "schema": map[string]any{"type": "string"}},
				"PerPage": map[string]any{"name": "per_page", "in": "query", "description": "1ページの件数（最大500）", "schema": map[string]any{"type": "integer", "minimum": 1, "maximum": 500}},
			},
			"headers": map[string]any{
				"IdempotentReplayed": map[string]any{"description": "保存済みの応答を再送したとき true",
					"schema": map[string]any{"type": "string", "enum": []string{"true"}}},
			},
		},
	}
	if len(tags) > 0 {
		doc["tags"] = tags
	}
	return doc
}

func (d *Doc) operation(g *schemaGen, op Operation, errResp func(string) map[string]any) map[string]any {
	o := map[string]any{"operationId": op.ID, "summary": op.Summary}
	if op.Description != "" {
		o["description"] = op.Description
	}
	if op.Tag != "" {
		o["tags"] = []string{op.Tag}
	}
	if op.Perm == auth.PermPublic {
		o["security"] = []any{}
	} else {
		o["x-kessai-permission"] = string(op.Perm)
	}
	var params []any
	for _, name := range pathParams(op.Path) {
		params = append(params, map[string]any{"name": name, "in": "path", "required": true,
			"description": op.PathParams[name], "schema": map[string]any{"type": "string"}})
	}
	for _, q := range op.Query {
		s := map[string]any{"type": cmpOr(q.Type, "string")}
		if q.Format != "" {
			s["format"] = q.Format
		}
		if len(q.Enum) > 0 {
			s["enum"] = q.Enum
		}
		params = append(params, map[string]any{"name": q.Name, "in": "query", "required": q.Required,
			"description": q.Description, "schema": s})
	}
	if op.Paged {
		params = append(params, map[string]any{"$ref": "#/components/parameters/Page"},
			map[string]any{"$ref": "#/components/parameters/PerPage"}, map[string]any{"$ref": "#/components/parameters/After"})
	}
	if idempotent(op.Method) {
		params = append(params, map[string]any{"$ref": "#/components/parameters/IdempotencyKey"})
	}
	if len(params) > 0 {
		o["parameters"] = params
	}
	if op.Request != nil || op.RequestMedia != "" {
		media, schema := "application/json", map[string]any{"type": "string"}
		if op.RequestMedia != "" {
			media = op.RequestMedia
		} else {
			schema = g.ref(op.Request)
		}
		o["requestBody"] = map[string]any{"required": true,
			"content": map[string]any{media: map[string]any{"schema": schema}}}
	}
	status := op.Status
	switch {
	case status != 0:
	case op.Response == nil && op.ResponseMedia == "":
		status = http.StatusNoContent
	case op.Method == http.MethodPost:
		status = http.StatusCreated
	default:
		status = http.StatusOK
	}
	ok := map[string]any{"description": cmpOr(http.StatusText(status), "OK")}
	switch {
	case op.ResponseMedia != "":
		ok["content"] = map[string]any{op.ResponseMedia: map[string]any{"schema": map[string]any{"type": "string"}}}
	case op.Paged:
		list := map[string]any{"allOf": []any{
			map[string]any{"$ref": "#/components/schemas/Paging"},
			map[string]any{"type": "object", "required": []string{"items"}, "properties": map[string]any{
				"items": map[string]any{"type": "array", "items": g.ref(op.Response)}}},
		}}
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": list}}
	case op.Response != nil:
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.ref(op.Response)}}
	}
	if idempotent(op.Method) {
		ok["headers"] = map[string]any{HeaderReplayed: map[string]any{"$ref": "#/components/headers/IdempotentReplayed"}}
	}
	responses := map[string]any{fmt.Sprint(status): ok}
	if op.Perm != auth.PermPublic {
		responses["401"] = errResp("APIキーがない、または無効")
		responses["403"] = errResp("このキーのロールでは実行できない")
	}
	if len(pathParams(op.Path)) > 0 {
		responses["404"] = errResp("対象が見つからない")
	}
	if op.Request != nil || op.RequestMedia != "" || len(op.Query) > 0 || op.Paged || idempotent(op.Method) {
		responses["422"] = errResp("入力エラー（fields に項目ごとの理由）、または Idempotency-Key の使い回し")
	}
	if idempotent(op.Method) {
		responses["409"] = errResp("状態が操作を許さない、または同じ Idempotency-Key のリクエストが処理中")
	}
	responses["500"] = errResp("内部エラー（request_id を添えてお問い合わせください）")
	o["responses"] = responses
	return o
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ServeHTTP serves the document as JSON.
func (d *Doc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d.Build()); err != nil {
		web.WriteError(w, r, fmt.Errorf("build openapi document: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(buf.Bytes())
}

// ServeDoc routes GET /api/v1/openapi.json (public) to the document and describes it too.
func (a *API) ServeDoc() {
	a.Handle(Operation{Method: http.MethodGet, Path: "/api/v1/openapi.json", Perm: auth.PermPublic,
		ID: "getOpenAPI", Tag: "API", Summary: "このAPIのOpenAPIドキュメント", ResponseMedia: "application/json"},
		a.Doc.ServeHTTP)
}
