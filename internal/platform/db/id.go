package db

import (
	"crypto/rand"
	"encoding/binary"
	"time"
)

// crockford is Crockford's base32 alphabet: no I, L, O or U, so IDs read aloud or typed by
// staff are hard to get wrong.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewID returns a new ID "prefix_XXXXXXXXXXXXXXXXXXXXXXXXXX": 48 bits of milliseconds then 80
// random bits, in Crockford base32 (26 characters). IDs of one prefix sort by creation time,
// which keeps list pages and cursors stable; the prefix tells a person what an ID is for
// ("cus", "ord", "case", "trf"…).
func NewID(prefix string) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[0:8], uint64(time.Now().UnixMilli())<<16)
	if _, err := rand.Read(b[6:]); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never happens on supported platforms
	}
	// 128 bits → 26 base32 characters (130 bits, top 2 bits zero).
	var out [26]byte
	hi := binary.BigEndian.Uint64(b[0:8])
	lo := binary.BigEndian.Uint64(b[8:16])
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	if prefix == "" {
		return string(out[:])
	}
	return prefix + "_" + string(out[:])
}
