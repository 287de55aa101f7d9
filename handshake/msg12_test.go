package handshake

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/cryptobyte"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/internal/tlstest"
)

// msg12 is what every TLS 1.2 message type implements.
type msg12 interface {
	Marshal() ([]byte, error)
	Unmarshal(msg []byte) error
}

// samples12 are one or more values of each TLS 1.2 message type.
func samples12() []msg12 {
	return []msg12{
		&ServerKeyExchange{Curve: X25519, Public: bytes.Repeat([]byte{9}, 32), Scheme: ECDSAWithP256AndSHA256, Signature: []byte("a signature")},
		&ServerKeyExchange{Curve: CurveP256, Public: bytes.Repeat([]byte{4}, 65), Scheme: PSSWithSHA256}, // empty signature parses
		&CertificateTLS12{Certificates: [][]byte{[]byte("leaf"), []byte("intermediate")}},
		&CertificateTLS12{}, // a client's "no certificate"
		&CertificateRequestTLS12{CertificateTypes: []uint8{CertTypeRSASign, CertTypeECDSASign},
			SignatureAlgorithms: []SignatureScheme{ECDSAWithP256AndSHA256, PKCS1WithSHA256}, CertificateAuthorities: [][]byte{[]byte("CN=a"), []byte("CN=b")}},
		&CertificateRequestTLS12{CertificateTypes: []uint8{CertTypeECDSASign}, SignatureAlgorithms: []SignatureScheme{Ed25519}},
		&ClientKeyExchange{Public: bytes.Repeat([]byte{7}, 32)},
		&HelloRequest{},
		&ServerHelloDone{},
		&CertificateStatus{OCSPResponse: []byte("an OCSP response")},
	}
}

// newLike returns an empty value of m's type.
func newLike12(m msg12) msg12 {
	return reflect.New(reflect.TypeOf(m).Elem()).Interface().(msg12)
}

// Marshal → Unmarshal → Marshal is byte-identical, the value survives, and
// every strict prefix is a decode_error.
func TestMessages12RoundTrip(t *testing.T) {
	t.Parallel()
	for _, m := range samples12() {
		t.Run(fmt.Sprintf("%T", m), func(t *testing.T) {
			t.Parallel()
			wire, err := m.Marshal()
			require.NoError(t, err)
			got := newLike12(m)
			require.NoError(t, got.Unmarshal(wire))
			normalize12(m)
			require.Equal(t, m, got)
			again, err := got.Marshal()
			require.NoError(t, err)
			require.Equal(t, wire, again)
			for i := range wire {
				err := newLike12(m).Unmarshal(wire[:i])
				require.ErrorIs(t, err, alert.DecodeError, "prefix of %d bytes", i)
			}
			require.ErrorIs(t, newLike12(m).Unmarshal(append(bytes.Clone(wire), 0)), alert.DecodeError, "a trailing byte")
		})
	}
}

// normalize12 turns the empty slices Unmarshal leaves nil into nil.
func normalize12(m msg12) {
	if ske, ok := m.(*ServerKeyExchange); ok && len(ske.Signature) == 0 {
		ske.Signature = nil
	}
}

// body12 builds a handshake message of type t around body.
func body12(t MsgType, f func(b *cryptobyte.Builder)) []byte {
	var b cryptobyte.Builder
	b.AddUint8(uint8(t))
	b.AddUint24LengthPrefixed(f)
	return b.BytesOrPanic()
}

