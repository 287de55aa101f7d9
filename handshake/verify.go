package handshake

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/tlsrecord/tlsrecord/alert"
)

// maxRSAKeyBits is the largest RSA modulus accepted in a server chain, as
// in crypto/tls: verifying with a huge key costs the client far more than
// it costs the server to send it.
const maxRSAKeyBits = 8192

// ErrNoServerName is the error for a verifying client without a server
// name: with ServerName empty the hostname check would be silently
// skipped. conn refuses such a Config before the handshake, as crypto/tls
// does; VerifyServerCertificates refuses it too, with bad_certificate (the
// certificate cannot be verified for the connection).
var ErrNoServerName = errors.New("tls: either ServerName or InsecureSkipVerify must be specified")

// VerifyOptions is what server certificate verification reads from the
// Config.
type VerifyOptions struct {
	// ServerName is checked against the leaf's DNS SANs, or its IP SANs
	// when it is an IP literal (x509.Certificate.VerifyHostname).
	ServerName string
	// Roots are the trusted CAs; nil means the system pool.
	Roots *x509.CertPool
	// Time returns the time to check validity at; nil means time.Now.
	Time func() time.Time
	// InsecureSkipVerify skips chain and name verification: the chain is
	// only parsed (the CertificateVerify is still checked against the leaf
	// key by the caller).
	InsecureSkipVerify bool
}

// VerifyServerCertificates parses the server's certificate_list (leaf
// first, DER) and verifies it for opts.ServerName. It returns the parsed
// certificates and, unless InsecureSkipVerify, the verified chains. Every
// error carries its alert (alert policy, package alert): decode_error for an empty
// list, unknown_ca, certificate_expired, or bad_certificate.
func VerifyServerCertificates(certs [][]byte, opts VerifyOptions) (peer []*x509.Certificate, chains [][]*x509.Certificate, err error) {
	// "If the server supplies an empty Certificate message, the client
	// MUST abort the handshake with a "decode_error" alert" (RFC 8446,
	// Section 4.4.2.4).
	if len(certs) == 0 {
		return nil, nil, alert.Wrap(alert.DecodeError, errors.New("tls: empty server Certificate"))
	}
	peer, err = parseServerCertificates(certs)
	if err != nil {
		return nil, nil, err
	}
	if err := checkKeyUsage(peer[0]); err != nil {
		return nil, nil, err
	}
	if opts.InsecureSkipVerify {
		return peer, nil, nil
	}
	if opts.ServerName == "" {
		return nil, nil, alert.Wrap(alert.BadCertificate, ErrNoServerName)
	}
	chains, err = peer[0].Verify(x509Options(peer, opts))
	if err != nil {
		// crypto/tls's own error type, so errors.As finds it as it would
		// with crypto/tls; its text is "tls: failed to verify certificate: ...".
		return nil, nil, alert.Wrap(verifyAlert(err), &tls.CertificateVerificationError{UnverifiedCertificates: peer, Err: err})
	}
	return peer, chains, nil
}

// checkKeyUsage refuses a leaf whose keyUsage extension is present but
// lacks digitalSignature: the key then may not sign, and the server proves
// itself by signing the handshake in every suite this client offers (RFC
// 5280, Section 4.2.1.3: "The digitalSignature bit is asserted when the
// subject public key is used for verifying digital signatures"). It is
// about the key's authorised use, not the chain, so it applies with
// InsecureSkipVerify too, as in BoringSSL. bad_certificate (alert policy,
// package alert).
func checkKeyUsage(leaf *x509.Certificate) error {
	if leaf.KeyUsage != 0 && leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return alert.Wrap(alert.BadCertificate, errors.New("tls: server certificate's keyUsage does not allow digitalSignature"))
	}
	return nil
}

// parseServerCertificates parses every certificate and refuses RSA keys
// over maxRSAKeyBits before any signature is checked. "The sender's
// certificate MUST come in the first CertificateEntry in the list"
// (RFC 8446, Section 4.4.2): certs[0] is the leaf.
func parseServerCertificates(certs [][]byte) ([]*x509.Certificate, error) {
	parsed := make([]*x509.Certificate, 0, len(certs))
	for _, der := range certs {
		c, err := parseCertificate(der)
		if err != nil {
			return nil, alert.Wrap(alert.BadCertificate, fmt.Errorf("tls: failed to parse certificate from server: %w", err))
		}
		if pub, ok := c.PublicKey.(*rsa.PublicKey); ok && pub.N.BitLen() > maxRSAKeyBits {
			return nil, alert.Wrap(alert.BadCertificate, fmt.Errorf("tls: server sent certificate containing RSA key larger than %d bits", maxRSAKeyBits))
		}
		parsed = append(parsed, c)
	}
	return parsed, nil
}

// x509Options builds the x509 verification: the name to check, the rest of
// the chain as an unordered pool of intermediates ("Each following
// certificate SHOULD directly certify the one immediately preceding it",
// RFC 8446, Section 4.4.2: a SHOULD, so the order is not relied on), the
// time, the server-auth key usage.
func x509Options(peer []*x509.Certificate, opts VerifyOptions) x509.VerifyOptions {
	intermediates := x509.NewCertPool()
	for _, c := range peer[1:] {
		intermediates.AddCert(c)
	}
	now := time.Now
	if opts.Time != nil {
		now = opts.Time
	}
	return x509.VerifyOptions{
		DNSName:       opts.ServerName, // VerifyHostname checks IP SANs for an IP literal
		Roots:         opts.Roots,      // nil: the system pool
		Intermediates: intermediates,
		CurrentTime:   now(),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
}

// verifyAlert maps an x509 verification error to the alert the alert policy
// (package alert) names: unknown authority → unknown_ca, expired (or not yet valid) →
// certificate_expired, anything else → bad_certificate.
func verifyAlert(err error) alert.Description {
	var unknown x509.UnknownAuthorityError
	if errors.As(err, &unknown) {
		return alert.UnknownCA
	}
	var invalid x509.CertificateInvalidError
	if errors.As(err, &invalid) && invalid.Reason == x509.Expired {
		return alert.CertificateExpired
	}
	return alert.BadCertificate
}
