package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"kessai/internal/api"
	"kessai/internal/platform/errs"
)

type thing struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (t thing) RecordID() string { return t.ID }

type thingFilter struct{ keyset bool }

func (f thingFilter) Keyset() bool { return f.keyset }

// TestGenericHandlers: the list's page shape (items never null, capped total, next_after by
// keyset), a create with its check and Location, a get's error.
func TestGenericHandlers(t *testing.T) {
	all := []thing{{"t1", "一"}, {"t2", "二"}, {"t3", "三"}}
	search := func(ctx context.Context, f thingFilter, page, perPage int) ([]thing, int, error) {
		start := min((page-1)*perPage, len(all))
		return all[start:min(start+perPage, len(all))], len(all), nil
	}
	list := api.List(2, 2, func(q url.Values) (thingFilter, error) {
		if q.Get("bad") != "" {
			return thingFilter{}, errs.Invalid("bad は使えません").Field("bad", "不明な条件")
		}
		return thingFilter{keyset: q.Get("sort") == ""}, nil
	}, search, api.AsIs[thing])
	get := func(target string) (int, map[string]any) {
		rec := httptest.NewRecorder()
		list(rec, httptest.NewRequest(http.MethodGet, target, nil))
		var body map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		return rec.Code, body
	}
	code, body := get("/things")
	if code != 200 || len(body["items"].([]any)) != 2 || body["total_capped"] != true || body["next_after"] != "t2" {
		t.Errorf("first page: %d %v", code, body)
	}
	if _, body = get("/things?page=3"); body["items"] == nil || len(body["items"].([]any)) != 0 {
		t.Errorf("an empty page must answer [] : %v", body)
	}
	if code, _ = get("/things?bad=1"); code != http.StatusUnprocessableEntity && code != http.StatusBadRequest {
		t.Errorf("a bad filter: %d", code)
	}

	create := api.Create("/things/", func(in thing) error {
		if in.Name == "" {
			return errs.Invalid("名前を入力してください").Field("name", "必須")
		}
		return nil
	}, func(v thing) string { return v.ID }, func(ctx context.Context, in thing) (thing, error) {
		in.ID = "t9"
		return in, nil
	}, api.AsIs[thing])
	rec := httptest.NewRecorder()
	create(rec, httptest.NewRequest(http.MethodPost, "/things", strings.NewReader(`{"name":"九"}`)))
	if rec.Code != http.StatusCreated || rec.Header().Get("Location") != "/things/t9" {
		t.Errorf("create: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	rec = httptest.NewRecorder()
	create(rec, httptest.NewRequest(http.MethodPost, "/things", strings.NewReader(`{}`)))
	if rec.Code == http.StatusCreated || !strings.Contains(rec.Body.String(), "名前を入力してください") {
		t.Errorf("create refused by check: %d %s", rec.Code, rec.Body.String())
	}
	one := api.Get(func(ctx context.Context, id string) (thing, error) {
		return thing{}, errs.NotFound("見つかりません: " + id)
	}, api.AsIs[thing])
	rec = httptest.NewRecorder()
	one(rec, httptest.NewRequest(http.MethodGet, "/things/x", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("get of a missing record: %d", rec.Code)
	}
}
