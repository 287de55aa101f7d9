package handshake

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tlsrecord/tlsrecord/alert"
	"golang.org/x/crypto/cryptobyte"
)

// msgCat concatenates byte slices.
func msgCat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// msgU16Vec builds a uint16-length-prefixed vector of the parts.
func msgU16Vec(parts ...[]byte) []byte {
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(msgCat(parts...)) })
	return b.BytesOrPanic()
}

// msgU8Vec builds a uint8-length-prefixed vector of the parts.
func msgU8Vec(parts ...[]byte) []byte {
	var b cryptobyte.Builder
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(msgCat(parts...)) })
	return b.BytesOrPanic()
}

// rejectCase is one malformed or forbidden message and the exact alert
// Unmarshal must carry.
type rejectCase struct {
	name      string
	msg       []byte
	into      wireMessage
	wantAlert alert.Description
}

func runRejectCases(t *testing.T, tests []rejectCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.into.Unmarshal(tc.msg)
			require.ErrorIs(t, err, tc.wantAlert)
			d, ok := alert.Of(err)
			require.True(t, ok)
			require.Equal(t, tc.wantAlert, d)
			require.Contains(t, err.Error(), "tls: ")
		})
	}
}

func TestServerHelloRejects(t *testing.T) {
	t.Parallel()
	hrr := HelloRetryRequestRandom
	head := func(random []byte) []byte { return msgCat(msgHex(t, "0303"), random, msgHex(t, "00 1301 00")) }
	sh := func(exts ...[]byte) []byte {
		return msgFrame(TypeServerHello, head(msgSeq(32, 0x80)), msgBlock(exts...))
	}
	hr := func(exts ...[]byte) []byte { return msgFrame(TypeServerHello, head(hrr[:]), msgBlock(exts...)) }
	sv := msgExt(ExtSupportedVersions, msgHex(t, "0304"))
	ks := msgExt(ExtKeyShare, msgCat(msgHex(t, "001d 0020"), msgSeq(32, 1)))
	group := msgExt(ExtKeyShare, msgHex(t, "0018"))
	alpn := msgExt(ExtALPN, msgU16Vec(msgU8Vec([]byte("h2"))))
	runRejectCases(t, []rejectCase{
		{"tls13 duplicate key_share", sh(ks, sv, ks), &ServerHello{}, alert.DecodeError},
		{"tls13 duplicate supported_versions", sh(sv, ks, sv), &ServerHello{}, alert.DecodeError},
		{"tls13 short pre_shared_key", sh(sv, ks, msgExt(ExtPreSharedKey, msgHex(t, "00"))), &ServerHello{}, alert.DecodeError},
		{"pre_shared_key in a HelloRetryRequest", hr(sv, msgExt(ExtPreSharedKey, msgHex(t, "0000"))), &ServerHello{}, alert.IllegalParameter},
		{"tls13 unknown extension", sh(sv, ks, msgExt(0xfafa, nil)), &ServerHello{}, alert.UnsupportedExtension},
		{"tls13 ALPN is not a ServerHello extension", sh(sv, ks, alpn), &ServerHello{}, alert.IllegalParameter},
		{"tls13 cookie outside a HelloRetryRequest", sh(sv, ks, msgExt(ExtCookie, msgU16Vec([]byte{1}))), &ServerHello{}, alert.IllegalParameter},
		{"tls13 key_share of a group only", sh(sv, group), &ServerHello{}, alert.DecodeError},
		{"tls13 key_share with empty key_exchange", sh(sv, msgExt(ExtKeyShare, msgHex(t, "001d 0000"))), &ServerHello{}, alert.DecodeError},
		{"tls13 selected version 0", sh(msgExt(ExtSupportedVersions, msgHex(t, "0000")), ks), &ServerHello{}, alert.IllegalParameter},
		{"tls13 supported_versions as a list", sh(msgExt(ExtSupportedVersions, msgHex(t, "02 0304")), ks), &ServerHello{}, alert.DecodeError},
		{"hrr key share entry instead of a group", hr(sv, ks), &ServerHello{}, alert.DecodeError},
		{"hrr selected group 0", hr(sv, msgExt(ExtKeyShare, msgHex(t, "0000"))), &ServerHello{}, alert.IllegalParameter},
		{"hrr empty cookie", hr(sv, group, msgExt(ExtCookie, msgHex(t, "0000"))), &ServerHello{}, alert.DecodeError},
		{"hrr duplicate cookie", hr(sv, msgExt(ExtCookie, msgHex(t, "0001 01")), msgExt(ExtCookie, msgHex(t, "0001 02"))), &ServerHello{}, alert.DecodeError},
		{"hrr ALPN", hr(sv, group, alpn), &ServerHello{}, alert.IllegalParameter},
		{"hrr unknown extension", hr(sv, group, msgExt(0x1234, []byte{1})), &ServerHello{}, alert.UnsupportedExtension},
		{"tls12 key_share", sh(ks), &ServerHello{}, alert.UnsupportedExtension},
		{"tls12 odd supported_groups", sh(msgExt(ExtSupportedGroups, msgU16Vec(msgHex(t, "001d 00")))), &ServerHello{}, alert.DecodeError},
		{"tls12 unknown extension", sh(msgExt(0xfafa, nil)), &ServerHello{}, alert.UnsupportedExtension},
		{"tls12 duplicate extended_master_secret", sh(msgExt(ExtExtendedMasterSecret, nil), msgExt(ExtExtendedMasterSecret, nil)), &ServerHello{}, alert.DecodeError},
		{"tls12 extended_master_secret with data", sh(msgExt(ExtExtendedMasterSecret, []byte{0})), &ServerHello{}, alert.DecodeError},
		{"tls12 ALPN with two protocols", sh(msgExt(ExtALPN, msgU16Vec(msgU8Vec([]byte("h2")), msgU8Vec([]byte("h3"))))), &ServerHello{}, alert.DecodeError},
		{"tls12 ALPN with an empty protocol", sh(msgExt(ExtALPN, msgU16Vec(msgU8Vec()))), &ServerHello{}, alert.DecodeError},
		{"tls12 empty SCT", sh(msgExt(ExtSCT, msgU16Vec(msgHex(t, "0000")))), &ServerHello{}, alert.DecodeError},
		{"tls12 truncated renegotiation_info", sh(msgExt(ExtRenegotiationInfo, msgHex(t, "02 00"))), &ServerHello{}, alert.DecodeError},
		{"tls12 record_size_limit below 64", sh(msgExt(ExtRecordSizeLimit, msgHex(t, "003f"))), &ServerHello{}, alert.IllegalParameter},
		{"tls12 short record_size_limit", sh(msgExt(ExtRecordSizeLimit, msgHex(t, "40"))), &ServerHello{}, alert.DecodeError},
		{"session id of 33 bytes", msgFrame(TypeServerHello, msgHex(t, "0303"), msgSeq(32, 0), msgU8Vec(msgSeq(33, 0)), msgHex(t, "1301 00")), &ServerHello{}, alert.DecodeError},
		{"extension block overruns", msgFrame(TypeServerHello, head(msgSeq(32, 0)), msgHex(t, "0010 002b 0002 0304")), &ServerHello{}, alert.DecodeError},
		{"bytes after the extension block", msgFrame(TypeServerHello, head(msgSeq(32, 0)), msgBlock(sv, ks), []byte{0}), &ServerHello{}, alert.DecodeError},
	})
	// We sent supported_groups, so a TLS 1.2 server's answer is solicited.
	m := new(ServerHello)
	require.NoError(t, m.Unmarshal(sh(msgExt(ExtSupportedGroups, msgU16Vec(msgHex(t, "001d 0017"))))))
}

