package record_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/record"
)

// TestReaderBufferFollowsRecords: a Reader holds a small buffer while
// records are small, a large one for large records, and none once
// everything buffered was returned and Release was called (an idle
// connection).
func TestReaderBufferFollowsRecords(t *testing.T) {
	stream := seal(plain,
		msg{record.ApplicationData, pattern(100, 1)},
		msg{record.ApplicationData, pattern(record.MaxPlaintext, 2)},
		msg{record.ApplicationData, pattern(record.MaxPlaintext, 3)},
		msg{record.ApplicationData, pattern(10, 4)},
	)
	rd := record.NewReader(bytes.NewReader(stream))
	require.Zero(t, rd.BufferLenForTest(), "no buffer before the first read")

	rec, err := rd.ReadRecord()
	require.NoError(t, err)
	require.Equal(t, pattern(100, 1), rec.Payload)
	require.Equal(t, record.SmallBufSize, rd.BufferLenForTest(), "a small record, a small buffer")

	for i := range 2 {
		rec, err = rd.ReadRecord()
		require.NoError(t, err)
		require.Equal(t, pattern(record.MaxPlaintext, byte(2+i)), rec.Payload)
		require.Equal(t, record.ReadBufSize, rd.BufferLenForTest(), "a full record, the large buffer")
	}
	rec, err = rd.ReadRecord()
	require.NoError(t, err)
	require.Equal(t, pattern(10, 4), rec.Payload)
	rd.Release()
	require.Zero(t, rd.BufferLenForTest(), "nothing buffered: the buffer went back to its pool")
	_, err = rd.ReadRecord()
	require.ErrorIs(t, err, io.EOF)
}

// TestReaderReleaseKeepsBufferedBytes: Release gives nothing back while
// bytes of the next record are buffered.
func TestReaderReleaseKeepsBufferedBytes(t *testing.T) {
	stream := seal(plain, msg{record.ApplicationData, pattern(50, 1)}, msg{record.ApplicationData, pattern(60, 2)})
	rd := record.NewReader(bytes.NewReader(stream))
	_, err := rd.ReadRecord()
	require.NoError(t, err)
	rd.Release()
	require.Equal(t, record.SmallBufSize, rd.BufferLenForTest())
	rec, err := rd.ReadRecord()
	require.NoError(t, err)
	require.Equal(t, pattern(60, 2), rec.Payload)
}

// TestWriterLargeBufferReleased: a large Write borrows a pooled buffer,
// kept while writes are large and given back at the first small one; small
// Writes use the Writer's own small buffer.
func TestWriterLargeBufferReleased(t *testing.T) {
	w := record.NewWriter(io.Discard)
	_, err := w.Write(record.ApplicationData, pattern(100, 1))
	require.NoError(t, err)
	small := w.BufferCapForTest()
	require.Less(t, small, record.LargeWriteBuf)
	for range 2 {
		_, err = w.Write(record.ApplicationData, pattern(1<<20, 2))
		require.NoError(t, err)
		require.Equal(t, record.LargeWriteBuf, w.BufferCapForTest(), "large writes keep the large buffer")
	}
	p := pattern(64, 1)
	_, err = w.Write(record.ApplicationData, p)
	require.NoError(t, err)
	require.Equal(t, small, w.BufferCapForTest(), "the large buffer went back; the small one is the Writer's again")
	require.Zero(t, testing.AllocsPerRun(20, func() {
		if _, err := w.Write(record.ApplicationData, p); err != nil {
			panic(err)
		}
	}))
}

// TestReaderKeepsLargeBuffer: after a large record the Reader keeps its
// large buffer through Release, and gives it back after a small one.
func TestReaderKeepsLargeBuffer(t *testing.T) {
	stream := seal(plain, msg{record.ApplicationData, pattern(record.MaxPlaintext, 1)}, msg{record.ApplicationData, pattern(5, 2)})
	rd := record.NewReader(bytes.NewReader(stream))
	_, err := rd.ReadRecord()
	require.NoError(t, err)
	rd.Release()
	require.Equal(t, record.ReadBufSize, rd.BufferLenForTest())
	rec, err := rd.ReadRecord()
	require.NoError(t, err)
	require.Equal(t, pattern(5, 2), rec.Payload)
	rd.Release()
	require.Zero(t, rd.BufferLenForTest())
}
