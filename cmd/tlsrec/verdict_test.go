package main

import (
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/conn"
)

// The peer's RST can reach the session through our write (a close_notify
// racing the reader) while the read after it sees only EOF: the verdict is
// the reset, not a truncation, whichever call saw it.
func TestEndingResetBeforeTruncation(t *testing.T) {
	t.Parallel()
	reset := &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.ECONNRESET)}
	truncated := &conn.TruncatedError{AtRecordBoundary: true}
	for _, errs := range [][]error{{reset, truncated}, {truncated, reset}} {
		v := ending(conn.State{CloseNotifySent: true}, errs...)
		require.Equal(t, exitTransport, v.Exit)
		require.Equal(t, "transport error", v.Verdict)
		require.Equal(t, reset.Error(), v.Detail)
	}
	v := ending(conn.State{CloseNotifySent: true}, truncated)
	require.Equal(t, exitTruncated, v.Exit, "a truncation alone stays a truncation")
}
