package cipher_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/record"
)

// sliceWriter keeps the slices it is given, which alias the record.Writer's
// buffer, and a copy of their bytes.
type sliceWriter struct {
	bytes.Buffer
	writes [][]byte
}

func (s *sliceWriter) Write(p []byte) (int, error) {
	s.writes = append(s.writes, p)
	return s.Buffer.Write(p)
}

// TestWriterNextSealsInPlace: for every construction, with and without TLS
// 1.3 padding, a record made from record.Writer.Next's area is sealed
// where the area lies (its ciphertext starts at the area's first byte), is
// byte for byte the record Seal makes of the same payload held elsewhere,
// and opens to it.
func TestWriterNextSealsInPlace(t *testing.T) {
	t.Parallel()
	bucket := func(_ record.ContentType, n int) int { return 255 - n%256 }
	for _, c := range constructions(t) {
		for _, padded := range []bool{false, true} {
			if padded && c.suite.Version != record.VersionTLS13 {
				continue
			}
			sealer, ref, opener := c.new(), c.new(), c.new()
			if padded {
				sealer.(*cipher.AEAD13).SetPadding(bucket)
				ref.(*cipher.AEAD13).SetPadding(bucket)
			}
			require.Equal(t, cipherTextStart(c), sealer.(record.InPlaceSealer).ContentOffset(), c.name)
			var out sliceWriter
			w := record.NewWriter(&out)
			w.SetSealer(sealer)
			for seq, n := range []int{1, 64, 1000, record.MaxPlaintext} {
				payload := bytes.Repeat([]byte{byte(n) | 1}, n)
				area := w.Next()
				copy(area, payload)
				require.NoError(t, w.SealNext(record.ApplicationData, n))
				require.NoError(t, w.Flush())

				sent := out.writes[len(out.writes)-1]
				require.Same(t, &area[0], &sent[cipherTextStart(c)], "%s padded=%v: sealed in place", c.name, padded)
				want := ref.Seal(nil, record.ApplicationData, uint64(seq), payload)
				require.Equal(t, want, sent, "%s padded=%v, %d bytes", c.name, padded, n)
				typ, got, err := opener.Open(nil, uint64(seq), bytes.Clone(sent))
				require.NoError(t, err)
				require.Equal(t, record.ApplicationData, typ)
				require.Equal(t, payload, got)
			}
		}
	}
}

// TestWriterNextZeroAllocs: the in-place path allocates nothing once the
// Writer's buffer is sized.
func TestWriterNextZeroAllocs(t *testing.T) {
	for _, c := range constructions(t) {
		w := record.NewWriter(io.Discard)
		w.SetSealer(c.new())
		next := func() {
			area := w.Next()
			if err := w.SealNext(record.ApplicationData, len(area)); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		next()
		require.Zero(t, testing.AllocsPerRun(100, next), c.name)
	}
}
