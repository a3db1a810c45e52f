package bulk_test

import (
	"io/fs"
	"testing"
)

// subFS makes testdata/migrations look like a package's migrations/ folder.
func subFS(t testing.TB, f fs.FS) fs.FS {
	sub, err := fs.Sub(f, "testdata")
	if err != nil {
		t.Fatal(err)
	}
	return sub
}
