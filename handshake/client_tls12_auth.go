package handshake

import (
	"crypto"
	"crypto/rsa"
	"crypto/tls"
	"errors"
	"fmt"
	"slices"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/record"
)

// TLS 1.2 client authentication: the answer to a CertificateRequest
// (RFC 5246, Sections 7.4.4, 7.4.6 and 7.4.8).

// clientSigner is the client certificate's key and the scheme its
// CertificateVerify uses.
type clientSigner struct {
	key    crypto.Signer
	scheme SignatureScheme
}

// sendClientCertificate sends our Certificate, empty when no certificate
// fits: "If no suitable certificate is available, the client MUST send a
// certificate message containing no certificates" (RFC 5246, Section
// 7.4.6). It returns the signer for the CertificateVerify, or nil.
func (hs *clientHandshakeTLS12) sendClientCertificate() (*clientSigner, error) {
	cert, err := hs.clientCertificate()
	if err != nil {
		return nil, err
	}
	msg := new(CertificateTLS12)
	var signer *clientSigner
	if cert != nil && len(cert.Certificate) > 0 {
		key, ok := cert.PrivateKey.(crypto.Signer)
		if !ok {
			return nil, alert.Wrap(alert.InternalError, errors.New("tls: client certificate key does not implement crypto.Signer"))
		}
		scheme, err := selectClientSchemeTLS12(key.Public(), hs.cfg.clientSchemes(cert), hs.certReq)
		if err != nil {
			return nil, err
		}
		msg.Certificates = cert.Certificate
		signer = &clientSigner{key: key, scheme: scheme}
	}
	return signer, hs.writeMessage(msg)
}

// clientCertificate picks the certificate that answers the request: one
// whose key fits its certificate types and signature algorithms.
func (hs *clientHandshakeTLS12) clientCertificate() (*tls.Certificate, error) {
	req := hs.certReq
	return hs.cfg.clientCertificate(record.VersionTLS12, req.CertificateAuthorities, schemesForCertTypes(req),
		func(cert *tls.Certificate, pub crypto.PublicKey) bool {
			_, err := selectClientSchemeTLS12(pub, hs.cfg.clientSchemes(cert), req)
			return err == nil
		})
}

// schemesForCertTypes keeps the request's signature schemes whose key type
// its certificate_types allow, as crypto/tls does for the
// CertificateRequestInfo it hands GetClientCertificate: that struct has no
// field for the types, so the schemes carry them.
func schemesForCertTypes(req *CertificateRequestTLS12) []SignatureScheme {
	rsaOK := slices.Contains(req.CertificateTypes, CertTypeRSASign)
	ecOK := slices.Contains(req.CertificateTypes, CertTypeECDSASign)
	var out []SignatureScheme
	for _, s := range req.SignatureAlgorithms {
		switch schemeInfos[s].key {
		case keyRSAE, keyRSAPSSID:
			if rsaOK {
				out = append(out, s)
			}
		case keyECDSA, keyEd25519:
			if ecOK {
				out = append(out, s)
			}
		}
	}
	return out
}

// selectClientSchemeTLS12 picks the CertificateVerify scheme for key: "The
// end-entity certificate provided by the client MUST contain a key that is
// compatible with certificate_types. If the key is a signature key, it
// MUST be usable with some hash/signature algorithm pair in
// supported_signature_algorithms" (RFC 5246, Section 7.4.4). Of ours, ECDSA schemes
// bound to the key's curve are preferred; TLS 1.2 allows any. No fit is a
// handshake_failure, as in crypto/tls.
func selectClientSchemeTLS12(key crypto.PublicKey, ours []SignatureScheme, req *CertificateRequestTLS12) (SignatureScheme, error) {
	certType := CertTypeECDSASign // ECDSA and EdDSA keys (RFC 8422, Section 5.5)
	if _, ok := key.(*rsa.PublicKey); ok {
		certType = CertTypeRSASign
	}
	if slices.Contains(req.CertificateTypes, certType) {
		for _, strict := range []bool{true, false} {
			for _, s := range ours {
				info := schemeInfos[s]
				if !slices.Contains(req.SignatureAlgorithms, s) || !keyFits(info, key, strict) {
					continue
				}
				// RSA-PSS needs a modulus of at least 2·hLen+2 bytes
				// (RFC 8017, Section 9.1.1).
				if rk, ok := key.(*rsa.PublicKey); ok && info.pss && rk.Size() < 2*info.hash.Size()+2 {
					continue
				}
				return s, nil
			}
		}
	}
	return 0, alert.Wrap(alert.HandshakeFailure, fmt.Errorf("tls: the server accepts no signature scheme or certificate type for the %T client certificate key", key))
}

// sendCertificateVerify signs handshake_messages, "all handshake messages
// sent or received, starting at client hello and up to, but not
// including, this message" (RFC 5246, Section 7.4.8), with the signer's
// scheme: its hash for ECDSA and RSA (PSS salt as long as the hash), the
// messages themselves for Ed25519.
func (hs *clientHandshakeTLS12) sendCertificateVerify(signer *clientSigner) error {
	info := schemeInfos[signer.scheme]
	msg := hs.messages
	var opts crypto.SignerOpts = info.hash
	if info.key != keyEd25519 {
		msg = digest(info.hash, msg)
	}
	if info.pss {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: info.hash}
	}
	sig, err := signer.key.Sign(hs.cfg.Rand, msg, opts)
	if err != nil {
		return alert.Wrap(alert.InternalError, fmt.Errorf("tls: failed to sign handshake: %w", err))
	}
	return hs.writeMessage(&CertificateVerify{Scheme: signer.scheme, Signature: sig})
}
