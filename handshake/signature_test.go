package handshake

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tlsrecord/tlsrecord/alert"
	"golang.org/x/crypto/cryptobyte"
)

// rfc8448CertDER returns the server certificate of the RFC 8448 trace,
// taken out of its Certificate message.
func rfc8448CertDER(t *testing.T) []byte {
	t.Helper()
	s := cryptobyte.String(loadRFC8448(t)["cert"])
	var typ uint8
	var body, ctx, list, der, exts cryptobyte.String
	require.True(t, s.ReadUint8(&typ) && s.ReadUint24LengthPrefixed(&body) && s.Empty())
	require.Equal(t, uint8(TypeCertificate), typ)
	require.True(t, body.ReadUint8LengthPrefixed(&ctx) && body.ReadUint24LengthPrefixed(&list) && body.Empty())
	require.True(t, list.ReadUint24LengthPrefixed(&der) && list.ReadUint16LengthPrefixed(&exts) && list.Empty())
	return der
}

// TestCertificateVerifyRFC8448 checks the trace's rsa_pss_rsae_sha256
// CertificateVerify over Transcript-Hash(ClientHello ... Certificate).
func TestCertificateVerifyRFC8448(t *testing.T) {
	t.Parallel()
	v := loadRFC8448(t)
	cert, err := x509.ParseCertificate(rfc8448CertDER(t))
	require.NoError(t, err)

	tr := NewTranscript(crypto.SHA256)
	for _, m := range [][]byte{v["clientHello"], v["serverHello"], v["server flight"][:0x28], v["cert"]} {
		tr.Write(m)
	}
	require.Equal(t, v["CertificateVerify signed content"], SignedMessageTLS13(ServerSignatureContext, tr.Sum()))

	s := cryptobyte.String(v["certVerify"])
	var typ uint8
	var scheme uint16
	var body, sig cryptobyte.String
	require.True(t, s.ReadUint8(&typ) && s.ReadUint24LengthPrefixed(&body) && s.Empty())
	require.True(t, body.ReadUint16(&scheme) && body.ReadUint16LengthPrefixed(&sig) && body.Empty())
	require.Equal(t, PSSWithSHA256, SignatureScheme(scheme))

	offered := SupportedSignatureSchemes()
	require.NoError(t, VerifyCertificateVerifyTLS13(cert.PublicKey, SignatureScheme(scheme), offered, tr.Sum(), sig))
	bad := bytes.Clone(sig)
	bad[len(bad)-1] ^= 1
	require.ErrorIs(t, VerifyCertificateVerifyTLS13(cert.PublicKey, SignatureScheme(scheme), offered, tr.Sum(), bad), alert.DecryptError)
}

type signingCase struct {
	scheme SignatureScheme
	key    crypto.Signer
}

func signingCases() []signingCase {
	p := testPKI()
	return []signingCase{
		{ECDSAWithP256AndSHA256, p.p256},
		{ECDSAWithP384AndSHA384, p.p384},
		{ECDSAWithP521AndSHA512, p.p521},
		{PSSWithSHA256, p.rsa2048},
		{PSSWithSHA384, p.rsa2048},
		{PSSWithSHA512, p.rsa2048},
		{Ed25519, p.ed25519},
	}
}

func TestCertificateVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	hash := sha256.Sum256([]byte("transcript"))
	for _, tc := range signingCases() {
		t.Run(fmt.Sprintf("%#04x", uint16(tc.scheme)), func(t *testing.T) {
			t.Parallel()
			offered := SupportedSignatureSchemes()
			sig, err := signTLS13(rand.Reader, tc.key, tc.scheme, ServerSignatureContext, hash[:])
			require.NoError(t, err)
			require.NoError(t, VerifyCertificateVerifyTLS13(tc.key.Public(), tc.scheme, offered, hash[:], sig))

			// Our client signature verifies with the standard library over
			// the client context, and never as a server signature.
			clientSig, err := SignCertificateVerifyTLS13(rand.Reader, tc.key, tc.scheme, hash[:])
			require.NoError(t, err)
			requireStdlibVerifies(t, tc.key.Public(), tc.scheme, SignedMessageTLS13(ClientSignatureContext, hash[:]), clientSig)
			err = VerifyCertificateVerifyTLS13(tc.key.Public(), tc.scheme, offered, hash[:], clientSig)
			require.ErrorIs(t, err, alert.DecryptError)
		})
	}
}