func TestEncryptedExtensionsRejects(t *testing.T) {
	t.Parallel()
	ee := func(exts ...[]byte) []byte { return msgFrame(TypeEncryptedExtensions, msgBlock(exts...)) }
	sni := msgExt(ExtServerName, nil)
	runRejectCases(t, []rejectCase{
		{"duplicate server_name", ee(sni, sni), &EncryptedExtensions{}, alert.DecodeError},
		{"unsolicited early_data", ee(msgExt(ExtEarlyData, nil)), &EncryptedExtensions{}, alert.UnsupportedExtension},
		{"unsolicited max_fragment_length", ee(msgExt(ExtMaxFragmentLength, []byte{4})), &EncryptedExtensions{}, alert.UnsupportedExtension},
		{"unknown extension", ee(msgExt(0x7777, []byte{1, 2})), &EncryptedExtensions{}, alert.UnsupportedExtension},
		{"signature_algorithms is not an EE extension", ee(msgExt(ExtSignatureAlgorithms, msgU16Vec(msgHex(t, "0804")))), &EncryptedExtensions{}, alert.IllegalParameter},
		{"key_share is not an EE extension", ee(msgExt(ExtKeyShare, msgHex(t, "001d 0001 00"))), &EncryptedExtensions{}, alert.IllegalParameter},
		{"renegotiation_info is not an EE extension", ee(msgExt(ExtRenegotiationInfo, msgHex(t, "00"))), &EncryptedExtensions{}, alert.IllegalParameter},
		{"non-empty server_name", ee(msgExt(ExtServerName, msgHex(t, "0000"))), &EncryptedExtensions{}, alert.DecodeError},
		{"ALPN with two protocols", ee(msgExt(ExtALPN, msgU16Vec(msgU8Vec([]byte("h2")), msgU8Vec([]byte("http/1.1"))))), &EncryptedExtensions{}, alert.DecodeError},
		{"ALPN with an empty list", ee(msgExt(ExtALPN, msgU16Vec())), &EncryptedExtensions{}, alert.DecodeError},
		{"empty supported_groups", ee(msgExt(ExtSupportedGroups, msgU16Vec())), &EncryptedExtensions{}, alert.DecodeError},
		{"odd supported_groups", ee(msgExt(ExtSupportedGroups, msgU16Vec(msgHex(t, "001d 00")))), &EncryptedExtensions{}, alert.DecodeError},
		{"record_size_limit below 64", ee(msgExt(ExtRecordSizeLimit, msgHex(t, "003f"))), &EncryptedExtensions{}, alert.IllegalParameter},
		{"no extension block", msgFrame(TypeEncryptedExtensions), &EncryptedExtensions{}, alert.DecodeError},
	})
}

