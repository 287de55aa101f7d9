package conn

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

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
	// Nil offers none, so a server cannot select "h2": that is the safe
	// setting for net/http's Transport, which speaks HTTP/2 only over a
	// *tls.Conn and would write HTTP/1.1 on an h2 connection. Offer "h2"
	// only to golang.org/x/net/http2's Transport (or check
	// ConnectionState().NegotiatedProtocol yourself).
	NextProtos []string
	// MinVersion and MaxVersion bound the protocol version, with
	// crypto/tls's values (tls.VersionTLS12, tls.VersionTLS13). Zero means
	// TLS 1.2 and TLS 1.3; older versions are never spoken, so a lower
	// MinVersion means TLS 1.2. One ClientHello offers every version in
	// the range.
	MinVersion, MaxVersion uint16
	// CipherSuites lists the suites to offer, TLS 1.2 and 1.3 alike, in our
	// order of preference (the TLS 1.3 ones go first on the wire). Nil
	// means every suite the cipher package has; when the list names no
	// suite of an enabled version, all of that version's suites are
	// offered. TLS 1.2 has the six ECDHE_ECDSA and ECDHE_RSA suites with
	// AES-GCM and ChaCha20-Poly1305 only.
	CipherSuites []uint16
	// CurvePreferences lists the key exchange groups to offer, in order.
	// Nil means X25519MLKEM768, X25519, P-256, P-384. TLS 1.2's ECDHE uses
	// X25519, P-256 and P-384; X25519MLKEM768 is TLS 1.3 only.
	CurvePreferences []tls.CurveID
	// KeyShareGroups lists the groups whose key shares the first TLS 1.3
	// ClientHello carries, each one of CurvePreferences; the others are
	// reached through HelloRetryRequest. Nil means X25519MLKEM768 and
	// X25519 when enabled, otherwise the most preferred group. The shares
	// follow CurvePreferences' order (RFC 8446, Section 4.2.8).
	KeyShareGroups []tls.CurveID
	// SignatureSchemes lists the schemes offered in signature_algorithms,
	// so the only ones the server may sign with, in preference order. Nil
	// means ECDSA, Ed25519, RSA-PSS and PKCS #1 v1.5, never SHA-1.
	SignatureSchemes []tls.SignatureScheme
	// ClientSignatureSchemes lists the schemes a client certificate may
	// sign with, in preference order; nil means the SignatureSchemes
	// default. A certificate's own SupportedSignatureAlgorithms, when set,
	// replaces it for that certificate, as in crypto/tls.
	ClientSignatureSchemes []tls.SignatureScheme
	// MaxFragment caps the plaintext of each record we send, 64 to 16384
	// bytes; zero means 16384 (RFC 8446, Section 5.1). A probe uses it to
	// send small records; the peer must accept any size up to the limit.
	MaxFragment int
	// Certificates are client certificates; the first whose key can sign a
	// scheme the server accepts answers a CertificateRequest.
	Certificates []tls.Certificate
	// GetClientCertificate, when set, chooses the client certificate
	// instead. The request's certificate_authorities reach it as
	// AcceptableCAs. Returning an empty certificate sends none.
	GetClientCertificate func(*tls.CertificateRequestInfo) (*tls.Certificate, error)
	// VerifyConnection runs after the server's certificate and its
	// signature (TLS 1.3 CertificateVerify, TLS 1.2 ServerKeyExchange) are
	// checked, before its Finished, with crypto/tls's ConnectionState
	// (HandshakeComplete false, as in crypto/tls). An error fails the
	// handshake: it sends the alert.Description the error wraps, else
	// bad_certificate, and the handshake error wraps it (errors.Is and
	// errors.As reach it).
	VerifyConnection func(tls.ConnectionState) error
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
	// AllowNoExtendedMasterSecret accepts a TLS 1.2 server that does not
	// support the extended master secret (RFC 7627). Such a handshake is
	// open to the triple handshake attack's key synchronization, so
	// ExportKeyingMaterial then fails (RFC 7627, Section 5.4). By default
	// the handshake fails with handshake_failure.
	AllowNoExtendedMasterSecret bool
	// ClientSessionCache, when set, stores TLS 1.3 session tickets and
	// offers them for resumption (PSK with (EC)DHE, RFC 8446, Section 2.2;
	// no 0-RTT). The key is ServerName, or the address when it is empty.
	// Nil disables resumption. TLS 1.2 sessions are never resumed.
	ClientSessionCache ClientSessionCache
	// ReuseSessionTickets lets a ticket that resumed a connection stay in
	// the cache for further ones. By default a ticket leaves the cache when
	// a connection takes it, and the server's new tickets replace it:
	// "Clients SHOULD NOT reuse a ticket for multiple connections" (RFC
	// 8446, Appendix C.4).
	ReuseSessionTickets bool
	// RecordSizeLimit, when not 0, is sent as record_size_limit (RFC 8449):
	// 64..16385, the largest protected record the server may send us (in
	// TLS 1.3 the whole TLSInnerPlaintext, content type and padding
	// included, so L allows L-1 content bytes; a TLS 1.2 server reads a
	// value above 2^14 as 2^14). A larger record from the server fails
	// with record_overflow. The server's own value caps what we send.
	RecordSizeLimit int
	// Padding, when set, chooses how many zero bytes pad each TLS 1.3
	// record we protect (RFC 8446, Section 5.4), given its content type and
	// content length: to hide lengths, e.g. pad to a multiple of a block.
	// The padding is clamped to the record limit (2^14+1 or the server's
	// record_size_limit). Nil means none. TLS 1.2 records are not padded.
	Padding func(contentType record.ContentType, length int) int
	// DisableCloseNotifyReply stops the automatic answer to a TLS 1.2
	// close_notify (RFC 5246, Section 7.2.1): the caller sends its own with
	// CloseWrite, Shutdown or Close, and may write before that.
	DisableCloseNotifyReply bool
}

