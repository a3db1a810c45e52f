package app_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kessai/internal/app/apptest"
	"kessai/internal/browsertest"
)

// TestBrowserPrefilledBankNames: a form that comes with bank and branch codes but no names
// (here the customer form shown again with an error) fills the names on load, not only when
// the code is typed.
func TestBrowserPrefilledBankNames(t *testing.T) {
	t.Parallel()
	inst := apptest.Start(t, apptest.Options{})
	cfg := inst.App.Config
	p := browsertest.New(t, browsertest.Options{})
	p.Goto(inst.URL + "/login")
	p.Fill("email", cfg.AdminEmail)
	p.Fill("password", cfg.AdminPass)
	p.ClickAndWait("ログイン")
	p.WaitText("対応が必要なもの")

	p.Goto(inst.URL + "/customers/new")
	p.Fill("氏名", "山田 太郎")
	p.Fill("フリガナ", "ヤマダ タロウ")
	// Codes set without input events, so only the page's own load can fill the names.
	setValue(t, p, "#bank_code", "0001")
	setValue(t, p, "#branch_code", "001")
	setValue(t, p, "#account_number", "12") // refused: the form comes back with the codes
	if got := p.ClickAndWait("登録する"); got != 422 {
		t.Fatalf("submit: %d, want 422", got)
	}
	for _, f := range []struct{ css, want string }{{"#bank_name", "みずほ"}, {"#branch_name", "東京"}} {
		var v string
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			var err error
			if v, err = chromedp.Run(p.Ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).value`, f.css))); err != nil {
				t.Fatal(err)
			}
			if v != "" {
				break
			}
		}
		if !strings.Contains(v, f.want) {
			t.Errorf("%s = %q after load, want %s…", f.css, v, f.want)
		}
	}
}

// evalString reads a JavaScript expression's string value.
func evalString(t *testing.T, p *browsertest.Page, js string) string {
	t.Helper()
	v, err := chromedp.Run(p.Ctx, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestBrowserBankChangeClearsBranch: a branch chosen for one bank is cleared when the bank
// changes, so 0005 is never sent with みずほ's branch 001 still in the field.
func TestBrowserBankChangeClearsBranch(t *testing.T) {
	t.Parallel()
	inst := apptest.Start(t, apptest.Options{})
	cfg := inst.App.Config
	p := browsertest.New(t, browsertest.Options{})
	p.Goto(inst.URL + "/login")
	p.Fill("email", cfg.AdminEmail)
	p.Fill("password", cfg.AdminPass)
	p.ClickAndWait("ログイン")
	p.WaitText("対応が必要なもの")
	p.Goto(inst.URL + "/customers/new")
	p.Fill("#bank_code", "0001")
	p.Fill("#branch_code", "001")
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && evalString(t, p, `document.querySelector("#branch_name").value`) == ""; {
		time.Sleep(100 * time.Millisecond)
	}
	if got := evalString(t, p, `document.querySelector("#branch_name").value`); !strings.Contains(got, "東京") {
		t.Fatalf("branch name for 0001-001: %q", got)
	}
	p.Fill("#bank_code", "0005")
	if got := evalString(t, p, `document.querySelector("#branch_code").value + "|" + document.querySelector("#branch_name").value`); got != "|" {
		t.Errorf("after the bank changed, branch = %q, want it cleared", got)
	}
	// Typing the same bank again (no change) keeps a branch chosen for it.
	p.Fill("#branch_code", "001")
	setValue(t, p, "#bank_code", "0005")
	if err := chromedp.Do(p.Ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector("#bank_code").dispatchEvent(new Event("change"))`)); err != nil {
		t.Fatal(err)
	}
	if got := evalString(t, p, `document.querySelector("#branch_code").value`); got != "001" {
		t.Errorf("the same bank cleared the branch: %q", got)
	}
}
