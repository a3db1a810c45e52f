package app_test

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"kessai/internal/api"
	"kessai/internal/app/apptest"
)

// TestOpenAPIDescribesEveryRoute proves the document and the route table agree: every /api/v1
// route is described with its method and path, nothing is described that isn't routed, and the
// document has the OpenAPI basics.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	inst := apptest.Start(t, apptest.Options{})
	res, err := http.Get(inst.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("openapi.json: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var doc struct {
		OpenAPI    string                                                        `json:"openapi"`
		Info       map[string]any                                                `json:"info"`
		Paths      map[string]map[string]Op                                      `json:"paths"`
		Components struct{ Schemas, SecuritySchemes, Parameters map[string]any } `json:"components"`
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") || doc.Info["title"] == nil || doc.Info["version"] == nil {
		t.Errorf("openapi %q info %v", doc.OpenAPI, doc.Info)
	}
	for _, name := range []string{"ErrorBody", "Paging"} {
		if doc.Components.Schemas[name] == nil {
			t.Errorf("components.schemas.%s missing", name)
		}
	}
	if doc.Components.SecuritySchemes["apiKey"] == nil || doc.Components.Parameters["IdempotencyKey"] == nil {
		t.Errorf("security scheme or Idempotency-Key parameter missing: %v", doc.Components)
	}

	routed := map[string]bool{}
	for _, rt := range inst.App.Shell.Routes() {
		if strings.HasPrefix(rt.Pattern, "/api/v1/") {
			routed[rt.Method+" "+api.OpenAPIPath(rt.Pattern)] = true
		}
	}
	described := map[string]bool{}
	ids := map[string]string{}
	for path, methods := range doc.Paths {
		for method, op := range methods {
			key := strings.ToUpper(method) + " " + path
			described[key] = true
			if op.OperationID == "" || op.Summary == "" {
				t.Errorf("%s: operationId %q summary %q", key, op.OperationID, op.Summary)
			}
			if other, dup := ids[op.OperationID]; dup {
				t.Errorf("operationId %s used by %s and %s", op.OperationID, other, key)
			}
			ids[op.OperationID] = key
			if strings.ToUpper(method) == http.MethodPost && !op.hasIdempotencyKey() {
				t.Errorf("%s does not take Idempotency-Key", key)
			}
		}
	}
	for k := range routed {
		if !described[k] {
			t.Errorf("routed but not in openapi.json: %s", k)
		}
	}
	for k := range described {
		if !routed[k] {
			t.Errorf("in openapi.json but not routed: %s", k)
		}
	}
	if len(routed) < 10 {
		keys := make([]string, 0, len(routed))
		for k := range routed {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		t.Errorf("only %d API routes: %v", len(routed), keys)
	}
}

// Op is the part of an OpenAPI operation the test reads.
type Op struct {
	OperationID string            `json:"operationId"`
	Summary     string            `json:"summary"`
	Parameters  []json.RawMessage `json:"parameters"`
}

func (o Op) hasIdempotencyKey() bool {
	for _, p := range o.Parameters {
		if strings.Contains(string(p), "IdempotencyKey") {
			return true
		}
	}
	return false
}
