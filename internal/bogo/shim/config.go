package main

import (
	"crypto/tls"
	"fmt"
	"slices"
	"strings"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/conn"
)

// The versions test_config.cc's -min-version and -max-version name.
const (
	versionTLS12 = 0x0303
	versionTLS13 = 0x0304
)

// supportedGroups are the groups conn.Config.CurvePreferences accepts.
var supportedGroups = []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256, tls.CurveP384}

// connConfig translates the flags into a conn.Config. A value the library
// cannot honour is errUnimplemented.
func (c *shimConfig) connConfig() (*conn.Config, error) {
	tc := &conn.Config{
		ServerName: c.hostName,
		// BoringSSL's shim verifies no chain (its verify callback only
		// fails on -verify-fail): the runner's certificates are its own.
		InsecureSkipVerify: true,
	}
	var err error
	if tc.MinVersion, tc.MaxVersion, err = c.versions(); err != nil {
		return nil, err
	}
	if tc.CipherSuites, err = cipherSuites(c.cipher); err != nil {
		return nil, err
	}
	if c.curves != nil {
		tc.CurvePreferences = curveIDs(c.curves)
		for _, g := range tc.CurvePreferences {
			if !slices.Contains(supportedGroups, g) {
				return nil, fmt.Errorf("group %d: %w", g, errUnimplemented)
			}
		}
	}
	if tc.NextProtos, err = alpnList(c.advertiseALPN); err != nil {
		return nil, err
	}
	if err := c.certificates(tc); err != nil {
		return nil, err
	}
	if c.verifyPeer && c.verifyFail {
		tc.VerifyConnection = c.failVerification
	}
	return tc, c.knobs(tc)
}

// certificates installs the credentials: those -new-x509-credential added,
// in order, then the default one, the order in which BoringSSL tries them
// (ssl_get_full_credential_list). Each credential's -signing-prefs become
// its certificate's SupportedSignatureAlgorithms; the default credential's
// alone go to ClientSignatureSchemes.
func (c *shimConfig) certificates(tc *conn.Config) error {
	creds := slices.Clone(c.credentials)
	hasDefault := c.credential.certFile != "" || c.credential.keyFile != ""
	if hasDefault {
		creds = append(creds, c.credential)
	}
	for i, cr := range creds {
		cert, err := tls.LoadX509KeyPair(cr.certFile, cr.keyFile)
		if err != nil {
			// ML-DSA and other keys crypto/tls cannot load.
			return fmt.Errorf("credential %d: %w: %w", i, errUnimplemented, err)
		}
		if len(c.credentials) > 0 {
			cert.SupportedSignatureAlgorithms = signatureSchemes(cr.signingPrefs)
		}
		tc.Certificates = append(tc.Certificates, cert)
	}
	if len(c.credentials) == 0 {
		tc.ClientSignatureSchemes = signatureSchemes(c.credential.signingPrefs)
	}
	switch {
	case c.oldCertCallback:
		tc.GetClientCertificate = c.oldClientCertCallback(tc.Certificates)
		tc.Certificates = nil
	case c.expectSelected != nil || slices.ContainsFunc(creds, func(cr credential) bool { return cr.mustMatchIssuer }):
		tc.GetClientCertificate = c.selectCredential(creds, tc.Certificates)
		tc.Certificates = nil
	}
	return nil
}

// selectCredential chooses as BoringSSL does: the first credential that
// can sign a scheme the server accepts (crypto/tls's
// CertificateRequestInfo.SupportsCertificate) and, with -must-match-issuer,
// was issued by a CA the server named. It records its number for
// -expect-selected-credential: the default credential is -1.
func (c *shimConfig) selectCredential(creds []credential, certs []tls.Certificate) func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	return func(info *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		for i := range certs {
			req := *info
			if !creds[i].mustMatchIssuer {
				req.AcceptableCAs = nil
			}
			if req.SupportsCertificate(&certs[i]) != nil {
				continue
			}
			c.selected = i
			if i == len(c.credentials) {
				c.selected = -1 // the default credential
			}
			return &certs[i], nil
		}
		return &tls.Certificate{}, nil
	}
}