func TestCertificateRequestRejects(t *testing.T) {
	t.Parallel()
	cr := func(exts ...[]byte) []byte {
		return msgFrame(TypeCertificateRequest, msgHex(t, "00"), msgBlock(exts...))
	}
	sigs := msgExt(ExtSignatureAlgorithms, msgU16Vec(msgHex(t, "0804 0403")))
	runRejectCases(t, []rejectCase{
		{"no signature_algorithms", cr(msgExt(ExtSignatureAlgorithmsCert, msgU16Vec(msgHex(t, "0804")))), &CertificateRequestTLS13{}, alert.MissingExtension},
		{"no extensions", cr(), &CertificateRequestTLS13{}, alert.MissingExtension},
		{"duplicate signature_algorithms", cr(sigs, sigs), &CertificateRequestTLS13{}, alert.DecodeError},
		{"duplicate unknown extension", cr(sigs, msgExt(0x9999, nil), msgExt(0x9999, nil)), &CertificateRequestTLS13{}, alert.DecodeError},
		{"key_share is not a CR extension", cr(sigs, msgExt(ExtKeyShare, msgHex(t, "0000"))), &CertificateRequestTLS13{}, alert.IllegalParameter},
		{"empty signature_algorithms", cr(msgExt(ExtSignatureAlgorithms, msgU16Vec())), &CertificateRequestTLS13{}, alert.DecodeError},
		{"empty distinguished name", cr(sigs, msgExt(ExtCertificateAuthorities, msgU16Vec(msgU16Vec()))), &CertificateRequestTLS13{}, alert.DecodeError},
		{"empty certificate_authorities", cr(sigs, msgExt(ExtCertificateAuthorities, msgU16Vec())), &CertificateRequestTLS13{}, alert.DecodeError},
	})
}

