package cipher_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/record"
)

// TestZeroAllocs pins the hot path: in steady state Seal into a reused
// buffer, Open into a reused buffer and Open in place allocate nothing, with
// and without a TLS 1.3 padding policy, and so does a failing Open.
func TestZeroAllocs(t *testing.T) {
	bucket := func(_ record.ContentType, n int) int { return 255 - n%256 }
	for _, c := range constructions(t) {
		for _, padded := range []bool{false, true} {
			if padded && c.suite.Version != record.VersionTLS13 {
				continue
			}
			for _, n := range []int{0, 64, record.MaxPlaintext} {
				sealer, opener := c.new(), c.new()
				if padded {
					sealer.(*cipher.AEAD13).SetPadding(bucket)
				}
				requireZeroAllocs(t, sealer, opener, n, c.name)
			}
		}
	}
}

func requireZeroAllocs(t *testing.T, sealer, opener protection, n int, name string) {
	t.Helper()
	payload := make([]byte, n)
	buf := make([]byte, 0, record.HeaderLen+n+sealer.Overhead())
	out := make([]byte, 0, record.MaxPlaintext+256)
	seq := uint64(0)

	allocs := testing.AllocsPerRun(50, func() {
		buf = sealer.Seal(buf[:0], record.ApplicationData, seq, payload)
		seq++
	})
	require.Zero(t, allocs, "%s Seal of %d bytes", name, n)

	rec := sealer.Seal(nil, record.ApplicationData, seq, payload)
	allocs = testing.AllocsPerRun(50, func() {
		if _, pt, err := opener.Open(out[:0], seq, rec); err != nil || len(pt) != n {
			panic("open failed")
		}
	})
	require.Zero(t, allocs, "%s Open into dst of %d bytes", name, n)

	allocs = testing.AllocsPerRun(50, func() {
		seq++
		buf = sealer.Seal(buf[:0], record.Handshake, seq, payload)
		typ, pt, err := opener.Open(nil, seq, buf)
		if err != nil || typ != record.Handshake || len(pt) != n {
			panic("open failed")
		}
	})
	require.Zero(t, allocs, "%s Seal and Open in place of %d bytes", name, n)

	buf[len(buf)-1] ^= 1
	allocs = testing.AllocsPerRun(50, func() {
		if _, _, err := opener.Open(out[:0], seq, buf); err == nil {
			panic("tampered record opened")
		}
	})
	require.Zero(t, allocs, "%s failing Open of %d bytes", name, n)
}
