package record_test

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/record"
)

// countingWriter records the size of every transport write, and the
// slices themselves: they alias the Writer's buffer, so a test can see where
// in it a record was sealed.
type countingWriter struct {
	bytes.Buffer
	writes []int
	slices [][]byte
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.writes = append(c.writes, len(p))
	c.slices = append(c.slices, p)
	return c.Buffer.Write(p)
}

// parseRecords splits a stream into its records' headers and fragments.
func parseRecords(t *testing.T, b []byte) []record.Header {
	t.Helper()
	var hs []record.Header
	for len(b) > 0 {
		require.GreaterOrEqual(t, len(b), record.HeaderLen)
		h := record.ParseHeader(b)
		require.GreaterOrEqual(t, len(b), record.HeaderLen+h.Length)
		hs = append(hs, h)
		b = b[record.HeaderLen+h.Length:]
	}
	return hs
}

func TestWriterFragmentation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		maxFrag int // 0: leave the default
		n       int
		want    []int
	}{
		{"empty payload is one empty record", 0, 0, []int{0}},
		{"one byte", 0, 1, []int{1}},
		{"exactly max", 0, record.MaxPlaintext, []int{record.MaxPlaintext}},
		{"max plus one", 0, record.MaxPlaintext + 1, []int{record.MaxPlaintext, 1}},
		{"three fragments", 1000, 2500, []int{1000, 1000, 500}},
		{"fragment of one", 1, 3, []int{1, 1, 1}},
		{"exact multiple", 512, 1024, []int{512, 512}},
		{"below 1 clamps to 1", -5, 2, []int{1, 1}},
		{"above max clamps to max", 1 << 20, record.MaxPlaintext + 2, []int{record.MaxPlaintext, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out countingWriter
			w := record.NewWriter(&out)
			if tt.maxFrag != 0 {
				w.SetMaxFragment(tt.maxFrag)
			}
			payload := pattern(tt.n, 1)
			n, err := w.Write(record.ApplicationData, payload)
			require.NoError(t, err)
			require.Equal(t, tt.n, n)
			require.Zero(t, w.Pending())
			require.Equal(t, uint64(len(tt.want)), w.Seq())

			var lens []int
			for _, h := range parseRecords(t, out.Bytes()) {
				require.Equal(t, record.ApplicationData, h.Type)
				require.Equal(t, record.VersionTLS12, h.Version)
				lens = append(lens, h.Length)
			}
			require.Equal(t, tt.want, lens)

			recs, err := readAll(t, record.NewReader(bytes.NewReader(out.Bytes())))
			require.Equal(t, io.EOF, err)
			var joined []byte
			for _, r := range recs {
				joined = append(joined, r.Payload...)
			}
			require.Equal(t, string(payload), string(joined))
		})
	}
}

// TestWriterBatching pins the number of transport writes: a 1 MiB Write is
// 64 full records sealed 16 at a time, so 4 writes, not 64.
func TestWriterBatching(t *testing.T) {
	t.Parallel()
	for _, s := range []record.Sealer{plain, xorCipher{key: 1}} {
		var out countingWriter
		w := record.NewWriter(&out)
		w.SetSealer(s)
		payload := pattern(1<<20, 2)
		n, err := w.Write(record.ApplicationData, payload)
		require.NoError(t, err)
		require.Equal(t, len(payload), n)
		require.Len(t, out.writes, (1<<20/record.MaxPlaintext)/record.WriteBatch)
		per := record.WriteBatch * (record.HeaderLen + record.MaxPlaintext + s.Overhead())
		for _, size := range out.writes {
			require.Equal(t, per, size)
		}
		require.Equal(t, uint64(64), w.Seq())
	}
}

// flakyWriter fails the writes listed in fail: write i takes fail[i] bytes
// (at most what it is given) and returns errTimeout. Other writes succeed.
type flakyWriter struct {
	bytes.Buffer
	fail  map[int]int
	calls int
}