func TestMessages12Reject(t *testing.T) {
	t.Parallel()
	u8 := func(v ...byte) func(b *cryptobyte.Builder) {
		return func(b *cryptobyte.Builder) { b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(v) }) }
	}
	u16 := func(v ...byte) func(b *cryptobyte.Builder) {
		return func(b *cryptobyte.Builder) { b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(v) }) }
	}
	u24 := func(v ...byte) func(b *cryptobyte.Builder) {
		return func(b *cryptobyte.Builder) { b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(v) }) }
	}
	seq := func(fs ...func(b *cryptobyte.Builder)) func(b *cryptobyte.Builder) {
		return func(b *cryptobyte.Builder) {
			for _, f := range fs {
				f(b)
			}
		}
	}
	raw := func(v ...byte) func(b *cryptobyte.Builder) { return func(b *cryptobyte.Builder) { b.AddBytes(v) } }
	for _, tc := range []struct {
		name      string
		m         msg12
		msg       []byte
		wantAlert alert.Description
	}{
		{"ske-explicit-prime", new(ServerKeyExchange), body12(TypeServerKeyExchange, seq(raw(1, 0, 0x17), u8(4), raw(4, 3), u16(1))), alert.IllegalParameter},
		{"ske-empty-point", new(ServerKeyExchange), body12(TypeServerKeyExchange, seq(raw(3, 0, 0x1d), u8(), raw(4, 3), u16(1))), alert.DecodeError},
		{"ske-no-signature", new(ServerKeyExchange), body12(TypeServerKeyExchange, seq(raw(3, 0, 0x1d), u8(9))), alert.DecodeError},
		{"ske-empty-body", new(ServerKeyExchange), body12(TypeServerKeyExchange, raw()), alert.DecodeError},
		{"certificate-empty-entry", new(CertificateTLS12), body12(TypeCertificate, u24(0, 0, 0)), alert.DecodeError},
		{"certificate-short-entry", new(CertificateTLS12), body12(TypeCertificate, u24(0, 0, 5, 1)), alert.DecodeError},
		{"certificate-trailing", new(CertificateTLS12), body12(TypeCertificate, seq(u24(), raw(0))), alert.DecodeError},
		{"cr-no-types", new(CertificateRequestTLS12), body12(TypeCertificateRequest, seq(u8(), u16(4, 3), u16())), alert.DecodeError},
		{"cr-no-schemes", new(CertificateRequestTLS12), body12(TypeCertificateRequest, seq(u8(64), u16(), u16())), alert.DecodeError},
		{"cr-odd-schemes", new(CertificateRequestTLS12), body12(TypeCertificateRequest, seq(u8(64), u16(4, 3, 5), u16())), alert.DecodeError},
		{"cr-empty-dn", new(CertificateRequestTLS12), body12(TypeCertificateRequest, seq(u8(64), u16(4, 3), u16(0, 0))), alert.DecodeError},
		{"cr-no-authorities", new(CertificateRequestTLS12), body12(TypeCertificateRequest, seq(u8(64), u16(4, 3))), alert.DecodeError},
		{"cke-empty", new(ClientKeyExchange), body12(TypeClientKeyExchange, u8()), alert.DecodeError},
		{"cke-trailing", new(ClientKeyExchange), body12(TypeClientKeyExchange, seq(u8(1), raw(1))), alert.DecodeError},
		{"status-not-ocsp", new(CertificateStatus), body12(TypeCertificateStatus, seq(raw(2), u24(1))), alert.DecodeError},
		{"status-empty-response", new(CertificateStatus), body12(TypeCertificateStatus, seq(raw(1), u24())), alert.DecodeError},
		{"status-trailing", new(CertificateStatus), body12(TypeCertificateStatus, seq(raw(1), u24(1), raw(0))), alert.DecodeError},
		{"wrong-type", new(ServerKeyExchange), body12(TypeClientKeyExchange, u8(1)), alert.UnexpectedMessage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.ErrorIs(t, tc.m.Unmarshal(tc.msg), tc.wantAlert)
		})
	}
}

func TestMessages12MarshalErrors(t *testing.T) {
	t.Parallel()
	for _, m := range []msg12{
		&ServerKeyExchange{Curve: X25519},
		&ServerKeyExchange{Curve: X25519, Public: make([]byte, 256)},
		&CertificateTLS12{Certificates: [][]byte{nil}},
		&CertificateRequestTLS12{SignatureAlgorithms: []SignatureScheme{Ed25519}},
		&CertificateRequestTLS12{CertificateTypes: []uint8{64}},
		&CertificateRequestTLS12{CertificateTypes: []uint8{64}, SignatureAlgorithms: []SignatureScheme{Ed25519}, CertificateAuthorities: [][]byte{{}}},
		&ClientKeyExchange{},
	} {
		_, err := m.Marshal()
		require.ErrorIs(t, err, alert.InternalError, "%#v", m)
	}
}

// The TLS 1.2 messages crypto/tls's client and server send parse and
// re-encode byte for byte.
func TestMessages12FromCryptoTLS(t *testing.T) {
	t.Parallel()
	msgs := captureTLS12(t)
	seen := map[MsgType]bool{}
	for _, msg := range msgs {
		var m msg12
		switch MsgType(msg[0]) {
		case TypeServerKeyExchange:
			m = new(ServerKeyExchange)
		case TypeCertificate:
			m = new(CertificateTLS12)
		case TypeCertificateRequest:
			m = new(CertificateRequestTLS12)
		case TypeClientKeyExchange:
			m = new(ClientKeyExchange)
		case TypeServerHelloDone:
			m = new(ServerHelloDone)
		case TypeCertificateVerify:
			m = new(CertificateVerify)
		case TypeServerHello:
			m = new(ServerHello)
		default:
			continue
		}
		seen[MsgType(msg[0])] = true
		require.NoError(t, m.Unmarshal(msg), "%v", MsgType(msg[0]))
		again, err := m.Marshal()
		require.NoError(t, err)
		require.Equal(t, msg, again, "%v", MsgType(msg[0]))
	}
	for _, typ := range []MsgType{TypeServerHello, TypeCertificate, TypeServerKeyExchange, TypeCertificateRequest,
		TypeServerHelloDone, TypeClientKeyExchange, TypeCertificateVerify} {
		require.True(t, seen[typ], "crypto/tls sent no %v", typ)
	}
}

// captureTLS12 runs a crypto/tls TLS 1.2 handshake with client
// authentication and returns the plaintext handshake messages both sides
// sent before their ChangeCipherSpec.
func captureTLS12(t *testing.T) [][]byte {
	t.Helper()
	cert, err := tlstest.Certificate()
	require.NoError(t, err)
	fromClient, fromServer := capture(t,
		&tls.Config{MaxVersion: tls.VersionTLS12, ClientAuth: tls.RequireAnyClientCert},
		&tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{cert}})
	return append(fromClient, fromServer...)
}

func ExampleServerKeyExchange_Params() {
	ske := &ServerKeyExchange{Curve: X25519, Public: bytes.Repeat([]byte{0xab}, 4), Scheme: Ed25519}
	params, _ := ske.Params()
	fmt.Printf("%x\n", params)
	// Output: 03001d04abababab
}
