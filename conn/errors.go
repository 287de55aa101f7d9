package conn

import (
	"context"
	"errors"
	"io"
	"syscall"
)

// ErrTruncated matches (with errors.Is) every TruncatedError.
var ErrTruncated = errors.New("tls: connection truncated: transport closed without close_notify")

// ErrWriteClosed is returned by writes after our close_notify.
var ErrWriteClosed = errors.New("tls: write side closed (close_notify sent)")

// TruncatedError reports a transport EOF (or reset) that arrived without
// the peer's close_notify: the data may have been cut short by an attacker
// or a crash, so it is never io.EOF. errors.Is matches ErrTruncated and
// io.ErrUnexpectedEOF.
type TruncatedError struct {
	// AtRecordBoundary is false when the transport ended inside a record.
	AtRecordBoundary bool
	// CloseNotifySent is true when our close_notify had already gone out.
	CloseNotifySent bool
}

func (e *TruncatedError) Error() string {
	msg := ErrTruncated.Error()
	if !e.AtRecordBoundary {
		msg += " (inside a record)"
	}
	return msg
}

// Is makes errors.Is(err, ErrTruncated) and errors.Is(err,
// io.ErrUnexpectedEOF) hold. It deliberately does not wrap io.EOF.
func (e *TruncatedError) Is(target error) bool {
	return target == ErrTruncated || target == io.ErrUnexpectedEOF
}

// contextError reports a handshake that a context ended. It matches
// ctx.Err() with errors.Is and is a net.Error whose Timeout reports a
// deadline, as crypto/tls's context errors are.
type contextError struct{ err error }

func (e *contextError) Error() string   { return "tls: handshake interrupted: " + e.err.Error() }
func (e *contextError) Unwrap() error   { return e.err }
func (e *contextError) Timeout() bool   { return errors.Is(e.err, context.DeadlineExceeded) }
func (e *contextError) Temporary() bool { return false }

// timeoutError is returned for a Write whose deadline passed before it
// sealed anything.
type timeoutError struct{}

func (timeoutError) Error() string   { return "tls: i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// errConnReset is the transport's reset, a truncation like EOF.
var errConnReset error = syscall.ECONNRESET