// oldClientCertCallback is BoringSSL's SSL_CTX_set_client_cert_cb in the
// shim: it answers with the default credential's leaf alone ("Chains ...
// are not supported with client_cert_cb"), or with no certificate.
func (c *shimConfig) oldClientCertCallback(certs []tls.Certificate) func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	return func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		if c.credential.certFile == "" || len(certs) == 0 {
			return &tls.Certificate{}, nil
		}
		leaf := certs[len(certs)-1]
		leaf.Certificate = leaf.Certificate[:1]
		return &leaf, nil
	}
}

// knobs sets what needs conn.Config's knobs beyond crypto/tls's.
func (c *shimConfig) knobs(tc *conn.Config) error {
	if c.keyShares != nil {
		tc.KeyShareGroups = curveIDs(c.keyShares)
	}
	tc.SignatureSchemes = signatureSchemes(c.verifyPrefs)
	tc.MaxFragment = c.maxSendFragment
	c.applyPolicy(tc)
	return nil
}

// failVerification is -verify-fail under -verify-peer: BoringSSL's legacy
// verify callback fails with handshake_failure, its custom one with
// certificate_unknown.
// BoringSSL does not call the callback again on resumption (unless
// -reverify-on-resume, which this shim does not implement), while
// VerifyConnection runs on every handshake: a resumed one passes here.
func (c *shimConfig) failVerification(cs tls.ConnectionState) error {
	if cs.DidResume {
		return nil
	}
	desc := alert.HandshakeFailure
	if c.customVerify {
		desc = alert.CertificateUnknown
	}
	return fmt.Errorf("tls: certificate verification failed (-verify-fail): %w", desc)
}

// versions applies -min-version, -max-version, -no-tls13 and -no-tls12.
// Versions below TLS 1.2 are never spoken: a range of those only is
// unimplemented.
func (c *shimConfig) versions() (minV, maxV uint16, err error) {
	lo, hi := versionTLS12, versionTLS13
	if c.minVersion > lo {
		lo = c.minVersion
	}
	if c.maxVersion != 0 {
		hi = min(hi, c.maxVersion)
	}
	if c.noTLS13 {
		hi = min(hi, versionTLS12)
	}
	if c.noTLS12 && lo == versionTLS12 {
		lo = versionTLS13
	}
	if lo > hi {
		return 0, 0, fmt.Errorf("versions [%#x, %#x]: %w", c.minVersion, c.maxVersion, errUnimplemented)
	}
	return uint16(lo), uint16(hi), nil
}

// cipherSuites reads a -cipher list of IANA suite names. BoringSSL's
// cipher rule language (ALL, DEFAULT, !AES, ...) is unimplemented, and so
// is any suite the library lacks.
func cipherSuites(s string) ([]uint16, error) {
	if s == "" {
		return nil, nil
	}
	var out []uint16
	for _, name := range strings.Split(s, ":") {
		id, ok := suiteID(name)
		if !ok {
			return nil, fmt.Errorf("cipher %q: %w", name, errUnimplemented)
		}
		out = append(out, id)
	}
	return out, nil
}

func suiteID(name string) (uint16, bool) {
	aead := strings.Contains(name, "_GCM_") || strings.Contains(name, "_CHACHA20_")
	ecdhe := strings.HasPrefix(name, "TLS_ECDHE_") || !strings.Contains(name, "_WITH_") // TLS 1.3 suites name no key exchange
	for _, s := range tls.CipherSuites() {
		if s.Name == name && aead && ecdhe {
			return s.ID, true
		}
	}
	return 0, false
}

// alpnList parses -advertise-alpn, the wire form of a protocol list:
// length-prefixed names.
func alpnList(wire string) ([]string, error) {
	var out []string
	for wire != "" {
		n := int(wire[0])
		if n == 0 || len(wire) < 1+n {
			return nil, fmt.Errorf("malformed -advertise-alpn %q", wire)
		}
		out = append(out, wire[1:1+n])
		wire = wire[1+n:]
	}
	return out, nil
}
