// Command gen rebuilds the zengin package's embedded bank master from the npm package
// zengin-code. It needs npm and network access; `go build` does not, because its output is
// committed. Run it with `go generate ./internal/platform/zengin`.
package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// version is the pinned zengin-code release (`npm view zengin-code versions`).
const version = "1.0.0-p20260824"

type entry struct {
	Code     string           `json:"code"`
	Name     string           `json:"name"`
	Kana     string           `json:"kana"`
	Hira     string           `json:"hira"`
	Roma     string           `json:"roma"`
	Branches map[string]entry `json:"branches"`
}

func main() {
	ver := flag.String("version", version, "zengin-code version to fetch")
	out := flag.String("out", ".", "directory to write data.tsv.gz and NOTICE-zengin-code.txt to")
	flag.Parse()
	if err := run(*ver, *out); err != nil {
		fmt.Fprintln(os.Stderr, "zengin/gen:", err)
		os.Exit(1)
	}
}

func run(ver, out string) error {
	tmp, err := os.MkdirTemp("", "zengin-gen-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	cmd := exec.Command("npm", "pack", "--silent", "zengin-code@"+ver)
	cmd.Dir = tmp
	cmd.Stderr = os.Stderr
	name, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("npm pack zengin-code@%s: %w", ver, err)
	}
	files, err := untar(filepath.Join(tmp, strings.TrimSpace(string(name))))
	if err != nil {
		return err
	}

	var pkg struct{ Version, License string }
	if err := json.Unmarshal(files["package/package.json"], &pkg); err != nil {
		return fmt.Errorf("package.json: %w", err)
	}
	if pkg.Version != ver || pkg.License != "MIT" {
		return fmt.Errorf("unexpected package: version %q licence %q", pkg.Version, pkg.License)
	}
	banks, err := parseData(files["package/lib/zengin-data.js"])
	if err != nil {
		return err
	}
	data, nBanks, nBranches, err := encode(ver, banks)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "data.tsv.gz"), data, 0o644); err != nil {
		return err
	}
	notice := fmt.Sprintf("The bank and branch data in data.tsv.gz is converted from the npm package\n"+
		"zengin-code %s (https://github.com/zengin-code), distributed under this licence:\n\n%s", ver, files["package/LICENSE.txt"])
	if err := os.WriteFile(filepath.Join(out, "NOTICE-zengin-code.txt"), []byte(notice), 0o644); err != nil {
		return err
	}
	fmt.Printf("zengin-code %s: %d banks, %d branches, %d bytes\n", ver, nBanks, nBranches, len(data))
	return nil
}

// untar returns the regular files of a .tgz by name.
func untar(path string) (map[string][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, h.Name, err)
		}
		files[h.Name] = b
	}
}

// parseData reads lib/zengin-data.js, which is `module.exports = {JSON};`.
func parseData(js []byte) (map[string]entry, error) {
	start, end := bytes.IndexByte(js, '{'), bytes.LastIndexByte(js, '}')
	if start < 0 || end < start {
		return nil, errors.New("zengin-data.js: no object literal found")
	}
	var banks map[string]entry
	if err := json.Unmarshal(js[start:end+1], &banks); err != nil {
		return nil, fmt.Errorf("zengin-data.js: %w", err)
	}
	return banks, nil
}

// encode writes the compact form the package embeds: a comment line with the version, then one
// line per bank ("B", code, name, kana, hira, roma) followed by its branches ("", code, name,
// kana, hira, roma), all sorted by code. The gzip header carries no name or time, so the output
// only changes when the data does.
func encode(ver string, banks map[string]entry) ([]byte, int, int, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, 0, 0, err
	}
	w := bufio.NewWriter(zw)
	fmt.Fprintf(w, "# zengin-code %s\n", ver)
	nBranches := 0
	for _, code := range slices.Sorted(maps.Keys(banks)) {
		b := banks[code]
		if err := writeLine(w, "B", b); err != nil {
			return nil, 0, 0, fmt.Errorf("bank %s: %w", code, err)
		}
		for _, bc := range slices.Sorted(maps.Keys(b.Branches)) {
			if err := writeLine(w, "", b.Branches[bc]); err != nil {
				return nil, 0, 0, fmt.Errorf("bank %s branch %s: %w", code, bc, err)
			}
			nBranches++
		}
	}
	if err := w.Flush(); err != nil {
		return nil, 0, 0, err
	}
	if err := zw.Close(); err != nil {
		return nil, 0, 0, err
	}
	return buf.Bytes(), len(banks), nBranches, nil
}

func writeLine(w io.Writer, kind string, e entry) error {
	fields := []string{kind, e.Code, e.Name, e.Kana, e.Hira, e.Roma}
	for _, f := range fields {
		if strings.ContainsAny(f, "\t\r\n") {
			return fmt.Errorf("field %q contains a tab or newline", f)
		}
	}
	if e.Code == "" {
		return errors.New("empty code")
	}
	_, err := io.WriteString(w, strings.Join(fields, "\t")+"\n")
	return err
}
