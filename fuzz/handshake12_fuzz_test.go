package fuzz_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/cryptobyte"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/record"
)

// h12Types are the messages only TLS 1.2 has, by type.
var h12Types = []struct {
	typ handshake.MsgType
	new func() hsMessage
}{
	{handshake.TypeServerKeyExchange, func() hsMessage { return new(handshake.ServerKeyExchange) }},
	{handshake.TypeCertificate, func() hsMessage { return new(handshake.CertificateTLS12) }},
	{handshake.TypeCertificateRequest, func() hsMessage { return new(handshake.CertificateRequestTLS12) }},
	{handshake.TypeClientKeyExchange, func() hsMessage { return new(handshake.ClientKeyExchange) }},
}

// h12Alerts are the alerts the TLS 1.2 parsers may return.
var h12Alerts = []alert.Description{alert.DecodeError, alert.IllegalParameter, alert.UnexpectedMessage}

// FuzzHandshake12Messages parses msg, and msg's body behind a correct
// header of each type, as every TLS 1.2 message. The encodings are
// canonical, so a message that parses re-marshals to exactly its input and
// parses back to an equal value; every error carries one of h12Alerts.
func FuzzHandshake12Messages(f *testing.F) {
	for _, s := range h12Seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		for _, ht := range h12Types {
			inputs := [][]byte{msg}
			if len(msg) >= 4 {
				var b cryptobyte.Builder
				b.AddUint8(uint8(ht.typ))
				b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(msg[4:]) })
				inputs = append(inputs, b.BytesOrPanic())
			}
			for _, in := range inputs {
				h12Check(t, ht.new, in)
			}
		}
	})
}

func h12Check(t *testing.T, newMsg func() hsMessage, in []byte) {
	t.Helper()
	m := newMsg()
	if err := m.Unmarshal(in); err != nil {
		d, ok := alert.Of(err)
		if !ok || !slices.Contains(h12Alerts, d) {
			t.Fatalf("%T on %x: error without a parser alert: %v", m, in, err)
		}
		return
	}
	out, err := m.Marshal()
	if err != nil {
		t.Fatalf("%T on %x: parsed but does not marshal: %v", m, in, err)
	}
	if !bytes.Equal(out, in) {
		t.Fatalf("%T: re-encoding differs:\n in %x\nout %x", m, in, out)
	}
	again := newMsg()
	require.NoError(t, again.Unmarshal(out))
	require.Equal(t, m, again)
}

// h12Seeds returns serialized values and the messages crypto/tls's client
// and server send in a TLS 1.2 handshake with client authentication.
func h12Seeds(f *testing.F) [][]byte {
	f.Helper()
	seeds := h12Capture(f)
	for _, m := range []hsMessage{
		&handshake.ServerKeyExchange{Curve: handshake.CurveP256, Public: bytes.Repeat([]byte{4}, 65),
			Scheme: handshake.PSSWithSHA256, Signature: []byte("signature")},
		&handshake.CertificateTLS12{Certificates: [][]byte{{0x30, 0}, {0x30, 1, 0}}},
		&handshake.CertificateTLS12{},
		&handshake.CertificateRequestTLS12{CertificateTypes: []uint8{1, 64},
			SignatureAlgorithms: []handshake.SignatureScheme{handshake.Ed25519}, CertificateAuthorities: [][]byte{{0x30, 0}}},
		&handshake.ClientKeyExchange{Public: bytes.Repeat([]byte{9}, 32)},
	} {
		b, err := m.Marshal()
		require.NoError(f, err)
		seeds = append(seeds, b)
	}
	return seeds
}

// h12Capture runs a crypto/tls TLS 1.2 handshake over a pipe and returns
// the plaintext handshake messages both sides wrote before their
// ChangeCipherSpec.
func h12Capture(f *testing.F) [][]byte {
	f.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(f, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fuzz.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	require.NoError(f, err)
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	var mu sync.Mutex
	var msgs [][]byte
	client, server := net.Pipe()
	done := make(chan error, 1)
	go func() {
		s := tls.Server(&h12Tap{Conn: server, mu: &mu, msgs: &msgs}, &tls.Config{
			Certificates: []tls.Certificate{cert}, MaxVersion: tls.VersionTLS12, ClientAuth: tls.RequireAnyClientCert})
		done <- s.Handshake()
		server.Close()
	}()
	c := tls.Client(&h12Tap{Conn: client, mu: &mu, msgs: &msgs}, &tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{cert}})
	require.NoError(f, c.Handshake())
	require.NoError(f, <-done)
	client.Close()
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(f, msgs)
	return msgs
}

// h12Tap keeps the messages of the plaintext handshake records written
// through it, up to the first change_cipher_spec.
type h12Tap struct {
	net.Conn
	mu      *sync.Mutex
	msgs    *[][]byte
	buf     []byte
	stopped bool
}

func (c *h12Tap) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.buf = append(c.buf, p...)
	for !c.stopped && len(c.buf) >= record.HeaderLen {
		h := record.ParseHeader(c.buf)
		if len(c.buf) < record.HeaderLen+h.Length {
			break
		}
		if h.Type == record.ChangeCipherSpec {
			c.stopped = true
		} else if h.Type == record.Handshake {
			var a handshake.Assembler
			if a.Write(c.buf[record.HeaderLen:record.HeaderLen+h.Length]) == nil {
				for m, ok := a.Next(); ok; m, ok = a.Next() {
					*c.msgs = append(*c.msgs, bytes.Clone(m))
				}
			}
		}
		c.buf = c.buf[record.HeaderLen+h.Length:]
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}
