package record_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/record"
)

// xorCipher is a toy protection for tests, shaped like TLS 1.3: the outer
// type is application_data, the fragment is the payload XORed with key,
// then the real content type, then a one-byte "tag" binding the sequence
// number. Open fails with bad_record_mac when the tag does not match, so a
// stream only opens if its records arrive in order under consecutive
// sequence numbers.
type xorCipher struct{ key byte }

var (
	_ record.Sealer = xorCipher{}
	_ record.Opener = xorCipher{}
)

const xorOverhead = 2

func (c xorCipher) tag(seq uint64) byte { return byte(seq) ^ c.key }

func (c xorCipher) Seal(dst []byte, typ record.ContentType, seq uint64, payload []byte) []byte {
	h := record.Header{Type: record.ApplicationData, Version: record.VersionTLS12, Length: len(payload) + xorOverhead}
	dst = h.AppendTo(dst)
	for _, b := range payload {
		dst = append(dst, b^c.key)
	}
	return append(dst, byte(typ), c.tag(seq))
}

func (c xorCipher) Open(dst []byte, seq uint64, rec []byte) (record.ContentType, []byte, error) {
	frag := rec[record.HeaderLen:]
	if len(frag) < xorOverhead || frag[len(frag)-1] != c.tag(seq) {
		return 0, nil, alert.BadRecordMAC
	}
	typ := record.ContentType(frag[len(frag)-2])
	frag = frag[:len(frag)-xorOverhead]
	if dst == nil {
		dst = frag[:0]
	}
	for _, b := range frag {
		dst = append(dst, b^c.key)
	}
	return typ, dst, nil
}

func (xorCipher) Overhead() int    { return xorOverhead }
func (xorCipher) Protected() bool  { return true }
func (xorCipher) MaxFragment() int { return record.MaxPlaintext + xorOverhead }

// countingSealer is inner with every sequence number it seals under
// recorded, so tests can see that no record is sealed twice.
type countingSealer struct {
	inner record.Sealer
	seqs  []uint64
}

func (c *countingSealer) Seal(dst []byte, typ record.ContentType, seq uint64, payload []byte) []byte {
	c.seqs = append(c.seqs, seq)
	return c.inner.Seal(dst, typ, seq, payload)
}

func (c *countingSealer) Overhead() int   { return c.inner.Overhead() }
func (c *countingSealer) Protected() bool { return c.inner.Protected() }

// got is a record's values copied out of the Reader's buffer.
type got struct {
	Header    record.Header
	Type      record.ContentType
	Payload   []byte
	Seq       uint64
	Protected bool
}

func copyRecord(r record.Record) got {
	return got{r.Header, r.Type, bytes.Clone(r.Payload), r.Seq, r.Protected}
}

// readAll reads records until an error and returns them with that error.
// A transport error that is not io.EOF / io.ErrUnexpectedEOF and carries no
// alert is treated as recoverable: the read is retried (at most 1000 times
// in a row, so a broken Reader cannot hang the test).
func readAll(t *testing.T, rd *record.Reader) ([]got, error) {
	t.Helper()
	var recs []got
	retries := 0
	for {
		rec, err := rd.ReadRecord()
		if err == nil {
			recs = append(recs, copyRecord(rec))
			retries = 0
			continue
		}
		if _, ok := alert.Of(err); ok || err == io.EOF || err == io.ErrUnexpectedEOF || retries == 1000 {
			return recs, err
		}
		retries++
	}
}

// seal returns the records of msgs sealed under s from sequence number 0.
func seal(s record.Sealer, msgs ...msg) []byte {
	var out []byte
	for i, m := range msgs {
		out = s.Seal(out, m.typ, uint64(i), m.body)
	}
	return out
}

type msg struct {
	typ  record.ContentType
	body []byte
}

// pattern returns n deterministic bytes.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) + seed
	}
	return b
}

// chunkReader returns at most size bytes per Read and counts what it gave.
// With eofWithData the last chunk comes with io.EOF; with stall every other
// Read returns (0, nil).
type chunkReader struct {
	data        []byte
	size        int
	eofWithData bool
	stall       bool
	stalled     bool
	pulled      int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if c.stall && !c.stalled {
		c.stalled = true
		return 0, nil
	}
	c.stalled = false
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.size)], c.data)
	c.data = c.data[n:]
	c.pulled += n
	if c.eofWithData && len(c.data) == 0 {
		return n, io.EOF
	}
	return n, nil
}

// requireAlert asserts err carries exactly the alert want.
func requireAlert(t *testing.T, err error, want alert.Description) {
	t.Helper()
	require.ErrorIs(t, err, want)
	d, ok := alert.Of(err)
	require.True(t, ok, "error %v carries no alert", err)
	require.Equal(t, want, d)
}
