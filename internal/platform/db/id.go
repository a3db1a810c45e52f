package db

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
)

// crockford is Crockford's base32 alphabet: no I, L, O or U, so IDs read aloud or typed by
// staff are hard to get wrong.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ids makes IDs strictly increasing within the process: two records created in the same
// millisecond (an audit entry and its record, rows of a bulk insert) still sort in the order they
// were made, which lists and cursors rely on.
var ids struct {
	sync.Mutex
	ms     uint64
	hi, lo uint64 // the 80 random bits: 16 in hi, 64 in lo
}

// NewID returns a new ID "prefix_XXXXXXXXXXXXXXXXXXXXXXXXXX": 48 bits of milliseconds then 80
// random bits, in Crockford base32 (26 characters). IDs sort by creation time (strictly, within
// one process); the prefix tells a person what an ID is for ("cus", "ord", "case", "trf"…).
func NewID(prefix string) string {
	var r [10]byte
	if _, err := rand.Read(r[:]); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never happens on supported platforms
	}
	ms := uint64(time.Now().UnixMilli())
	ids.Lock()
	if ms > ids.ms {
		ids.ms = ms
		ids.hi = uint64(binary.BigEndian.Uint16(r[0:2]))
		ids.lo = binary.BigEndian.Uint64(r[2:10])
	} else {
		// Same millisecond (or the wall clock stepped back): count up from the last ID.
		ids.lo++
		if ids.lo == 0 {
			ids.hi = (ids.hi + 1) & 0xFFFF
			if ids.hi == 0 {
				ids.ms++ // 2^80 IDs in one millisecond: borrow the next one
			}
		}
	}
	ms, hi, lo := ids.ms, ids.hi, ids.lo
	ids.Unlock()

	// 48 + 80 = 128 bits → 26 base32 characters (130 bits, top 2 bits zero).
	top := ms<<16 | hi
	var out [26]byte
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | top<<59
		top >>= 5
	}
	if prefix == "" {
		return string(out[:])
	}
	return prefix + "_" + string(out[:])
}
