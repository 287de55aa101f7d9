package record_test

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/record"
)

var update = flag.Bool("update", false, "rewrite record/testdata/*.bin from the generators in malformed_test.go")

// hdr returns a bare header with the given type and length.
func hdr(typ record.ContentType, length int) []byte {
	return record.Header{Type: typ, Version: record.VersionTLS12, Length: length}.AppendTo(nil)
}

// repeat returns n copies of m.
func repeat(n int, m msg) []msg {
	out := make([]msg, n)
	for i := range out {
		out[i] = m
	}
	return out
}

var (
	plain       = record.Plaintext{}
	hsMsg       = msg{record.Handshake, []byte{1, 0, 0, 2, 3, 3}}
	emptyAppMsg = msg{record.ApplicationData, nil}
)

// streamCases are the named inputs of record/testdata. Each is a byte stream
// and what a Reader must make of it: wantRecords records, then wantAlert
// (exactly that alert) or wantErr.
var streamCases = []struct {
	file        string
	gen         func() []byte
	opener      record.Opener
	wantRecords int
	wantAlert   alert.Description
	wantErr     error
}{
	{"record-empty-stream.bin", func() []byte { return []byte{} }, plain, 0, 0, io.EOF},
	{"record-valid.bin", func() []byte {
		return seal(plain, hsMsg, msg{record.ChangeCipherSpec, []byte{1}}, msg{record.Alert, []byte{1, 0}},
			msg{record.ApplicationData, pattern(100, 1)}, msg{record.Heartbeat, []byte{1, 0, 0}})
	}, plain, 5, 0, io.EOF},
	{"record-max-plaintext.bin", func() []byte {
		return seal(plain, msg{record.ApplicationData, pattern(record.MaxPlaintext, 2)})
	}, plain, 1, 0, io.EOF},
	{"record-versions-ignored.bin", func() []byte {
		var b []byte
		for _, v := range []uint16{0, record.VersionTLS10, 0x0300, 0xffff} {
			b = record.Plaintext{Version: v}.Seal(b, record.Handshake, 0, hsMsg.body)
		}
		return b
	}, plain, 4, 0, io.EOF},
	{"record-unknown-type.bin", func() []byte { return append(seal(plain, hsMsg), 25, 3, 3, 0, 1, 0) }, plain, 1, alert.UnexpectedMessage, nil},
	{"record-unknown-type-zero.bin", func() []byte { return []byte{0, 3, 3, 0, 0} }, plain, 0, alert.UnexpectedMessage, nil},
	// The fragment is absent: the header alone must be refused.
	{"record-unknown-type-header-only.bin", func() []byte { return hdr(19, 100) }, plain, 0, alert.UnexpectedMessage, nil},
	{"record-oversized.bin", func() []byte { return hdr(record.ApplicationData, record.MaxPlaintext+1) }, plain, 0, alert.RecordOverflow, nil},
	{"record-oversized-max.bin", func() []byte { return hdr(record.Handshake, 0xffff) }, plain, 0, alert.RecordOverflow, nil},
	{"record-oversized-protected.bin", func() []byte {
		return hdr(record.ApplicationData, record.MaxPlaintext+xorOverhead+1)
	}, xorCipher{}, 0, alert.RecordOverflow, nil},
	{"record-empty-handshake.bin", func() []byte { return hdr(record.Handshake, 0) }, plain, 0, alert.UnexpectedMessage, nil},
	{"record-empty-ccs.bin", func() []byte { return hdr(record.ChangeCipherSpec, 0) }, plain, 0, alert.UnexpectedMessage, nil},
	{"record-empty-handshake-protected.bin", func() []byte {
		return seal(xorCipher{key: 0x5a}, msg{record.Handshake, nil})
	}, xorCipher{key: 0x5a}, 0, alert.UnexpectedMessage, nil},
	// Empty alerts are alert.Parse's to judge, by version.
	{"record-empty-alert.bin", func() []byte { return hdr(record.Alert, 0) }, plain, 1, 0, io.EOF},
	{"record-32-empty.bin", func() []byte {
		return seal(plain, repeat(record.MaxEmptyRecords, emptyAppMsg)...)
	}, plain, record.MaxEmptyRecords, 0, io.EOF},
	{"record-33-empty.bin", func() []byte {
		return seal(plain, repeat(record.MaxEmptyRecords+1, emptyAppMsg)...)
	}, plain, record.MaxEmptyRecords, alert.UnexpectedMessage, nil},
	{"record-33-empty-mixed.bin", func() []byte {
		return seal(plain, append(repeat(record.MaxEmptyRecords, msg{record.Heartbeat, nil}), msg{record.Alert, nil})...)
	}, plain, record.MaxEmptyRecords, alert.UnexpectedMessage, nil},
	// Only application data ends a flood of empty records: a handshake
	// record (or an alert) between them does not reset the count.
	{"record-32-empty-reset.bin", func() []byte {
		ms := append(repeat(record.MaxEmptyRecords, emptyAppMsg), msg{record.ApplicationData, []byte{1}})
		return seal(plain, append(ms, repeat(record.MaxEmptyRecords, emptyAppMsg)...)...)
	}, plain, 2*record.MaxEmptyRecords + 1, 0, io.EOF},
	{"record-33-empty-handshake-between.bin", func() []byte {
		ms := append(repeat(record.MaxEmptyRecords, emptyAppMsg), hsMsg)
		return seal(plain, append(ms, emptyAppMsg)...)
	}, plain, record.MaxEmptyRecords + 1, alert.UnexpectedMessage, nil},
	{"record-33-empty-alert-between.bin", func() []byte {
		ms := append(repeat(record.MaxEmptyRecords, emptyAppMsg), msg{record.Alert, []byte{1, 90}})
		return seal(plain, append(ms, emptyAppMsg)...)
	}, plain, record.MaxEmptyRecords + 1, alert.UnexpectedMessage, nil},
	{"record-truncated-header.bin", func() []byte { return append(seal(plain, hsMsg), 22, 3, 3) }, plain, 1, 0, io.ErrUnexpectedEOF},
	{"record-truncated-fragment.bin", func() []byte { return append(hdr(record.Handshake, 10), 1, 2, 3, 4) }, plain, 0, 0, io.ErrUnexpectedEOF},
	{"record-bad-mac.bin", func() []byte {
		b := seal(xorCipher{key: 7}, hsMsg, hsMsg)
		b[len(b)-1] ^= 1
		return b
	}, xorCipher{key: 7}, 1, alert.BadRecordMAC, nil},
	{"record-protected-short.bin", func() []byte { return append(hdr(record.ApplicationData, 1), 0) }, xorCipher{}, 0, alert.BadRecordMAC, nil},
}

