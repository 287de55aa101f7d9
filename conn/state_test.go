package conn_test

import (
	"crypto/tls"
	"testing"

	"github.com/stretchr/testify/require"
)

// ConnectionState is crypto/tls's own type, filled as a crypto/tls client
// fills it for the same server: the same fields set, tls-unique equal to
// the server's for TLS 1.2 and nil for TLS 1.3.
func TestConnectionStateLikeCryptoTLS(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		server     *tls.Config
		wantScheme tls.SignatureScheme
	}{
		{"tls13-ecdsa", serverConfig(t, "ecdsa"), tls.ECDSAWithP256AndSHA256},
		{"tls13-ed25519", serverConfig(t, "ed25519"), tls.Ed25519},
		{"tls12-ecdsa", serverConfig12(t, "ecdsa"), tls.ECDSAWithP256AndSHA256},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.server.NextProtos = []string{"h2"}
			// A staple and SCTs, which crypto/tls's server sends to a client
			// that asks, as both clients do.
			cert := tc.server.Certificates[0]
			cert.OCSPStaple = []byte("an OCSP response")
			cert.SignedCertificateTimestamps = [][]byte{[]byte("sct one"), []byte("sct two")}
			tc.server.Certificates = []tls.Certificate{cert}
			serverUnique := make(chan []byte, 2)
			s := serveGo(t, tc.server, func(c *tls.Conn) error {
				serverUnique <- c.ConnectionState().TLSUnique
				return echo(c)
			})

			cfg := clientConfig(t)
			cfg.NextProtos = []string{"h2"}
			c, err := dialGo(t, s, cfg)
			require.NoError(t, err)
			ours := c.ConnectionState()
			roundTrip(t, c, "state")
			require.NoError(t, c.Close())
			require.NoError(t, s.nextErr(t))

			theirs := cryptoTLSState(t, s)
			require.NoError(t, s.nextErr(t))

			require.Equal(t, theirs.Version, ours.Version)
			require.True(t, ours.HandshakeComplete)
			require.False(t, ours.DidResume)
			require.Equal(t, theirs.CipherSuite, ours.CipherSuite)
			require.Equal(t, theirs.CurveID, ours.CurveID)
			require.Equal(t, "h2", ours.NegotiatedProtocol)
			require.True(t, ours.NegotiatedProtocolIsMutual, "crypto/tls always sets it")
			require.Equal(t, theirs.ServerName, ours.ServerName)
			require.Equal(t, theirs.HelloRetryRequest, ours.HelloRetryRequest)
			require.Len(t, ours.PeerCertificates, len(theirs.PeerCertificates))
			require.Equal(t, theirs.PeerCertificates[0].Raw, ours.PeerCertificates[0].Raw)
			require.Len(t, ours.VerifiedChains, len(theirs.VerifiedChains))
			require.Equal(t, theirs.SignedCertificateTimestamps, ours.SignedCertificateTimestamps)
			require.Equal(t, cert.SignedCertificateTimestamps, ours.SignedCertificateTimestamps)
			require.Equal(t, theirs.OCSPResponse, ours.OCSPResponse)
			require.Equal(t, cert.OCSPStaple, ours.OCSPResponse)

			fromServer := <-serverUnique
			if ours.Version == tls.VersionTLS12 {
				require.Len(t, ours.TLSUnique, 12)
				require.Equal(t, fromServer, ours.TLSUnique)
			} else {
				require.Nil(t, ours.TLSUnique)
				require.Nil(t, theirs.TLSUnique)
			}
			// As documented: crypto/tls's method needs an unexported field
			// that only crypto/tls can set.
			require.Panics(t, func() { ours.ExportKeyingMaterial("EXPORTER-test", nil, 32) })
			_, err = c.ExportKeyingMaterial("EXPORTER-test", nil, 32)
			require.NoError(t, err)

			st := c.State()
			require.Equal(t, tc.wantScheme, st.PeerSignatureScheme)
			require.Equal(t, ours.Version, st.Version)
			require.True(t, st.CloseNotifySent)
		})
	}
}

// cryptoTLSState dials s with crypto/tls's own client configured like
// clientConfig and returns its ConnectionState.
func cryptoTLSState(t *testing.T, s *goServer) tls.ConnectionState {
	t.Helper()
	c, err := tls.Dial("tcp", s.addr, &tls.Config{ServerName: testHost, RootCAs: getPKI(t).roots, NextProtos: []string{"h2"}})
	require.NoError(t, err)
	defer c.Close()
	return c.ConnectionState()
}
