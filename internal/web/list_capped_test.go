package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"kessai/internal/platform/auth"
	"kessai/internal/platform/clock"

	"kessai/internal/web"
)

func TestCappedTotalAndKeysetNext(t *testing.T) {
	rows := make([]web.Row, 50)
	l := &web.List{Path: "/orders", Query: url.Values{"payment_status": {"unpaid"}}, Total: 10_001, CountLimit: 10_000,
		Paging: web.Paging{Page: 200, PerPage: 50}, Rows: rows, NextAfter: "ord_9"}
	if got := l.TotalText() + l.TotalUnit(); got != "10,000件以上" {
		t.Errorf("TotalText+TotalUnit = %q, want 10,000件以上", got)
	}
	if l.LastPage() != 200 {
		t.Errorf("LastPage = %d, want 200 (the pages counted)", l.LastPage())
	}
	if got := l.NextHref(); got != "/orders?after=ord_9&payment_status=unpaid" {
		t.Errorf("NextHref past the counted pages = %q, want the keyset page", got)
	}
	l.Query.Set("after", "ord_8")
	if !l.Continued() || !strings.Contains(l.RangeText(), "続き") {
		t.Errorf("continued page: Continued %v RangeText %q", l.Continued(), l.RangeText())
	}
	if got := l.PageHref(3); strings.Contains(got, "after") {
		t.Errorf("PageHref keeps after: %q", got)
	}
	if got := l.FilterQuery(); strings.Contains(got, "after") {
		t.Errorf("FilterQuery (bulk, export) keeps after: %q", got)
	}
	exact := &web.List{Total: 120, CountLimit: 10_000, Paging: web.Paging{Page: 1, PerPage: 50}, Rows: rows, NextAfter: "x"}
	if exact.TotalText() != "120" || exact.TotalUnit() != "件" || exact.NextHref() != "?page=2" && !strings.HasSuffix(exact.NextHref(), "page=2") {
		t.Errorf("exact: TotalText %q NextHref %q", exact.TotalText(), exact.NextHref())
	}
}

// The list page says a capped count as 「全10,000件以上」 in its head and its 全件 menu — never
// 「全10,000以上件」 — and an exact one as 「全120件」.
func TestCappedTotalText(t *testing.T) {
	render, err := web.NewRenderer(clock.NewFrozen(time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)), false)
	if err != nil {
		t.Fatal(err)
	}
	p := &auth.Principal{Kind: auth.KindUser, ID: "usr_1", Name: "staff@example.com", Role: auth.RoleStaff}
	tags := regexp.MustCompile(`<[^>]*>`)
	tests := []struct {
		name       string
		total      int
		want, none []string
	}{
		{"capped", 10_001, []string{"全10,000件以上（1〜50件目）", "全10,000件以上を一括操作"}, []string{"以上件", "10,001"}},
		{"exact", 120, []string{"全120件（1〜50件目）", "全120件を一括操作"}, []string{"以上"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &web.List{Path: "/orders", Total: tt.total, CountLimit: 10_000, RecordType: "order",
				Paging: web.Paging{Page: 1, PerPage: 50}, Rows: make([]web.Row, 50),
				Actions: []web.BulkAction{{Name: "x", Label: "操作"}}}
			req := httptest.NewRequest(http.MethodGet, "/orders", nil)
			req = req.WithContext(auth.WithPrincipal(req.Context(), p))
			rec := httptest.NewRecorder()
			render.Render(rec, req, http.StatusOK, "web/list.html", web.View{Title: "受注", Data: l})
			text := tags.ReplaceAllString(rec.Body.String(), "")
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("page text lacks %q", w)
				}
			}
			for _, w := range tt.none {
				if strings.Contains(text, w) {
					t.Errorf("page text has %q", w)
				}
			}
		})
	}
}
