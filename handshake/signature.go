package handshake

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/tlsrecord/tlsrecord/alert"
)

// The CertificateVerify context strings (RFC 8446, Section 4.4.3).
const (
	ServerSignatureContext = "TLS 1.3, server CertificateVerify"
	ClientSignatureContext = "TLS 1.3, client CertificateVerify"
)

// keyType is the kind of public key a signature scheme needs.
type keyType uint8

const (
	keyECDSA    keyType = iota + 1
	keyRSAE             // an rsaEncryption key, for PKCS #1 v1.5 and rsa_pss_rsae_*
	keyRSAPSSID         // an RSASSA-PSS OID key (rsa_pss_pss_*): Go's x509 parses none
	keyEd25519
)

// schemeInfo is what a SignatureScheme means (RFC 8446, Section 4.2.3).
type schemeInfo struct {
	hash  crypto.Hash // 0 for Ed25519: PureEdDSA signs the message itself
	key   keyType
	pss   bool
	curve elliptic.Curve // ECDSA: the curve TLS 1.3 binds the scheme to
}

var schemeInfos = map[SignatureScheme]schemeInfo{
	PKCS1WithSHA256:        {hash: crypto.SHA256, key: keyRSAE},
	PKCS1WithSHA384:        {hash: crypto.SHA384, key: keyRSAE},
	PKCS1WithSHA512:        {hash: crypto.SHA512, key: keyRSAE},
	ECDSAWithP256AndSHA256: {hash: crypto.SHA256, key: keyECDSA, curve: elliptic.P256()},
	ECDSAWithP384AndSHA384: {hash: crypto.SHA384, key: keyECDSA, curve: elliptic.P384()},
	ECDSAWithP521AndSHA512: {hash: crypto.SHA512, key: keyECDSA, curve: elliptic.P521()},
	PSSWithSHA256:          {hash: crypto.SHA256, key: keyRSAE, pss: true},
	PSSWithSHA384:          {hash: crypto.SHA384, key: keyRSAE, pss: true},
	PSSWithSHA512:          {hash: crypto.SHA512, key: keyRSAE, pss: true},
	Ed25519:                {key: keyEd25519},
	PSSPSSWithSHA256:       {hash: crypto.SHA256, key: keyRSAPSSID, pss: true},
	PSSPSSWithSHA384:       {hash: crypto.SHA384, key: keyRSAPSSID, pss: true},
	PSSPSSWithSHA512:       {hash: crypto.SHA512, key: keyRSAPSSID, pss: true},
	PKCS1WithSHA1:          {hash: crypto.SHA1, key: keyRSAE},
	ECDSAWithSHA1:          {hash: crypto.SHA1, key: keyECDSA},
}

// SupportedSignatureSchemes returns the schemes the client offers in
// signature_algorithms and signature_algorithms_cert, best first: ECDSA,
// Ed25519, RSA-PSS with rsaEncryption keys, then PKCS #1 v1.5, which "MAY
// appear in "signature_algorithms" and "signature_algorithms_cert" for
// backward compatibility with TLS 1.2" (RFC 8446, Section 4.2.3) and signs
// most certificate chains. Never SHA-1. rsa_pss_pss_* is not offered: its
// keys use the RSASSA-PSS OID, which Go's x509 does not parse, so no such
// certificate could be verified.
func SupportedSignatureSchemes() []SignatureScheme {
	return []SignatureScheme{
		ECDSAWithP256AndSHA256, ECDSAWithP384AndSHA384, ECDSAWithP521AndSHA512,
		Ed25519,
		PSSWithSHA256, PSSWithSHA384, PSSWithSHA512,
		PKCS1WithSHA256, PKCS1WithSHA384, PKCS1WithSHA512,
	}
}

// SignedMessageTLS13 returns the content a TLS 1.3 CertificateVerify signs:
// "a string that consists of octet 32 (0x20) repeated 64 times", the
// context string, "a single 0 byte which serves as the separator", and the
// transcript hash (RFC 8446, Section 4.4.3).
func SignedMessageTLS13(context string, transcriptHash []byte) []byte {
	const padLen = 64
	msg := make([]byte, 0, padLen+len(context)+1+len(transcriptHash))
	for range padLen {
		msg = append(msg, 0x20)
	}
	msg = append(msg, context...)
	msg = append(msg, 0)
	return append(msg, transcriptHash...)
}

