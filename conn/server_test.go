package conn_test

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/conn"
)

// goServer is an in-process crypto/tls server on loopback. Each accepted
// connection runs handle; its error (if any) is reported on errs.
type goServer struct {
	addr string
	errs chan error
}

func serveGo(t *testing.T, cfg *tls.Config, handle func(*tls.Conn) error) *goServer {
	t.Helper()
	s := &goServer{errs: make(chan error, 16)}
	s.addr = acceptLoop(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		err := tc.Handshake()
		if err == nil {
			err = handle(tc)
		}
		s.errs <- err
	})
	return s
}

// acceptLoop listens on loopback and runs handle for each connection, with
// a deadline, until the test ends; it returns the address.
func acceptLoop(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(20 * time.Second))
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

// nextErr waits for the server's verdict on one connection.
func (s *goServer) nextErr(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.errs:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("server did not finish")
		return nil
	}
}

// echo copies what it reads back until EOF, then closes with close_notify.
func echo(c *tls.Conn) error {
	_, err := io.Copy(c, c)
	if err != nil {
		return err
	}
	return c.Close()
}

func serverConfig(t *testing.T, kind string) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{getPKI(t).leaves[kind]},
		MinVersion:   tls.VersionTLS13,
	}
}

func clientConfig(t *testing.T) *conn.Config {
	return &conn.Config{ServerName: testHost, RootCAs: getPKI(t).roots}
}

// dialGo dials s with cfg and a deadline on the whole test conversation.
func dialGo(t *testing.T, s *goServer, cfg *conn.Config) (*conn.Conn, error) {
	t.Helper()
	raw, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	require.NoError(t, err)
	require.NoError(t, raw.SetDeadline(time.Now().Add(20*time.Second)))
	c := conn.Client(raw, cfg)
	t.Cleanup(func() { c.Close() })
	return c, c.Handshake()
}

// roundTrip writes msg and reads the echo.
func roundTrip(t *testing.T, c *conn.Conn, msg string) {
	t.Helper()
	_, err := c.Write([]byte(msg))
	require.NoError(t, err)
	buf := make([]byte, len(msg))
	_, err = io.ReadFull(c, buf)
	require.NoError(t, err)
	require.Equal(t, msg, string(buf))
}

// echoMiB writes 1 MiB (64 full records) while reading its echo back.
func echoMiB(t *testing.T, c *conn.Conn) {
	t.Helper()
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	go func() { c.Write(big) }()
	got := make([]byte, len(big))
	_, err := io.ReadFull(c, got)
	require.NoError(t, err)
	require.Equal(t, big, got)
}

var errNoHandler = errors.New("no handler")
