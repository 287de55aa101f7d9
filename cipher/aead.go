package cipher

import (
	"encoding/binary"

	"github.com/tlsrecord/tlsrecord/record"
)

// Compile-time checks that both protections satisfy the record layer.
var (
	_ record.InPlaceSealer = (*AEAD13)(nil)
	_ record.Opener        = (*AEAD13)(nil)
	_ record.InPlaceSealer = (*AEAD12)(nil)
	_ record.Opener        = (*AEAD12)(nil)
)

// xorNonce is the per-record nonce of TLS 1.3 and of TLS 1.2
// ChaCha20-Poly1305: the sequence number, big-endian and left-padded with
// zeros to 12 bytes, XORed with the static IV (RFC 8446, Section 5.3; RFC
// 7905, Section 2). Only the low 8 bytes change; the high 4 stay the IV's.
type xorNonce struct {
	nonce [nonceLen]byte // IV[0:4] || (IV[4:12] XOR seq)
	ivLow uint64         // IV[4:12]
}

func newXORNonce(iv []byte) xorNonce {
	var n xorNonce
	copy(n.nonce[:], iv)
	n.ivLow = binary.BigEndian.Uint64(iv[4:])
	return n
}

// set makes n.nonce the nonce for seq and returns it.
func (n *xorNonce) set(seq uint64) []byte {
	binary.BigEndian.PutUint64(n.nonce[4:], n.ivLow^seq)
	return n.nonce[:]
}

// grow extends b by n bytes, reusing its capacity when it suffices (the
// steady state: no allocation), and returns the whole slice and the new n
// bytes.
func grow(b []byte, n int) (whole, tail []byte) {
	total := len(b) + n
	if cap(b) >= total {
		whole = b[:total]
	} else {
		whole = make([]byte, total)
		copy(whole, b)
	}
	return whole, whole[len(b):]
}

// putHeader writes a record header into h[:record.HeaderLen].
func putHeader(h []byte, typ record.ContentType, version uint16, length int) {
	_ = h[record.HeaderLen-1]
	h[0] = byte(typ)
	binary.BigEndian.PutUint16(h[1:3], version)
	binary.BigEndian.PutUint16(h[3:5], uint16(length))
}

// samePlace reports whether a and b start at the same address, so that
// copying one to the other can be skipped.
func samePlace(a, b []byte) bool {
	return len(a) > 0 && len(b) > 0 && &a[0] == &b[0]
}
