package handshake

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/cryptobyte"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/internal/tlstest"
)

// wireMessage is what every message type implements.
type wireMessage interface {
	Marshal() ([]byte, error)
	Unmarshal(msg []byte) error
}

// msgHex decodes hex that may contain spaces and newlines.
func msgHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	require.NoError(t, err)
	return b
}

// msgLoad reads testdata/<name>: hex, with '#' comment lines.
func msgLoad(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	var sb strings.Builder
	for line := range strings.Lines(string(raw)) {
		if !strings.HasPrefix(line, "#") {
			sb.WriteString(line)
		}
	}
	return msgHex(t, sb.String())
}

// msgFrame builds a handshake message of type t around the concatenated
// body parts.
func msgFrame(t MsgType, body ...[]byte) []byte {
	var b cryptobyte.Builder
	b.AddUint8(uint8(t))
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, p := range body {
			b.AddBytes(p)
		}
	})
	return b.BytesOrPanic()
}

// msgExt builds one Extension.
func msgExt(typ uint16, data []byte) []byte {
	var b cryptobyte.Builder
	b.AddUint16(typ)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(data) })
	return b.BytesOrPanic()
}

// msgBlock builds an extension block from whole extensions.
func msgBlock(exts ...[]byte) []byte {
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, e := range exts {
			b.AddBytes(e)
		}
	})
	return b.BytesOrPanic()
}

// msgSeq returns n bytes counting up from start.
func msgSeq(n int, start byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

// newLike returns a new zero message of m's type.
func newLike(m wireMessage) wireMessage {
	return reflect.New(reflect.TypeOf(m).Elem()).Interface().(wireMessage)
}

// forEachWire runs f as a parallel subtest for each of roundTripCases, with
// the message's wire form.
func forEachWire(t *testing.T, f func(t *testing.T, m wireMessage, wire []byte)) {
	for _, tc := range roundTripCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wire, err := tc.msg.Marshal()
			require.NoError(t, err)
			f(t, tc.msg, wire)
		})
	}
}

// reparse marshals m and parses the result into a new message of its type.
func reparse(t *testing.T, m wireMessage) (wire []byte, got wireMessage) {
	t.Helper()
	wire, err := m.Marshal()
	require.NoError(t, err)
	got = newLike(m)
	require.NoError(t, got.Unmarshal(wire))
	return wire, got
}

var allSigAlgs = []SignatureScheme{
	ECDSAWithP256AndSHA256, ECDSAWithP384AndSHA384, ECDSAWithP521AndSHA512,
	PSSWithSHA256, PSSWithSHA384, PSSWithSHA512, Ed25519,
	PSSPSSWithSHA256, PSSPSSWithSHA384, PSSPSSWithSHA512,
}