// requireStdlibVerifies checks sig with crypto/* directly, independently
// of verifySignature.
func requireStdlibVerifies(t *testing.T, pub crypto.PublicKey, scheme SignatureScheme, msg, sig []byte) {
	t.Helper()
	switch k := pub.(type) {
	case ed25519.PublicKey:
		require.True(t, ed25519.Verify(k, msg, sig))
	case *ecdsa.PublicKey:
		h := schemeInfos[scheme].hash
		require.True(t, ecdsa.VerifyASN1(k, digest(h, msg), sig))
	case *rsa.PublicKey:
		h := schemeInfos[scheme].hash
		require.NoError(t, rsa.VerifyPSS(k, h, digest(h, msg), sig, &rsa.PSSOptions{SaltLength: h.Size()}))
	default:
		t.Fatalf("unexpected key %T", pub)
	}
}

func TestCertificateVerifyPolicy(t *testing.T) {
	t.Parallel()
	p := testPKI()
	hash := sha256.Sum256([]byte("transcript"))
	otherHash := sha256.Sum256([]byte("other transcript"))
	sign := func(key crypto.Signer, scheme SignatureScheme, h []byte) []byte {
		return must(signTLS13(rand.Reader, key, scheme, ServerSignatureContext, h))
	}
	flip := func(b []byte) []byte {
		b = bytes.Clone(b)
		b[len(b)/2] ^= 0x80
		return b
	}
	// A PSS signature with the maximal salt instead of a hash-long one.
	longSalt := must(p.rsa2048.Sign(rand.Reader, digest(crypto.SHA256, SignedMessageTLS13(ServerSignatureContext, hash[:])),
		&rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto, Hash: crypto.SHA256}))
	// A PKCS #1 v1.5 signature, valid as such.
	pkcs1 := must(p.rsa2048.Sign(rand.Reader, digest(crypto.SHA256, SignedMessageTLS13(ServerSignatureContext, hash[:])), crypto.SHA256))
	all := append(SupportedSignatureSchemes(), PKCS1WithSHA1, ECDSAWithSHA1, PSSPSSWithSHA256, SignatureScheme(0x0999))

	tests := []struct {
		name      string
		pub       crypto.PublicKey
		scheme    SignatureScheme
		offered   []SignatureScheme
		sig       []byte
		wantAlert alert.Description
	}{
		{"not offered", p.p256.Public(), ECDSAWithP256AndSHA256, []SignatureScheme{Ed25519}, sign(p.p256, ECDSAWithP256AndSHA256, hash[:]), alert.IllegalParameter},
		{"sha1 not offered by default", p.p256.Public(), ECDSAWithSHA1, SupportedSignatureSchemes(), nil, alert.IllegalParameter},
		{"pkcs1 in tls 1.3", p.rsa2048.Public(), PKCS1WithSHA256, all, pkcs1, alert.IllegalParameter},
		{"rsa sha1", p.rsa2048.Public(), PKCS1WithSHA1, all, nil, alert.IllegalParameter},
		{"ecdsa sha1", p.p256.Public(), ECDSAWithSHA1, all, nil, alert.IllegalParameter},
		{"p256 scheme p384 key", p.p384.Public(), ECDSAWithP256AndSHA256, all, sign(p.p256, ECDSAWithP256AndSHA256, hash[:]), alert.IllegalParameter},
		{"p384 scheme p256 key", p.p256.Public(), ECDSAWithP384AndSHA384, all, sign(p.p384, ECDSAWithP384AndSHA384, hash[:]), alert.IllegalParameter},
		{"p521 scheme p256 key", p.p256.Public(), ECDSAWithP521AndSHA512, all, sign(p.p521, ECDSAWithP521AndSHA512, hash[:]), alert.IllegalParameter},
		{"pss scheme ecdsa key", p.p256.Public(), PSSWithSHA256, all, sign(p.rsa2048, PSSWithSHA256, hash[:]), alert.IllegalParameter},
		{"ecdsa scheme rsa key", p.rsa2048.Public(), ECDSAWithP256AndSHA256, all, sign(p.p256, ECDSAWithP256AndSHA256, hash[:]), alert.IllegalParameter},
		{"ed25519 scheme rsa key", p.rsa2048.Public(), Ed25519, all, sign(p.ed25519, Ed25519, hash[:]), alert.IllegalParameter},
		{"pss_pss with rsaEncryption key", p.rsa2048.Public(), PSSPSSWithSHA256, all, sign(p.rsa2048, PSSWithSHA256, hash[:]), alert.IllegalParameter},
		{"unknown scheme", p.p256.Public(), SignatureScheme(0x0999), all, nil, alert.IllegalParameter},
		{"ecdsa flipped", p.p256.Public(), ECDSAWithP256AndSHA256, all, flip(sign(p.p256, ECDSAWithP256AndSHA256, hash[:])), alert.DecryptError},
		{"pss flipped", p.rsa2048.Public(), PSSWithSHA384, all, flip(sign(p.rsa2048, PSSWithSHA384, hash[:])), alert.DecryptError},
		{"ed25519 flipped", p.ed25519.Public(), Ed25519, all, flip(sign(p.ed25519, Ed25519, hash[:])), alert.DecryptError},
		{"empty signature", p.ed25519.Public(), Ed25519, all, nil, alert.DecryptError},
		{"other transcript", p.p384.Public(), ECDSAWithP384AndSHA384, all, sign(p.p384, ECDSAWithP384AndSHA384, otherHash[:]), alert.DecryptError},
		{"other key", p.p256.Public(), ECDSAWithP256AndSHA256, all, sign(must(ecdsa.GenerateKey(p.p256.Curve, rand.Reader)), ECDSAWithP256AndSHA256, hash[:]), alert.DecryptError},
		{"pss hash mismatch", p.rsa2048.Public(), PSSWithSHA256, all, sign(p.rsa2048, PSSWithSHA384, hash[:]), alert.DecryptError},
		{"pss long salt", p.rsa2048.Public(), PSSWithSHA256, all, longSalt, alert.DecryptError},
		{"pkcs1 signature as pss", p.rsa2048.Public(), PSSWithSHA256, all, pkcs1, alert.DecryptError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := VerifyCertificateVerifyTLS13(tc.pub, tc.scheme, tc.offered, hash[:], tc.sig)
			require.ErrorIs(t, err, tc.wantAlert)
			d, _ := alert.Of(err)
			require.Equal(t, tc.wantAlert, d)
		})
	}
}