func TestCertificateRejects(t *testing.T) {
	t.Parallel()
	ct := func(entries ...[]byte) []byte {
		var b cryptobyte.Builder
		b.AddUint8(0)
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(msgCat(entries...)) })
		return msgFrame(TypeCertificate, b.BytesOrPanic())
	}
	entry := func(cert []byte, exts ...[]byte) []byte {
		var b cryptobyte.Builder
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(cert) })
		b.AddBytes(msgBlock(exts...))
		return b.BytesOrPanic()
	}
	der := msgSeq(100, 0x30)
	runRejectCases(t, []rejectCase{
		{"empty cert_data", ct(entry(nil)), &CertificateTLS13{}, alert.DecodeError},
		{"unknown entry extension", ct(entry(der, msgExt(0xabcd, nil))), &CertificateTLS13{}, alert.UnsupportedExtension},
		{"ALPN is not a CT extension", ct(entry(der, msgExt(ExtALPN, msgU16Vec(msgU8Vec([]byte("h2")))))), &CertificateTLS13{}, alert.IllegalParameter},
		{"duplicate SCT extension", ct(entry(der, msgExt(ExtSCT, msgU16Vec(msgU16Vec([]byte{1}))), msgExt(ExtSCT, msgU16Vec(msgU16Vec([]byte{1}))))), &CertificateTLS13{}, alert.DecodeError},
		{"OCSP status of another type", ct(entry(der, msgExt(ExtStatusRequest, msgHex(t, "02 000001 00")))), &CertificateTLS13{}, alert.DecodeError},
		{"empty OCSP response", ct(entry(der, msgExt(ExtStatusRequest, msgHex(t, "01 000000")))), &CertificateTLS13{}, alert.DecodeError},
		{"entry without extension block", ct(der[:0:0], msgHex(t, "000001 30")), &CertificateTLS13{}, alert.DecodeError},
		{"list overruns", msgFrame(TypeCertificate, msgHex(t, "00 000010 000001 30 0000")), &CertificateTLS13{}, alert.DecodeError},
	})
}

func TestPostHandshakeRejects(t *testing.T) {
	t.Parallel()
	nst := func(ticket []byte, exts ...[]byte) []byte {
		return msgFrame(TypeNewSessionTicket, msgHex(t, "00001c20 01020304"), msgU8Vec([]byte{0}), msgU16Vec(ticket), msgBlock(exts...))
	}
	runRejectCases(t, []rejectCase{
		{"key_update 2", msgFrame(TypeKeyUpdate, []byte{2}), &KeyUpdate{}, alert.IllegalParameter},
		{"key_update 255", msgFrame(TypeKeyUpdate, []byte{255}), &KeyUpdate{}, alert.IllegalParameter},
		{"key_update of two bytes", msgFrame(TypeKeyUpdate, []byte{0, 0}), &KeyUpdate{}, alert.DecodeError},
		{"key_update empty", msgFrame(TypeKeyUpdate), &KeyUpdate{}, alert.DecodeError},
		{"ticket empty", nst(nil), &NewSessionTicket{}, alert.DecodeError},
		{"ticket duplicate early_data", nst([]byte{1}, msgExt(ExtEarlyData, msgHex(t, "00000400")), msgExt(ExtEarlyData, msgHex(t, "00000400"))), &NewSessionTicket{}, alert.DecodeError},
		{"ticket early_data of 3 bytes", nst([]byte{1}, msgExt(ExtEarlyData, msgHex(t, "000004"))), &NewSessionTicket{}, alert.DecodeError},
		{"ticket key_share is not an NST extension", nst([]byte{1}, msgExt(ExtKeyShare, nil)), &NewSessionTicket{}, alert.IllegalParameter},
		{"ticket without extension block", msgFrame(TypeNewSessionTicket, msgHex(t, "00001c20 01020304 00 0001 01")), &NewSessionTicket{}, alert.DecodeError},
		{"hello_request with a body", msgFrame(TypeHelloRequest, []byte{0}), &HelloRequest{}, alert.DecodeError},
		{"server_hello_done with a body", msgFrame(TypeServerHelloDone, []byte{0}), &ServerHelloDone{}, alert.DecodeError},
		{"finished as key_update", msgFrame(TypeFinished, msgSeq(32, 0)), &KeyUpdate{}, alert.UnexpectedMessage},
		{"empty input", nil, &Finished{}, alert.DecodeError},
	})
}

