package conn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/record"
)

// limitSealer moves the AEAD usage limit of the sealer it wraps to at, so
// that a test reaches it without sealing 2^24.5 records. Installing it
// restarts the Writer's sequence numbers, so it adds base, the sequence
// number the wrapped sealer had reached.
type limitSealer struct {
	record.Sealer
	base, at uint64
}

func (l limitSealer) Seal(dst []byte, typ record.ContentType, seq uint64, payload []byte) []byte {
	return l.Sealer.Seal(dst, typ, l.base+seq, payload)
}

func (l limitSealer) RekeyNeeded(seq uint64) bool { return l.base+seq >= l.at }

// At the TLS 1.2 usage limit the conn ends the connection with
// close_notify instead of sealing past it: TLS 1.2 has no KeyUpdate.
func TestTLS12AEADLimitEndsWithCloseNotify(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "limit.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	require.NoError(t, err)
	client, server := net.Pipe()
	defer client.Close()
	got := make(chan []byte, 1)
	go func() {
		defer server.Close()
		s := tls.Server(server, &tls.Config{
			Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
			MaxVersion:   tls.VersionTLS12,
		})
		data, _ := io.ReadAll(s) // ends cleanly at close_notify
		got <- data
	}()
	c := Client(client, &Config{InsecureSkipVerify: true})
	require.NoError(t, c.Handshake())
	require.Equal(t, uint16(tls.VersionTLS12), c.ConnectionState().Version)

	c.outMu.Lock()
	base := c.wr.Seq()
	c.wr.SetSealer(limitSealer{Sealer: c.wr.Sealer(), base: base, at: base + 3})
	c.outMu.Unlock()
	_, err = c.Write([]byte("within the limit"))
	require.NoError(t, err)
	n, err := c.Write(make([]byte, 4*record.MaxPlaintext))
	require.ErrorIs(t, err, errAEADLimit)
	require.Equal(t, 0, n, "nothing sealed past the limit")
	require.True(t, c.State().CloseNotifySent)
	require.Equal(t, "within the limit", string(<-got))
	_, err = c.Write([]byte("after"))
	require.ErrorIs(t, err, ErrWriteClosed)
}

// A TLS 1.2 Write in steady state allocates nothing: the usage-limit check
// and the owed-alert check add no allocation to the hot path.
func TestTLS12WriteAllocs(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "allocs.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	require.NoError(t, err)
	client, server := net.Pipe()
	defer client.Close()
	ready := make(chan struct{})
	go func() {
		defer server.Close()
		s := tls.Server(server, &tls.Config{
			Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
			MaxVersion:   tls.VersionTLS12,
		})
		if s.Handshake() == nil {
			close(ready)
			io.Copy(io.Discard, server) // the records, unopened
		}
	}()
	c := Client(client, &Config{InsecureSkipVerify: true})
	require.NoError(t, c.Handshake())
	<-ready
	msg := make([]byte, 1024)
	_, err = c.Write(msg) // warm the buffers
	require.NoError(t, err)
	require.Zero(t, testing.AllocsPerRun(100, func() {
		if _, err := c.Write(msg); err != nil {
			panic(err)
		}
	}))
}
