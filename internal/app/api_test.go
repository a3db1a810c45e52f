package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"kessai/internal/api"
	"kessai/internal/app/apptest"
	"kessai/internal/commerce"
	"kessai/internal/platform/auth"
	"kessai/internal/web"
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

// client calls the API with one key.
type client struct {
	t   *testing.T
	url string
	key string
}

type reply struct {
	status   int
	raw      []byte
	err      web.ErrorBody
	replayed string
}

func (c client) call(method, path, idemKey string, body any, out any) reply {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, c.url+path, rd)
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if idemKey != "" {
		req.Header.Set(api.HeaderIdempotencyKey, idemKey)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	r := reply{status: res.StatusCode, replayed: res.Header.Get(api.HeaderReplayed)}
	r.raw, _ = io.ReadAll(res.Body)
	if res.StatusCode >= 400 {
		_ = json.Unmarshal(r.raw, &r.err)
	} else if out != nil {
		if err := json.Unmarshal(r.raw, out); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, r.raw)
		}
	}
	return r
}

// TestAPIEndToEnd drives the commerce API over real HTTP with real API keys.
func TestAPIEndToEnd(t *testing.T) {
	t.Parallel()
	inst := apptest.Start(t, apptest.Options{})
	staff := client{t, inst.URL, inst.APIKey(t, auth.RoleStaff)}
	viewer := client{t, inst.URL, inst.APIKey(t, auth.RoleViewer)}
	anon := client{t, inst.URL, ""}

	// Shops are settings: staff may read them, only an admin key makes one (like the page).
	var shop commerce.Shop
	if r := staff.call("POST", "/api/v1/shops", "", map[string]any{"code": "main", "name": "本店"}, nil); r.status != 403 {
		t.Fatalf("staff creates a shop: %d %s, want 403", r.status, r.raw)
	}
	admin := client{t, inst.URL, inst.APIKey(t, auth.RoleAdmin)}
	if r := admin.call("POST", "/api/v1/shops", "", map[string]any{"code": "main", "name": "本店"}, &shop); r.status != 201 {
		t.Fatalf("create shop: %d %s", r.status, r.raw)
	}
	var cu commerce.Customer
	r := staff.call("POST", "/api/v1/customers", "cust-1", map[string]any{"name": "山田 太郎", "name_kana": "ヤマダ タロウ"}, &cu)
	if r.status != 201 || cu.Code == "" || cu.ID == "" {
		t.Fatalf("create customer: %d %s", r.status, r.raw)
	}
	caseBody := map[string]any{"kind": "takuhai", "shop_id": shop.ID, "customer_id": cu.ID, "purchase_amount": 15000}
	var made commerce.CaseJSON
	first := staff.call("POST", "/api/v1/cases", "case-1", caseBody, &made)
	if first.status != 201 || made.StatusLabel != "受付" {
		t.Fatalf("create case: %d %s", first.status, first.raw)
	}

	// Idempotency: the same request again is the same answer, not a second case.
	again := staff.call("POST", "/api/v1/cases", "case-1", caseBody, nil)
	if again.status != 201 || again.replayed != "true" || !bytes.Equal(again.raw, first.raw) {
		t.Errorf("replay: %d %q %s", again.status, again.replayed, again.raw)
	}
	other := map[string]any{"kind": "takuhai", "shop_id": shop.ID, "customer_id": cu.ID, "purchase_amount": 99}
	if r := staff.call("POST", "/api/v1/cases", "case-1", other, nil); r.status != 422 || r.err.Error.Code != api.CodeKeyReused {
		t.Errorf("reuse: %d %s", r.status, r.raw)
	}

	var list web.ListBody[commerce.CaseRowJSON]
	if r := staff.call("GET", "/api/v1/cases?kind=takuhai&customer=ヤマダ&amount_min=10000", "", nil, &list); r.status != 200 || list.Total != 1 || list.Items[0].ID != made.ID {
		t.Errorf("list: %d %s", r.status, r.raw)
	}
	if r := viewer.call("GET", "/api/v1/cases?status=stocked", "", nil, &list); r.status != 200 || list.Total != 0 {
		t.Errorf("viewer list: %d %s", r.status, r.raw)
	}

	var patched commerce.CaseJSON
	if r := staff.call("PATCH", "/api/v1/cases/"+made.ID, "", map[string]any{"status": "stocked", "confirmed_on": "2026-11-20", "version": made.Version}, &patched); r.status != 200 ||
		patched.StatusLabel != "入庫完了" || patched.PurchaseAmount != 15000 {
		t.Errorf("patch: %d %s", r.status, r.raw)
	}

	refusals := []struct {
		name   string
		c      client
		method string
		path   string
		body   any
		status int
		code   string
		field  string
	}{
		{"422 field errors", staff, "POST", "/api/v1/cases", map[string]any{"kind": "nope", "purchase_amount": -1}, 422, "invalid", "kind"},
		{"422 bad filter", staff, "GET", "/api/v1/cases?confirmed_from=2026-13-01", nil, 422, "invalid", "confirmed_from"},
		{"401 without a key", anon, "GET", "/api/v1/cases", nil, 401, "unauthenticated", ""},
		{"401 with a wrong key", client{t, inst.URL, "kessai_wrong"}, "GET", "/api/v1/cases", nil, 401, "unauthenticated", ""},
		{"403 閲覧 may not create", viewer, "POST", "/api/v1/cases", caseBody, 403, "forbidden", ""},
		{"403 閲覧 may not patch", viewer, "PATCH", "/api/v1/cases/" + made.ID, map[string]any{"note": "x"}, 403, "forbidden", ""},
		{"409 stale version", staff, "PATCH", "/api/v1/cases/" + made.ID, map[string]any{"note": "x", "version": made.Version}, 409, "conflict", ""},
		{"404", staff, "GET", "/api/v1/cases/case_nope", nil, 404, "not_found", ""},
	}
	for _, tt := range refusals {
		r := tt.c.call(tt.method, tt.path, "", tt.body, nil)
		if r.status != tt.status || r.err.Error.Code != tt.code || r.err.Error.Message == "" || (tt.field != "" && r.err.Error.Fields[tt.field] == "") {
			t.Errorf("%s: %d %s", tt.name, r.status, r.raw)
		}
	}
	// Replays, refusals and the reused key made no second case.
	if r := staff.call("GET", "/api/v1/cases?per_page=1", "", nil, &list); list.Total != 1 {
		t.Errorf("cases after replays: %d %s", r.status, r.raw)
	}
}

