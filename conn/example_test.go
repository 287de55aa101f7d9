package conn_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"time"

	"github.com/tlsrecord/tlsrecord/conn"
)

// exampleServer starts a crypto/tls server for one connection, for the
// examples: it answers the first read, then ends the way end says. It
// returns the address and the pool that trusts it.
func exampleServer(end func(c *tls.Conn)) (string, *x509.CertPool) {
	pki := newExamplePKI()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pki.cert}})
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		defer ln.Close()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		tc := c.(*tls.Conn)
		buf := make([]byte, 64)
		n, _ := tc.Read(buf)
		fmt.Fprintf(tc, "you said %q", buf[:n])
		end(tc)
	}()
	return ln.Addr().String(), pki.roots
}

// closeNotify ends with close_notify, as crypto/tls's Close does.
func closeNotify(c *tls.Conn) { c.Close() }

// bareFIN ends without close_notify: what a truncation attack looks like.
func bareFIN(c *tls.Conn) { c.NetConn().Close() }

// answerCloseNotify waits for the client's close_notify and answers it.
func answerCloseNotify(c *tls.Conn) {
	io.Copy(io.Discard, c)
	c.Close()
}

func Example() {
	addr, roots := exampleServer(closeNotify)
	c, err := conn.Dial("tcp", addr, &conn.Config{ServerName: "example.test", RootCAs: roots})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "hello")
	reply, err := io.ReadAll(c) // ends at the server's close_notify
	fmt.Printf("%s (err=%v)\n", reply, err)
	st := c.State()
	fmt.Println(tls.VersionName(st.Version), st.CloseNotifyReceived)
	// Output:
	// you said "hello" (err=<nil>)
	// TLS 1.3 true
}

var _ net.Conn = (*conn.Conn)(nil)

// Telling a clean close from truncation: io.EOF only after the peer's
// close_notify; a bare transport EOF is ErrTruncated.
func Example_truncation() {
	addr, roots := exampleServer(bareFIN)
	c, err := conn.Dial("tcp", addr, &conn.Config{ServerName: "example.test", RootCAs: roots})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "hello")
	reply, err := io.ReadAll(c)
	switch {
	case err == nil:
		fmt.Printf("complete: %s\n", reply)
	case errors.Is(err, conn.ErrTruncated):
		fmt.Printf("truncated after %s: %v\n", reply, err)
	}
	// Output:
	// truncated after you said "hello": tls: connection truncated: transport closed without close_notify
}

// Shutdown is the bidirectional close: send close_notify, wait (within
// ctx) for the peer's, close the transport.
func ExampleConn_Shutdown() {
	addr, roots := exampleServer(answerCloseNotify)
	c, err := conn.Dial("tcp", addr, &conn.Config{ServerName: "example.test", RootCAs: roots})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprint(c, "hello")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = c.Shutdown(ctx) // the reply, unread, is discarded and counted
	st := c.State()
	fmt.Println(err, st.CloseNotifySent, st.CloseNotifyReceived, st.DiscardedBytes)
	// Output:
	// <nil> true true 16
}

// CloseWrite is the half-close: our close_notify goes out and we keep
// reading what the peer still sends.
func ExampleConn_CloseWrite() {
	addr, roots := exampleServer(closeNotify)
	c, err := conn.Dial("tcp", addr, &conn.Config{ServerName: "example.test", RootCAs: roots})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "hello")
	if err := c.CloseWrite(); err != nil {
		log.Fatal(err)
	}
	_, err = fmt.Fprint(c, "more")
	fmt.Println(err)
	reply, err := io.ReadAll(c)
	fmt.Printf("%s %v\n", reply, err)
	// Output:
	// tls: write side closed (close_notify sent)
	// you said "hello" <nil>
}

// The unidirectional close: send close_notify and stop reading, without
// waiting for the peer's answer (RFC 8446, Section 6.1 allows it).
func ExampleConn_CloseRead() {
	addr, roots := exampleServer(answerCloseNotify)
	c, err := conn.Dial("tcp", addr, &conn.Config{ServerName: "example.test", RootCAs: roots})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "hello")
	c.CloseWrite()
	c.CloseRead()
	_, err = c.Read(make([]byte, 1))
	fmt.Println(err)
	// Output:
	// tls: read side closed
}
