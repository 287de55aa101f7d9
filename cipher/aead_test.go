package cipher_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/record"
)

// paddingPolicies are the TLS 1.3 padding policies the round trips use.
var paddingPolicies = []struct {
	name string
	p    func(record.ContentType, int) int
}{
	{"none", nil},
	{"zero", func(record.ContentType, int) int { return 0 }},
	{"fixed7", func(record.ContentType, int) int { return 7 }},
	{"bucket256", func(_ record.ContentType, n int) int { return 255 - n%256 }},
	{"alertsOnly", func(typ record.ContentType, _ int) int {
		if typ == record.Alert {
			return 100
		}
		return 0
	}},
	{"negative", func(record.ContentType, int) int { return -5 }},
	// Asks for far too much: clamped so TLSInnerPlaintext is 2^14+1.
	{"greedy", func(record.ContentType, int) int { return 1 << 20 }},
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, c := range constructions(t) {
		for _, pp := range paddingPolicies {
			if c.suite.Version == record.VersionTLS12 && pp.p != nil {
				continue // TLS 1.2 has no padding
			}
			t.Run(c.name+"/"+pp.name, func(t *testing.T) {
				t.Parallel()
				sealer, opener := c.new(), c.new()
				if pp.p != nil {
					sealer.(*cipher.AEAD13).SetPadding(pp.p)
				}
				seq := uint64(0)
				for _, typ := range []record.ContentType{record.ApplicationData, record.Handshake, record.Alert} {
					for _, n := range []int{0, 1, 255, 256, 1000, record.MaxPlaintext - 1, record.MaxPlaintext} {
						payload := bytes.Repeat([]byte{byte(n) | 1}, n)
						checkRoundTrip(t, c, pp.name, sealer, opener, typ, seq, payload)
						seq += 1000003 // exercise high nonce bytes too
					}
				}
			})
		}
	}
}

func checkRoundTrip(t *testing.T, c construction, policy string, sealer, opener protection,
	typ record.ContentType, seq uint64, payload []byte) {
	t.Helper()
	prefix := []byte("prefix")
	rec := sealer.Seal(clone(prefix), typ, seq, payload)
	require.Equal(t, prefix, rec[:len(prefix)], "Seal appends to dst")
	rec = rec[len(prefix):]

	h := record.ParseHeader(rec)
	require.Equal(t, record.VersionTLS12, h.Version)
	require.Equal(t, len(rec)-record.HeaderLen, h.Length)
	require.LessOrEqual(t, h.Length, opener.MaxFragment())
	require.LessOrEqual(t, h.Length-len(payload), sealer.Overhead())
	if c.suite.Version == record.VersionTLS13 {
		require.Equal(t, record.ApplicationData, h.Type)
		inner := h.Length - 16
		require.LessOrEqual(t, inner, record.MaxInnerPlaintextTLS13)
		if policy == "greedy" {
			require.Equal(t, record.MaxInnerPlaintextTLS13, inner)
		}
		if policy == "none" {
			require.Equal(t, c.raw(t, typ, seq, append(clone(payload), byte(typ))), rec,
				"Seal matches the RFC 8446 construction")
		}
	} else {
		require.Equal(t, typ, h.Type)
		require.Equal(t, c.raw(t, typ, seq, payload), rec, "Seal matches the RFC 5246 construction")
	}

	// Into a dst: the record is untouched.
	gotTyp, got, err := opener.Open(clone(prefix), seq, rec)
	require.NoError(t, err)
	require.Equal(t, typ, gotTyp)
	require.Equal(t, append(clone(prefix), payload...), got)
	// In place: the plaintext aliases the record.
	gotTyp, got, err = opener.Open(nil, seq, rec)
	require.NoError(t, err)
	require.Equal(t, typ, gotTyp)
	require.Equal(t, payload, got)
	if len(got) > 0 {
		require.Same(t, &rec[cipherTextStart(c)], &got[0])
	}
}

// cipherTextStart is where the ciphertext starts in a record.
func cipherTextStart(c construction) int {
	if c.suite.Version == record.VersionTLS12 && c.suite.IVLen() == 4 {
		return record.HeaderLen + 8
	}
	return record.HeaderLen
}