// roundTripCases are realistic, fully populated messages.
func roundTripCases() []struct {
	name string
	msg  wireMessage
} {
	hrrRandom := HelloRetryRequestRandom
	return []struct {
		name string
		msg  wireMessage
	}{
		{"client_hello", &ClientHello{
			Vers: 0x0303, Random: msgSeq(32, 1), SessionID: msgSeq(32, 0x40),
			CipherSuites: []uint16{0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f}, CompressionMethods: []uint8{0},
			ServerName: "www.example.com", SupportedVersions: []uint16{0x0304, 0x0303},
			SupportedGroups: []CurveID{X25519MLKEM768, X25519, CurveP256, CurveP384},
			KeyShares: []KeyShare{
				{Group: X25519MLKEM768, Data: msgSeq(1216, 7)},
				{Group: X25519, Data: msgSeq(32, 9)},
			},
			SignatureAlgorithms: allSigAlgs, SignatureAlgorithmsCert: allSigAlgs[:3],
			ALPNProtocols: []string{"h2", "http/1.1"}, PSKModes: []uint8{PSKModeDHE},
			Cookie: msgSeq(40, 3), ExtendedMasterSecret: true, SecureRenegotiation: true,
			ECPointFormats: []uint8{PointFormatUncompressed}, TicketSupported: true,
			RequestOCSP: true, RequestSCTs: true, RecordSizeLimit: 16385,
			PSKIdentities: []PSKIdentity{{Identity: msgSeq(120, 0x70), ObfuscatedTicketAge: 0xdeadbeef}, {Identity: []byte{1}}},
			PSKBinders:    [][]byte{msgSeq(32, 0x50), msgSeq(48, 0x60)},
		}},
		{"client_hello_minimal", &ClientHello{
			Vers: 0x0303, Random: msgSeq(32, 1), CipherSuites: []uint16{0x1301}, CompressionMethods: []uint8{0},
		}},
		{"server_hello_tls13", &ServerHello{
			Vers: 0x0303, Random: msgSeq(32, 0x80), SessionID: msgSeq(32, 0x40), CipherSuite: 0x1301,
			SupportedVersion: 0x0304, KeyShare: KeyShare{Group: X25519MLKEM768, Data: msgSeq(1120, 5)},
		}},
		{"server_hello_tls13_psk", &ServerHello{
			Vers: 0x0303, Random: msgSeq(32, 0x80), SessionID: msgSeq(32, 0x40), CipherSuite: 0x1301,
			SupportedVersion: 0x0304, KeyShare: KeyShare{Group: X25519, Data: msgSeq(32, 5)},
			PreSharedKey: true, SelectedIdentity: 1,
		}},
		{"hello_retry_request", &ServerHello{
			Vers: 0x0303, Random: hrrRandom[:], SessionID: msgSeq(32, 0x40), CipherSuite: 0x1302,
			SupportedVersion: 0x0304, KeyShare: KeyShare{Group: CurveP384}, Cookie: msgSeq(64, 0x11),
		}},
		{"server_hello_tls12", &ServerHello{
			Vers: 0x0303, Random: msgSeq(32, 0x20), SessionID: msgSeq(32, 0x60), CipherSuite: 0xc02f,
			ServerNameAck: true, ALPNProtocol: "http/1.1", ExtendedMasterSecret: true, SecureRenegotiation: true,
			RenegotiatedConnection: msgSeq(24, 1), ECPointFormats: []uint8{0, 1, 2},
			TicketSupported: true, OCSPStapling: true, SCTs: [][]byte{msgSeq(40, 1), msgSeq(50, 2)},
			RecordSizeLimit: 4096,
		}},
		{"encrypted_extensions", &EncryptedExtensions{
			ALPNProtocol: "h2", ServerNameAck: true, SupportedGroups: []CurveID{X25519, CurveP256},
			RecordSizeLimit: 16385,
		}},
		{"encrypted_extensions_empty", &EncryptedExtensions{}},
		{"certificate_request", &CertificateRequestTLS13{
			SignatureAlgorithms: allSigAlgs, SignatureAlgorithmsCert: allSigAlgs[3:6],
			CertificateAuthorities: [][]byte{msgSeq(60, 0x30), msgSeq(70, 0x31)},
		}},
		{"certificate_request_post_handshake", &CertificateRequestTLS13{
			Context: msgSeq(8, 1), SignatureAlgorithms: []SignatureScheme{Ed25519},
		}},
		{"certificate", &CertificateTLS13{Entries: []CertificateEntry{
			{Data: msgSeq(900, 0x30), OCSPStaple: msgSeq(300, 2), SCTs: [][]byte{msgSeq(100, 1)}},
			{Data: msgSeq(700, 0x30)},
		}}},
		{"certificate_client_empty", &CertificateTLS13{Context: msgSeq(8, 1)}},
		{"certificate_verify", &CertificateVerify{Scheme: PSSWithSHA256, Signature: msgSeq(256, 0x90)}},
		{"finished_sha256", &Finished{VerifyData: msgSeq(32, 0xa0)}},
		{"finished_sha384", &Finished{VerifyData: msgSeq(48, 0xb0)}},
		{"new_session_ticket", &NewSessionTicket{
			Lifetime: 604800, AgeAdd: 0xdeadbeef, Nonce: []byte{0, 1}, Ticket: msgSeq(192, 4), MaxEarlyData: 16384,
		}},
		{"new_session_ticket_plain", &NewSessionTicket{Lifetime: 7200, Ticket: msgSeq(16, 4)}},
		{"key_update_not_requested", &KeyUpdate{RequestUpdate: UpdateNotRequested}},
		{"key_update_requested", &KeyUpdate{RequestUpdate: UpdateRequested}},
		{"hello_request", &HelloRequest{}},
		{"server_hello_done", &ServerHelloDone{}},
	}
}

func TestMessageRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range roundTripCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wire, got := reparse(t, tc.msg)
			require.Equal(t, tlstest.StripExtensions(tc.msg), tlstest.StripExtensions(got))
			again, err := got.Marshal()
			require.NoError(t, err)
			require.Equal(t, wire, again, "marshal→unmarshal→marshal must be byte-identical")
		})
	}
}

func TestMessageStrictPrefixes(t *testing.T) {
	t.Parallel()
	forEachWire(t, func(t *testing.T, m wireMessage, wire []byte) {
		for i := range len(wire) {
			err := newLike(m).Unmarshal(wire[:i])
			require.ErrorIs(t, err, alert.DecodeError, "prefix of %d/%d bytes", i, len(wire))
		}
	})
}

// TestMessageBodyPrefixes cuts the body and fixes up the header, so the
// parser itself meets the truncation. A hello cut right before its
// extension block is a valid extension-less TLS 1.2 hello, and every
// Finished length parses, so those are the only prefixes that may succeed.
func TestMessageBodyPrefixes(t *testing.T) {
	t.Parallel()
	forEachWire(t, func(t *testing.T, m wireMessage, wire []byte) {
		if _, ok := m.(*Finished); ok {
			t.Skip("every Finished length parses")
		}
		body := wire[msgHeaderLen:]
		helloEnd := -1 // the body length of the hello without extensions
		var bare wireMessage
		switch h := m.(type) {
		case *ClientHello:
			bare = &ClientHello{Vers: h.Vers, Random: h.Random, SessionID: h.SessionID,
				CipherSuites: h.CipherSuites, CompressionMethods: h.CompressionMethods}
		case *ServerHello:
			bare = &ServerHello{Vers: h.Vers, Random: h.Random, SessionID: h.SessionID,
				CipherSuite: h.CipherSuite, CompressionMethod: h.CompressionMethod}
		}
		if bare != nil {
			bareWire, err := bare.Marshal()
			require.NoError(t, err)
			helloEnd = len(bareWire) - msgHeaderLen
		}
		for i := range len(body) {
			err := newLike(m).Unmarshal(msgFrame(MsgType(wire[0]), body[:i]))
			if i == helloEnd {
				require.NoError(t, err)
				continue
			}
			require.ErrorIs(t, err, alert.DecodeError, "body prefix of %d/%d bytes", i, len(body))
		}
	})
}

// TestMessageTrailingBytes appends one byte inside and one byte outside
// the announced length: both are decode_error (Finished takes any length
// inside).
func TestMessageTrailingBytes(t *testing.T) {
	t.Parallel()
	forEachWire(t, func(t *testing.T, m wireMessage, wire []byte) {
		outside := append(bytes.Clone(wire), 0)
		require.ErrorIs(t, newLike(m).Unmarshal(outside), alert.DecodeError)
		if _, ok := m.(*Finished); ok {
			return
		}
		inside := msgFrame(MsgType(wire[0]), wire[msgHeaderLen:], []byte{0})
		require.ErrorIs(t, newLike(m).Unmarshal(inside), alert.DecodeError)
	})
}

func TestMessageWrongType(t *testing.T) {
	t.Parallel()
	forEachWire(t, func(t *testing.T, m wireMessage, wire []byte) {
		for _, typ := range []MsgType{TypeClientHello, TypeFinished, TypeMessageHash, 99} {
			if typ == MsgType(wire[0]) {
				continue
			}
			bad := bytes.Clone(wire)
			bad[0] = byte(typ)
			require.ErrorIs(t, newLike(m).Unmarshal(bad), alert.UnexpectedMessage, "type %v", typ)
		}
	})
}

