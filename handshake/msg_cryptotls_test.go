package handshake

import (
	"crypto/tls"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/internal/tlstest"
)

// capture runs tlstest.Capture: the plaintext handshake messages a
// crypto/tls client (client, or nil for the default) and server send.
func capture(t *testing.T, server, client *tls.Config) (fromClient, fromServer [][]byte) {
	t.Helper()
	fromClient, fromServer, err := tlstest.Capture(server, client)
	require.NoError(t, err)
	return fromClient, fromServer
}

// requireReparse checks that m survives Marshal and Unmarshal.
func requireReparse(t *testing.T, m wireMessage) {
	t.Helper()
	_, again := reparse(t, m)
	require.Equal(t, tlstest.StripExtensions(m), tlstest.StripExtensions(again))
}

func TestCryptoTLSHellosTLS13(t *testing.T) {
	t.Parallel()
	fromClient, fromServer := capture(t, &tls.Config{NextProtos: []string{"h2"}}, nil)
	require.Len(t, fromClient, 1)
	require.Len(t, fromServer, 1)

	var ch ClientHello
	require.NoError(t, ch.Unmarshal(fromClient[0]))
	require.Equal(t, "example.com", ch.ServerName)
	require.Equal(t, []string{"h2", "http/1.1"}, ch.ALPNProtocols)
	require.Contains(t, ch.SupportedVersions, uint16(0x0304))
	require.Len(t, ch.SessionID, 32)
	require.Equal(t, []uint8{PSKModeDHE}, ch.PSKModes)
	require.True(t, ch.ExtendedMasterSecret)
	require.True(t, ch.SecureRenegotiation)
	require.True(t, ch.RequestOCSP)
	require.True(t, ch.RequestSCTs)
	require.True(t, ch.TicketSupported)
	var groups []CurveID
	for _, ks := range ch.KeyShares {
		groups = append(groups, ks.Group)
	}
	require.Contains(t, groups, X25519)
	requireReparse(t, &ch)

	var sh ServerHello
	require.NoError(t, sh.Unmarshal(fromServer[0]))
	require.False(t, sh.IsHelloRetryRequest())
	require.Equal(t, uint16(0x0304), sh.SupportedVersion)
	require.Contains(t, groups, sh.KeyShare.Group)
	require.Equal(t, ch.SessionID, sh.SessionID)
	require.NoError(t, ch.CheckSolicited(sh.Extensions))
	requireReparse(t, &sh)
}

func TestCryptoTLSHelloRetryRequest(t *testing.T) {
	t.Parallel()
	fromClient, fromServer := capture(t, &tls.Config{CurvePreferences: []tls.CurveID{tls.CurveP384}}, nil)
	require.Len(t, fromClient, 2)
	require.Len(t, fromServer, 2)

	var ch1, ch2 ClientHello
	require.NoError(t, ch1.Unmarshal(fromClient[0]))
	require.NoError(t, ch2.Unmarshal(fromClient[1]))
	var hrr, sh ServerHello
	require.NoError(t, hrr.Unmarshal(fromServer[0]))
	require.NoError(t, sh.Unmarshal(fromServer[1]))

	require.True(t, hrr.IsHelloRetryRequest())
	require.Equal(t, CurveP384, hrr.KeyShare.Group)
	require.Nil(t, hrr.KeyShare.Data)
	require.NoError(t, ch1.CheckSolicited(hrr.Extensions))
	require.Len(t, ch2.KeyShares, 1)
	require.Equal(t, CurveP384, ch2.KeyShares[0].Group)
	require.Len(t, ch2.KeyShares[0].Data, 97) // uncompressed P-384 point
	require.Equal(t, CurveP384, sh.KeyShare.Group)
	require.Equal(t, hrr.CipherSuite, sh.CipherSuite)
	requireReparse(t, &hrr)
	requireReparse(t, &ch2)
}

func TestCryptoTLSHellosTLS12(t *testing.T) {
	t.Parallel()
	scts := [][]byte{msgSeq(40, 1), msgSeq(30, 2)}
	fromClient, fromServer := capture(t, &tls.Config{
		Certificates: []tls.Certificate{{OCSPStaple: msgSeq(20, 3), SignedCertificateTimestamps: scts}},
		MaxVersion:   tls.VersionTLS12, NextProtos: []string{"h2"},
	}, nil)
	require.NotEmpty(t, fromClient)
	var ch ClientHello
	require.NoError(t, ch.Unmarshal(fromClient[0]))

	types := make([]MsgType, len(fromServer))
	for i, m := range fromServer {
		types[i] = MsgType(m[0])
	}
	// The second flight's TLS 1.2 NewSessionTicket precedes the server's
	// change_cipher_spec.
	require.Equal(t, []MsgType{
		TypeServerHello, TypeCertificate, 22 /* certificate_status */, TypeServerKeyExchange, TypeServerHelloDone,
		TypeNewSessionTicket,
	}, types)

	var sh ServerHello
	require.NoError(t, sh.Unmarshal(fromServer[0]))
	require.Equal(t, uint16(0), sh.SupportedVersion)
	require.Equal(t, "h2", sh.ALPNProtocol)
	require.True(t, sh.ServerNameAck)
	require.True(t, sh.ExtendedMasterSecret)
	require.True(t, sh.SecureRenegotiation)
	require.True(t, sh.OCSPStapling)
	require.True(t, sh.TicketSupported)
	require.Nil(t, sh.RenegotiatedConnection)
	require.Equal(t, []uint8{PointFormatUncompressed}, sh.ECPointFormats)
	require.Equal(t, scts, sh.SCTs)
	require.NoError(t, ch.CheckSolicited(sh.Extensions))
	requireReparse(t, &sh)
	require.NoError(t, (&ServerHelloDone{}).Unmarshal(fromServer[4]))
}
