package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"kessai/internal/api"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/status"
	"kessai/internal/web"
)

type widget struct {
	ID          string    `json:"id"`
	Amount      int64     `json:"amount" doc:"金額（円）"`
	ShippedOn   string    `json:"shipped_on"`
	Status      string    `json:"status" enum:"a,b" required:"true"`
	StatusLabel string    `json:"status_label"`
	Tags        []string  `json:"tags"`
	At          time.Time `json:"at"`
	//lint:ignore U1000 present to prove the schema leaves unexported fields out
	hidden  string
	Skipped string `json:"-"`
	Inner   inner  `json:"inner"`
}

type inner struct {
	N int `json:"n"`
}

type widgetJSON struct {
	widget
	Extra string `json:"extra"`
}

func (widgetJSON) APIFieldSets() map[string]*status.Set {
	return map[string]*status.Set{"extra": extras}
}

var extras = status.NewSet("おまけ", status.Status{Code: "x", Label: "エックス"}, status.Status{Code: "y", Label: "ワイ"})

type widgetPatch struct {
	Amount *int64 `json:"amount"`
}

func testAPI() (*api.API, *web.Router) {
	r := web.NewRouter(nil)
	a := api.New(r)
	noop := func(w http.ResponseWriter, r *http.Request) {}
	a.Handle(api.Operation{Method: "GET", Path: "/api/v1/widgets", Perm: auth.PermView, Tag: "部品",
		Summary: "部品の一覧", Paged: true, Response: widgetJSON{},
		Query: []api.Param{{Name: "q", Description: "検索語"}, api.DateParam("from", "出荷日から")}}, noop)
	a.Handle(api.Operation{Method: "GET", Path: "/api/v1/widgets/{id}", Perm: auth.PermView, Summary: "部品を取得", Response: widgetJSON{}}, noop)
	a.Handle(api.Operation{Method: "POST", Path: "/api/v1/widgets", Perm: auth.PermOperate, Summary: "部品を登録", Request: widget{}, Response: widgetJSON{}}, noop)
	a.Handle(api.Operation{Method: "PATCH", Path: "/api/v1/widgets/{id}", Perm: auth.PermOperate, Summary: "部品を更新", Request: widgetPatch{}, Response: widgetJSON{}}, noop)
	a.ServeDoc()
	return a, r
}

func TestDocShape(t *testing.T) {
	t.Parallel()
	a, r := testAPI()
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
		Comps   struct {
			Schemas map[string]struct {
				Properties map[string]map[string]any `json:"properties"`
				Required   []string                  `json:"required"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" || len(doc.Paths) != 3 {
		t.Fatalf("openapi %q, %d paths", doc.OpenAPI, len(doc.Paths))
	}
	ids := map[string]bool{}
	for _, op := range a.Doc.Operations() {
		ids[op.ID] = true
	}
	for _, id := range []string{"getWidgets", "getWidgetsById", "postWidgets", "patchWidgetsById", "getOpenAPI"} {
		if !ids[id] {
			t.Errorf("operationId %s missing (have %v)", id, ids)
		}
	}
	w := doc.Comps.Schemas["widgetJSON"].Properties
	tests := []struct {
		field, key string
		want       any
	}{
		{"amount", "format", "int64"},
		{"amount", "description", "金額（円）"},
		{"shipped_on", "format", "date"},
		{"at", "format", "date-time"},
		{"status", "enum", []any{"a", "b"}},
		{"tags", "type", "array"},
		{"extra", "type", "string"},
		{"extra", "enum", []any{"x", "y"}},
		{"extra", "description", "おまけ: x=エックス、y=ワイ"},
		{"inner", "$ref", "#/components/schemas/inner"},
	}
	for _, tt := range tests {
		got, _ := json.Marshal(w[tt.field][tt.key])
		want, _ := json.Marshal(tt.want)
		if string(got) != string(want) {
			t.Errorf("widgetJSON.%s.%s = %s, want %s", tt.field, tt.key, got, want)
		}
	}
	for _, f := range []string{"hidden", "Skipped", "widget"} {
		if _, ok := w[f]; ok {
			t.Errorf("field %s should not be described", f)
		}
	}
	if req := doc.Comps.Schemas["widget"].Required; len(req) != 1 || req[0] != "status" {
		t.Errorf("required = %v", req)
	}
	post := doc.Paths["/api/v1/widgets"]["post"]
	b, _ := json.Marshal(post["parameters"])
	if string(b) != `[{"$ref":"#/components/parameters/IdempotencyKey"}]` {
		t.Errorf("POST parameters = %s", b)
	}
	if _, ok := post["responses"].(map[string]any)["201"]; !ok {
		t.Errorf("POST responses = %v", post["responses"])
	}
	if s := doc.Paths["/api/v1/openapi.json"]["get"]["security"]; s == nil {
		t.Errorf("public operation must clear security")
	}
}

func TestDocRefusesDuplicates(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		op   api.Operation
	}{
		{"same method and path", api.Operation{Method: "GET", Path: "/api/v1/widgets", Perm: auth.PermView, ID: "other", Summary: "x"}},
		{"same operationId", api.Operation{Method: "DELETE", Path: "/api/v1/widgets/{id}", Perm: auth.PermOperate, ID: "getWidgets", Summary: "x"}},
		{"outside /api/", api.Operation{Method: "GET", Path: "/widgets", Perm: auth.PermView, Summary: "x"}},
		{"no permission", api.Operation{Method: "GET", Path: "/api/v1/x", Summary: "x"}},
	} {
		a, _ := testAPI()
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Add did not panic", tt.name)
				}
			}()
			a.Doc.Add(tt.op)
		}()
	}
}

func TestOpenAPIPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/api/v1/cases/{id}":       "/api/v1/cases/{id}",
		"/api/v1/files/{path...}":  "/api/v1/files/{path}",
		"/api/v1/{$}":              "/api/v1/",
		"/api/v1/orders/{id}/ship": "/api/v1/orders/{id}/ship",
	} {
		if got := api.OpenAPIPath(in); got != want {
			t.Errorf("OpenAPIPath(%q) = %q, want %q", in, got, want)
		}
	}
}
