package record_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/record"
)

func TestHeaderRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		h    record.Header
		wire []byte
	}{
		{record.Header{record.Handshake, record.VersionTLS10, 0}, []byte{22, 3, 1, 0, 0}},
		{record.Header{record.ApplicationData, record.VersionTLS12, 300}, []byte{23, 3, 3, 1, 44}},
		{record.Header{record.ChangeCipherSpec, record.VersionTLS13, 1}, []byte{20, 3, 4, 0, 1}},
		{record.Header{record.Alert, 0xfeff, 0xffff}, []byte{21, 0xfe, 0xff, 0xff, 0xff}},
		{record.Header{record.ContentType(0), 0, record.MaxCiphertextTLS12}, []byte{0, 0, 0, 0x48, 0x00}},
	}
	for _, tt := range tests {
		t.Run(tt.h.Type.String(), func(t *testing.T) {
			t.Parallel()
			b := tt.h.AppendTo([]byte{0xaa})
			require.Equal(t, append([]byte{0xaa}, tt.wire...), b)
			require.Equal(t, tt.h, record.ParseHeader(b[1:]))
			// Bytes after the header are not looked at.
			require.Equal(t, tt.h, record.ParseHeader(append(b[1:], 9, 9)))
		})
	}
}

func TestContentType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ   record.ContentType
		name  string
		known bool
	}{
		{0, "content_type(0)", false},
		{19, "content_type(19)", false},
		{record.ChangeCipherSpec, "change_cipher_spec", true},
		{record.Alert, "alert", true},
		{record.Handshake, "handshake", true},
		{record.ApplicationData, "application_data", true},
		{record.Heartbeat, "heartbeat", true},
		{25, "content_type(25)", false},
		{255, "content_type(255)", false},
	}
	for _, tt := range tests {
		require.Equal(t, tt.name, tt.typ.String())
		require.Equal(t, tt.known, tt.typ.Known(), tt.name)
	}
}

func TestPlaintextRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		p       record.Plaintext
		typ     record.ContentType
		payload []byte
		wantVer uint16
	}{
		{"default version", record.Plaintext{}, record.Handshake, []byte{1, 0, 0, 0}, record.VersionTLS12},
		{"tls10 version", record.Plaintext{Version: record.VersionTLS10}, record.Handshake, []byte{1, 2, 3}, record.VersionTLS10},
		{"empty", record.Plaintext{}, record.ApplicationData, nil, record.VersionTLS12},
		{"max", record.Plaintext{}, record.ApplicationData, pattern(record.MaxPlaintext, 3), record.VersionTLS12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := tt.p.Seal([]byte("prefix"), tt.typ, 42, tt.payload)
			require.Equal(t, []byte("prefix"), rec[:6])
			rec = rec[6:]
			require.Equal(t, record.Header{tt.typ, tt.wantVer, len(tt.payload)}, record.ParseHeader(rec))
			require.Len(t, rec, record.HeaderLen+len(tt.payload))

			typ, got, err := tt.p.Open(nil, 7, rec)
			require.NoError(t, err)
			require.Equal(t, tt.typ, typ)
			require.Equal(t, string(tt.payload), string(got))
			if len(got) > 0 {
				require.Same(t, &rec[record.HeaderLen], &got[0], "dst == nil opens in place")
			}

			typ, got, err = tt.p.Open([]byte("x"), 7, rec)
			require.NoError(t, err)
			require.Equal(t, tt.typ, typ)
			require.Equal(t, "x"+string(tt.payload), string(got))
		})
	}
	var p record.Plaintext
	require.Zero(t, p.Overhead())
	require.False(t, p.Protected())
	require.Equal(t, record.MaxPlaintext, p.MaxFragment())
}

func TestPlaintextOpenMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		rec       []byte
		wantAlert alert.Description
	}{
		{"shorter than header", []byte{22, 3, 3, 0}, alert.InternalError},
		{"fragment shorter than length", []byte{22, 3, 3, 0, 2, 1}, alert.InternalError},
		{"fragment longer than length", []byte{22, 3, 3, 0, 0, 1}, alert.InternalError},
		{"over 2^14", record.Plaintext{}.Seal(nil, record.ApplicationData, 0, make([]byte, record.MaxPlaintext+1)), alert.RecordOverflow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := record.Plaintext{}.Open(nil, 0, tt.rec)
			requireAlert(t, err, tt.wantAlert)
		})
	}
}
