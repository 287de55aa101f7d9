package conn

import (
	"net"
	"syscall"
	"unsafe"
)

// unread reports whether bytes may wait unread in c's receive queue: false
// only when c is a socket whose SIOCINQ says none (closing a socket with
// unread bytes sends an RST instead of a FIN).
func unread(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	n := new(int32)
	var errno syscall.Errno
	if rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(n)))
	}) != nil || errno != 0 {
		return true
	}
	return *n > 0
}
