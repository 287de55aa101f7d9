package conn

import (
	"crypto/tls"
	"crypto/x509"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/record"
)

// State describes a connection in more detail than tls.ConnectionState:
// the negotiated parameters, with crypto/tls's names where they exist, what
// crypto/tls has no field for, and how the connection ended so far.
// (*Conn).ConnectionState returns crypto/tls's own type.
type State struct {
	Version            uint16
	HandshakeComplete  bool
	CipherSuite        uint16
	CurveID            tls.CurveID
	NegotiatedProtocol string
	ServerName         string
	PeerCertificates   []*x509.Certificate
	VerifiedChains     [][]*x509.Certificate
	HelloRetryRequest  bool
	// DidResume says a TLS 1.3 handshake resumed a session from
	// Config.ClientSessionCache; PeerCertificates and VerifiedChains are
	// then the original connection's, as in crypto/tls.
	DidResume bool
	// ExtendedMasterSecret and SecureRenegotiation say, for TLS 1.2, that
	// the server answered extended_master_secret (RFC 7627) and
	// renegotiation_info (RFC 5746). tlsrecord never renegotiates.
	ExtendedMasterSecret bool
	SecureRenegotiation  bool
	// PeerSignatureScheme is the scheme the server signed with: its
	// CertificateVerify (TLS 1.3) or ServerKeyExchange (TLS 1.2).
	PeerSignatureScheme tls.SignatureScheme
	// PeerRecordSizeLimit is the server's record_size_limit (RFC 8449), 0
	// when it sent none; it caps the records we send.
	PeerRecordSizeLimit int

	// CloseNotifySent and CloseNotifyReceived say which close_notify
	// alerts crossed; Truncated that the transport ended without the
	// peer's.
	CloseNotifySent     bool
	CloseNotifyReceived bool
	Truncated           bool
	// TerminalAlert is the fatal alert that ended the connection, sent or
	// received, or nil.
	TerminalAlert *alert.Error
	// DiscardedBytes counts application data discarded unread by Shutdown.
	DiscardedBytes int64
}

// Trace observes a connection, in the style of net/http/httptrace. Hooks
// run synchronously on the reading or writing goroutine, may run
// concurrently with each other, and must not call back into the Conn.
// Nil hooks are skipped.
type Trace struct {
	AlertSent     func(alert.Alert)
	AlertReceived func(alert.Alert)
	RecordRead    func(RecordInfo)
	// RecordWritten reports each record once the transport has taken all
	// of its bytes, in order, not when it was sealed: a record a timed-out
	// or failed write left pending is reported when a later write sends
	// it, and never if none does.
	RecordWritten func(RecordInfo)
	// HandshakeMessage reports each handshake message by type: one we
	// send when it is sealed (RecordWritten reports its record once the
	// transport takes it), one we receive once it is reassembled from its
	// records, before it is processed.
	HandshakeMessage func(typ handshake.MsgType, sent bool)
	// TransportEOF reports the transport's end, and whether it fell between
	// records.
	TransportEOF func(atRecordBoundary bool)
	// SessionTicket receives each NewSessionTicket the server sends
	// (RFC 8446, Section 4.6.1), before it goes into
	// Config.ClientSessionCache, if any.
	SessionTicket func(*handshake.NewSessionTicket)
}

// RecordInfo describes one record as it crossed the wire.
type RecordInfo struct {
	// Outer is the header's content type; Inner the real one (they differ
	// for protected TLS 1.3 records).
	Outer, Inner record.ContentType
	// Length is the fragment length on the wire.
	Length    int
	Seq       uint64
	Protected bool
}