func TestClientHelloRejects(t *testing.T) {
	t.Parallel()
	ch := func(exts ...[]byte) []byte {
		return msgFrame(TypeClientHello, msgHex(t, "0303"), msgSeq(32, 0), msgHex(t, "00 0002 1301 01 00"), msgBlock(exts...))
	}
	sni := func(names ...[]byte) []byte { return msgExt(ExtServerName, msgU16Vec(names...)) }
	host := func(name string) []byte { return msgCat([]byte{0}, msgU16Vec([]byte(name))) }
	share := func(group string) []byte { return msgCat(msgHex(t, group), msgU16Vec(msgSeq(32, 0))) }
	// psk is OfferedPsks with one identity and n binders of size bytes.
	psk := func(n, size int) []byte {
		var binders [][]byte
		for range n {
			binders = append(binders, msgU8Vec(msgSeq(size, 7)))
		}
		return msgCat(msgU16Vec(msgU16Vec([]byte("ticket")), msgHex(t, "00000001")), msgU16Vec(binders...))
	}
	runRejectCases(t, []rejectCase{
		{"IPv4 server_name", ch(sni(host("192.0.2.1"))), &ClientHello{}, alert.DecodeError},
		{"IPv6 server_name", ch(sni(host("2001:db8::1"))), &ClientHello{}, alert.DecodeError},
		{"server_name with a trailing dot", ch(sni(host("example.com."))), &ClientHello{}, alert.DecodeError},
		{"two host_names", ch(sni(host("a.example"), host("b.example"))), &ClientHello{}, alert.DecodeError},
		{"empty server_name list", ch(sni()), &ClientHello{}, alert.DecodeError},
		{"empty host_name", ch(sni(host(""))), &ClientHello{}, alert.DecodeError},
		{"duplicate server_name", ch(sni(host("a.example")), sni(host("a.example"))), &ClientHello{}, alert.DecodeError},
		{"two key shares of one group", ch(msgExt(ExtKeyShare, msgU16Vec(share("001d"), share("001d")))), &ClientHello{}, alert.IllegalParameter},
		{"key share with empty key_exchange", ch(msgExt(ExtKeyShare, msgU16Vec(msgHex(t, "001d 0000")))), &ClientHello{}, alert.DecodeError},
		{"non-empty renegotiated_connection", ch(msgExt(ExtRenegotiationInfo, msgU8Vec([]byte{1}))), &ClientHello{}, alert.HandshakeFailure},
		{"oid_filters is not a CH extension", ch(msgExt(ExtOIDFilters, msgU16Vec())), &ClientHello{}, alert.IllegalParameter},
		{"empty supported_versions", ch(msgExt(ExtSupportedVersions, msgU8Vec())), &ClientHello{}, alert.DecodeError},
		{"SCT request with data", ch(msgExt(ExtSCT, []byte{0})), &ClientHello{}, alert.DecodeError},
		{"record_size_limit below 64", ch(msgExt(ExtRecordSizeLimit, msgHex(t, "0010"))), &ClientHello{}, alert.IllegalParameter},
		{"pre_shared_key not last", ch(msgExt(ExtPreSharedKey, psk(1, 32)), msgExt(0x0a0a, nil)), &ClientHello{}, alert.IllegalParameter},
		{"two binders for one identity", ch(msgExt(ExtPreSharedKey, psk(2, 32))), &ClientHello{}, alert.IllegalParameter},
		{"binder shorter than 32 bytes", ch(msgExt(ExtPreSharedKey, psk(1, 31))), &ClientHello{}, alert.DecodeError},
		{"empty cipher_suites", msgFrame(TypeClientHello, msgHex(t, "0303"), msgSeq(32, 0), msgHex(t, "00 0000 01 00")), &ClientHello{}, alert.DecodeError},
		{"odd cipher_suites", msgFrame(TypeClientHello, msgHex(t, "0303"), msgSeq(32, 0), msgHex(t, "00 0003 130113 01 00")), &ClientHello{}, alert.DecodeError},
		{"empty compression_methods", msgFrame(TypeClientHello, msgHex(t, "0303"), msgSeq(32, 0), msgHex(t, "00 0002 1301 00")), &ClientHello{}, alert.DecodeError},
		{"short random", msgFrame(TypeClientHello, msgHex(t, "0303"), msgSeq(31, 0)), &ClientHello{}, alert.DecodeError},
	})
}