func (f *flakyWriter) Write(p []byte) (int, error) {
	defer func() { f.calls++ }()
	if n, ok := f.fail[f.calls]; ok {
		n = min(n, len(p))
		f.Buffer.Write(p[:n])
		return n, errTimeout
	}
	return f.Buffer.Write(p)
}

func TestWriterPartialFailure(t *testing.T) {
	t.Parallel()
	x := xorCipher{key: 0x77}
	out := &flakyWriter{fail: map[int]int{0: 1000, 1: 0, 2: 12345, 4: 3}}
	w := record.NewWriter(out)
	cs := &countingSealer{inner: x}
	w.SetSealer(cs)

	var sent []byte
	write := func(payload []byte) (int, error) {
		sealedBefore := len(cs.seqs)
		n, err := w.Write(record.ApplicationData, payload)
		if n == 0 && err != nil {
			require.Len(t, cs.seqs, sealedBefore, "nothing is sealed while old bytes are stuck")
		}
		sent = append(sent, payload[:n]...)
		return n, err
	}

	// Call 0 takes 1000 bytes and times out: all 7 records were sealed.
	p1 := pattern(100_000, 1)
	n, err := write(p1)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	require.Equal(t, len(p1), n)
	require.Equal(t, 7*(record.HeaderLen+xorOverhead)+len(p1)-1000, w.Pending())

	// Call 1 takes nothing: the retry of old bytes fails, nothing new.
	n, err = write(pattern(10, 2))
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	require.Zero(t, n)

	// Call 2 takes 12345 more and fails again; Flush retries.
	require.ErrorIs(t, w.Flush(), os.ErrDeadlineExceeded)
	// Call 3 sends the rest of the old records.
	require.NoError(t, w.Flush())
	require.Zero(t, w.Pending())

	// Call 4 fails 3 bytes into a new record, call 5 sends its rest first.
	n, err = write(pattern(20, 3))
	require.Error(t, err)
	require.Equal(t, 20, n)
	n, err = write(pattern(30_000, 4))
	require.NoError(t, err)
	require.Equal(t, 30_000, n)
	require.Zero(t, w.Pending())

	// Every record was sealed once, under consecutive numbers, and the
	// Reader (whose opener checks each record's number) sees them in order.
	require.Len(t, cs.seqs, int(w.Seq()))
	for i, s := range cs.seqs {
		require.Equal(t, uint64(i), s)
	}
	rd := record.NewReader(bytes.NewReader(out.Bytes()))
	rd.SetOpener(x)
	recs, err := readAll(t, rd)
	require.Equal(t, io.EOF, err)
	require.Len(t, recs, len(cs.seqs))
	var joined []byte
	for _, r := range recs {
		joined = append(joined, r.Payload...)
	}
	require.Equal(t, sent, joined)
}

func TestWriterSealAndFlush(t *testing.T) {
	t.Parallel()
	var out countingWriter
	w := record.NewWriter(&out)
	w.SetMaxFragment(100)
	for _, m := range []msg{hsMsg, {record.Handshake, pattern(250, 1)}, {record.ChangeCipherSpec, []byte{1}}} {
		n, err := w.Seal(m.typ, m.body)
		require.NoError(t, err)
		require.Equal(t, len(m.body), n)
	}
	require.Empty(t, out.writes, "Seal sends nothing")
	require.Equal(t, 5*record.HeaderLen+len(hsMsg.body)+250+1, w.Pending())
	require.Equal(t, uint64(5), w.Seq())

	// Keys change with the flight still pending: it goes first, as sealed.
	x := xorCipher{key: 9}
	w.SetSealer(x)
	require.Zero(t, w.Seq())
	_, err := w.Write(record.ApplicationData, []byte("hello"))
	require.NoError(t, err)
	require.Len(t, out.writes, 1, "the flight and the new record share one write")
	require.Zero(t, w.Pending())

	rd := record.NewReader(bytes.NewReader(out.Bytes()))
	recs := make([]got, 0, 6)
	for range 5 {
		rec, err := rd.ReadRecord()
		require.NoError(t, err)
		recs = append(recs, copyRecord(rec))
	}
	require.Equal(t, record.ChangeCipherSpec, recs[4].Type)
	rd.SetOpener(x)
	rec, err := rd.ReadRecord()
	require.NoError(t, err)
	require.Equal(t, "hello", string(rec.Payload))
	require.NoError(t, w.Flush(), "flushing nothing is fine")
	require.Len(t, out.writes, 1)
}