// TestTestdata keeps record/testdata in step with the generators above; run
// `go test ./record -run TestTestdata -update` after changing them.
func TestTestdata(t *testing.T) {
	for _, tc := range streamCases {
		path := filepath.Join("testdata", tc.file)
		if *update {
			require.NoError(t, os.WriteFile(path, tc.gen(), 0o644))
		}
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, tc.gen(), b, "%s is stale: run with -update", path)
	}
}

func TestReaderMalformed(t *testing.T) {
	t.Parallel()
	for _, tc := range streamCases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join("testdata", tc.file))
			require.NoError(t, err)
			for _, size := range []int{1, 4, len(data) + 1} {
				src := &chunkReader{data: data, size: size}
				rd := record.NewReader(src)
				rd.SetOpener(tc.opener)
				recs, err := readAll(t, rd)
				require.Len(t, recs, tc.wantRecords, "chunk size %d", size)
				require.LessOrEqual(t, src.pulled, len(data))
				if tc.wantErr != nil {
					require.Equal(t, tc.wantErr, err, "chunk size %d", size)
					continue
				}
				requireAlert(t, err, tc.wantAlert)
				// Sticky: the Reader is dead after an alert.
				_, again := rd.ReadRecord()
				require.Equal(t, err, again)
			}
		})
	}
}

// TestReaderRefusesHeaderFirst checks that a bad header is refused before
// its fragment is asked for: the transport fails the test if it is read past
// the header.
func TestReaderRefusesHeaderFirst(t *testing.T) {
	t.Parallel()
	tests := []struct {
		h         []byte
		wantAlert alert.Description
	}{
		{hdr(25, 10), alert.UnexpectedMessage},
		{hdr(record.Handshake, record.MaxPlaintext+1), alert.RecordOverflow},
	}
	for _, tt := range tests {
		rd := record.NewReader(io.MultiReader(bytes.NewReader(tt.h), blockingReader{t}))
		_, err := rd.ReadRecord()
		requireAlert(t, err, tt.wantAlert)
	}
}

type blockingReader struct{ t *testing.T }

func (b blockingReader) Read([]byte) (int, error) {
	b.t.Error("the Reader asked for the fragment of a refused header")
	return 0, io.EOF
}
