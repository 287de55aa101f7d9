package conn_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
)

// The seed's scenarios against openssl s_server, on TLS 1.3 and 1.2.
func TestOpenSSLShutdown(t *testing.T) {
	t.Parallel()
	bin := needBinary(t, "openssl")
	cert, key, _ := getPKI(t).writePEM(t, "ecdsa")
	for _, v := range []struct{ flag, msg string }{{"-tls1_3", "TLS 1.3"}, {"-tls1_2", "TLS 1.2"}} {
		t.Run(v.msg, func(t *testing.T) {
			t.Parallel()
			openSSLShutdown(t, bin, cert, key, v.flag, v.msg)
		})
	}
}

// openSSLShutdown runs the scenarios against openssl s_server with
// version flag vflag; msgVersion is how its -msg output names the version.
func openSSLShutdown(t *testing.T, bin, cert, key, vflag, msgVersion string) {
	server := func(t *testing.T, extra ...string) *peer {
		args := append([]string{"s_server", "-accept", "127.0.0.1:{port}", "-cert", cert, "-key", key, vflag}, extra...)
		return startPeer(t, bin, args...)
	}
	ourAlert := func(desc string) string { return "<<< " + msgVersion + ", Alert [length 0002], warning " + desc }

	t.Run("PeerSendsCloseNotifyFirst", func(t *testing.T) {
		t.Parallel()
		p := server(t, "-rev", "-msg")
		c := dialPeer(t, p, clientConfig(t))
		_, err := io.WriteString(c, "CLOSE\n") // -rev: SSL_shutdown, close_notify
		require.NoError(t, err)
		rest, err := io.ReadAll(c)
		require.NoError(t, err, "io.EOF after the verified close_notify; read %q", rest)
		require.True(t, c.State().CloseNotifyReceived)
		require.NoError(t, c.Close())
		p.waitOutput(t, ourAlert("close_notify"))
	})

	t.Run("PeerClosesWithoutNotifyThenShutdown", func(t *testing.T) {
		t.Parallel()
		p := server(t, "-msg")
		c := dialPeer(t, p, clientConfig(t))
		_, err := io.WriteString(c, "hello\n")
		require.NoError(t, err)
		p.waitOutput(t, "hello")
		_, err = p.stdin.Write([]byte("q\n")) // closes without close_notify
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = c.Shutdown(ctx)
		requireTruncatedAny(t, err)
	})

	t.Run("WeCloseWithoutWaiting", func(t *testing.T) {
		t.Parallel()
		p := server(t, "-msg")
		c := dialPeer(t, p, clientConfig(t))
		require.NoError(t, c.Close())
		p.waitOutput(t, ourAlert("close_notify"))
	})

	t.Run("UserCanceledThenCloseNotify", func(t *testing.T) {
		t.Parallel()
		p := server(t, "-msg")
		c := dialPeer(t, p, clientConfig(t))
		require.NoError(t, c.SendAlert(alert.Warning, alert.UserCanceled))
		require.NoError(t, c.CloseWrite())
		p.waitOutput(t, ourAlert("close_notify"))
		out := p.Output()
		uc := strings.Index(out, ourAlert("user_canceled"))
		require.GreaterOrEqual(t, uc, 0, "openssl saw user_canceled:\n%s", out)
		require.Less(t, uc, strings.Index(out, ourAlert("close_notify")))
	})
}

// requireTruncatedAny accepts either TruncatedError variant: when openssl
// closes, the kernel may deliver its FIN between or after records.
func requireTruncatedAny(t *testing.T, err error) {
	t.Helper()
	require.ErrorIs(t, err, io.ErrUnexpectedEOF, "got %v", err)
	require.NotErrorIs(t, err, io.EOF)
}
