package zengin

import (
	"cmp"
	"slices"
	"strings"

	"kessai/internal/platform/kana"
)

// Match ranks, best first. A code typed in full beats a code prefix, which beats names.
const (
	rankCode = iota
	rankCodePrefix
	rankNameExact
	rankNamePrefix
	rankNameContains
	noMatch
)

// rank scores one entry against a folded query. Codes are matched on the raw query (digits
// fold to themselves); names on the name, kana and romanisation, so that みずほ, ﾐｽﾞﾎ, ミズホ and
// mizuho all find みずほ銀行.
func rank(code string, k searchKeys, q string) int {
	switch {
	case code == q:
		return rankCode
	case strings.HasPrefix(code, q):
		return rankCodePrefix
	}
	best := noMatch
	for _, s := range []string{k.name, k.kana, k.roma} {
		switch {
		case s == q:
			return rankNameExact
		case strings.HasPrefix(s, q):
			best = min(best, rankNamePrefix)
		case best > rankNameContains && strings.Contains(s, q):
			best = rankNameContains
		}
	}
	return best
}

type hit[T any] struct {
	v    T
	code string
	rank int
}

func search[E any, T any](entries []E, q string, limit int, get func(E) (T, string, searchKeys)) []T {
	q = kana.Fold(q)
	if q == "" || limit <= 0 {
		return nil
	}
	var hits []hit[T]
	for _, e := range entries {
		v, code, keys := get(e)
		if r := rank(code, keys, q); r != noMatch {
			hits = append(hits, hit[T]{v: v, code: code, rank: r})
		}
	}
	slices.SortFunc(hits, func(a, b hit[T]) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.code, b.code))
	})
	out := make([]T, 0, min(limit, len(hits)))
	for _, h := range hits[:min(limit, len(hits))] {
		out = append(out, h.v)
	}
	return out
}

// SearchBanks finds banks whose code starts with q or whose name, kana or romanisation contains
// q, ignoring width, hiragana/katakana, small kana and case. Exact and prefix code matches come
// first, then exact, prefix and partial name matches, each in code order.
func (m *Master) SearchBanks(q string, limit int) []Bank {
	return search(m.banks, q, limit, func(e bankEntry) (Bank, string, searchKeys) {
		return e.Bank, e.Code, e.keys
	})
}

// SearchBranches searches the branches of one bank like SearchBanks.
func (m *Master) SearchBranches(bankCode, q string, limit int) []Branch {
	return search(m.branches[bankCode], q, limit, func(e branchEntry) (Branch, string, searchKeys) {
		return e.Branch, e.Code, e.keys
	})
}
