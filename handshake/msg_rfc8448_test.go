package handshake

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/x509"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/internal/tlstest"
)

// The RFC 8448, Section 3 messages, in handshake/testdata/msg-rfc8448-*.hex.

func TestRFC8448ClientHello(t *testing.T) {
	t.Parallel()
	wire := msgLoad(t, "msg-rfc8448-client-hello.hex")
	var ch ClientHello
	require.NoError(t, ch.Unmarshal(wire))
	require.Equal(t, uint16(0x0303), ch.Vers)
	require.Equal(t, msgHex(t, "cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7"), ch.Random)
	require.Nil(t, ch.SessionID)
	require.Equal(t, []uint16{0x1301, 0x1303, 0x1302}, ch.CipherSuites)
	require.Equal(t, []uint8{0}, ch.CompressionMethods)
	require.Equal(t, "server", ch.ServerName)
	require.True(t, ch.SecureRenegotiation)
	require.True(t, ch.TicketSupported)
	require.Equal(t, []CurveID{X25519, CurveP256, CurveP384, CurveP521, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104}, ch.SupportedGroups)
	require.Equal(t, []KeyShare{{Group: X25519, Data: msgHex(t, "99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c")}}, ch.KeyShares)
	require.Equal(t, []uint16{0x0304}, ch.SupportedVersions)
	require.Equal(t, []SignatureScheme{
		ECDSAWithP256AndSHA256, ECDSAWithP384AndSHA384, ECDSAWithP521AndSHA512, ECDSAWithSHA1,
		PSSWithSHA256, PSSWithSHA384, PSSWithSHA512, PKCS1WithSHA256, PKCS1WithSHA384, PKCS1WithSHA512,
		PKCS1WithSHA1, 0x0402, 0x0502, 0x0602, 0x0202,
	}, ch.SignatureAlgorithms)
	require.Equal(t, []uint8{PSKModeDHE}, ch.PSKModes)
	require.Equal(t, uint16(0x4001), ch.RecordSizeLimit)
	require.Equal(t, []uint16{
		ExtServerName, ExtRenegotiationInfo, ExtSupportedGroups, ExtSessionTicket, ExtKeyShare,
		ExtSupportedVersions, ExtSignatureAlgorithms, ExtPSKKeyExchangeModes, ExtRecordSizeLimit,
	}, ch.Extensions)

	// Our extension order differs from the trace's, so only the content
	// survives a round trip.
	again, err := ch.Marshal()
	require.NoError(t, err)
	require.Len(t, again, len(wire))
	var ch2 ClientHello
	require.NoError(t, ch2.Unmarshal(again))
	require.Equal(t, tlstest.StripExtensions(&ch), tlstest.StripExtensions(&ch2))
}

func TestRFC8448ServerHello(t *testing.T) {
	t.Parallel()
	wire := msgLoad(t, "msg-rfc8448-server-hello.hex")
	var sh ServerHello
	require.NoError(t, sh.Unmarshal(wire))
	require.Equal(t, ServerHello{
		Vers:        0x0303,
		Random:      msgHex(t, "a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e26928"),
		CipherSuite: 0x1301,
		KeyShare: KeyShare{
			Group: X25519,
			Data:  msgHex(t, "c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f"),
		},
		SupportedVersion: 0x0304,
		Extensions:       []uint16{ExtKeyShare, ExtSupportedVersions},
	}, sh)
	require.False(t, sh.IsHelloRetryRequest())
	again, err := sh.Marshal()
	require.NoError(t, err)
	require.Equal(t, wire, again)
}

func TestRFC8448EncryptedExtensions(t *testing.T) {
	t.Parallel()
	wire := msgLoad(t, "msg-rfc8448-encrypted-extensions.hex")
	var ee EncryptedExtensions
	require.NoError(t, ee.Unmarshal(wire))
	require.Equal(t, EncryptedExtensions{
		ServerNameAck:   true,
		SupportedGroups: []CurveID{X25519, CurveP256, CurveP384, CurveP521, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104},
		RecordSizeLimit: 0x4001,
		Extensions:      []uint16{ExtSupportedGroups, ExtRecordSizeLimit, ExtServerName},
	}, ee)
	again, err := ee.Marshal()
	require.NoError(t, err)
	require.Equal(t, wire, again)
}

func TestRFC8448Certificate(t *testing.T) {
	t.Parallel()
	wire := msgLoad(t, "msg-rfc8448-certificate.hex")
	var ct CertificateTLS13
	require.NoError(t, ct.Unmarshal(wire))
	require.Nil(t, ct.Context)
	require.Len(t, ct.Entries, 1)
	require.Nil(t, ct.Entries[0].Extensions)
	cert, err := x509.ParseCertificate(ct.Entries[0].Data)
	require.NoError(t, err)
	require.Equal(t, "rsa", cert.Subject.CommonName)
	again, err := ct.Marshal()
	require.NoError(t, err)
	require.Equal(t, wire, again)
}

