package fuzz_test

import (
	"bytes"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/record"
)

// recordSource hands out data at most size bytes per Read and counts what it
// handed out. stall makes every other Read return (0, nil); eofWithData
// returns io.EOF together with the last bytes.
type recordSource struct {
	data        []byte
	size        int
	stall       bool
	eofWithData bool
	stalled     bool
	pulled      int
}

func (s *recordSource) Read(p []byte) (int, error) {
	if s.stall && !s.stalled {
		s.stalled = true
		return 0, nil
	}
	s.stalled = false
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), s.size)], s.data)
	s.data = s.data[n:]
	s.pulled += n
	if s.eofWithData && len(s.data) == 0 {
		return n, io.EOF
	}
	return n, nil
}

// recordOutcome is what a Reader made of a stream.
type recordOutcome struct {
	records [][]byte // content type byte, then payload
	class   string   // "EOF", "unexpected EOF", or the alert's name
}

// readRecordStream reads src to its end and checks the properties that hold
// for one reading: every error is io.EOF, io.ErrUnexpectedEOF or carries an
// alert; the bytes pulled from the transport never exceed the input, and at
// the end of the stream they are exactly the records returned plus what is
// still buffered.
func readRecordStream(t *testing.T, src *recordSource, inputLen int) recordOutcome {
	t.Helper()
	rd := record.NewReader(src)
	var out recordOutcome
	consumed := 0
	for {
		rec, err := rd.ReadRecord()
		if err != nil {
			switch d, ok := alert.Of(err); {
			case err == io.EOF, err == io.ErrUnexpectedEOF:
				out.class = err.Error()
			case ok:
				out.class = d.String()
			default:
				t.Fatalf("error carries no alert: %v", err)
			}
			break
		}
		// Plain comparisons: testify per record would dominate the run time.
		if rec.Seq != uint64(len(out.records)) || len(rec.Payload) > record.MaxPlaintext {
			t.Fatalf("record %d: seq %d, %d bytes", len(out.records), rec.Seq, len(rec.Payload))
		}
		out.records = append(out.records, append([]byte{byte(rec.Type)}, rec.Payload...))
		consumed += record.HeaderLen + rec.Header.Length
	}
	require.LessOrEqual(t, src.pulled, inputLen)
	if out.class == io.EOF.Error() || out.class == io.ErrUnexpectedEOF.Error() {
		require.Equal(t, src.pulled, consumed+rd.Buffered(), "bytes pulled = records returned + buffered")
	} else {
		// The record that failed may have been opened (and so consumed).
		require.LessOrEqual(t, consumed+rd.Buffered(), src.pulled)
	}
	return out
}

// FuzzRecordReader checks that the Reader deframes any chunking of a stream
// into the same records and the same ending. Memory is bounded by
// construction: the Reader's buffer holds at most two 2^16+5-byte records,
// and the records kept for comparison are copies of at most len(data) bytes.
func FuzzRecordReader(f *testing.F) {
	for _, seed := range recordSeeds(f) {
		for _, chunk := range []uint8{0, 4, 16, 0x80 | 2, 0x40 | 7} {
			f.Add(seed, chunk)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		whole := readRecordStream(t, &recordSource{data: data, size: len(data) + 1}, len(data))
		chunked := readRecordStream(t, &recordSource{
			data:        data,
			size:        int(chunk%17) + 1,
			stall:       chunk&0x80 != 0,
			eofWithData: chunk&0x40 != 0,
		}, len(data))
		require.Equal(t, whole.class, chunked.class)
		require.Equal(t, whole.records, chunked.records)
	})
}

// rfc8448Records are whole records from RFC 8448, Section 3.
var rfc8448Records = []string{
	// ClientHello, legacy_record_version 0x0301.
	"16030100c4010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7000006130113031302010000910000000b0009000006736572766572ff01000100000a00140012001d0017001800190100010101020103010400230000003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c002b0003020304000d0020001e040305030603020308040805080604010501060102010402050206020202002d00020101001c00024001",
	// ServerHello.
	"160303005a020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100002e00330024001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b00020304",
	// The client's Finished, application data and close_notify.
	"170303003575ec4dc238cce60b298044a71e219c56cc77b0517fe9b93c7a4bfc44d87f38f80338ac98fc46deb384bd1caeacab6867d726c40546",
	"1703030043a23f7054b62c94d0affafe8228ba55cbefacea42f914aa66bcab3f2b9819a8a5b46b395bd54a9a20441e2b62974e1f5a6292a2977014bd1e3deae63aeebb21694915e4",
	"1703030013c9872760655666b74d7ff1153efd6db6d0b0e3",
}

// recordSeeds returns record/testdata's named inputs and real records:
// RFC 8448's, and a Writer's flight with every content type.
func recordSeeds(f *testing.F) [][]byte {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("..", "record", "testdata", "*.bin"))
	require.NoError(f, err)
	require.NotEmpty(f, files)
	var seeds [][]byte
	for _, file := range files {
		b, err := os.ReadFile(file)
		require.NoError(f, err)
		seeds = append(seeds, b)
	}
	var all []byte
	for _, h := range rfc8448Records {
		b, err := hex.DecodeString(h)
		require.NoError(f, err)
		seeds = append(seeds, b)
		all = append(all, b...)
	}
	seeds = append(seeds, all)

	var flight bytes.Buffer
	w := record.NewWriter(&flight)
	w.SetMaxFragment(100)
	for _, m := range []struct {
		typ  record.ContentType
		body []byte
	}{
		{record.Handshake, bytes.Repeat([]byte{0x0b}, 250)},
		{record.ChangeCipherSpec, []byte{1}},
		{record.Alert, []byte{1, 0}},
		{record.ApplicationData, nil},
		{record.Heartbeat, []byte{1, 0, 1, 0xff}},
	} {
		_, err := w.Seal(m.typ, m.body)
		require.NoError(f, err)
	}
	require.NoError(f, w.Flush())
	return append(seeds, flight.Bytes())
}
