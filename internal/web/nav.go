package web

import (
	"net/http"
	"net/url"
	"sort"

	"kessai/internal/platform/auth"
)

// NavEntry is one link of the side navigation. Parts register their own (Shell.AddNav); the
// layout shows an entry only to the principals its route admits, so nobody is offered a link
// that ends in 403.
type NavEntry struct {
	Key   string // View.Nav of the pages that highlight it: "orders"
	Label string // "受注管理"
	Path  string // "/orders" (a query is allowed: "/cases?kind=ippan")
	// Group is "" for the main list or GroupSettings for the 設定 fold.
	Group string
	// Order sorts the entries (then Label). The Nav* constants place the shell's own parts.
	Order int
}

// GroupSettings is the 設定 fold of the navigation.
const GroupSettings = "settings"

// Orders of the built-in entries; a room's entries fit between them (e.g. NavRooms+10).
const (
	NavHome     = 0
	NavCommerce = 100 // 宅配買取, 一般仕入, 受注, 定期受注, 顧客
	NavRooms    = 200 // 会計 and the rooms' own lists
	NavJobs     = 800
	// NavSettings is where the 設定 fold sits: entries ordered after it come below it.
	NavSettings = 850
	NavSandbox  = 900
)

// NavItem is a NavEntry as the layout shows it.
type NavItem struct {
	NavEntry
	On bool
}

// Menu is the navigation for one page: the main entries and the 設定 fold.
type Menu struct {
	Main     []NavItem
	Settings []NavItem
	After    []NavItem // main entries below the fold (サンドボックス)
	// SettingsOn opens the fold (a settings page is shown).
	SettingsOn bool
}

// AddNav registers a navigation entry. Its permission is the one of the GET route at Path, so
// it cannot drift from what the guard enforces.
func (s *Shell) AddNav(e NavEntry) {
	s.nav = append(s.nav, e)
	sort.SliceStable(s.nav, func(i, j int) bool {
		if s.nav[i].Order != s.nav[j].Order {
			return s.nav[i].Order < s.nav[j].Order
		}
		return s.nav[i].Label < s.nav[j].Label
	})
}

// Nav lists the registered entries in display order.
func (s *Shell) Nav() []NavEntry { return append([]NavEntry(nil), s.nav...) }

// Menu returns the entries p may open, with current highlighted.
func (s *Shell) Menu(p *auth.Principal, current string) Menu {
	var m Menu
	for _, e := range s.nav {
		if !s.CanOpen(p, e.Path) {
			continue
		}
		it := NavItem{NavEntry: e, On: e.Key == current}
		if e.Group == GroupSettings {
			m.Settings = append(m.Settings, it)
			m.SettingsOn = m.SettingsOn || it.On || current == GroupSettings
			continue
		}
		if e.Order >= NavSettings {
			m.After = append(m.After, it)
			continue
		}
		m.Main = append(m.Main, it)
	}
	return m
}

// CanOpen reports whether p passes the guard of the GET route serving path. A path no route
// serves is not offered.
func (s *Shell) CanOpen(p *auth.Principal, path string) bool {
	perm, ok := s.PermFor(http.MethodGet, path)
	if !ok {
		return false
	}
	return perm == auth.PermPublic || (p != nil && p.Can(perm))
}

// PermFor is the permission of the route that serves method and path (a query is ignored).
func (rt *Router) PermFor(method, path string) (auth.Perm, bool) {
	u, err := url.Parse(path)
	if err != nil {
		return "", false
	}
	req := &http.Request{Method: method, URL: &url.URL{Path: u.Path}, Host: "kessai.local"}
	_, pattern := rt.mux.Handler(req)
	perm, ok := rt.perms[pattern]
	return perm, ok
}
