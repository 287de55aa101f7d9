package conn

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"slices"
	"time"

	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/record"
)

// Config configures a client Conn. Its fields mirror crypto/tls.Config's,
// with crypto/tls's own types where they meet (tls.Certificate,
// tls.CurveID), so tls.LoadX509KeyPair and friends work unchanged. A Config
// may be shared by many Conns and must not be modified once in use.
type Config struct {
	// ServerName is sent in SNI and checked against the certificate.
	// Dial and Dialer take it from the address when it is empty.
	ServerName string
	// RootCAs verifies the server's chain; nil means the system pool.
	RootCAs *x509.CertPool
	// InsecureSkipVerify skips chain and host name verification. The
	// server's CertificateVerify is still checked against its leaf key.
	InsecureSkipVerify bool
	// NextProtos lists the ALPN protocols to offer, in preference order.
	NextProtos []string
	// MinVersion and MaxVersion bound the protocol version, with
	// crypto/tls's values (tls.VersionTLS12, tls.VersionTLS13). Zero means
	// TLS 1.2 and TLS 1.3.
	MinVersion, MaxVersion uint16
	// CipherSuites lists the suites to offer, TLS 1.2 and 1.3 alike, in our
	// order of preference. Nil means every suite the cipher package has;
	// when the list names no TLS 1.3 suite, all TLS 1.3 suites are offered.
	CipherSuites []uint16
	// CurvePreferences lists the key exchange groups to offer, in order.
	// Nil means X25519MLKEM768, X25519, P-256, P-384.
	CurvePreferences []tls.CurveID
	// Certificates are client certificates; the first whose key can sign a
	// scheme the server accepts answers a CertificateRequest.
	Certificates []tls.Certificate
	// GetClientCertificate, when set, chooses the client certificate
	// instead. The request's certificate_authorities reach it as
	// AcceptableCAs. Returning an empty certificate sends none.
	GetClientCertificate func(*tls.CertificateRequestInfo) (*tls.Certificate, error)
	// VerifyConnection runs after the server's certificate and
	// CertificateVerify are checked, before its Finished. An error fails
	// the handshake with bad_certificate.
	VerifyConnection func(ConnectionState) error
	// KeyLogWriter receives the secrets in NSS key log format, for
	// Wireshark. It compromises security; use it for debugging only.
	KeyLogWriter io.Writer
	// Rand is the source of every random byte the client uses; nil means
	// crypto/rand.Reader. A fixed Rand replays a handshake byte for byte.
	Rand io.Reader
	// Time returns the current time for certificate checks; nil means
	// time.Now.
	Time func() time.Time
	// Trace, when set, observes records, alerts and tickets.
	Trace *Trace
}

var defaultGroups = []handshake.CurveID{handshake.X25519MLKEM768, handshake.X25519, handshake.CurveP256, handshake.CurveP384}

// handshakeConfig applies the defaults and checks what can be checked
// before any byte is sent.
func (c *Config) handshakeConfig() (*handshake.Config, error) {
	if c.ServerName == "" && !c.InsecureSkipVerify {
		// Without a name the host name check would be silently skipped.
		return nil, errors.New("tls: either ServerName or InsecureSkipVerify must be set in the Config")
	}
	minV, maxV := c.MinVersion, c.MaxVersion
	if minV == 0 {
		minV = record.VersionTLS12
	}
	if maxV == 0 {
		maxV = record.VersionTLS13
	}
	if maxV < record.VersionTLS13 || minV > maxV {
		return nil, errors.New("tls: no supported version in [MinVersion, MaxVersion]: this client speaks TLS 1.3 only so far")
	}
	hc := &handshake.Config{
		ServerName:           c.ServerName,
		RootCAs:              c.RootCAs,
		InsecureSkipVerify:   c.InsecureSkipVerify,
		NextProtos:           c.NextProtos,
		MinVersion:           minV,
		MaxVersion:           maxV,
		CipherSuites:         suites13(c.CipherSuites),
		Groups:               groups(c.CurvePreferences),
		Certificates:         c.Certificates,
		GetClientCertificate: c.GetClientCertificate,
		KeyLogWriter:         c.KeyLogWriter,
		Rand:                 c.Rand,
		Time:                 c.Time,
	}
	if hc.Rand == nil {
		hc.Rand = rand.Reader
	}
	if hc.Time == nil {
		hc.Time = time.Now
	}
	if len(hc.Groups) == 0 {
		return nil, errors.New("tls: CurvePreferences names no supported group")
	}
	return hc, nil
}

func suites13(ids []uint16) []uint16 {
	var out []uint16
	for _, id := range ids {
		if s := cipher.SuiteByID(id); s != nil && s.Version == record.VersionTLS13 {
			out = append(out, id)
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, s := range cipher.Suites() {
		if s.Version == record.VersionTLS13 {
			out = append(out, s.ID)
		}
	}
	return out
}

func groups(prefs []tls.CurveID) []handshake.CurveID {
	if prefs == nil {
		return slices.Clone(defaultGroups)
	}
	var out []handshake.CurveID
	for _, p := range prefs {
		g := handshake.CurveID(p)
		if slices.Contains(defaultGroups, g) && !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}
