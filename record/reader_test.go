package record_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/record"
)

// mixedStream returns records of every type and of sizes from 0 to
// MaxPlaintext, so that chunk boundaries fall everywhere: in headers, in
// fragments, on record boundaries.
func mixedStream(s record.Sealer) ([]byte, []msg) {
	msgs := []msg{
		hsMsg,
		{record.ChangeCipherSpec, []byte{1}},
		{record.ApplicationData, nil},
		{record.ApplicationData, pattern(1, 9)},
		{record.ApplicationData, pattern(record.MaxPlaintext, 1)},
		{record.Alert, []byte{1, 0}},
		{record.ApplicationData, pattern(4000, 2)},
		{record.Handshake, pattern(record.MaxPlaintext-1, 3)},
		{record.ApplicationData, pattern(record.MaxPlaintext, 4)},
		{record.ApplicationData, pattern(record.MaxPlaintext, 5)},
		{record.Heartbeat, pattern(3, 6)},
		{record.ApplicationData, pattern(17, 7)},
	}
	return seal(s, msgs...), msgs
}

// timeoutErr is a recoverable transport error, like a read deadline.
var errTimeout = fmt.Errorf("test read: %w", os.ErrDeadlineExceeded)

func TestReaderChunking(t *testing.T) {
	t.Parallel()
	for _, prot := range []struct {
		name string
		s    record.Sealer
		o    record.Opener
	}{{"plaintext", plain, plain}, {"xor", xorCipher{key: 0x33}, xorCipher{key: 0x33}}} {
		data, msgs := mixedStream(prot.s)
		read := func(t *testing.T, src io.Reader) []got {
			t.Helper()
			rd := record.NewReader(src)
			rd.SetOpener(prot.o)
			recs, err := readAll(t, rd)
			require.Equal(t, io.EOF, err)
			return recs
		}
		want := read(t, bytes.NewReader(data))
		require.Len(t, want, len(msgs))
		for i, m := range msgs {
			require.Equal(t, m.typ, want[i].Type)
			require.Equal(t, string(m.body), string(want[i].Payload))
			require.Equal(t, uint64(i), want[i].Seq)
			require.Equal(t, prot.o.Protected(), want[i].Protected)
		}

		sources := map[string]func() io.Reader{
			"OneByteReader":  func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data)) },
			"HalfReader":     func() io.Reader { return iotest.HalfReader(bytes.NewReader(data)) },
			"DataErrReader":  func() io.Reader { return iotest.DataErrReader(bytes.NewReader(data)) },
			"TimeoutReader":  func() io.Reader { return iotest.TimeoutReader(bytes.NewReader(data)) },
			"stalls":         func() io.Reader { return &chunkReader{data: data, size: 1000, stall: true} },
			"eof-with-data":  func() io.Reader { return &chunkReader{data: data, size: 333, eofWithData: true} },
			"eof-whole-data": func() io.Reader { return &chunkReader{data: data, size: len(data), eofWithData: true} },
		}
		for _, size := range []int{1, 2, 3, 5, 7, 11, 13, 64, 1000, 4096, record.HeaderLen + record.MaxPlaintext, 20000, len(data)} {
			sources[fmt.Sprintf("chunk-%d", size)] = func() io.Reader { return &chunkReader{data: data, size: size} }
		}
		for name, src := range sources {
			t.Run(prot.name+"/"+name, func(t *testing.T) {
				t.Parallel()
				require.Equal(t, want, read(t, src()))
			})
		}
	}
}

func TestReaderBuffered(t *testing.T) {
	t.Parallel()
	data := seal(plain, hsMsg, hsMsg, msg{record.ApplicationData, pattern(50, 1)})
	rd := record.NewReader(bytes.NewReader(data))
	require.Zero(t, rd.Buffered())
	left := len(data)
	for range 3 {
		rec, err := rd.ReadRecord()
		require.NoError(t, err)
		left -= record.HeaderLen + rec.Header.Length
		require.Equal(t, left, rd.Buffered(), "one Read brought in the whole stream")
	}
	_, err := rd.ReadRecord()
	require.Equal(t, io.EOF, err)

	// One byte at a time, nothing is read ahead.
	rd = record.NewReader(iotest.OneByteReader(bytes.NewReader(data)))
	_, err = rd.ReadRecord()
	require.NoError(t, err)
	require.Zero(t, rd.Buffered())
}