func TestSupportedSignatureSchemes(t *testing.T) {
	t.Parallel()
	schemes := SupportedSignatureSchemes()
	require.Equal(t, ECDSAWithP256AndSHA256, schemes[0])
	for _, s := range schemes {
		info, ok := schemeInfos[s]
		require.True(t, ok)
		require.NotEqual(t, crypto.SHA1, info.hash, "no SHA-1")
		require.NotEqual(t, keyRSAPSSID, info.key, "no rsa_pss_pss: unverifiable")
	}
	// Every PSS scheme comes before every PKCS #1 v1.5 one.
	require.Less(t, slices.Index(schemes, PSSWithSHA512), slices.Index(schemes, PKCS1WithSHA256))
	schemes[0] = 0
	require.Equal(t, ECDSAWithP256AndSHA256, SupportedSignatureSchemes()[0], "a fresh slice each call")
}

func TestSelectClientScheme(t *testing.T) {
	t.Parallel()
	p := testPKI()
	tests := []struct {
		name      string
		key       crypto.PublicKey
		peer      []SignatureScheme
		want      SignatureScheme
		wantAlert alert.Description
	}{
		{"p256", p.p256.Public(), []SignatureScheme{PSSWithSHA256, ECDSAWithP384AndSHA384, ECDSAWithP256AndSHA256}, ECDSAWithP256AndSHA256, 0},
		{"p384", p.p384.Public(), SupportedSignatureSchemes(), ECDSAWithP384AndSHA384, 0},
		{"p521", p.p521.Public(), SupportedSignatureSchemes(), ECDSAWithP521AndSHA512, 0},
		{"rsa prefers our order", p.rsa2048.Public(), []SignatureScheme{PSSWithSHA512, PKCS1WithSHA256, PSSWithSHA256}, PSSWithSHA256, 0},
		{"rsa pss384", p.rsa2048.Public(), []SignatureScheme{PKCS1WithSHA256, PSSWithSHA384}, PSSWithSHA384, 0},
		{"ed25519", p.ed25519.Public(), SupportedSignatureSchemes(), Ed25519, 0},
		{"rsa 1024 skips pss512", fakeRSAKey(1024), []SignatureScheme{PSSWithSHA512, PSSWithSHA384}, PSSWithSHA384, 0},
		{"p384 key p256 only", p.p384.Public(), []SignatureScheme{ECDSAWithP256AndSHA256}, 0, alert.HandshakeFailure},
		{"rsa pkcs1 only", p.rsa2048.Public(), []SignatureScheme{PKCS1WithSHA256, PKCS1WithSHA1}, 0, alert.HandshakeFailure},
		{"rsa pss_pss only", p.rsa2048.Public(), []SignatureScheme{PSSPSSWithSHA256}, 0, alert.HandshakeFailure},
		{"ecdsa sha1 only", p.p256.Public(), []SignatureScheme{ECDSAWithSHA1}, 0, alert.HandshakeFailure},
		{"rsa 1024 pss512 only", fakeRSAKey(1024), []SignatureScheme{PSSWithSHA512}, 0, alert.HandshakeFailure},
		{"empty list", p.ed25519.Public(), nil, 0, alert.HandshakeFailure},
		{"unsupported key", []byte("key"), SupportedSignatureSchemes(), 0, alert.HandshakeFailure},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := SelectClientScheme(tc.key, SupportedSignatureSchemes(), tc.peer)
			if tc.wantAlert != 0 {
				require.ErrorIs(t, err, tc.wantAlert)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestSignCertificateVerifyTLS13Mismatch(t *testing.T) {
	t.Parallel()
	p := testPKI()
	hash := sha256.Sum256(nil)
	for _, tc := range []signingCase{
		{ECDSAWithP256AndSHA256, p.p384},
		{PKCS1WithSHA256, p.rsa2048},
		{Ed25519, p.p256},
		{PSSWithSHA256, p.ed25519},
	} {
		_, err := SignCertificateVerifyTLS13(rand.Reader, tc.key, tc.scheme, hash[:])
		require.ErrorIs(t, err, alert.InternalError, "%#04x", uint16(tc.scheme))
	}
}

func ExampleSignedMessageTLS13() {
	// RFC 8446, Section 4.4.3's example: a transcript hash of 32 bytes of
	// 01, printed in the RFC's rows (pad, context, separator, hash).
	msg := SignedMessageTLS13(ServerSignatureContext, bytes.Repeat([]byte{1}, 32))
	for _, cut := range [][2]int{{0, 32}, {32, 64}, {64, 96}, {96, 97}, {97, 98}, {98, len(msg)}} {
		fmt.Printf("%x\n", msg[cut[0]:cut[1]])
	}
	// Output:
	// 2020202020202020202020202020202020202020202020202020202020202020
	// 2020202020202020202020202020202020202020202020202020202020202020
	// 544c5320312e332c207365727665722043657274696669636174655665726966
	// 79
	// 00
	// 0101010101010101010101010101010101010101010101010101010101010101
}

func TestVerifyServerKeyExchangeTLS12(t *testing.T) {
	t.Parallel()
	p := testPKI()
	cr, sr := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	params := []byte{3, 0, 0x1d, 32} // ECParameters + a truncated point: content is opaque here
	signed := append(append(append([]byte{}, cr...), sr...), params...)
	sign := func(key crypto.Signer, scheme SignatureScheme) []byte {
		info := schemeInfos[scheme]
		var opts crypto.SignerOpts = info.hash
		msg := signed
		if info.key != keyEd25519 {
			msg = digest(info.hash, signed)
		}
		if info.pss {
			opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: info.hash}
		}
		return must(key.Sign(rand.Reader, msg, opts))
	}
	offered := SupportedSignatureSchemes()
	tests := []struct {
		name      string
		key       crypto.Signer
		scheme    SignatureScheme
		sig       []byte
		wantAlert alert.Description
	}{
		{"pkcs1 sha256", p.rsa2048, PKCS1WithSHA256, nil, 0},
		{"pkcs1 sha512", p.rsa2048, PKCS1WithSHA512, nil, 0},
		{"pss sha384", p.rsa2048, PSSWithSHA384, nil, 0},
		{"ecdsa p256", p.p256, ECDSAWithP256AndSHA256, nil, 0},
		{"ecdsa p384 key with sha256 scheme", p.p384, ECDSAWithP256AndSHA256, nil, 0},
		{"ed25519", p.ed25519, Ed25519, nil, 0},
		{"sha1 not offered", p.rsa2048, PKCS1WithSHA1, nil, alert.IllegalParameter},
		{"ecdsa scheme rsa key", p.rsa2048, ECDSAWithP256AndSHA256, sign(p.p256, ECDSAWithP256AndSHA256), alert.IllegalParameter},
		{"pkcs1 scheme ecdsa key", p.p256, PKCS1WithSHA256, sign(p.rsa2048, PKCS1WithSHA256), alert.IllegalParameter},
		{"pkcs1 signature as pss", p.rsa2048, PSSWithSHA256, sign(p.rsa2048, PKCS1WithSHA256), alert.DecryptError},
		{"other key", p.p384, ECDSAWithP384AndSHA384, sign(p.p521, ECDSAWithP384AndSHA384), alert.DecryptError},
		{"empty", p.ed25519, Ed25519, []byte{}, alert.DecryptError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sig := tc.sig
			if sig == nil && tc.wantAlert == 0 {
				sig = sign(tc.key, tc.scheme)
			}
			err := VerifyServerKeyExchangeTLS12(tc.key.Public(), tc.scheme, offered, cr, sr, params, sig)
			if tc.wantAlert == 0 {
				require.NoError(t, err)
				// The signature covers both randoms: swapping them fails.
				err = VerifyServerKeyExchangeTLS12(tc.key.Public(), tc.scheme, offered, sr, cr, params, sig)
				require.ErrorIs(t, err, alert.DecryptError)
				return
			}
			require.ErrorIs(t, err, tc.wantAlert)
		})
	}
}
