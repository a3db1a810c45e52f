// Package zengin is the Japanese bank and branch master (金融機関コード・支店コード), with lookup
// and search for bank-account forms.
//
// The data comes from the npm package zengin-code (MIT, see NOTICE-zengin-code.txt), a
// community-maintained copy of the master, not the 全銀協 original. It is converted into
// data.tsv.gz, which is committed and embedded, so building needs no npm. To update it, change
// the pinned version in gen/main.go and run
//
//	go generate ./internal/platform/zengin
//
// which runs `npm pack zengin-code@<version>`, reads lib/zengin-data.js and rewrites
// data.tsv.gz and the notice.
package zengin

//go:generate go run ./gen

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"kessai/internal/platform/kana"
)

//go:embed data.tsv.gz
var embedded []byte

// Bank is a financial institution. Kana is full-width katakana as published (small kana written
// full-size, long vowels as －), Hira the same in hiragana, Roma a romanisation.
type Bank struct {
	Code string // 4 digits
	Name string
	Kana string
	Hira string
	Roma string
}

// Branch is a branch (or, for ゆうちょ銀行, a 〇一八-style account group) of a bank.
type Branch struct {
	BankCode string // 4 digits
	Code     string // 3 digits
	Name     string
	Kana     string
	Hira     string
	Roma     string
}

// Master is an immutable bank master; it is safe for concurrent use.
type Master struct {
	version  string
	banks    []bankEntry // sorted by code
	bankIdx  map[string]int
	branches map[string][]branchEntry // by bank code, sorted by branch code
}

type bankEntry struct {
	Bank
	keys searchKeys
}

type branchEntry struct {
	Branch
	keys searchKeys
}

// searchKeys are kana.Fold'ed forms of name, kana and romanisation.
type searchKeys struct{ name, kana, roma string }

func keysOf(name, kanaName, roma string) searchKeys {
	return searchKeys{name: kana.Fold(name), kana: kana.Fold(kanaName), roma: kana.Fold(roma)}
}

var loadEmbedded = sync.OnceValues(loadUncached)

func loadUncached() (*Master, error) {
	zr, err := gzip.NewReader(bytes.NewReader(embedded))
	if err != nil {
		return nil, fmt.Errorf("zengin: embedded data: %w", err)
	}
	return Parse(zr)
}

// Load returns the embedded master, parsed on first use and shared afterwards.
func Load() (*Master, error) { return loadEmbedded() }

// Parse reads a master in the uncompressed data.tsv format written by gen.
func Parse(r io.Reader) (*Master, error) {
	m := &Master{bankIdx: map[string]int{}, branches: map[string][]branchEntry{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	line := 0
	var bank string
	for sc.Scan() {
		line++
		text := sc.Text()
		if v, ok := strings.CutPrefix(text, "# zengin-code "); ok {
			m.version = v
			continue
		}
		f := strings.Split(text, "\t")
		if len(f) != 6 {
			return nil, fmt.Errorf("zengin: data line %d: %d fields, want 6", line, len(f))
		}
		switch f[0] {
		case "B":
			if _, dup := m.bankIdx[f[1]]; dup {
				return nil, fmt.Errorf("zengin: data line %d: duplicate bank %s", line, f[1])
			}
			bank = f[1]
			m.bankIdx[bank] = len(m.banks)
			m.banks = append(m.banks, bankEntry{
				Bank: Bank{Code: f[1], Name: f[2], Kana: f[3], Hira: f[4], Roma: f[5]},
				keys: keysOf(f[2], f[3], f[5]),
			})
		case "":
			if bank == "" {
				return nil, fmt.Errorf("zengin: data line %d: branch before any bank", line)
			}
			m.branches[bank] = append(m.branches[bank], branchEntry{
				Branch: Branch{BankCode: bank, Code: f[1], Name: f[2], Kana: f[3], Hira: f[4], Roma: f[5]},
				keys:   keysOf(f[2], f[3], f[5]),
			})
		default:
			return nil, fmt.Errorf("zengin: data line %d: unknown record type %q", line, f[0])
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("zengin: data: %w", err)
	}
	return m, nil
}

// Version is the zengin-code release the data came from.
func (m *Master) Version() string { return m.version }

// Bank returns the bank with the 4-digit code.
func (m *Master) Bank(code string) (Bank, bool) {
	i, ok := m.bankIdx[code]
	if !ok {
		return Bank{}, false
	}
	return m.banks[i].Bank, true
}

// Branch returns a branch by bank and 3-digit branch code.
func (m *Master) Branch(bankCode, branchCode string) (Branch, bool) {
	bs := m.branches[bankCode]
	i, ok := slices.BinarySearchFunc(bs, branchCode, func(b branchEntry, code string) int {
		return strings.Compare(b.Code, code)
	})
	if !ok {
		return Branch{}, false
	}
	return bs[i].Branch, true
}

// Banks returns every bank in code order.
func (m *Master) Banks() []Bank {
	out := make([]Bank, len(m.banks))
	for i, b := range m.banks {
		out[i] = b.Bank
	}
	return out
}

// Branches returns the branches of a bank in code order.
func (m *Master) Branches(bankCode string) []Branch {
	bs := m.branches[bankCode]
	out := make([]Branch, len(bs))
	for i, b := range bs {
		out[i] = b.Branch
	}
	return out
}

// Counts returns the number of banks and branches.
func (m *Master) Counts() (banks, branches int) {
	for _, bs := range m.branches {
		branches += len(bs)
	}
	return len(m.banks), branches
}