// TestSealInPlace checks that a TLS 1.3 payload already placed after the
// header's room in dst is sealed without a copy, to the same record, and that
// a payload overlapping dst elsewhere is sealed correctly.
func TestSealInPlace(t *testing.T) {
	t.Parallel()
	for _, c := range constructions(t) {
		if c.suite.Version != record.VersionTLS13 {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			a := c.new()
			payload := []byte("sealed where it lies")
			want := a.Seal(nil, record.ApplicationData, 9, payload)
			buf := make([]byte, record.HeaderLen+len(payload), 64)
			copy(buf[record.HeaderLen:], payload)
			got := a.Seal(buf[:0], record.ApplicationData, 9, buf[record.HeaderLen:])
			require.Equal(t, want, got)
			require.Same(t, &buf[0], &got[0])
			// Any other overlap works too: the payload is moved before the
			// header is written.
			for _, at := range []int{0, 2, record.HeaderLen + 3, 30} {
				buf := make([]byte, 64)
				copy(buf[at:], payload)
				got := a.Seal(buf[:0], record.ApplicationData, 9, buf[at:at+len(payload)])
				require.Equal(t, want, got, "payload at %d", at)
			}
		})
	}
}

func TestSealPanicsOnOversizedPayload(t *testing.T) {
	t.Parallel()
	for _, c := range constructions(t) {
		require.Panics(t, func() {
			c.new().Seal(nil, record.ApplicationData, 0, make([]byte, record.MaxPlaintext+1))
		}, c.name)
	}
}

type openFailure struct {
	name      string
	rec       func(good []byte) []byte // the record to open, from a good one
	seq       uint64
	only      string // "tls13", "tls12", "gcm12" or "" for all
	wantAlert alert.Description
}

// openFailures lists every way a record can fail to open, and one intact row.
func openFailures(t *testing.T, c construction) []openFailure {
	t.Helper()
	// record_overflow: for TLS 1.3 a TLSInnerPlaintext of 2^14+2 bytes, for
	// TLS 1.2 a plaintext of 2^14+1, both behind a valid tag.
	overLimit := c.raw(t, record.ApplicationData, 0, make([]byte, record.MaxPlaintext+1))
	if c.suite.Version == record.VersionTLS13 {
		overLimit = c.raw(t, 0, 0, append(bytes.Repeat([]byte{1}, record.MaxPlaintext), byte(record.ApplicationData), 0))
	}
	rawInner := func(inner []byte) func([]byte) []byte {
		return func([]byte) []byte { return c.raw(t, 0, 0, inner) }
	}
	cut := func(n int) func([]byte) []byte { return func(g []byte) []byte { return g[:n] } }
	return []openFailure{
		{name: "intact", rec: keep, wantAlert: 0},
		{name: "wrong seq", rec: keep, seq: 1, wantAlert: alert.BadRecordMAC},
		{name: "header version", rec: flip(2), wantAlert: alert.BadRecordMAC},
		{name: "header version high", rec: flip(1), wantAlert: alert.BadRecordMAC},
		{name: "header length", rec: flip(4), wantAlert: alert.BadRecordMAC},
		{name: "header type to handshake", rec: set(0, byte(record.Handshake)), only: "tls13", wantAlert: alert.UnexpectedMessage},
		{name: "header type to handshake", rec: set(0, byte(record.Handshake)), only: "tls12", wantAlert: alert.BadRecordMAC},
		{name: "header type unknown", rec: set(0, 99), wantAlert: alert.UnexpectedMessage},
		{name: "explicit nonce", rec: flip(record.HeaderLen), only: "gcm12", wantAlert: alert.BadRecordMAC},
		{name: "explicit nonce last", rec: flip(record.HeaderLen + 7), only: "gcm12", wantAlert: alert.BadRecordMAC},
		{name: "ciphertext first", rec: flip(cipherTextStart(c)), wantAlert: alert.BadRecordMAC},
		{name: "ciphertext last", rec: flip(-17), wantAlert: alert.BadRecordMAC},
		{name: "tag first", rec: flip(-16), wantAlert: alert.BadRecordMAC},
		{name: "tag last", rec: flip(-1), wantAlert: alert.BadRecordMAC},
		{name: "truncated by one", rec: func(g []byte) []byte { return g[:len(g)-1] }, wantAlert: alert.BadRecordMAC},
		{name: "one byte appended", rec: func(g []byte) []byte { return append(g, 0) }, wantAlert: alert.BadRecordMAC},
		{name: "shorter than tag", rec: cut(cipherTextStart(c) + 15), wantAlert: alert.BadRecordMAC},
		{name: "tag only", rec: cut(cipherTextStart(c) + 16), wantAlert: alert.BadRecordMAC},
		{name: "empty fragment", rec: cut(record.HeaderLen), wantAlert: alert.BadRecordMAC},
		{name: "no header", rec: cut(3), wantAlert: alert.BadRecordMAC},
		{name: "all-zero inner plaintext", rec: rawInner(make([]byte, 40)), only: "tls13", wantAlert: alert.UnexpectedMessage},
		{name: "empty inner plaintext", rec: rawInner(nil), only: "tls13", wantAlert: alert.UnexpectedMessage},
		{name: "unknown inner type", rec: rawInner([]byte{'h', 'i', 99, 0, 0}), only: "tls13", wantAlert: alert.UnexpectedMessage},
		{name: "inner type zero", rec: rawInner([]byte{0, 0}), only: "tls13", wantAlert: alert.UnexpectedMessage},
		{name: "plaintext over the limit", rec: func([]byte) []byte { return overLimit }, wantAlert: alert.RecordOverflow},
		{name: "fragment of 2^14+257", rec: oversized(record.MaxCiphertextTLS13 + 1), wantAlert: alert.RecordOverflow},
		{name: "fragment over MaxFragment", rec: oversized(c.new().MaxFragment() + 1), wantAlert: alert.RecordOverflow},
	}
}

