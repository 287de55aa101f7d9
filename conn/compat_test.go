package conn_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/conn"
)

// A certificate failure matches *tls.CertificateVerificationError as it
// does with crypto/tls, with the same text, and still carries its alert.
func TestCertificateVerificationError(t *testing.T) {
	t.Parallel()
	pki := getPKI(t)
	for _, tc := range []struct {
		name      string
		cert      tls.Certificate
		roots     *x509.CertPool
		host      string
		wantAlert alert.Description
		wantX509  any
	}{
		{"unknown-ca", pki.leaves["ecdsa"], x509.NewCertPool(), testHost, alert.UnknownCA, &x509.UnknownAuthorityError{}},
		{"wrong-host", pki.leaves["ecdsa"], pki.roots, "other.test", alert.BadCertificate, &x509.HostnameError{}},
		{"expired", pki.expired, pki.roots, testHost, alert.CertificateExpired, &x509.CertificateInvalidError{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := serveGo(t, &tls.Config{Certificates: []tls.Certificate{tc.cert}}, echo)
			// One clock for both clients: the expired error quotes the
			// current time to the second.
			now := time.Now()
			clock := func() time.Time { return now }
			_, err := conn.Dial("tcp", s.addr, &conn.Config{ServerName: tc.host, RootCAs: tc.roots, Time: clock})
			var certErr *tls.CertificateVerificationError
			require.ErrorAs(t, err, &certErr)
			require.Len(t, certErr.UnverifiedCertificates, 1)
			require.Equal(t, tc.cert.Certificate[0], certErr.UnverifiedCertificates[0].Raw)
			require.ErrorAs(t, certErr.Err, tc.wantX509)
			require.ErrorIs(t, err, tc.wantAlert)
			var ae *alert.Error
			require.ErrorAs(t, err, &ae)
			require.False(t, ae.Remote)

			_, theirs := tls.Dial("tcp", s.addr, &tls.Config{ServerName: tc.host, RootCAs: tc.roots, Time: clock})
			require.Error(t, theirs)
			require.True(t, strings.HasPrefix(err.Error(), theirs.Error()), "ours %q, crypto/tls %q", err, theirs)
			require.NotContains(t, err.Error(), "tls: tls:")
		})
	}
}

// A server that answers in plaintext HTTP gets crypto/tls's error, type
// and text, and our unexpected_message.
func TestFirstRecordNotTLS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	_, err := conn.Dial("tcp", srv.Listener.Addr().String(), &conn.Config{ServerName: "example.test"})
	require.EqualError(t, err, "tls: first record does not look like a TLS handshake (unexpected_message)")
	var rhe tls.RecordHeaderError
	require.ErrorAs(t, err, &rhe)
	require.Equal(t, "HTTP/", string(rhe.RecordHeader[:]))
	require.NotNil(t, rhe.Conn)
	require.ErrorIs(t, err, alert.UnexpectedMessage)

	_, theirs := tls.Dial("tcp", srv.Listener.Addr().String(), &tls.Config{ServerName: "example.test"})
	require.True(t, strings.HasPrefix(err.Error(), theirs.Error()), "ours %q, crypto/tls %q", err, theirs)
}

// DialWithDialer, Dialer.Dial and Config.Clone behave like crypto/tls's.
func TestDialerAPI(t *testing.T) {
	t.Parallel()
	s := serveGo(t, serverConfig(t, "ecdsa"), echo)
	cfg := clientConfig(t)

	c, err := conn.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", s.addr, cfg)
	require.NoError(t, err)
	roundTrip(t, c, "DialWithDialer")
	require.NoError(t, c.Close())
	require.NoError(t, s.nextErr(t))

	nc, err := (&conn.Dialer{Config: cfg}).Dial("tcp", s.addr)
	require.NoError(t, err)
	c, ok := nc.(*conn.Conn)
	require.True(t, ok, "Dial returns a *conn.Conn, got %T", nc)
	roundTrip(t, c, "Dialer.Dial")
	require.NoError(t, c.Close())
	require.NoError(t, s.nextErr(t))

	// The name comes from the address when ServerName is empty, and the
	// caller's Config is left alone.
	noName := cfg.Clone()
	noName.ServerName = ""
	_, port, err := net.SplitHostPort(s.addr)
	require.NoError(t, err)
	_, err = conn.Dial("tcp", net.JoinHostPort("localhost", port), noName)
	var hostErr x509.HostnameError
	require.ErrorAs(t, err, &hostErr)
	require.Equal(t, "localhost", hostErr.Host)
	require.Empty(t, noName.ServerName)
	require.EqualError(t, s.nextErr(t), "remote error: tls: bad certificate")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = (&conn.Dialer{Config: cfg}).DialContext(ctx, "tcp", s.addr)
	require.ErrorIs(t, err, context.Canceled)
}

func TestConfigClone(t *testing.T) {
	t.Parallel()
	var nilConfig *conn.Config
	require.Nil(t, nilConfig.Clone())

	cfg := clientConfig(t)
	cfg.NextProtos = []string{"h2"}
	cfg.VerifyConnection = func(tls.ConnectionState) error { return nil }
	clone := cfg.Clone()
	require.NotSame(t, cfg, clone)
	require.Equal(t, cfg.ServerName, clone.ServerName)
	require.Same(t, cfg.RootCAs, clone.RootCAs)
	require.Equal(t, cfg.NextProtos, clone.NextProtos)
	require.NotNil(t, clone.VerifyConnection)
	clone.ServerName = "changed.test"
	require.Equal(t, testHost, cfg.ServerName)
}

// The README's comparison, checked: for a transport EOF without
// close_notify, crypto/tls's client returns the io.EOF of a clean close,
// OpenSSL 3's s_client reports "unexpected eof while reading", and we
// return ErrTruncated.
func TestBareFINComparison(t *testing.T) {
	t.Parallel()
	bareFIN := func(c *tls.Conn) error {
		c.Write([]byte("all of it"))
		return c.NetConn().Close()
	}
	s := serveGo(t, serverConfig(t, "ecdsa"), bareFIN)

	theirs, err := tls.Dial("tcp", s.addr, &tls.Config{ServerName: testHost, RootCAs: getPKI(t).roots})
	require.NoError(t, err)
	defer theirs.Close()
	body, err := io.ReadAll(theirs)
	require.NoError(t, err, "io.ReadAll hides io.EOF: crypto/tls saw a clean end")
	require.Equal(t, "all of it", string(body))
	_, err = theirs.Read(make([]byte, 1))
	require.Equal(t, io.EOF, err)
	require.NoError(t, s.nextErr(t))

	ours, err := conn.Dial("tcp", s.addr, clientConfig(t))
	require.NoError(t, err)
	defer ours.Close()
	body, err = io.ReadAll(ours)
	require.ErrorIs(t, err, conn.ErrTruncated)
	require.Equal(t, "all of it", string(body))
	require.NoError(t, s.nextErr(t))

	bin := needBinary(t, "openssl")
	_, _, caFile := getPKI(t).writePEM(t, "ecdsa")
	out, _ := exec.Command(bin, "s_client", "-connect", s.addr, "-servername", testHost,
		"-CAfile", caFile, "-quiet").CombinedOutput()
	require.Contains(t, string(out), "all of it")
	require.Contains(t, string(out), "unexpected eof while reading")
}
