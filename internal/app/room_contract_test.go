package app_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/riverqueue/river"

	"kessai/internal/api"
	"kessai/internal/app"
	"kessai/internal/app/apptest"
	"kessai/internal/platform/auth"
	"kessai/internal/platform/connection"
	"kessai/internal/platform/db"
	"kessai/internal/platform/errs"
	"kessai/internal/platform/jobs"
	"kessai/internal/platform/logs"
	"kessai/internal/room"
	"kessai/internal/web"
)

type tickArgs struct{}

func (tickArgs) Kind() string { return "testroom.tick" }

type tickWorker struct {
	river.WorkerDefaults[tickArgs]
	ran chan struct{}
}

func (w *tickWorker) Work(ctx context.Context, _ *river.Job[tickArgs]) error {
	if logs.From(ctx) == slog.Default() {
		return errors.New("the job's context does not carry the app's logger")
	}
	select {
	case w.ran <- struct{}{}:
	default:
	}
	return nil
}

type widget struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// testRoom is a room that exists only in this test: whatever kessai shows of it comes through
// the room contract, since nothing else in kessai knows its name.
func testRoom(ran chan struct{}, attached *int) room.Room {
	migrations := fstest.MapFS{
		"migrations/sqlite/0001_widgets.sql":   {Data: []byte("CREATE TABLE testroom_widgets (id TEXT PRIMARY KEY, name TEXT NOT NULL);")},
		"migrations/postgres/0001_widgets.sql": {Data: []byte("CREATE TABLE testroom_widgets (id TEXT PRIMARY KEY, name TEXT NOT NULL);")},
	}
	return room.Room{
		Name:       "testroom",
		Label:      "テスト部屋",
		Migrations: []db.Migrations{{Module: "testroom", FS: migrations}},
		Attach: func(ctx context.Context, h *room.Host) error {
			*attached++
			h.Shell.HandleFunc(http.MethodGet, "/widgets", auth.PermMoney, "ウィジェット一覧", func(w http.ResponseWriter, r *http.Request) {
				var n int
				if err := h.DB.QueryRowContext(r.Context(), `SELECT COUNT(*) FROM testroom_widgets`).Scan(&n); err != nil {
					http.Error(w, err.Error(), 500)
					return
				}
				io.WriteString(w, "widgets table ready")
			})
			h.Shell.HandleFunc(http.MethodPost, "/widgets", auth.PermMoney, "ウィジェットの登録", func(w http.ResponseWriter, r *http.Request) {})
			h.Shell.HandleFunc(http.MethodGet, "/settings/widgets", auth.PermAdmin, "ウィジェットの設定", func(w http.ResponseWriter, r *http.Request) {})
			h.Shell.AddNav(web.NavEntry{Key: "widgets", Label: "ウィジェット管理", Path: "/widgets", Order: web.NavRooms + 50})
			h.Shell.AddNav(web.NavEntry{Key: "settings", Label: "ウィジェット設定", Path: "/settings/widgets", Group: web.GroupSettings, Order: 90})
			h.Shell.AddAttention(func(ctx context.Context) ([]web.Attention, error) {
				return []web.Attention{{Label: "ウィジェット：確認待ち", Count: 7, Link: "/widgets", Level: "warn"}}, nil
			})
			h.API.Handle(api.Operation{Method: http.MethodGet, Path: "/api/v1/widgets", Perm: auth.PermMoney, Tag: "ウィジェット",
				Summary: "ウィジェットの一覧", Response: widget{}, Paged: true}, func(w http.ResponseWriter, r *http.Request) {
				web.WriteJSON(w, http.StatusOK, map[string]any{"items": []widget{{ID: "w1", Name: "一号"}}, "page": 1, "per_page": 50, "total": 1})
			})
			if _, err := h.Connections.Declare(connection.Provider{Key: "testpay", Label: "テスト決済", Rooms: []string{"テスト部屋"},
				Fields: []connection.Field{
					{Name: "merchant_id", Label: "加盟店ID", Required: true},
					{Name: "api_key", Label: "APIキー", Secret: true, Required: true},
					{Name: "api_url", Label: "APIのURL", Endpoint: true, Production: "https://testpay.invalid"},
				},
				Test: func(ctx context.Context, c *connection.Conn) error {
					if k, err := c.Secret("api_key"); err != nil || k != "good-key-1234567" {
						return errs.E(errs.KindUnavailable, "APIキーが違います")
					}
					return nil
				}}); err != nil {
				return err
			}
			if err := room.AddWorker(h, &tickWorker{ran: ran}, "ウィジェットの定期確認"); err != nil {
				return err
			}
			return h.Periodic("ウィジェットの定期確認", jobs.Periodic{Name: tickArgs{}.Kind(), Schedule: jobs.Every(time.Hour),
				Args: func() river.JobArgs { return tickArgs{} }, RunOnStart: true})
		},
	}
}

