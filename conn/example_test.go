package conn_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"time"

	"golang.org/x/net/http2"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/conn"
	"github.com/tlsrecord/tlsrecord/conn/conntest"
)

// Dial, write, read to the server's close_notify. The server is crypto/tls
// on a loopback port (package conntest); srv.Config() trusts it.
func Example() {
	srv := conntest.NewServer(nil, func(c *tls.Conn) {
		buf := make([]byte, 64)
		n, _ := c.Read(buf)
		fmt.Fprintf(c, "you said %q", buf[:n])
		c.Close() // close_notify
	})
	defer srv.Close()

	c, err := conn.Dial("tcp", srv.Addr, srv.Config())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "hello")
	reply, err := io.ReadAll(c) // ends at the server's close_notify
	fmt.Printf("%s (err=%v)\n", reply, err)
	cs := c.ConnectionState() // crypto/tls's type
	fmt.Println(tls.VersionName(cs.Version), c.State().CloseNotifyReceived)
	// Output:
	// you said "hello" (err=<nil>)
	// TLS 1.3 true
}

var _ net.Conn = (*conn.Conn)(nil)

// Telling a clean close from truncation: io.EOF only after the peer's
// close_notify; a transport EOF without it is ErrTruncated (which also
// matches io.ErrUnexpectedEOF, never io.EOF).
func Example_truncation() {
	for _, clean := range []bool{true, false} {
		srv := conntest.NewServer(nil, func(c *tls.Conn) {
			fmt.Fprint(c, "all of it")
			if clean {
				c.Close() // close_notify, then FIN
			} // else conntest closes the transport: a bare FIN
		})
		c, err := conn.Dial("tcp", srv.Addr, srv.Config())
		if err != nil {
			log.Fatal(err)
		}
		body, err := io.ReadAll(c)
		switch {
		case err == nil: // io.ReadAll turns io.EOF into nil
			fmt.Printf("complete: %s\n", body)
		case errors.Is(err, conn.ErrTruncated):
			fmt.Printf("truncated after %q: %v\n", body, err)
		}
		c.Close()
		srv.Close()
	}
	// Output:
	// complete: all of it
	// truncated after "all of it": tls: connection truncated: transport closed without close_notify
}

// Close sends close_notify (if the handshake completed and no fatal alert
// crossed) and closes the transport without waiting for an answer.
func ExampleConn_Close() {
	seen := make(chan error, 1)
	srv := conntest.NewServer(nil, func(c *tls.Conn) {
		_, err := io.ReadAll(c)
		seen <- err // nil: crypto/tls saw our close_notify
	})
	defer srv.Close()

	c, err := conn.Dial("tcp", srv.Addr, srv.Config())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Close(), c.State().CloseNotifySent)
	fmt.Println("server:", <-seen)
	fmt.Println(c.Close()) // a second Close
	// Output:
	// <nil> true
	// server: <nil>
	// use of closed network connection
}

// Shutdown is the bidirectional close: send close_notify, wait (within
// ctx) for the peer's, discarding what arrives meanwhile, close the
// transport.
func ExampleConn_Shutdown() {
	srv := conntest.NewServer(nil, func(c *tls.Conn) {
		fmt.Fprint(c, "sixteen bytes!!!")
		io.Copy(io.Discard, c) // until our close_notify
		c.Close()              // answer it
	})
	defer srv.Close()

	c, err := conn.Dial("tcp", srv.Addr, srv.Config())
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = c.Shutdown(ctx) // the server's data, unread, is discarded and counted
	st := c.State()
	fmt.Println(err, st.CloseNotifySent, st.CloseNotifyReceived, st.DiscardedBytes)
	// Output:
	// <nil> true true 16
}

// CloseWrite is the half-close: our close_notify goes out and we keep
// reading what the peer still sends.
func ExampleConn_CloseWrite() {
	srv := conntest.NewServer(nil, func(c *tls.Conn) {
		got, _ := io.ReadAll(c) // until our close_notify
		fmt.Fprintf(c, "you said %q", got)
		c.Close()
	})
	defer srv.Close()

	c, err := conn.Dial("tcp", srv.Addr, srv.Config())
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
	srv := conntest.NewServer(nil, func(c *tls.Conn) {
		io.Copy(io.Discard, c)
		c.Close()
	})
	defer srv.Close()

	c, err := conn.Dial("tcp", srv.Addr, srv.Config())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	c.CloseWrite()
	c.CloseRead()
	_, err = c.Read(make([]byte, 1))
	fmt.Println(err)
	// Output:
	// tls: read side closed
}

