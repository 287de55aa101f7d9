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
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"

	"github.com/tlsrecord/tlsrecord/conn"
	"github.com/tlsrecord/tlsrecord/internal/testpeer"
)

// newHTTPSServer starts a net/http HTTPS server that answers with the
// protocol it spoke, with HTTP/2 enabled (ALPN "h2", "http/1.1") when h2,
// and counts the connections it accepted.
func newHTTPSServer(t *testing.T, h2 bool) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello over %s", r.Proto)
	}))
	srv.EnableHTTP2 = h2
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, &conns
}

// get GETs url with client and returns the body and whether the
// connection was reused.
func get(t *testing.T, client *http.Client, url string) (string, *http.Response, bool) {
	t.Helper()
	var reused bool
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) { reused = info.Reused },
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return string(body), resp, reused
}

// net/http's Transport over our Dialer: HTTP/1.1 with keep-alive, even
// against a server that prefers h2, because the default Config offers no
// ALPN protocol and so the server cannot select h2.
func TestHTTPClientOverDialer(t *testing.T) {
	t.Parallel()
	srv, conns := newHTTPSServer(t, true)
	d := &conn.Dialer{Config: &conn.Config{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs, ServerName: "example.com"}}
	client := &http.Client{Transport: &http.Transport{DialTLSContext: d.DialContext}}
	defer client.CloseIdleConnections()
	for i := range 3 {
		body, resp, reused := get(t, client, srv.URL)
		require.Equal(t, "hello over HTTP/1.1", body)
		require.Equal(t, i > 0, reused, "request %d", i)
		// net/http fills resp.TLS only for a *tls.Conn.
		require.Nil(t, resp.TLS)
	}
	require.Equal(t, int32(1), conns.Load(), "keep-alive: one connection for every request")
}

// Offering "h2" to net/http's Transport is the misconfiguration the docs
// warn about: the server selects h2 and net/http, which cannot see the
// ALPN result of a non-crypto/tls conn, writes HTTP/1.1. It fails loudly
// rather than silently.
func TestHTTPTransportWithH2Fails(t *testing.T) {
	t.Parallel()
	srv, _ := newHTTPSServer(t, true)
	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	d := &conn.Dialer{Config: &conn.Config{RootCAs: roots, ServerName: "example.com", NextProtos: []string{"h2", "http/1.1"}}}
	client := &http.Client{Transport: &http.Transport{DialTLSContext: d.DialContext}}
	defer client.CloseIdleConnections()
	resp, err := client.Get(srv.URL)
	require.Nil(t, resp)
	require.Error(t, err)
	// The HTTP/2 server reads a bogus preface, may send its SETTINGS
	// frame, and closes: which of the four the client sees first depends
	// on timing. The last is net/http finding the SETTINGS frame on a
	// connection before it sent its request ("Unsolicited response received
	// on idle HTTP channel"; it then fails with a nil cause).
	require.True(t, errors.Is(err, io.EOF) || errors.Is(err, conn.ErrTruncated) ||
		strings.Contains(err.Error(), "malformed HTTP response") ||
		strings.Contains(err.Error(), "readLoopPeekFailLocked"), "got %v", err)
}

// h2Client returns an x/net/http2 client that dials with d.
func h2Client(d *conn.Dialer) *http.Client {
	return &http.Client{Transport: &http2.Transport{
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
	}}
}

// golang.org/x/net/http2's Transport over our Dialer speaks HTTP/2 to a
// net/http server, many requests on one connection, and fills resp.TLS
// through ConnectionState.
func TestHTTP2OverDialer(t *testing.T) {
	t.Parallel()
	srv, conns := newHTTPSServer(t, true)
	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	d := &conn.Dialer{Config: &conn.Config{RootCAs: roots, ServerName: "example.com", NextProtos: []string{"h2"}}}
	client := h2Client(d)
	defer client.CloseIdleConnections()
	for range 3 {
		body, resp, _ := get(t, client, srv.URL)
		require.Equal(t, "hello over HTTP/2.0", body)
		require.Equal(t, "HTTP/2.0", resp.Proto)
		require.NotNil(t, resp.TLS, "x/net/http2 reads ConnectionState from any conn")
		require.Equal(t, "h2", resp.TLS.NegotiatedProtocol)
		require.Equal(t, uint16(tls.VersionTLS13), resp.TLS.Version)
		require.True(t, resp.TLS.HandshakeComplete)
	}
	require.Equal(t, int32(1), conns.Load(), "HTTP/2: one connection for every request")
}

// The same client against nginx's HTTP/2 on loopback.
func TestHTTP2Nginx(t *testing.T) {
	t.Parallel()
	pki := getPKI(t)
	certFile, keyFile, _ := pki.writePEM(t, "ecdsa")
	addr := testpeer.StartNginx(t, certFile, keyFile, `location / {
			default_type text/plain;
			return 200 "hello from nginx over $server_protocol\n";
		}`, "http2")

	d := &conn.Dialer{Config: &conn.Config{RootCAs: pki.roots, ServerName: testHost, NextProtos: []string{"h2"}}}
	client := h2Client(d)
	defer client.CloseIdleConnections()
	url := "https://" + addr + "/"
	for range 2 {
		body, resp, _ := get(t, client, url)
		require.Equal(t, "hello from nginx over HTTP/2.0\n", body)
		require.Equal(t, "HTTP/2.0", resp.Proto)
		require.Equal(t, "h2", resp.TLS.NegotiatedProtocol)
	}
}
