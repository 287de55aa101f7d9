package main

import (
	"crypto/tls"
	"errors"
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
	if c.certFile != "" || c.keyFile != "" {
		cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
		if err != nil {
			// ML-DSA and other keys crypto/tls cannot load.
			return nil, fmt.Errorf("%w: %w", errUnimplemented, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	if c.verifyPeer && c.verifyFail {
		tc.VerifyConnection = c.failVerification
	}
	return tc, c.knobs(tc)
}

// knobs sets what needs conn.Config's knobs beyond crypto/tls's.
func (c *shimConfig) knobs(tc *conn.Config) error {
	if c.keyShares != nil {
		tc.KeyShareGroups = curveIDs(c.keyShares)
	}
	tc.SignatureSchemes = signatureSchemes(c.verifyPrefs)
	tc.ClientSignatureSchemes = signatureSchemes(c.signingPrefs)
	tc.MaxFragment = c.maxSendFragment
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
	return alert.Wrap(desc, errors.New("tls: certificate verification failed (-verify-fail)"))
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