// VerifyCertificateVerifyTLS13 checks the server's CertificateVerify
// against the leaf's key pub. A scheme we did not offer or that TLS 1.3
// forbids for pub is an illegal_parameter; a bad signature a
// decrypt_error.
func VerifyCertificateVerifyTLS13(pub crypto.PublicKey, scheme SignatureScheme, offered []SignatureScheme, transcriptHash, sig []byte) error {
	// "If the CertificateVerify message is sent by a server, the signature
	// algorithm MUST be one offered in the client's "signature_algorithms"
	// extension" (RFC 8446, Section 4.4.3).
	if !slices.Contains(offered, scheme) {
		return alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: server used signature scheme %#04x, which we did not offer", uint16(scheme)))
	}
	info, err := schemeForKeyTLS13(scheme, pub)
	if err != nil {
		return err
	}
	return verifySignature(pub, info, SignedMessageTLS13(ServerSignatureContext, transcriptHash), sig)
}

// schemeForKeyTLS13 applies TLS 1.3's rules on a CertificateVerify scheme:
// "the signature algorithm MUST be compatible with the key in the sender's
// end-entity certificate. RSA signatures MUST use an RSASSA-PSS algorithm,
// regardless of whether RSASSA-PKCS1-v1_5 algorithms appear in
// "signature_algorithms". The SHA-1 algorithm MUST NOT be used in any
// signatures of CertificateVerify messages" (RFC 8446, Section 4.4.3).
// Every violation is an illegal_parameter.
func schemeForKeyTLS13(scheme SignatureScheme, pub crypto.PublicKey) (schemeInfo, error) {
	info, ok := schemeInfos[scheme]
	switch {
	case !ok:
		return info, alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: unknown signature scheme %#04x", uint16(scheme)))
	case info.hash == crypto.SHA1:
		return info, alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: SHA-1 signature scheme %#04x in TLS 1.3", uint16(scheme)))
	case info.key == keyRSAE && !info.pss:
		return info, alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: PKCS #1 v1.5 signature scheme %#04x in TLS 1.3", uint16(scheme)))
	case !keyFits(info, pub, true):
		return info, alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: signature scheme %#04x does not match the %T certificate key", uint16(scheme), pub))
	}
	return info, nil
}

// keyFits reports whether pub is the key type info needs. In TLS 1.3 "the
// corresponding curve" is part of an ECDSA scheme (RFC 8446, Section
// 4.2.3); TLS 1.2's ECDSA schemes name the hash only. rsa_pss_rsae_* keys
// "MUST use the rsaEncryption OID", rsa_pss_pss_* keys "MUST use the
// RSASSA-PSS OID" (RFC 8446, Section 4.2.3): Go parses only the former into
// an *rsa.PublicKey, so a pss_pss scheme fits no key.
func keyFits(info schemeInfo, pub crypto.PublicKey, tls13 bool) bool {
	switch info.key {
	case keyECDSA:
		k, ok := pub.(*ecdsa.PublicKey)
		return ok && (!tls13 || k.Curve == info.curve)
	case keyRSAE:
		_, ok := pub.(*rsa.PublicKey)
		return ok
	case keyEd25519:
		k, ok := pub.(ed25519.PublicKey)
		return ok && len(k) == ed25519.PublicKeySize
	}
	return false
}

// verifySignature checks sig over msg; any failure is a decrypt_error: "If
// the verification fails, the receiver MUST terminate the handshake with a
// "decrypt_error" alert" (RFC 8446, Section 4.4.3). RSA-PSS uses a salt as
// long as the hash: "The length of the Salt MUST be equal to the length of
// the output of the digest algorithm" (RFC 8446, Section 4.2.3).
func verifySignature(pub crypto.PublicKey, info schemeInfo, msg, sig []byte) error {
	ok := false
	switch info.key {
	case keyEd25519:
		ok = ed25519.Verify(pub.(ed25519.PublicKey), msg, sig)
	case keyECDSA:
		ok = ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), digest(info.hash, msg), sig)
	case keyRSAE:
		d := digest(info.hash, msg)
		if info.pss {
			ok = rsa.VerifyPSS(pub.(*rsa.PublicKey), info.hash, d, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
		} else {
			ok = rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), info.hash, d, sig) == nil
		}
	}
	if !ok {
		return alert.Wrap(alert.DecryptError, errors.New("tls: invalid signature by the server certificate"))
	}
	return nil
}

func digest(h crypto.Hash, msg []byte) []byte {
	d := h.New()
	d.Write(msg)
	return d.Sum(nil)
}