// TestAPIConcurrentDuplicatePost sends the same create many times at once: exactly one case is
// made, and every other answer is either the replay or 409 (still running).
func TestAPIConcurrentDuplicatePost(t *testing.T) {
	t.Parallel()
	inst := apptest.Start(t, apptest.Options{})
	staff := client{t, inst.URL, inst.APIKey(t, auth.RoleStaff)}
	var shop commerce.Shop
	client{t, inst.URL, inst.APIKey(t, auth.RoleAdmin)}.call("POST", "/api/v1/shops", "", map[string]any{"code": "main", "name": "本店"}, &shop)
	var cu commerce.Customer
	staff.call("POST", "/api/v1/customers", "", map[string]any{"name": "山田 太郎"}, &cu)
	body := map[string]any{"kind": "ippan", "shop_id": shop.ID, "customer_id": cu.ID, "purchase_amount": 1000}
	const n = 8
	replies := make([]reply, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = staff.call("POST", "/api/v1/cases", "same", body, nil)
		}()
	}
	wg.Wait()
	fresh := 0
	for _, r := range replies {
		switch {
		case r.status == 201 && r.replayed == "":
			fresh++
		case r.status == 201 && r.replayed == "true", r.status == 409 && r.err.Error.Code == api.CodeKeyInUse:
		default:
			t.Errorf("unexpected answer %d %s", r.status, r.raw)
		}
	}
	var list web.ListBody[commerce.CaseRowJSON]
	staff.call("GET", "/api/v1/cases", "", nil, &list)
	if fresh != 1 || list.Total != 1 {
		t.Errorf("%d fresh answers, %d cases; want 1 and 1", fresh, list.Total)
	}
}
