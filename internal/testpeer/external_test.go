package testpeer

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestOpenSSLStdin drives openssl s_server through its standard input
// (its default mode sends stdin to the client) behind the proxy.
func TestOpenSSLStdin(t *testing.T) {
	t.Parallel()
	for _, tc := range versions {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := StartOpenSSL(t)
			p := Start(t, Config{External: &srv.External})
			c := dial(t, p, tc.v)
			require.NoError(t, srv.WaitOutput(waitCtx(t), "CIPHER is"))
			_, err := srv.Stdin.Write([]byte("from stdin\n"))
			require.NoError(t, err)
			require.Equal(t, "from stdin\n", readN(t, c, len("from stdin\n")))
			require.NoError(t, p.Err())
		})
	}
}

// TestOpenSSLTLS12NeedsClientKeyLog: openssl writes the TLS 1.2 master
// secret only after the client's Finished, which the proxy must open
// first; without the client's key log the proxy gives up with a message
// that says so.
func TestOpenSSLTLS12NeedsClientKeyLog(t *testing.T) {
	t.Parallel()
	srv := StartOpenSSL(t)
	p := Start(t, Config{External: &srv.External, KeyTimeout: 100 * time.Millisecond})
	_, err := dialErr(t, p, tls.VersionTLS12, func(cfg *tls.Config) { cfg.KeyLogWriter = nil })
	require.Error(t, err)
	require.ErrorContains(t, p.Err(), "give the client Peer.KeyLog")
	require.ErrorIs(t, p.Err(), context.DeadlineExceeded)
}

// TestServerWaitOutput: a wait for output that never comes ends at the
// context's deadline.
func TestServerWaitOutput(t *testing.T) {
	t.Parallel()
	srv := StartGnuTLS(t, "--echo")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, srv.WaitOutput(ctx, "never printed"), context.DeadlineExceeded)
	require.Contains(t, srv.Output(), "Echo Server listening")
}
