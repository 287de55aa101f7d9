package conn

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// rawWriteMax is the largest write that rawWriter makes itself: one record
// of a small Write. Larger ones go through the net.Conn.
const rawWriteMax = 4 << 10

// rawWriter is the record Writer's transport over a TCP socket. A small
// write is one write(2) from a syscall.RawConn callback by
// syscall.RawSyscall: the socket is non-blocking, so the call returns at
// once, and the runtime's system-call bookkeeping, which is most of the
// user CPU of a small Write, is skipped. A full socket buffer waits in the
// poller as net.Conn's Write does. Larger writes, and every write while a
// write deadline is set, go through the net.Conn, so timeouts behave
// exactly as before; errors are net.Conn's: a *net.OpError "write" around
// the errno.
type rawWriter struct {
	c     *Conn
	rc    syscall.RawConn
	p     []byte
	n     int
	errno syscall.Errno
	fn    func(fd uintptr) bool
}

// transportWriter returns what the record Writer writes to: a rawWriter
// for a *net.TCPConn, the transport itself otherwise.
func transportWriter(c *Conn) io.Writer {
	tc, ok := c.conn.(*net.TCPConn)
	if !ok {
		return c.conn
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c.conn
	}
	w := &rawWriter{c: c, rc: rc}
	w.fn = w.write
	return w
}

func (w *rawWriter) Write(p []byte) (int, error) {
	if len(p) == 0 || len(p) > rawWriteMax || w.c.writeDeadline.Load() != 0 {
		return w.c.conn.Write(p)
	}
	w.p, w.n, w.errno = p, 0, 0
	err := w.rc.Write(w.fn)
	w.p = nil
	if err != nil {
		// Nothing was written: the socket is closed, or a deadline set on
		// the transport itself passed. net.Conn's Write says so in its own
		// words.
		return w.c.conn.Write(p)
	}
	if w.errno != 0 {
		return w.n, &net.OpError{Op: "write", Net: "tcp", Source: w.c.conn.LocalAddr(), Addr: w.c.conn.RemoteAddr(),
			Err: os.NewSyscallError("write", w.errno)}
	}
	return w.n, nil
}

// write is the RawConn callback: true when the write was made or failed,
// false to wait until the socket is writable.
func (w *rawWriter) write(fd uintptr) bool {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(unsafe.SliceData(w.p))), uintptr(len(w.p)))
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		case 0:
			w.n = int(n)
		default:
			w.errno = e
		}
		return true
	}
}