// Clone returns a shallow copy of c, or nil for a nil c, as crypto/tls's
// Config.Clone: slices, the cert pool, the writers and the Trace are
// shared. It is safe to clone a Config in use by a Conn.
func (c *Config) Clone() *Config {
	if c == nil {
		return nil
	}
	clone := *c
	return &clone
}

var defaultGroups = []handshake.CurveID{handshake.X25519MLKEM768, handshake.X25519, handshake.CurveP256, handshake.CurveP384}

// handshakeConfig applies the defaults and checks what can be checked
// before any byte is sent.
func (c *Config) handshakeConfig() (*handshake.Config, error) {
	if c.ServerName == "" && !c.InsecureSkipVerify {
		// Without a name the host name check would be silently skipped.
		return nil, errors.New("tls: either ServerName or InsecureSkipVerify must be set in the Config")
	}
	// TLS 1.2 is the oldest version spoken: a lower MinVersion means 1.2.
	minV, maxV := max(c.MinVersion, record.VersionTLS12), c.MaxVersion
	if maxV == 0 || maxV > record.VersionTLS13 {
		maxV = record.VersionTLS13
	}
	if maxV < record.VersionTLS12 || minV > maxV {
		return nil, errors.New("tls: no supported version in [MinVersion, MaxVersion]: this client speaks TLS 1.2 and TLS 1.3")
	}
	hc := &handshake.Config{
		ServerName:         c.ServerName,
		RootCAs:            c.RootCAs,
		InsecureSkipVerify: c.InsecureSkipVerify,
		NextProtos:         c.NextProtos,
		MinVersion:         minV,
		MaxVersion:         maxV,
		CipherSuites:       c.CipherSuites, // the handshake keeps those of the offered versions
		Groups:             groups(c.CurvePreferences),
		KeyShareGroups:     codePoints[handshake.CurveID](c.KeyShareGroups),
		SignatureSchemes:   codePoints[handshake.SignatureScheme](c.SignatureSchemes),

		ClientSignatureSchemes: codePoints[handshake.SignatureScheme](c.ClientSignatureSchemes),
		Certificates:           c.Certificates,
		GetClientCertificate:   c.GetClientCertificate,
		KeyLogWriter:           c.KeyLogWriter,
		Rand:                   c.Rand,
		Time:                   c.Time,

		AllowNoExtendedMasterSecret: c.AllowNoExtendedMasterSecret,
	}
	if err := c.checkRecordSizes(); err != nil {
		return nil, err
	}
	hc.RecordSizeLimit = uint16(c.RecordSizeLimit)
	if hc.Rand == nil {
		hc.Rand = rand.Reader
	}
	if hc.Time == nil {
		hc.Time = time.Now
	}
	if maxV < record.VersionTLS13 {
		// X25519MLKEM768 exists for TLS 1.3's key_share only.
		hc.Groups = slices.DeleteFunc(hc.Groups, func(g handshake.CurveID) bool { return g == handshake.X25519MLKEM768 })
	}
	if len(hc.Groups) == 0 {
		return nil, errors.New("tls: CurvePreferences names no supported group")
	}
	if c.KeyShareGroups != nil && len(hc.KeyShareGroups) == 0 {
		return nil, errors.New("tls: KeyShareGroups names no group")
	}
	for _, g := range hc.KeyShareGroups {
		if !slices.Contains(hc.Groups, g) {
			return nil, fmt.Errorf("tls: KeyShareGroups names %v, which CurvePreferences does not enable", tls.CurveID(g))
		}
	}
	if c.MaxFragment != 0 && (c.MaxFragment < minFragment || c.MaxFragment > record.MaxPlaintext) {
		return nil, fmt.Errorf("tls: MaxFragment %d is outside [%d, %d]", c.MaxFragment, minFragment, record.MaxPlaintext)
	}
	return hc, nil
}

// minFragment is the smallest MaxFragment: smaller records only waste the
// peer's work (RFC 8449's record_size_limit has the same floor).
const minFragment = 64

// codePoints converts a list of crypto/tls code points to the handshake
// package's type for them, nil staying nil ("the default").
func codePoints[U, T ~uint16](ids []T) []U {
	if ids == nil {
		return nil
	}
	out := make([]U, 0, len(ids))
	for _, id := range ids {
		out = append(out, U(id))
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

// checkRecordSizes checks RecordSizeLimit: "Endpoints MUST
// NOT send a "record_size_limit" extension with a value smaller than 64"
// and "TLS 1.3 uses a limit of 2^14+1 octets" (RFC 8449, Section 4).
func (c *Config) checkRecordSizes() error {
	if l := c.RecordSizeLimit; l != 0 && (l < 64 || l > record.MaxInnerPlaintextTLS13) {
		return fmt.Errorf("tls: RecordSizeLimit %d is outside 64..16385", l)
	}
	return nil
}