// scriptReader returns its steps in order, then io.EOF.
type scriptReader struct{ steps []step }

type step struct {
	data []byte
	err  error
}

func (s *scriptReader) Read(p []byte) (int, error) {
	if len(s.steps) == 0 {
		return 0, io.EOF
	}
	st := &s.steps[0]
	n := copy(p, st.data)
	st.data = st.data[n:]
	if len(st.data) > 0 {
		return n, nil
	}
	s.steps = s.steps[1:]
	return n, st.err
}

func TestReaderTimeoutMidRecord(t *testing.T) {
	t.Parallel()
	data := seal(plain, hsMsg, msg{record.ApplicationData, pattern(300, 1)})
	first := record.HeaderLen + len(hsMsg.body)
	tests := []struct {
		name  string
		steps []step
	}{
		{"timeout without data", []step{{data[:first+100], nil}, {nil, errTimeout}, {data[first+100:], nil}}},
		{"timeout with data", []step{{data[:first+100], errTimeout}, {data[first+100:], nil}}},
		{"timeout in header", []step{{data[:first+2], nil}, {nil, errTimeout}, {nil, errTimeout}, {data[first+2:], nil}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rd := record.NewReader(&scriptReader{steps: tt.steps})
			rec, err := rd.ReadRecord()
			require.NoError(t, err)
			require.Equal(t, hsMsg.body, rec.Payload)

			_, err = rd.ReadRecord()
			require.ErrorIs(t, err, os.ErrDeadlineExceeded)
			_, hasAlert := alert.Of(err)
			require.False(t, hasAlert)
			require.Positive(t, rd.Buffered(), "the partial record stays buffered")
			for errors.Is(err, os.ErrDeadlineExceeded) {
				_, err = rd.ReadRecord()
				require.True(t, err == nil || errors.Is(err, os.ErrDeadlineExceeded), "got %v", err)
			}
			_, err = rd.ReadRecord()
			require.Equal(t, io.EOF, err)
			require.Equal(t, uint64(2), rd.Seq())
		})
	}
}

func TestReaderTransportErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	rd := record.NewReader(&scriptReader{steps: []step{{nil, boom}, {seal(plain, hsMsg), io.EOF}}})
	_, err := rd.ReadRecord()
	require.Same(t, boom, err, "transport errors are returned as they are")
	rec, err := rd.ReadRecord()
	require.NoError(t, err, "and are not sticky")
	require.Equal(t, hsMsg.body, rec.Payload)
	_, err = rd.ReadRecord()
	require.Equal(t, io.EOF, err)

	// A transport that never makes progress.
	rd = record.NewReader(iotest.ErrReader(nil))
	_, err = rd.ReadRecord()
	require.Equal(t, io.ErrNoProgress, err)
}

func TestReaderSeqOverflow(t *testing.T) {
	t.Parallel()
	data := seal(plain, hsMsg, hsMsg, hsMsg)
	rd := record.NewReader(bytes.NewReader(data))
	rd.SetSeqForTest(math.MaxUint64 - 1)
	rec, err := rd.ReadRecord()
	require.NoError(t, err)
	require.Equal(t, uint64(math.MaxUint64-1), rec.Seq)
	require.Equal(t, uint64(math.MaxUint64), rd.Seq())

	_, err = rd.ReadRecord()
	require.Same(t, record.ErrSeqOverflow, err)
	requireAlert(t, err, alert.InternalError)
	_, err = rd.ReadRecord()
	require.Same(t, record.ErrSeqOverflow, err, "sticky")

	// New keys restart the count; the record that was refused is still there.
	rd.SetOpener(plain)
	for seq := range uint64(2) {
		rec, err = rd.ReadRecord()
		require.NoError(t, err)
		require.Equal(t, seq, rec.Seq)
	}
}