// TestUnmarshalCopies checks that parsed messages do not alias their input,
// which the Assembler reuses.
func TestUnmarshalCopies(t *testing.T) {
	t.Parallel()
	for _, tc := range roundTripCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wire, got := reparse(t, tc.msg)
			for i := range wire {
				wire[i] ^= 0xff
			}
			require.Equal(t, tlstest.StripExtensions(tc.msg), tlstest.StripExtensions(got))
		})
	}
}

// TestUnmarshalFailureKeepsReceiver checks that a failed Unmarshal leaves
// the receiver as it was.
func TestUnmarshalFailureKeepsReceiver(t *testing.T) {
	t.Parallel()
	ee := &EncryptedExtensions{ALPNProtocol: "h2"}
	bad := msgFrame(TypeEncryptedExtensions, msgBlock(msgExt(ExtALPN, msgHex(t, "0003 02 68 32")), msgExt(ExtEarlyData, nil)))
	require.ErrorIs(t, ee.Unmarshal(bad), alert.UnsupportedExtension)
	require.Equal(t, &EncryptedExtensions{ALPNProtocol: "h2"}, ee)
}

func TestMarshalInvalidFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		msg  wireMessage
	}{
		{"client_hello short random", &ClientHello{Random: msgSeq(31, 0), CipherSuites: []uint16{0x1301}}},
		{"client_hello long session id", &ClientHello{Random: msgSeq(32, 0), SessionID: msgSeq(33, 0)}},
		{"client_hello empty ALPN protocol", &ClientHello{Random: msgSeq(32, 0), ALPNProtocols: []string{"h2", ""}}},
		{"server_hello no random", &ServerHello{}},
		{"certificate_request without signature_algorithms", &CertificateRequestTLS13{}},
		{"certificate empty cert_data", &CertificateTLS13{Entries: []CertificateEntry{{}}}},
		{"new_session_ticket empty ticket", &NewSessionTicket{}},
		{"key_update request 2", &KeyUpdate{RequestUpdate: 2}},
		{"finished over 2^24 bytes", &Finished{VerifyData: make([]byte, 1<<24)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.msg.Marshal()
			require.ErrorIs(t, err, alert.InternalError)
		})
	}
}

func TestExtensionOrder(t *testing.T) {
	t.Parallel()
	tests := map[string][]uint16{
		"client_hello": {
			ExtServerName, ExtECPointFormats, ExtSessionTicket, ExtRenegotiationInfo, ExtExtendedMasterSecret,
			ExtSCT, ExtStatusRequest, ExtSupportedGroups, ExtSignatureAlgorithms, ExtSignatureAlgorithmsCert,
			ExtALPN, ExtSupportedVersions, ExtCookie, ExtKeyShare, ExtPSKKeyExchangeModes, ExtRecordSizeLimit,
			ExtPreSharedKey, // last: RFC 8446, Section 4.2.11
		},
		"server_hello_tls13":     {ExtKeyShare, ExtSupportedVersions},
		"server_hello_tls13_psk": {ExtKeyShare, ExtPreSharedKey, ExtSupportedVersions},
		"hello_retry_request":    {ExtKeyShare, ExtSupportedVersions, ExtCookie},
		"encrypted_extensions":   {ExtSupportedGroups, ExtRecordSizeLimit, ExtServerName, ExtALPN},
		"certificate_request":    {ExtSignatureAlgorithms, ExtSignatureAlgorithmsCert, ExtCertificateAuthorities},
		"new_session_ticket":     {ExtEarlyData},
		"server_hello_tls12": {
			ExtServerName, ExtRenegotiationInfo, ExtExtendedMasterSecret, ExtALPN, ExtECPointFormats,
			ExtSessionTicket, ExtStatusRequest, ExtSCT, ExtRecordSizeLimit,
		},
	}
	for _, tc := range roundTripCases() {
		want, ok := tests[tc.name]
		if !ok {
			continue
		}
		_, got := reparse(t, tc.msg)
		require.Equal(t, want, reflect.ValueOf(got).Elem().FieldByName("Extensions").Interface(), tc.name)
	}
}