// TestRoomContract registers a small room inside the test and proves its nav entry (shown only
// to the roles its route admits), top-page card, job, API route and OpenAPI entry appear through
// the contract alone, and that the role matrix walks its routes.
func TestRoomContract(t *testing.T) {
	t.Parallel()
	ran := make(chan struct{}, 1)
	attached := 0
	inst := apptest.Start(t, apptest.Options{Configure: func(c *app.Config) {
		c.JobPollInterval = 50 * time.Millisecond
		c.Rooms = append(app.Rooms(), testRoom(ran, &attached))
	}})
	if attached != 1 {
		t.Fatalf("Attach ran %d times, want once", attached)
	}

	keiri, staff, admin := inst.Client(t, auth.RoleAccountant), inst.Client(t, auth.RoleStaff), inst.Client(t, auth.RoleAdmin)
	// Nav: shown to 経理 (PermMoney), hidden from スタッフ; the settings entry only to the admin.
	if res := keiri.Get("/"); !strings.Contains(res.Body, `<a href="/widgets"`) || !strings.Contains(res.Body, "ウィジェット管理") {
		t.Errorf("経理's navigation lacks the room's entry")
	} else if strings.Contains(res.Body, "ウィジェット設定") || strings.Contains(res.Body, `href="/settings/`) {
		t.Errorf("経理 is offered settings links that end in 403")
	} else if !strings.Contains(res.Body, `href="/audit"`) {
		t.Errorf("経理 may open 操作履歴 but is not offered it")
	}
	res := staff.Get("/")
	if strings.Contains(res.Body, `href="/widgets"`) {
		t.Errorf("スタッフ is offered /widgets (nav or top-page card), which refuses スタッフ")
	}
	for _, link := range []string{`href="/settings/`, `href="/audit"`} {
		if strings.Contains(res.Body, link) {
			t.Errorf("スタッフ is offered %s (403 for スタッフ)", link)
		}
	}
	if !strings.Contains(res.Body, `href="/orders"`) {
		t.Errorf("スタッフ's navigation lacks 受注管理: %.400s", res.Body)
	}
	page := admin.Get("/")
	for _, want := range []string{`href="/widgets"`, "ウィジェット設定", "<summary>設定</summary>", "ウィジェット：確認待ち"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the admin's top page lacks %q", want)
		}
	}
	if got := keiri.Get("/widgets"); got.Status != http.StatusOK || got.Body != "widgets table ready" {
		t.Errorf("GET /widgets = %d %q (the room's migration should have made its table)", got.Status, got.Body)
	}

	// Job: registered with its label, and the periodic job runs on start.
	if got := inst.App.Jobs.KindLabel("testroom.tick"); got != "ウィジェットの定期確認" {
		t.Errorf("job label = %q", got)
	}
	select {
	case <-ran:
	case <-time.After(30 * time.Second):
		t.Fatal("the room's periodic job did not run")
	}

	// API and OpenAPI.
	key := inst.APIKey(t, auth.RoleAccountant)
	if got := inst.API(t, key, http.MethodGet, "/api/v1/widgets", nil); got.Status != http.StatusOK || !strings.Contains(got.Body, "一号") {
		t.Errorf("GET /api/v1/widgets = %d %s", got.Status, got.Body)
	}
	doc := inst.API(t, key, http.MethodGet, "/api/v1/openapi.json", nil)
	if !strings.Contains(doc.Body, `"/api/v1/widgets"`) || !strings.Contains(doc.Body, "ウィジェットの一覧") {
		t.Errorf("the OpenAPI document lacks the room's operation")
	}

	// Its provider connection: listed on 外部連携設定, with the declared form and 接続テスト.
	if res := admin.Get("/settings/integrations"); !strings.Contains(res.Body, "テスト決済") || !strings.Contains(res.Body, `href="/settings/connections/testpay"`) {
		t.Errorf("外部連携設定 does not list the room's connection")
	}
	form := admin.Get("/settings/connections/testpay")
	if form.Status != http.StatusOK || !strings.Contains(form.Body, `name="merchant_id"`) || !strings.Contains(form.Body, `type="password"`) {
		t.Fatalf("connection form: %d %.300s", form.Status, form.Body)
	}
	if res := admin.PostForm("/settings/connections/testpay", url.Values{"merchant_id": {""}}); res.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(res.Body, "加盟店IDを入力してください") {
		t.Errorf("an empty form: %d", res.Status)
	}
	if res := admin.PostForm("/settings/connections/testpay", url.Values{"merchant_id": {"M1"}, "api_key": {"good-key-1234567"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("save: %d %.300s", res.Status, res.Body)
	}
	admin.PostForm("/settings/connections/testpay/test", url.Values{})
	if page := admin.Get("/settings/connections/testpay"); !strings.Contains(page.Body, `id="conn-state">有効`) || strings.Contains(page.Body, "good-key-1234567") {
		t.Errorf("after 接続テスト the connection is not 有効, or the page shows the key")
	}

	covered := roleMatrix(t, inst)
	for _, r := range []string{"GET /widgets", "POST /widgets", "GET /settings/widgets", "GET /api/v1/widgets", "POST /settings/connections/{provider}/test"} {
		if !covered[r] {
			t.Errorf("the role matrix did not walk %s", r)
		}
	}
}