// TestIgnoredExtensions checks the messages whose receiver "MUST ignore
// unrecognized extensions": they parse, and the types are recorded.
func TestIgnoredExtensions(t *testing.T) {
	t.Parallel()
	sigs := msgExt(ExtSignatureAlgorithms, msgU16Vec(msgHex(t, "0804")))
	cr := msgFrame(TypeCertificateRequest, msgHex(t, "00"),
		msgBlock(msgExt(0xfefe, []byte{1, 2, 3}), sigs, msgExt(ExtStatusRequest, msgHex(t, "01 0000 0000")), msgExt(ExtOIDFilters, msgU16Vec())))
	var req CertificateRequestTLS13
	require.NoError(t, req.Unmarshal(cr))
	require.Equal(t, []SignatureScheme{PSSWithSHA256}, req.SignatureAlgorithms)
	require.Equal(t, []uint16{0xfefe, ExtSignatureAlgorithms, ExtStatusRequest, ExtOIDFilters}, req.Extensions)

	nst := msgFrame(TypeNewSessionTicket, msgHex(t, "00001c20 01020304 00 0001 aa"), msgBlock(msgExt(0x4242, []byte{9})))
	var ticket NewSessionTicket
	require.NoError(t, ticket.Unmarshal(nst))
	require.Equal(t, NewSessionTicket{Lifetime: 7200, AgeAdd: 0x01020304, Ticket: []byte{0xaa}, Extensions: []uint16{0x4242}}, ticket)

	ch := msgFrame(TypeClientHello, msgHex(t, "0303"), msgSeq(32, 0), msgHex(t, "00 0002 1301 01 00"),
		msgBlock(msgExt(0x0a0a, nil), msgExt(ExtPadding, make([]byte, 20))))
	var hello ClientHello
	require.NoError(t, hello.Unmarshal(ch))
	require.Equal(t, []uint16{0x0a0a, ExtPadding}, hello.Extensions)

	// A status_request of a type other than ocsp is skipped whole; an ocsp
	// one with responder ids is an OCSP request.
	for statusType, want := range map[string]bool{"02 0003 010203": false, "01 0004 0002 aabb 0000": true} {
		ch := msgFrame(TypeClientHello, msgHex(t, "0303"), msgSeq(32, 0), msgHex(t, "00 0002 1301 01 00"),
			msgBlock(msgExt(ExtStatusRequest, msgHex(t, statusType))))
		var hello ClientHello
		require.NoError(t, hello.Unmarshal(ch))
		require.Equal(t, want, hello.RequestOCSP, statusType)
	}
}

// TestCertificateEntryUnsolicited: status_request and SCT answers in a
// CertificateEntry are refused when our ClientHello asked for neither
// (RFC 8446, Section 4.4.2), as readCertificate applies it, and accepted
// when it asked, as it does by default.
func TestCertificateEntryUnsolicited(t *testing.T) {
	t.Parallel()
	ch, err := newClientHello(testConfig())
	require.NoError(t, err)
	asked := *ch.hello
	ch.hello.RequestOCSP, ch.hello.RequestSCTs = false, false
	for _, ext := range [][]byte{
		msgExt(ExtStatusRequest, msgHex(t, "01 000001 30")),
		msgExt(ExtSCT, msgU16Vec(msgU16Vec([]byte{1}))),
	} {
		var b cryptobyte.Builder
		b.AddUint8(0)
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(msgSeq(100, 0x30)) })
			b.AddBytes(msgBlock(ext))
		})
		ct := new(CertificateTLS13)
		require.NoError(t, ct.Unmarshal(msgFrame(TypeCertificate, b.BytesOrPanic())))
		require.ErrorIs(t, ch.hello.CheckSolicited(ct.Entries[0].Extensions), alert.UnsupportedExtension)
		require.NoError(t, asked.CheckSolicited(ct.Entries[0].Extensions))
	}
}
