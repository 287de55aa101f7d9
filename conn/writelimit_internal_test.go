package conn

import (
	"crypto/tls"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/record"
)

// TestWriteLimitOf: the fast path's limit, decided at key install, leaves
// every record of a chunk under the AEAD's usage limit, exactly where the
// full path's look-ahead would start rekeying.
func TestWriteLimitOf(t *testing.T) {
	require.Equal(t, uint64(math.MaxUint64), writeLimitOf(record.Plaintext{}))
	for _, id := range []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_CHACHA20_POLY1305_SHA256} {
		s := cipher.NewTLS13(cipher.SuiteByID(id), make([]byte, 32))
		limit := writeLimitOf(s)
		if limit == math.MaxUint64 {
			require.False(t, s.RekeyNeeded(math.MaxUint64-1))
			continue
		}
		require.False(t, s.RekeyNeeded(limit-1+recordsPerChunk), "suite %#04x", id)
		require.True(t, s.RekeyNeeded(limit+recordsPerChunk+1), "suite %#04x", id)
	}
}
