package conn_test

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	"golang.org/x/net/nettest"

	"github.com/tlsrecord/tlsrecord/conn"
)

// TestNetConnContract runs golang.org/x/net/nettest's net.Conn conformance
// suite with our client as one end and a crypto/tls server as the other.
// (crypto/tls's own client fails PastTimeout, FutureTimeout and
// ConcurrentMethods.)
func TestNetConnContract(t *testing.T) {
	t.Parallel()
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(v), func(t *testing.T) {
			nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
				return tlsPipe(t, v)
			})
		})
	}
}

// tlsPipe returns our client and a crypto/tls server connected over
// loopback TCP, handshake done.
func tlsPipe(t *testing.T, version uint16) (net.Conn, net.Conn, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, nil, err
	}
	defer ln.Close()
	type accepted struct {
		c   net.Conn
		err error
	}
	ch := make(chan accepted, 1)
	go func() {
		raw, err := ln.Accept()
		if err != nil {
			ch <- accepted{nil, err}
			return
		}
		scfg := serverConfig(t, "ecdsa")
		scfg.MinVersion, scfg.MaxVersion = version, version
		sc := tls.Server(raw, scfg)
		raw.SetDeadline(time.Now().Add(10 * time.Second))
		err = sc.Handshake()
		raw.SetDeadline(time.Time{})
		ch <- accepted{sc, err}
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return nil, nil, nil, err
	}
	cc := conn.Client(raw, clientConfig(t))
	if err := cc.Handshake(); err != nil {
		raw.Close()
		return nil, nil, nil, err
	}
	a := <-ch
	if a.err != nil {
		cc.Close()
		return nil, nil, nil, a.err
	}
	stop := func() {
		cc.Close()
		a.c.Close()
	}
	return cc, a.c, stop, nil
}
