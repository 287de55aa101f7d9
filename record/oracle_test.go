package record_test

import (
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/record"
)

// TestGopacketOracle checks the Writer's headers against gopacket's TLS
// decoder. The decoder checks little beyond headers, so it is
// used one way, for types, versions and lengths only.
func TestGopacketOracle(t *testing.T) {
	t.Parallel()
	var out countingWriter
	w := record.NewWriter(&out)
	w.SetSealer(record.Plaintext{Version: record.VersionTLS10})
	_, err := w.Seal(record.Handshake, pattern(300, 1))
	require.NoError(t, err)
	w.SetSealer(record.Plaintext{})
	_, err = w.Seal(record.ChangeCipherSpec, []byte{1})
	require.NoError(t, err)
	_, err = w.Seal(record.Alert, []byte{1, 0})
	require.NoError(t, err)
	w.SetMaxFragment(1000)
	_, err = w.Write(record.ApplicationData, pattern(2100, 2))
	require.NoError(t, err)

	var tls layers.TLS
	require.NoError(t, tls.DecodeFromBytes(out.Bytes(), gopacket.NilDecodeFeedback))

	require.Len(t, tls.Handshake, 1)
	require.Equal(t, layers.TLSHandshake, tls.Handshake[0].ContentType)
	require.Equal(t, layers.TLSVersion(record.VersionTLS10), tls.Handshake[0].Version)
	require.Equal(t, uint16(300), tls.Handshake[0].Length)

	require.Len(t, tls.ChangeCipherSpec, 1)
	require.Equal(t, layers.TLSChangeCipherSpec, tls.ChangeCipherSpec[0].ContentType)
	require.Equal(t, layers.TLSVersion(record.VersionTLS12), tls.ChangeCipherSpec[0].Version)
	require.Equal(t, layers.TLSChangecipherspecMessage, tls.ChangeCipherSpec[0].Message)

	require.Len(t, tls.Alert, 1)
	require.Equal(t, uint16(2), tls.Alert[0].Length)
	require.Equal(t, layers.TLSAlertWarning, tls.Alert[0].Level)
	require.Equal(t, layers.TLSAlertCloseNotify, tls.Alert[0].Description)

	var lens []uint16
	for _, r := range tls.AppData {
		require.Equal(t, layers.TLSApplicationData, r.ContentType)
		require.Equal(t, layers.TLSVersion(record.VersionTLS12), r.Version)
		lens = append(lens, r.Length)
	}
	require.Equal(t, []uint16{1000, 1000, 100}, lens)
	require.Len(t, out.writes, 1, "the flight and the data went out in one write")
}
