package testpeer

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStartNginx: the server block's root is served on both versions,
// with the test certificate.
func TestStartNginx(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files, err := WriteCertFiles(dir)
	require.NoError(t, err)
	www := filepath.Join(dir, "www")
	require.NoError(t, os.Mkdir(www, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(www, "page"), []byte("nginx page\n"), 0o644))
	addr := StartNginx(t, files.ECDSACert, files.ECDSAKey, "root "+www+";")
	for _, tc := range versions {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: Roots(), ServerName: "127.0.0.1", MinVersion: tc.v, MaxVersion: tc.v})
			require.NoError(t, err)
			defer c.Close()
			_, err = io.WriteString(c, "GET /page HTTP/1.0\r\n\r\n")
			require.NoError(t, err)
			resp, err := io.ReadAll(c)
			require.NoError(t, err)
			require.Contains(t, string(resp), "HTTP/1.1 200 OK")
			require.Contains(t, string(resp), "\r\n\r\nnginx page\n")
			require.Equal(t, tc.v, c.ConnectionState().Version)
		})
	}
}

// TestWaitAcceptingExited: a server that exits before listening is
// reported at once with its exit error, which is put back for the cleanup.
func TestWaitAcceptingExited(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	exitErr := errors.New("exit status 1")
	exited := make(chan error, 1)
	exited <- exitErr
	err = waitAccepting(addr, exited)
	require.ErrorContains(t, err, "exited before accepting connections: exit status 1")
	require.Equal(t, exitErr, <-exited)
}