func TestWriterSeqOverflow(t *testing.T) {
	t.Parallel()
	var out countingWriter
	w := record.NewWriter(&out)
	w.SetMaxFragment(10)
	w.SetSeqForTest(math.MaxUint64 - 1)
	n, err := w.Write(record.ApplicationData, pattern(25, 1))
	require.Same(t, record.ErrSeqOverflow, err)
	requireAlert(t, err, alert.InternalError)
	require.Equal(t, 10, n, "one record fitted before the limit")
	require.Len(t, parseRecords(t, out.Bytes()), 1, "and it was sent")
	require.Equal(t, uint64(math.MaxUint64), w.Seq())

	n, err = w.Write(record.ApplicationData, []byte{1})
	require.Same(t, record.ErrSeqOverflow, err)
	require.Zero(t, n)
	n, err = w.Seal(record.Alert, []byte{2, 0})
	require.Same(t, record.ErrSeqOverflow, err)
	require.Zero(t, n)

	w.SetSealer(plain)
	n, err = w.Write(record.ApplicationData, []byte{1})
	require.NoError(t, err)
	require.Equal(t, 1, n)
}

// TestWriterSeqOverflowAndTransportError: when both happen, both are reported.
func TestWriterSeqOverflowAndTransportError(t *testing.T) {
	t.Parallel()
	w := record.NewWriter(&flakyWriter{fail: map[int]int{0: 2}})
	w.SetSeqForTest(math.MaxUint64 - 1)
	n, err := w.Write(record.ApplicationData, pattern(record.MaxPlaintext+1, 1))
	require.Equal(t, record.MaxPlaintext, n)
	require.ErrorIs(t, err, record.ErrSeqOverflow)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	requireAlert(t, err, alert.InternalError)
}

type zeroWriter struct{}

func (zeroWriter) Write([]byte) (int, error) { return 0, nil }

func TestWriterShortWrite(t *testing.T) {
	t.Parallel()
	w := record.NewWriter(zeroWriter{})
	n, err := w.Write(record.Handshake, hsMsg.body)
	require.Equal(t, len(hsMsg.body), n)
	require.True(t, errors.Is(err, io.ErrShortWrite))
	require.Equal(t, record.HeaderLen+len(hsMsg.body), w.Pending())
}

// TestWriterNext checks that records made through Next and SealNext are the
// records Write makes of the same payloads, whether sealed one by one or
// several before a Flush, and that an InPlaceSealer seals each where its
// area lies: the record's content starts at the area's first byte. A
// Sealer that cannot seal in place gets the same records through a copy.
func TestWriterNext(t *testing.T) {
	t.Parallel()
	for _, prot := range []struct {
		name    string
		s       record.Sealer
		inPlace bool
	}{{"plaintext", plain, true}, {"xor (no ContentOffset)", xorCipher{key: 5}, false}} {
		for _, maxFrag := range []int{record.MaxPlaintext, 100} {
			for _, batched := range []bool{false, true} {
				var out countingWriter
				w := record.NewWriter(&out)
				w.SetSealer(prot.s)
				w.SetMaxFragment(maxFrag)
				var want bytes.Buffer
				ref := record.NewWriter(&want)
				ref.SetSealer(prot.s)

				sizes := []int{0, 1, maxFrag, maxFrag / 2}
				for i, n := range sizes {
					area := w.Next()
					require.Len(t, area, maxFrag, "%s: the area is one fragment", prot.name)
					require.Equal(t, maxFrag, cap(area), "%s: appending past the area cannot reach the record", prot.name)
					payload := pattern(n, byte(i))
					copy(area, payload)
					require.NoError(t, w.SealNext(record.Handshake, n))
					_, err := ref.Seal(record.Handshake, payload)
					require.NoError(t, err)
					if batched {
						continue
					}
					require.NoError(t, w.Flush())
					if prot.inPlace && n > 0 {
						sent := out.slices[len(out.slices)-1]
						require.Same(t, &area[0], &sent[record.Plaintext{}.ContentOffset()],
							"%s: record %d was sealed where its area was", prot.name, i)
					}
				}
				require.Equal(t, uint64(len(sizes)), w.Seq())
				if batched {
					require.Equal(t, ref.Pending(), w.Pending(), "%s: nothing is sent before Flush", prot.name)
					require.NoError(t, w.Flush())
					require.Len(t, out.writes, 1, "four records, one transport write")
				}
				require.NoError(t, ref.Flush())
				require.Equal(t, want.Bytes(), out.Bytes(), "%s, max fragment %d", prot.name, maxFrag)
			}
		}
	}
}

