// Package conn is tlsrecord's client: Config, Conn, Client, Dial,
// DialWithDialer and Dialer, shaped like crypto/tls's so that code written
// for crypto/tls needs only its import and constructor changed. A *Conn is
// a net.Conn; its ConnectionState returns crypto/tls's own
// tls.ConnectionState (golang.org/x/net/http2 and other libraries read it),
// and State returns more: the TLS 1.2 extensions negotiated, the server's
// signature scheme, and how the connection ended.
//
// What crypto/tls does not give, conn does: every alert is a typed value,
// sent and received, and the ways a connection ends are told apart.
//
//	io.EOF                       the peer sent close_notify
//	errors.Is(err, ErrTruncated) the transport ended without close_notify
//	                             (also matches io.ErrUnexpectedEOF, never io.EOF)
//	*alert.Error, Remote: true   the peer sent a fatal alert
//	*alert.Error, Remote: false  we sent a fatal alert (the cause is wrapped)
//	net.ErrClosed                we closed the Conn
//	net.Error with Timeout()     a deadline passed; the Conn stays usable
//
// Errors match crypto/tls's where it has a type: a certificate that fails
// verification is a *tls.CertificateVerificationError (with errors.As), a
// peer that does not speak TLS a tls.RecordHeaderError, and both carry the
// alert we sent too (errors.Is(err, alert.UnknownCA)).
//
// To end a connection: Close (send close_notify, close the transport),
// CloseWrite (half-close: send close_notify, keep reading), CloseRead,
// Shutdown (send close_notify and wait, within a context, for the peer's)
// and SendAlert (any alert, warning or fatal). Config.Trace observes
// every record and alert. Which alert is sent for which failure, and what a
// received alert does, is the policy documented in package alert.
//
// TLS 1.3 sessions resume when Config.ClientSessionCache is set
// (NewLRUClientSessionCache; PSK with (EC)DHE, never 0-RTT; TLS 1.2
// sessions are never resumed). Config.RecordSizeLimit (RFC 8449),
// MaxFragment and Padding shape the records on the wire.
//
// For HTTP, Dialer.DialContext fits net/http's Transport.DialTLSContext
// (HTTP/1.1; leave Config.NextProtos without "h2", since net/http speaks
// HTTP/2 only over a *tls.Conn) and, wrapped in a function literal,
// golang.org/x/net/http2's Transport.DialTLSContext (offer "h2"). Package
// conntest starts in-process servers for tests.
//
// Within the module, conn is the layer above handshake: it owns the
// net.Conn, the locks and the buffers, and is the one place that writes
// alert records.
package conn
