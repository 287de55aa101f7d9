package handshake

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/cryptobyte"
)

// recordingConn records the bytes read and written through it.
type recordingConn struct {
	net.Conn
	mu      sync.Mutex
	read    []byte
	written []byte
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.read = append(c.read, p[:n]...)
	c.mu.Unlock()
	return n, err
}

func (c *recordingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.mu.Lock()
	c.written = append(c.written, p[:n]...)
	c.mu.Unlock()
	return n, err
}

// captureCert is a self-signed ECDSA certificate for the captures.
var captureCert = sync.OnceValues(func() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "example.com"},
		DNSNames: []string{"example.com"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
})

// captureCryptoTLS runs a crypto/tls client (with a session cache, so it
// offers tickets) against a crypto/tls server over loopback TCP, whose
// buffering lets both sides write at once (net.Pipe deadlocks on the
// change_cipher_spec both send after a HelloRetryRequest), and returns the
// plaintext handshake messages each side sent. Records stop being
// plaintext at the first application_data record (TLS 1.3) or at
// change_cipher_spec (TLS 1.2).
func captureCryptoTLS(t *testing.T, server *tls.Config, tls12 bool) (fromClient, fromServer [][]byte) {
	t.Helper()
	cert, err := captureCert()
	require.NoError(t, err)
	server.Certificates[0].Certificate = cert.Certificate
	server.Certificates[0].PrivateKey = cert.PrivateKey
	ln, err := tls.Listen("tcp", "127.0.0.1:0", server)
	require.NoError(t, err)
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.SetDeadline(time.Now().Add(10 * time.Second))
			err = c.(*tls.Conn).Handshake()
			c.Close()
		}
		done <- err
	}()
	raw, err := net.DialTimeout("tcp", ln.Addr().String(), 10*time.Second)
	require.NoError(t, err)
	require.NoError(t, raw.SetDeadline(time.Now().Add(10*time.Second)))
	rec := &recordingConn{Conn: raw}
	client := tls.Client(rec, &tls.Config{
		ServerName: "example.com", InsecureSkipVerify: true, NextProtos: []string{"h2", "http/1.1"},
		ClientSessionCache: tls.NewLRUClientSessionCache(1),
	})
	require.NoError(t, client.Handshake())
	require.NoError(t, <-done)
	require.NoError(t, raw.Close())
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return capturedMessages(t, rec.written, tls12), capturedMessages(t, rec.read, tls12)
}

// capturedMessages reassembles the plaintext handshake messages of a
// recorded byte stream.
func capturedMessages(t *testing.T, stream []byte, tls12 bool) [][]byte {
	t.Helper()
	s := cryptobyte.String(stream)
	var a Assembler
	for !s.Empty() {
		var typ uint8
		var vers uint16
		var payload cryptobyte.String
		require.True(t, s.ReadUint8(&typ) && s.ReadUint16(&vers) && s.ReadUint16LengthPrefixed(&payload))
		if typ == 23 || (typ == 20 && tls12) {
			break
		}
		if typ == 22 {
			require.NoError(t, a.Write(payload))
		}
	}
	msgs := asmDrain(&a)
	require.False(t, a.Pending())
	return msgs
}

// requireReparse checks that m survives Marshal and Unmarshal.
func requireReparse(t *testing.T, m wireMessage) {
	t.Helper()
	wire, err := m.Marshal()
	require.NoError(t, err)
	again := newLike(m)
	require.NoError(t, again.Unmarshal(wire))
	require.Equal(t, msgStripExtensions(m), msgStripExtensions(again))
}

func TestCryptoTLSHellosTLS13(t *testing.T) {
	t.Parallel()
	fromClient, fromServer := captureCryptoTLS(t, &tls.Config{Certificates: make([]tls.Certificate, 1), NextProtos: []string{"h2"}}, false)
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
	fromClient, fromServer := captureCryptoTLS(t, &tls.Config{
		Certificates: make([]tls.Certificate, 1), CurvePreferences: []tls.CurveID{tls.CurveP384},
	}, false)
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
	fromClient, fromServer := captureCryptoTLS(t, &tls.Config{
		Certificates: []tls.Certificate{{OCSPStaple: msgSeq(20, 3), SignedCertificateTimestamps: scts}},
		MaxVersion:   tls.VersionTLS12, NextProtos: []string{"h2"},
	}, true)
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
