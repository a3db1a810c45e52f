package web

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestLinkButtonColour: a link-style button outside the dark header must not inherit the filled
// buttons' white text (it was invisible on white panels).
func TestLinkButtonColour(t *testing.T) {
	t.Parallel()
	css, err := os.ReadFile("static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	rule := regexp.MustCompile(`(?m)^button\.link \{([^}]*)\}`).FindSubmatch(css)
	if rule == nil {
		t.Fatal("no button.link rule")
	}
	if !regexp.MustCompile(`(^|[ ;])color:\s*(var\(--accent\)|#[0-9a-f]{3,6})`).Match(rule[1]) || strings.Contains(string(rule[1]), "#fff") {
		t.Errorf("button.link sets no visible colour: %s", rule[1])
	}
}

// TestEditFormInputsFullWidth: typed inputs (email, tel) are as wide as the text inputs of an
// edit form (the customer form's メール field was narrow).
func TestEditFormInputsFullWidth(t *testing.T) {
	t.Parallel()
	css, err := os.ReadFile("static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	for _, sel := range []string{"form.edit input[type=email]", "form.edit input[type=tel]"} {
		if !regexp.MustCompile(regexp.QuoteMeta(sel) + `[^{]*\{[^}]*width:100%`).Match(css) {
			t.Errorf("%s is not full width", sel)
		}
	}
}
