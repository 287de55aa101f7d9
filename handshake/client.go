package handshake

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"time"

	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/record"
)

// Transport is what a handshake needs from its connection. conn implements
// it over the record layer; tests implement it with scripted messages.
type Transport interface {
	// ReadMessage returns the next whole handshake message, its 4-byte
	// header included. Records of other types are the transport's business
	// (alerts become errors; a TLS 1.3 middlebox-compatibility
	// change_cipher_spec is dropped).
	ReadMessage() ([]byte, error)
	// WriteMessage seals a handshake message under the current write
	// protection into the pending flight; Flush sends the flight.
	WriteMessage(msg []byte) error
	// WriteChangeCipherSpec seals a change_cipher_spec record (body 0x01)
	// under the current write protection into the pending flight.
	WriteChangeCipherSpec() error
	Flush() error
	// SetReadKeys installs new read protection. "Handshake messages MUST
	// NOT span key changes" (RFC 8446, Section 5.1): the transport fails
	// with unexpected_message if part of a message is still buffered.
	SetReadKeys(o record.Opener) error
	// SetWriteKeys installs new write protection for records sealed later.
	SetWriteKeys(s record.Sealer) error
	// SetVersion tells the transport the negotiated version once the
	// ServerHello fixes it (alert and record rules differ by version).
	SetVersion(v uint16)
}

// Config is the part of conn.Config the handshake reads. conn fills it in
// with defaults applied.
type Config struct {
	ServerName         string
	RootCAs            *x509.CertPool
	InsecureSkipVerify bool
	NextProtos         []string
	MinVersion         uint16
	MaxVersion         uint16
	// CipherSuites lists the suites to offer, in our preference order.
	CipherSuites []uint16
	// Groups lists the groups to offer in supported_groups, in order.
	Groups               []CurveID
	Certificates         []tls.Certificate
	GetClientCertificate func(*tls.CertificateRequestInfo) (*tls.Certificate, error)
	// VerifyConnection runs after the server's CertificateVerify is checked
	// and before its Finished; an error fails the handshake with
	// bad_certificate.
	VerifyConnection func(*State) error
	KeyLogWriter     io.Writer
	Rand             io.Reader
	Time             func() time.Time
}

// State is what a completed handshake established.
type State struct {
	Version            uint16
	Suite              *cipher.Suite
	CurveID            CurveID
	NegotiatedProtocol string
	ServerName         string
	PeerCertificates   []*x509.Certificate
	VerifiedChains     [][]*x509.Certificate
	HelloRetryRequest  bool
	ClientRandom       []byte

	// TLS 1.3 application traffic secrets, for KeyUpdate, and the exporter
	// master secret (RFC 8446, Section 7.5).
	ClientSecret   []byte
	ServerSecret   []byte
	ExporterSecret []byte
}

// ExportKeyingMaterial implements RFC 8446, Section 7.5 for the state.
func (s *State) ExportKeyingMaterial(label string, context []byte, length int) ([]byte, error) {
	return ExportKeyingMaterial(s.Suite, s.ExporterSecret, label, context, length)
}

// Client runs the client side of a handshake over t and returns the
// negotiated state. Every error carries the alert conn must send, or is the
// transport's own (a remote alert, an I/O error).
func Client(t Transport, cfg *Config) (*State, error) {
	hs := &clientHandshakeTLS13{t: t, cfg: cfg}
	return hs.handshake()
}
