package app_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// The pages are drawn with Noto Sans CJK and DejaVu (what the README installs): neither has
// the emoji planes, so a 🗑 in a template shows as a tofu box. Templates and scripts keep to
// the Basic Multilingual Plane.
func TestTemplatesUseDrawableCharacters(t *testing.T) {
	root := filepath.Join("..")
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !strings.HasSuffix(path, ".html") && !strings.HasSuffix(path, ".js") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		for i, line := range strings.Split(string(b), "\n") {
			for _, r := range line {
				if r >= 0x1F000 || r == utf8.RuneError {
					t.Errorf("%s:%d: %q (U+%04X) cannot be drawn by the installed fonts; use words (削除) or a BMP symbol", path, i+1, string(r), r)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Fatalf("only %d templates found under %s", n, root)
	}
}
