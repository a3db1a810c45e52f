package web_test

import (
	"net/url"
	"strings"
	"testing"

	"kessai/internal/web"
)

func TestCappedTotalAndKeysetNext(t *testing.T) {
	rows := make([]web.Row, 50)
	l := &web.List{Path: "/orders", Query: url.Values{"payment_status": {"unpaid"}}, Total: 10_001, CountLimit: 10_000,
		Paging: web.Paging{Page: 200, PerPage: 50}, Rows: rows, NextAfter: "ord_9"}
	if got := l.TotalText(); got != "10,000以上" {
		t.Errorf("TotalText = %q", got)
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
	if exact.TotalText() != "120" || exact.NextHref() != "?page=2" && !strings.HasSuffix(exact.NextHref(), "page=2") {
		t.Errorf("exact: TotalText %q NextHref %q", exact.TotalText(), exact.NextHref())
	}
}
