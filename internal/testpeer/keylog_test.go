package testpeer

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/handshake"
)

var (
	random1 = bytes.Repeat([]byte{0x11}, 32)
	random2 = bytes.Repeat([]byte{0x22}, 32)
	secretA = bytes.Repeat([]byte{0xaa}, 48)
)

// keyLine is a key log line written by our own handshake package.
func keyLine(t *testing.T, label string, random, secret []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, handshake.WriteKeyLog(&b, label, random, secret))
	return b.Bytes()
}

func TestKeyStoreParse(t *testing.T) {
	t.Parallel()
	line := keyLine(t, handshake.KeyLogLabelTLS12, random1, secretA)
	tests := []struct {
		name   string
		writes [][]byte
		want   []byte // the secret for random1, nil when none
	}{
		{"one line", [][]byte{line}, secretA},
		{"line split over writes", [][]byte{line[:7], line[7:40], line[40:]}, secretA},
		{"unterminated line", [][]byte{line[:len(line)-1]}, nil},
		{"comment", [][]byte{append([]byte("# "), line...)}, nil},
		{"other connection", [][]byte{keyLine(t, handshake.KeyLogLabelTLS12, random2, secretA)}, nil},
		{"bad hex", [][]byte{[]byte("CLIENT_RANDOM zz 00\n")}, nil},
		{"two fields", [][]byte{[]byte("CLIENT_RANDOM 00\n")}, nil},
		{"after a blank and a malformed line", [][]byte{[]byte("\ngarbage\n"), line}, secretA},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k := newKeyStore("")
			for _, w := range tc.writes {
				n, err := k.Write(w)
				require.NoError(t, err)
				require.Equal(t, len(w), n)
			}
			got, _ := k.lookup(handshake.KeyLogLabelTLS12, random1)
			require.Equal(t, tc.want, got)
		})
	}
}

// TestKeyStoreWait: a wait ends when the line arrives, or at its deadline
// with an error naming the secret.
func TestKeyStoreWait(t *testing.T) {
	t.Parallel()
	k := newKeyStore("")
	got := make(chan []byte, 1)
	ctx := waitCtx(t)
	go func() {
		s, _ := k.wait(ctx, handshake.KeyLogLabelServerHandshake, random1)
		got <- s
	}()
	_, err := k.Write(keyLine(t, handshake.KeyLogLabelServerHandshake, random1, secretA))
	require.NoError(t, err)
	require.Equal(t, secretA, <-got)

	short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = k.wait(short, handshake.KeyLogLabelClientHandshake, random1)
	require.ErrorIs(t, err, errNoSecret)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorContains(t, err, handshake.KeyLogLabelClientHandshake)
}

// TestKeyStoreFile follows a key log file that does not exist yet, then
// grows, as gnutls-serv's does.
func TestKeyStoreFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "keylog.txt")
	k := newKeyStore(path)
	t.Cleanup(func() { require.NoError(t, k.close()) })
	got := make(chan []byte, 1)
	ctx := waitCtx(t)
	go func() {
		s, _ := k.wait(ctx, handshake.KeyLogLabelClientTraffic, random2)
		got <- s
	}()
	require.NoError(t, os.WriteFile(path, []byte("# SSL/TLS secrets log file\n"), 0o600))
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	defer f.Close()
	line := keyLine(t, handshake.KeyLogLabelClientTraffic, random2, secretA)
	_, err = f.Write(line[:10])
	require.NoError(t, err)
	_, err = f.Write(line[10:])
	require.NoError(t, err)
	require.Equal(t, secretA, <-got, "the secret written to the file was never found")
}