// TestOpenFailures asserts the exact alert for every way a record can fail
// to open, for every construction, opening in place and into a dst.
func TestOpenFailures(t *testing.T) {
	t.Parallel()
	const content = "an authentic record, forty bytes long..."
	for _, c := range constructions(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range openFailures(t, c) {
				if !applies(tc.only, c) {
					continue
				}
				t.Run(tc.name, func(t *testing.T) {
					rec := tc.rec(c.new().Seal(nil, record.ApplicationData, 0, []byte(content)))
					for _, dst := range [][]byte{nil, make([]byte, 0, 32)} {
						typ, pt, err := c.new().Open(dst, tc.seq, clone(rec))
						if tc.wantAlert == 0 {
							require.NoError(t, err)
							require.Equal(t, record.ApplicationData, typ)
							require.Equal(t, content, string(pt))
							continue
						}
						require.ErrorIs(t, err, tc.wantAlert)
						// The error is the bare alert: no detail to leak.
						require.Equal(t, error(tc.wantAlert), err)
						require.Nil(t, pt)
					}
				})
			}
		})
	}
}

func applies(only string, c construction) bool {
	switch only {
	case "tls13":
		return c.suite.Version == record.VersionTLS13
	case "tls12":
		return c.suite.Version == record.VersionTLS12
	case "gcm12":
		return c.suite.Version == record.VersionTLS12 && c.suite.IVLen() == 4
	}
	return true
}

func keep(g []byte) []byte { return g }

// flip returns a mutation that flips one bit of byte i (from the end when
// negative).
func flip(i int) func([]byte) []byte {
	return func(g []byte) []byte {
		if i < 0 {
			i += len(g)
		}
		g[i] ^= 0x40
		return g
	}
}

func set(i int, b byte) func([]byte) []byte {
	return func(g []byte) []byte {
		g[i] = b
		return g
	}
}

// oversized returns a mutation that keeps g's header but announces and
// carries an n-byte fragment.
func oversized(n int) func([]byte) []byte {
	return func(g []byte) []byte {
		h := record.ParseHeader(g)
		h.Length = n
		return append(h.AppendTo(nil), make([]byte, n)...)
	}
}
