package cipher_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/record"
)

type limiter interface{ SetRecordSizeLimit(n int) }

// TestRecordSizeLimit: an opener with a record_size_limit of L accepts a
// TLS 1.3 TLSInnerPlaintext (content, type and padding) or a TLS 1.2
// plaintext of L bytes and fails one byte more with record_overflow (RFC
// 8449, Section 4); a TLS 1.3 sealer pads no further than L.
func TestRecordSizeLimit(t *testing.T) {
	t.Parallel()
	const limit = 200
	for _, c := range constructions(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			// The largest content the limit admits: L-1 in TLS 1.3, whose
			// limit counts the content type, L in TLS 1.2.
			most := limit
			if c.suite.Version == record.VersionTLS13 {
				most = limit - 1
			}
			for _, tc := range []struct {
				content int
				want    error
			}{{most, nil}, {most + 1, alert.RecordOverflow}} {
				opener := c.new()
				opener.(limiter).SetRecordSizeLimit(limit)
				rec := c.new().Seal(nil, record.ApplicationData, 0, make([]byte, tc.content))
				_, pt, err := opener.Open(nil, 0, rec)
				if tc.want != nil {
					require.ErrorIs(t, err, tc.want, "%d content bytes", tc.content)
					continue
				}
				require.NoError(t, err)
				require.Len(t, pt, tc.content)
			}
		})
	}
}

// TestPaddingStopsAtLimit: a padding policy asking for 1000 bytes gets what
// keeps the TLSInnerPlaintext within the limit.
func TestPaddingStopsAtLimit(t *testing.T) {
	t.Parallel()
	s := cipher.SuiteByID(0x1301)
	secret := make([]byte, 32)
	sealer := cipher.NewTLS13(s, secret)
	sealer.SetPadding(func(record.ContentType, int) int { return 1000 })
	sealer.SetRecordSizeLimit(256)
	rec := sealer.Seal(nil, record.ApplicationData, 0, make([]byte, 10))
	require.Len(t, rec, record.HeaderLen+256+16, "inner plaintext padded to the limit exactly")
	opener := cipher.NewTLS13(s, secret)
	opener.SetRecordSizeLimit(256)
	typ, pt, err := opener.Open(nil, 0, rec)
	require.NoError(t, err)
	require.Equal(t, record.ApplicationData, typ)
	require.Len(t, pt, 10)
}

// TestZeroAllocsLimited: padding and a record_size_limit keep the hot path
// at zero allocations.
func TestZeroAllocsLimited(t *testing.T) {
	bucket := func(_ record.ContentType, n int) int { return 255 - n%256 }
	for _, c := range constructions(t) {
		sealer, opener := c.new(), c.new()
		sealer.(limiter).SetRecordSizeLimit(512)
		opener.(limiter).SetRecordSizeLimit(512)
		if a, ok := sealer.(*cipher.AEAD13); ok {
			a.SetPadding(bucket)
		}
		requireZeroAllocs(t, sealer, opener, 200, c.name)
	}
}
