package conn

import (
	"net"
	"sync"
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
	p := inqProbes.Get().(*inqProbe)
	defer inqProbes.Put(p)
	if rc.Control(p.control) != nil || p.errno != 0 {
		return true
	}
	return p.n > 0
}

// inqProbe holds one SIOCINQ query; pooled with its bound method value so
// that Close allocates no closure.
type inqProbe struct {
	n       int32
	errno   syscall.Errno
	control func(fd uintptr)
}

var inqProbes = sync.Pool{New: func() any {
	p := new(inqProbe)
	p.control = func(fd uintptr) {
		_, _, p.errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&p.n)))
	}
	return p
}}
