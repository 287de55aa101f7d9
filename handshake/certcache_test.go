package handshake

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestCertCacheShares: the same certificate bytes, from two connections'
// messages, give one parsed certificate; once no connection holds it, the
// entry goes.
func TestCertCacheShares(t *testing.T) {
	der := rfc8448CertDER(t)
	a, err := parseCertificate(bytes.Clone(der))
	require.NoError(t, err)
	b, err := parseCertificate(bytes.Clone(der))
	require.NoError(t, err)
	require.Same(t, a, b)
	require.Equal(t, der, a.Raw)

	_, err = parseCertificate(append(bytes.Clone(der), 0))
	require.Error(t, err, "trailing data is still refused")

	runtime.KeepAlive(a)
	a, b = nil, nil
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		certCache.Lock()
		_, ok := certCache.m[string(der)]
		certCache.Unlock()
		if !ok {
			break
		}
		require.True(t, time.Now().Before(deadline), "the entry of a collected certificate stays")
		time.Sleep(10 * time.Millisecond)
	}
}
