package record_test

import (
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/record"
)

// loopReader replays data forever, in reads of at most size bytes.
type loopReader struct {
	data []byte
	off  int
	size int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p[:min(len(p), l.size)], l.data[l.off:])
	l.off = (l.off + n) % len(l.data)
	return n, nil
}

// cyclicStream is 256 records sealed under sequence numbers 0..255: xorCipher
// binds only the low byte of the number, so replaying it forever keeps
// opening.
func cyclicStream(s record.Sealer, size int) []byte {
	msgs := repeat(256, msg{record.ApplicationData, pattern(size, 5)})
	return seal(s, msgs...)
}

// TestZeroAllocs pins the steady-state record path at zero allocations.
func TestZeroAllocs(t *testing.T) {
	for _, prot := range []struct {
		name string
		s    record.Sealer
		o    record.Opener
	}{{"plaintext", plain, plain}, {"xor", xorCipher{key: 3}, xorCipher{key: 3}}} {
		for _, size := range []int{64, record.MaxPlaintext, 100_000} {
			payload := pattern(size, 1)
			w := record.NewWriter(io.Discard)
			w.SetSealer(prot.s)
			write := func() {
				_, err := w.Write(record.ApplicationData, payload)
				require.NoError(t, err)
			}
			write() // the first Write sizes the buffer
			require.Zero(t, testing.AllocsPerRun(100, write), "%s Write %d", prot.name, size)
		}
		w := record.NewWriter(io.Discard)
		w.SetSealer(prot.s)
		next := func() {
			n := copy(w.Next(), "in place")
			if err := w.SealNext(record.ApplicationData, n); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		next() // the first Next sizes the buffer
		require.Zero(t, testing.AllocsPerRun(100, next), "%s Next, SealNext, Flush", prot.name)
		for _, size := range []int{64, record.MaxPlaintext} {
			for _, chunk := range []int{1 << 20, 1000} {
				rd := record.NewReader(&loopReader{data: cyclicStream(prot.s, size), size: chunk})
				rd.SetOpener(prot.o)
				read := func() {
					rec, err := rd.ReadRecord()
					if err != nil || len(rec.Payload) != size {
						t.Fatalf("ReadRecord: %d bytes, %v", len(rec.Payload), err)
					}
				}
				read() // the first ReadRecord allocates the buffer
				require.Zero(t, testing.AllocsPerRun(1000, read), "%s ReadRecord %d in chunks of %d", prot.name, size, chunk)
			}
		}
	}
}