func TestRFC8448CertificateVerify(t *testing.T) {
	t.Parallel()
	wire := msgLoad(t, "msg-rfc8448-certificate-verify.hex")
	var cv CertificateVerify
	require.NoError(t, cv.Unmarshal(wire))
	require.Equal(t, PSSWithSHA256, cv.Scheme)
	require.Len(t, cv.Signature, 128)
	require.Equal(t, msgHex(t, "5a747c5d88fa9bd2"), cv.Signature[:8])
	again, err := cv.Marshal()
	require.NoError(t, err)
	require.Equal(t, wire, again)
}

func TestRFC8448Finished(t *testing.T) {
	t.Parallel()
	for name, verifyData := range map[string]string{
		"msg-rfc8448-server-finished.hex": "9b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718",
		"msg-rfc8448-client-finished.hex": "a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61",
	} {
		wire := msgLoad(t, name)
		var fin Finished
		require.NoError(t, fin.Unmarshal(wire))
		require.Equal(t, msgHex(t, verifyData), fin.VerifyData)
		again, err := fin.Marshal()
		require.NoError(t, err)
		require.Equal(t, wire, again)
	}
}

func TestRFC8448NewSessionTicket(t *testing.T) {
	t.Parallel()
	wire := msgLoad(t, "msg-rfc8448-new-session-ticket.hex")

	// The testdata file is the plaintext of the trace's first server
	// application-key record (sequence 0; RFC 8448's server app write key
	// and iv), without the inner content type 0x16.
	record := msgHex(t, `17030300de3a6b8f90414a97d6959c3487680de5134a2b240e6cffac116e95d41d6af8f6b580dcf3d11d63c758db289a015940
		252f55713e061dc13e078891a38efbcf5753ad8ef170ad3c7353d16d9da773b9ca7f2b9fa1b6c0d4a3d03f75e09c30ba1e62972ac46f75f7b981be63439b29
		99ce13064615139891d5e4c5b406f16e3fc181a77ca475840025db2f0a77f81b5ab05b94c01346755f69232c86519d86cbeeac87aac347d143f9605d64f650
		db4d023e70e952ca49fe5137121c74bc2697687e248746d6df353005f3bce18696129c8153556b3b6c6779b37bf15985684f`)
	block, err := aes.NewCipher(msgHex(t, "9f02283b6c9c07efc26bb9f2ac92e356"))
	require.NoError(t, err)
	aead, err := cipher.NewGCM(block)
	require.NoError(t, err)
	plain, err := aead.Open(nil, msgHex(t, "cf782b88dd83549aadf1e984"), record[5:], record[:5])
	require.NoError(t, err)
	require.Equal(t, append(wire, 0x16), plain)

	var nst NewSessionTicket
	require.NoError(t, nst.Unmarshal(wire))
	require.Equal(t, uint32(30), nst.Lifetime)
	require.Equal(t, uint32(0xfad6aac5), nst.AgeAdd)
	require.Equal(t, []byte{0, 0}, nst.Nonce)
	require.Len(t, nst.Ticket, 178)
	require.Equal(t, uint32(1024), nst.MaxEarlyData)
	require.Equal(t, []uint16{ExtEarlyData}, nst.Extensions)
	again, err := nst.Marshal()
	require.NoError(t, err)
	require.Equal(t, wire, again)
}

// TestRFC8448ServerFlight reassembles the decrypted server flight (one
// record holding EncryptedExtensions, Certificate, CertificateVerify and
// Finished) and parses each message.
func TestRFC8448ServerFlight(t *testing.T) {
	t.Parallel()
	names := []string{"encrypted-extensions", "certificate", "certificate-verify", "server-finished"}
	var want [][]byte
	var flight []byte
	for _, n := range names {
		m := msgLoad(t, "msg-rfc8448-"+n+".hex")
		want = append(want, m)
		flight = append(flight, m...)
	}
	var a Assembler
	require.NoError(t, a.Write(flight))
	into := []wireMessage{&EncryptedExtensions{}, &CertificateTLS13{}, &CertificateVerify{}, &Finished{}}
	for i, m := range into {
		msg, ok := a.Next()
		require.True(t, ok, names[i])
		require.Equal(t, want[i], msg)
		require.NoError(t, m.Unmarshal(msg), names[i])
	}
	_, ok := a.Next()
	require.False(t, ok)
	require.False(t, a.Pending())
}