func TestReaderSetOpenerMidStream(t *testing.T) {
	t.Parallel()
	x := xorCipher{key: 0x42}
	data := append(seal(plain, hsMsg, hsMsg), seal(x, msg{record.Handshake, []byte("encrypted")}, msg{record.ApplicationData, []byte("data")})...)
	rd := record.NewReader(bytes.NewReader(data))
	for range 2 {
		rec, err := rd.ReadRecord()
		require.NoError(t, err)
		require.False(t, rec.Protected)
	}
	require.Positive(t, rd.Buffered(), "protected records were read ahead")
	rd.SetOpener(x)
	require.Zero(t, rd.Seq())
	rec, err := rd.ReadRecord()
	require.NoError(t, err)
	require.Equal(t, got{record.Header{record.ApplicationData, record.VersionTLS12, 11}, record.Handshake, []byte("encrypted"), 0, true}, copyRecord(rec))
	rec, err = rd.ReadRecord()
	require.NoError(t, err)
	require.Equal(t, "data", string(rec.Payload))
	require.Equal(t, uint64(1), rec.Seq)
}

// growOpener accepts fragments up to 0xffff bytes, more than the default
// buffer holds, so the Reader must grow it, keeping what it buffered.
type growOpener struct{ record.Plaintext }

func (growOpener) MaxFragment() int { return 1 << 20 } // clamped to 0xffff

func (growOpener) Open(dst []byte, _ uint64, rec []byte) (record.ContentType, []byte, error) {
	return record.ParseHeader(rec).Type, rec[record.HeaderLen:], nil
}

func TestReaderGrowsForOpener(t *testing.T) {
	t.Parallel()
	big := pattern(0xffff, 8)
	data := append(seal(plain, hsMsg), record.Header{record.ApplicationData, record.VersionTLS12, len(big)}.AppendTo(nil)...)
	data = append(data, big...)
	rd := record.NewReader(&chunkReader{data: data, size: 7000})
	_, err := rd.ReadRecord()
	require.NoError(t, err)
	rd.SetOpener(growOpener{})
	rec, err := rd.ReadRecord()
	require.NoError(t, err)
	require.Equal(t, big, rec.Payload)
}

// A first record of an unknown type is a NotTLSError carrying the header
// (a plaintext HTTP server's "HTTP/"); a later one is an ordinary
// unexpected_message.
func TestReaderFirstRecordNotTLS(t *testing.T) {
	t.Parallel()
	rd := record.NewReader(bytes.NewReader([]byte("HTTP/1.1 400 Bad Request\r\n\r\n")))
	_, err := rd.ReadRecord()
	var notTLS *record.NotTLSError
	require.ErrorAs(t, err, &notTLS)
	require.Equal(t, "HTTP/", string(notTLS.Header[:]))
	requireAlert(t, err, alert.UnexpectedMessage)
	require.EqualError(t, err, "tls: first record does not look like a TLS handshake (unexpected_message)")

	rd = record.NewReader(bytes.NewReader(append(seal(plain, hsMsg), "HTTP/1.1 400"...)))
	_, err = rd.ReadRecord()
	require.NoError(t, err)
	_, err = rd.ReadRecord()
	requireAlert(t, err, alert.UnexpectedMessage)
	require.False(t, errors.As(err, &notTLS), "only the first record gets the not-TLS diagnosis")
}

// RequireVersion: once set, a record with another legacy_record_version
// fails with protocol_version before its fragment is buffered; before, any
// version passes (TLS 1.3 ignores it).
func TestReaderRequireVersion(t *testing.T) {
	t.Parallel()
	other := record.Header{Type: record.ApplicationData, Version: record.VersionTLS10, Length: 1 << 14}.AppendTo(nil)
	stream := append(seal(plain, hsMsg), other...) // the fragment never arrives
	rd := record.NewReader(bytes.NewReader(stream))
	_, err := rd.ReadRecord()
	require.NoError(t, err)
	rd.RequireVersion(record.VersionTLS12)
	_, err = rd.ReadRecord()
	requireAlert(t, err, alert.ProtocolVersion)

	rd = record.NewReader(bytes.NewReader(append(other, make([]byte, 1<<14)...)))
	_, err = rd.ReadRecord()
	require.NoError(t, err, "not checked unless required")
}