// SignCertificateVerifyTLS13 signs the client's CertificateVerify with key
// under scheme (chosen by SelectClientScheme). Go 1.26's ECDSA and RSA-PSS
// signers draw their own randomness and ignore rand unless
// GODEBUG=cryptocustomrand=1; Ed25519 is deterministic. A scheme that does
// not fit key, or a signer failure, is an internal_error: both are our
// side's fault.
func SignCertificateVerifyTLS13(rand io.Reader, key crypto.Signer, scheme SignatureScheme, transcriptHash []byte) ([]byte, error) {
	return signTLS13(rand, key, scheme, ClientSignatureContext, transcriptHash)
}

// signTLS13 signs SignedMessageTLS13(context, transcriptHash) with key.
func signTLS13(rand io.Reader, key crypto.Signer, scheme SignatureScheme, context string, transcriptHash []byte) ([]byte, error) {
	info, err := schemeForKeyTLS13(scheme, key.Public())
	if err != nil {
		return nil, alert.Wrap(alert.InternalError, err)
	}
	msg := SignedMessageTLS13(context, transcriptHash)
	var opts crypto.SignerOpts = info.hash
	if info.key != keyEd25519 {
		msg = digest(info.hash, msg)
	}
	if info.pss {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: info.hash}
	}
	sig, err := key.Sign(rand, msg, opts)
	if err != nil {
		return nil, alert.Wrap(alert.InternalError, fmt.Errorf("tls: failed to sign handshake: %w", err))
	}
	return sig, nil
}

// SelectClientScheme picks the scheme for our client CertificateVerify:
// the first of ours that TLS 1.3 allows for key and
// that the server listed, since "If sent by a client, the signature
// algorithm used in the signature MUST be one of those present in the
// supported_signature_algorithms field of the "signature_algorithms"
// extension in the CertificateRequest message" (RFC 8446, Section 4.4.3).
// RSA-PSS needs a modulus of at least 2·hLen+2 bytes (RFC 8017, Section
// 9.1.1). No common scheme is a handshake_failure, as in crypto/tls.
func SelectClientScheme(key crypto.PublicKey, ours, peerSchemes []SignatureScheme) (SignatureScheme, error) {
	for _, s := range ours {
		if !slices.Contains(peerSchemes, s) {
			continue
		}
		info, err := schemeForKeyTLS13(s, key)
		if err != nil {
			continue
		}
		if rk, ok := key.(*rsa.PublicKey); ok && rk.Size() < 2*info.hash.Size()+2 {
			continue
		}
		return s, nil
	}
	return 0, alert.Wrap(alert.HandshakeFailure, fmt.Errorf("tls: no signature scheme for the %T client certificate key is accepted by the server", key))
}

// VerifyServerKeyExchangeTLS12 checks the signature of a TLS 1.2
// ServerKeyExchange, made over client_random ‖ server_random ‖ params
// (RFC 5246, Section 7.4.3; RFC 8422, Section 5.4), with the leaf's key
// pub. Unlike TLS 1.3, PKCS #1 v1.5 is allowed and ECDSA schemes name the
// hash only. A scheme we did not offer or that does not fit pub is an
// illegal_parameter, a bad signature a decrypt_error (alert policy, package alert).
// That the key suits the suite (ECDHE_ECDSA: ECDSA or Ed25519, ECDHE_RSA:
// RSA) is the flow's check.
func VerifyServerKeyExchangeTLS12(pub crypto.PublicKey, scheme SignatureScheme, offered []SignatureScheme, clientRandom, serverRandom, params, sig []byte) error {
	// "If the client has offered the "signature_algorithms" extension, the
	// signature algorithm and hash algorithm MUST be a pair listed in that
	// extension" (RFC 5246, Section 7.4.3).
	if !slices.Contains(offered, scheme) {
		return alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: server used signature scheme %#04x, which we did not offer", uint16(scheme)))
	}
	info, ok := schemeInfos[scheme]
	if !ok || !keyFits(info, pub, false) {
		return alert.Wrap(alert.IllegalParameter, fmt.Errorf("tls: signature scheme %#04x does not match the %T certificate key", uint16(scheme), pub))
	}
	msg := make([]byte, 0, len(clientRandom)+len(serverRandom)+len(params))
	msg = append(append(append(msg, clientRandom...), serverRandom...), params...)
	return verifySignature(pub, info, msg, sig)
}
