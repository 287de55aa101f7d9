package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"syscall"

	"github.com/tlsrecord/tlsrecord/conn"
)

// Exit codes: one per way a connection ends, listed in --help and the
// README.
const (
	exitClean     = 0 // close_notify crossed as asked (or the probe ran)
	exitFailure   = 1 // a local failure: a file we could not write, ...
	exitUsage     = 2 // bad command line: flags, arguments, an unreadable CA file
	exitTruncated = 3 // the transport ended without close_notify
	exitAlertRecv = 4 // the peer sent a fatal alert
	exitAlertSent = 5 // we sent a fatal alert: a failed verification or a protocol error
	exitTimeout   = 6 // --timeout ran out: dial, handshake or close
	exitTransport = 7 // refused, reset before TLS began, unknown host, ...
)

const exitCodesHelp = `exit codes:
  0  clean: close_notify crossed as --close asked (probe: the probe ran)
  1  local failure (a file that cannot be written)
  2  usage error: bad flag or argument, unreadable --ca/--cert/--key, unknown alert name
  3  truncated: the transport ended without close_notify (at or inside a record)
  4  fatal alert received from the peer
  5  fatal alert sent by us (untrusted certificate, protocol error, --send-alert)
  6  timeout (--timeout: dial, handshake, close)
  7  transport error: unknown host, connection refused, reset`

// verdict is how a connection ended: the last line of connect, one line
// per demo scenario.
type verdict struct {
	Type    string `json:"type"` // "verdict"
	Verdict string `json:"verdict"`
	Detail  string `json:"detail"`
	Exit    int    `json:"exit"`
}

func (v verdict) text() string {
	return fmt.Sprintf("=> %s: %s (exit %d)", v.Verdict, v.Detail, v.Exit)
}

func newVerdict(name string, exit int, format string, args ...any) verdict {
	return verdict{Type: "verdict", Verdict: name, Detail: fmt.Sprintf(format, args...), Exit: exit}
}

// ending judges a connection from its state and the errors of the session
// (reads, writes, the close), in this order: alerts, timeouts, a reset,
// truncation, other transport errors, close_notify.
func ending(cs conn.State, errs ...error) verdict {
	var kept []error
	for _, e := range errs {
		// Our own Close unblocking a Read says nothing of the peer.
		if e != nil && !errors.Is(e, net.ErrClosed) {
			kept = append(kept, e)
		}
	}
	err := errors.Join(kept...)
	switch ta := cs.TerminalAlert; {
	case ta != nil && ta.Remote:
		return newVerdict("alert received", exitAlertRecv, "the peer sent %s", ta.Alert)
	case ta != nil && ta.Err != nil && !errors.Is(ta.Err, ta.Alert.Description):
		return newVerdict("alert sent", exitAlertSent, "we sent %s: %v", ta.Alert, ta.Err)
	case ta != nil:
		return newVerdict("alert sent", exitAlertSent, "we sent %s", ta.Alert)
	case isTimeout(err):
		if cs.CloseNotifySent && !cs.CloseNotifyReceived {
			return newVerdict("timeout", exitTimeout, "our close_notify went out; the peer's never came")
		}
		return newVerdict("timeout", exitTimeout, "%v", err)
	}
	var te *conn.TruncatedError
	switch {
	case isReset(err):
		// The peer's RST, seen by a write (ours raced the reader): Linux
		// hands the reset to whichever call comes first and a read after
		// it returns EOF, which is not a truncation but the same reset.
		i := slices.IndexFunc(kept, isReset)
		return newVerdict("transport error", exitTransport, "%v", kept[i])
	case errors.As(err, &te) && te.AtRecordBoundary:
		return newVerdict("truncated at a record boundary", exitTruncated, "the transport ended without close_notify")
	case errors.As(err, &te):
		return newVerdict("truncated inside a record", exitTruncated, "the transport ended in the middle of a record")
	case cs.CloseNotifyReceived && cs.CloseNotifySent:
		return newVerdict("clean", exitClean, "close_notify crossed both ways")
	case cs.CloseNotifyReceived:
		return newVerdict("clean", exitClean, "the peer sent close_notify; ours did not go out")
	case err != nil:
		return newVerdict("transport error", exitTransport, "%v", err)
	case cs.CloseNotifySent:
		return newVerdict("clean", exitClean, "we sent close_notify and closed without waiting for the peer's")
	}
	return newVerdict("truncated at a record boundary", exitTruncated, "we closed the transport without close_notify")
}

// failure is the verdict of a connection that failed before or during the
// handshake; cs is its state (zero when no TLS connection began), err
// names what failed.
func failure(cs conn.State, err error) verdict {
	ae := cs.TerminalAlert
	if ae == nil {
		errors.As(err, &ae)
	}
	switch {
	case ae != nil && ae.Remote:
		return newVerdict("alert received", exitAlertRecv, "%v", err)
	case ae != nil:
		return newVerdict("alert sent", exitAlertSent, "%v", err)
	case isTimeout(err):
		return newVerdict("timeout", exitTimeout, "%v", err)
	case errors.Is(err, conn.ErrTruncated):
		return newVerdict("truncated at a record boundary", exitTruncated, "%v", err)
	}
	return newVerdict("transport error", exitTransport, "%v", err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// isReset reports a transport reset.
func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