// SendAlert ends a connection with the alert the caller chooses; a fatal
// one becomes the connection's error. (A TLS 1.2 warning, or TLS 1.3's
// user_canceled, leaves it usable.)
func ExampleConn_SendAlert() {
	seen := make(chan error, 1)
	srv := conntest.NewServer(nil, func(c *tls.Conn) {
		_, err := c.Read(make([]byte, 1))
		seen <- err
	})
	defer srv.Close()

	c, err := conn.Dial("tcp", srv.Addr, srv.Config())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if err := c.SendAlert(alert.Fatal, alert.AccessDenied); err != nil {
		log.Fatal(err)
	}
	fmt.Println("server:", <-seen)
	_, err = c.Write([]byte("x"))
	fmt.Println(err)
	fmt.Println(c.State().TerminalAlert.Alert)
	// Output:
	// server: remote error: tls: access denied
	// tls: access_denied alert sent by SendAlert
	// fatal access_denied
}

// A Trace observes alerts and records as they cross the wire.
func ExampleTrace() {
	srv := conntest.NewServer(nil, func(c *tls.Conn) {
		io.Copy(io.Discard, c)
		c.Close()
	})
	defer srv.Close()

	cfg := srv.Config()
	cfg.Trace = &conn.Trace{
		AlertSent:     func(a alert.Alert) { fmt.Println("sent", a) },
		AlertReceived: func(a alert.Alert) { fmt.Println("received", a) },
		TransportEOF:  func(atBoundary bool) { fmt.Println("transport EOF at a record boundary:", atBoundary) },
	}
	c, err := conn.Dial("tcp", srv.Addr, cfg)
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Shutdown(ctx); err != nil {
		log.Fatal(err)
	}
	// Output:
	// sent warning close_notify
	// received warning close_notify
}

// net/http's Transport over a Dialer. Leave Config.NextProtos nil (or
// "http/1.1"): net/http speaks HTTP/2 only over a *tls.Conn, so it must not
// be offered "h2". resp.TLS stays nil: net/http fills it for a *tls.Conn
// only.
func ExampleDialer() {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello over %s", r.Proto)
	}))
	defer srv.Close()
	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs

	d := &conn.Dialer{Config: &conn.Config{RootCAs: roots, ServerName: "example.com"}}
	client := &http.Client{Transport: &http.Transport{DialTLSContext: d.DialContext}}
	resp, err := client.Get(srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body), resp.TLS == nil)
	// Output:
	// hello over HTTP/1.1 true
}

// HTTP/2 over a Dialer takes golang.org/x/net/http2's Transport, with "h2"
// offered. It reads ConnectionState from the conn, so resp.TLS is set.
func ExampleDialer_http2() {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello over %s", r.Proto)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs

	d := &conn.Dialer{Config: &conn.Config{RootCAs: roots, ServerName: "example.com", NextProtos: []string{"h2"}}}
	client := &http.Client{Transport: &http2.Transport{
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
	}}
	resp, err := client.Get(srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body), resp.TLS.NegotiatedProtocol)
	// Output:
	// hello over HTTP/2.0 h2
}

// Resumption: a ClientSessionCache keeps the server's TLS 1.3 tickets; the
// next connection to the same name resumes (PSK with (EC)DHE, no 0-RTT)
// and reports the certificates of the first.
func ExampleNewLRUClientSessionCache() {
	srv := conntest.NewServer(nil, func(c *tls.Conn) {
		c.Write([]byte("hi")) // the tickets went out before this
		c.Close()
	})
	defer srv.Close()
	cfg := srv.Config()
	cfg.ClientSessionCache = conn.NewLRUClientSessionCache(16)
	for range 2 {
		c, err := conn.Dial("tcp", srv.Addr, cfg)
		if err != nil {
			log.Fatal(err)
		}
		io.ReadAll(c) // reads the tickets, then "hi"
		cs := c.ConnectionState()
		fmt.Println("resumed:", cs.DidResume, "certificates:", len(cs.PeerCertificates))
		c.Close()
	}
	// Output:
	// resumed: false certificates: 1
	// resumed: true certificates: 1
}
