package fuzz_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
)

// FuzzAlert checks alert.Parse: a 2-byte body parses and marshals back to
// itself; any other length fails with decode_error, or unexpected_message
// for an empty TLS 1.3 body, and nothing else.
func FuzzAlert(f *testing.F) {
	for _, body := range [][]byte{nil, {1}, {1, 0}, {2, 40}, {2, 255}, {0, 0}, {9, 20}, {2, 40, 0}, {1, 0, 1, 0}} {
		f.Add(body, false)
		f.Add(body, true)
	}
	f.Fuzz(func(t *testing.T, body []byte, tls13 bool) {
		a, err := alert.Parse(body, tls13)
		if len(body) == 2 {
			require.NoError(t, err)
			require.Equal(t, body, a.Marshal())
			require.Equal(t, body, a.AppendTo(nil))
			return
		}
		require.Error(t, err)
		require.Zero(t, a)
		d, ok := alert.Of(err)
		require.True(t, ok, "error carries no alert: %v", err)
		if len(body) == 0 && tls13 {
			require.Equal(t, alert.UnexpectedMessage, d)
		} else {
			require.Equal(t, alert.DecodeError, d)
		}
	})
}
