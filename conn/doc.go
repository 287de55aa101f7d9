// Package conn is tlsrecord's public API: Config, Conn, Client, Dial and
// Dialer, shaped like crypto/tls's so a Go programmer already knows them.
//
// conn owns the net.Conn, the locks and the buffers, implements the
// handshake layer's Transport, and is the one place that writes alert
// records (Conn.abort, in the spirit of rustls's send_fatal_alert) and
// decides what a received alert means (Conn.handleAlert, with the RFC
// sentence beside each rule).
//
// What a caller can tell apart, and how:
//
//	io.EOF                       the peer sent close_notify
//	errors.Is(err, ErrTruncated) the transport ended without close_notify
//	                             (also matches io.ErrUnexpectedEOF, never io.EOF)
//	*alert.Error, Remote: true   the peer sent a fatal alert
//	*alert.Error, Remote: false  we sent a fatal alert (the cause is wrapped)
//	net.ErrClosed                we closed the Conn
//	net.Error with Timeout()     a deadline passed; the Conn stays usable
package conn