// TestWriterNextMisuse: SealNext refuses, with an internal_error and
// without sealing anything, when its area is gone or n does not fit.
func TestWriterNextMisuse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		before func(w *record.Writer) // called between Next and SealNext
		n      int
	}{
		{"no Next", nil, 1},
		{"Write since Next", func(w *record.Writer) { w.Write(record.ApplicationData, []byte{1}) }, 1},
		{"Seal since Next", func(w *record.Writer) { w.Seal(record.ApplicationData, []byte{1}) }, 1},
		{"Flush since Next", func(w *record.Writer) { w.Flush() }, 1},
		{"SetSealer since Next", func(w *record.Writer) { w.SetSealer(plain) }, 1},
		{"SetMaxFragment since Next", func(w *record.Writer) { w.SetMaxFragment(10) }, 1},
		{"n beyond the area", func(*record.Writer) {}, record.MaxPlaintext + 1},
		{"negative n", func(*record.Writer) {}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			w := record.NewWriter(&out)
			if tt.before != nil {
				w.Next()
				tt.before(w)
			}
			pending, seq := w.Pending(), w.Seq()
			err := w.SealNext(record.ApplicationData, tt.n)
			requireAlert(t, err, alert.InternalError)
			require.Equal(t, pending, w.Pending(), "nothing sealed")
			require.Equal(t, seq, w.Seq(), "no sequence number used")
			requireAlert(t, w.SealNext(record.ApplicationData, 0), alert.InternalError)
		})
	}
}

// TestWriterNextSeqOverflow: the last sequence number is refused as by
// Write, and the area stays unsealed.
func TestWriterNextSeqOverflow(t *testing.T) {
	t.Parallel()
	w := record.NewWriter(&bytes.Buffer{})
	w.SetSeqForTest(math.MaxUint64)
	w.Next()
	err := w.SealNext(record.ApplicationData, 1)
	require.Same(t, record.ErrSeqOverflow, err)
	require.Zero(t, w.Pending())
}

// TestWriterNextAfterFailure: records sealed before a failed transport
// write go out first, then the ones made through Next, in order.
func TestWriterNextAfterFailure(t *testing.T) {
	t.Parallel()
	x := xorCipher{key: 0x33}
	out := &flakyWriter{fail: map[int]int{0: 7}}
	w := record.NewWriter(out)
	w.SetSealer(x)
	first := pattern(3000, 1)
	n, err := w.Write(record.ApplicationData, first)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	require.Equal(t, len(first), n)

	second := pattern(500, 2)
	copy(w.Next(), second)
	require.NoError(t, w.SealNext(record.ApplicationData, len(second)))
	require.NoError(t, w.Flush())

	rd := record.NewReader(bytes.NewReader(out.Bytes()))
	rd.SetOpener(x)
	recs, err := readAll(t, rd)
	require.ErrorIs(t, err, io.EOF)
	require.Len(t, recs, 2)
	require.Equal(t, first, recs[0].Payload)
	require.Equal(t, second, recs[1].Payload)
}
