package fuzz_test

import (
	"bytes"
	"crypto/tls"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/cryptobyte"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/internal/tlstest"
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
	{handshake.TypeCertificateStatus, func() hsMessage { return new(handshake.CertificateStatus) }},
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
		&handshake.CertificateStatus{OCSPResponse: []byte{0x30, 3, 0x0a, 1, 0}},
	} {
		b, err := m.Marshal()
		require.NoError(f, err)
		seeds = append(seeds, b)
	}
	return seeds
}

// h12Capture returns the plaintext handshake messages crypto/tls's client
// and server send in a TLS 1.2 handshake with client authentication.
func h12Capture(f *testing.F) [][]byte {
	f.Helper()
	cert, err := tlstest.Certificate()
	require.NoError(f, err)
	fromClient, fromServer, err := tlstest.Capture(
		&tls.Config{MaxVersion: tls.VersionTLS12, ClientAuth: tls.RequireAnyClientCert},
		&tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{cert}})
	require.NoError(f, err)
	msgs := append(fromClient, fromServer...)
	require.NotEmpty(f, msgs)
	return msgs
}
