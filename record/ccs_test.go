package record_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/record"
)

// A change_cipher_spec record is never deprotected: under a protected
// Opener it reaches the upper layer as sent, unprotected, without taking a
// sequence number, and the protected records around it still open.
func TestChangeCipherSpecPassesProtection(t *testing.T) {
	t.Parallel()
	x := xorCipher{key: 0x5a}
	var stream []byte
	stream = x.Seal(stream, record.Handshake, 0, []byte("before"))
	stream = record.Plaintext{}.Seal(stream, record.ChangeCipherSpec, 0, []byte{1})
	stream = x.Seal(stream, record.Handshake, 1, []byte("after"))
	rd := record.NewReader(bytes.NewReader(stream))
	rd.SetOpener(x)
	recs, err := readAll(t, rd)
	require.ErrorIs(t, err, io.EOF)
	require.Len(t, recs, 3)
	require.Equal(t, got{Header: record.Header{Type: record.ChangeCipherSpec, Version: record.VersionTLS12, Length: 1},
		Type: record.ChangeCipherSpec, Payload: []byte{1}, Seq: 1}, recs[1])
	require.Equal(t, "after", string(recs[2].Payload))
	require.True(t, recs[2].Protected)
	require.Equal(t, uint64(1), recs[2].Seq)

	// An empty one is still refused.
	empty := record.Plaintext{}.Seal(nil, record.ChangeCipherSpec, 0, nil)
	rd = record.NewReader(bytes.NewReader(empty))
	rd.SetOpener(x)
	_, err = rd.ReadRecord()
	requireAlert(t, err, alert.UnexpectedMessage)
}

// ReadRecordTo decrypts into the caller's buffer when it is large enough,
// and in place otherwise.
func TestReadRecordTo(t *testing.T) {
	t.Parallel()
	x := xorCipher{key: 0x33}
	payload := pattern(1000, 9)
	stream := seal(x, msg{record.ApplicationData, payload}, msg{record.ApplicationData, payload})
	rd := record.NewReader(bytes.NewReader(stream))
	rd.SetOpener(x)

	big := make([]byte, 2000)
	rec, err := rd.ReadRecordTo(big)
	require.NoError(t, err)
	require.Equal(t, payload, rec.Payload)
	require.Same(t, &big[0], &rec.Payload[0], "decrypted into dst")

	small := make([]byte, 10)
	rec, err = rd.ReadRecordTo(small)
	require.NoError(t, err)
	require.Equal(t, payload, rec.Payload)
	require.NotSame(t, &small[0], &rec.Payload[0], "too small: decrypted in place")
}

// OnRecord sees every record as it is sealed.
func TestWriterOnRecord(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	w := record.NewWriter(&out)
	w.SetSealer(xorCipher{key: 1})
	w.SetMaxFragment(100)
	type seen struct {
		h         record.Header
		inner     record.ContentType
		seq       uint64
		protected bool
	}
	var log []seen
	w.OnRecord = func(h record.Header, inner record.ContentType, seq uint64, protected bool) {
		log = append(log, seen{h, inner, seq, protected})
	}
	_, err := w.Write(record.Handshake, pattern(250, 0))
	require.NoError(t, err)
	require.Equal(t, []seen{
		{record.Header{Type: record.ApplicationData, Version: record.VersionTLS12, Length: 102}, record.Handshake, 0, true},
		{record.Header{Type: record.ApplicationData, Version: record.VersionTLS12, Length: 102}, record.Handshake, 1, true},
		{record.Header{Type: record.ApplicationData, Version: record.VersionTLS12, Length: 52}, record.Handshake, 2, true},
	}, log)
	require.Equal(t, xorCipher{key: 1}, w.Sealer())
}
