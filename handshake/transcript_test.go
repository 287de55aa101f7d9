package handshake

import (
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/cryptobyte"
)

func TestTranscriptRFC8448(t *testing.T) {
	t.Parallel()
	v := loadRFC8448(t)
	tr := NewTranscript(crypto.SHA256)
	tr.Write(v["clientHello"])
	tr.Write(v["serverHello"])
	require.Equal(t, v["transcript hash CH..SH"], tr.Sum())
	// Sum does not consume: the hash continues over later messages.
	require.Equal(t, v["transcript hash CH..SH"], tr.Sum())
	for _, m := range splitMessages(t, v["server flight"]) {
		tr.Write(m)
	}
	require.Equal(t, v["transcript hash CH..server Finished"], tr.Sum())
}

func TestTranscriptBufferedEqualsDirect(t *testing.T) {
	t.Parallel()
	msgs := [][]byte{[]byte("\x01\x00\x00\x02hi"), []byte("\x02\x00\x00\x01!"), []byte("\x08\x00\x00\x00")}
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384} {
		direct := NewTranscript(h)
		buffered := NewTranscriptBuffered()
		require.Equal(t, crypto.Hash(0), buffered.Hash())
		buffered.Write(msgs[0])
		buffered.Write(msgs[1])
		buffered.SetHash(h)
		require.Equal(t, h, buffered.Hash())
		buffered.Write(msgs[2])
		for _, m := range msgs {
			direct.Write(m)
		}
		require.Equal(t, direct.Sum(), buffered.Sum(), h.String())
		require.Len(t, buffered.Sum(), h.Size())
	}
}

// hrrTranscriptReference computes RFC 8446, Section 4.4.1's formula
// literally for SHA-256: Hash(message_hash || 00 00 Hash.length ||
// Hash(ClientHello1) || rest).
func hrrTranscriptReference(ch1 []byte, rest ...[]byte) []byte {
	chHash := sha256.Sum256(ch1)
	d := sha256.New()
	d.Write([]byte{254, 0, 0, 32})
	d.Write(chHash[:])
	for _, m := range rest {
		d.Write(m)
	}
	return d.Sum(nil)
}

func TestTranscriptRewriteForHRR(t *testing.T) {
	t.Parallel()
	ch1 := []byte("\x01\x00\x00\x03CH1")
	hrr := []byte("\x02\x00\x00\x03HRR")
	ch2 := []byte("\x01\x00\x00\x03CH2")
	want := hrrTranscriptReference(ch1, hrr, ch2)

	direct := NewTranscript(crypto.SHA256)
	direct.Write(ch1)
	direct.RewriteForHRR()
	direct.Write(hrr)
	direct.Write(ch2)
	require.Equal(t, want, direct.Sum())

	// The suite is known only from the HelloRetryRequest: the rewrite is
	// asked for while buffering and happens at SetHash.
	buffered := NewTranscriptBuffered()
	buffered.Write(ch1)
	buffered.RewriteForHRR()
	buffered.Write(hrr)
	buffered.SetHash(crypto.SHA256)
	buffered.Write(ch2)
	require.Equal(t, want, buffered.Sum())

	// And the usual order: SetHash on the HelloRetryRequest, then rewrite.
	late := NewTranscriptBuffered()
	late.Write(ch1)
	late.SetHash(crypto.SHA256)
	late.RewriteForHRR()
	late.Write(hrr)
	late.Write(ch2)
	require.Equal(t, want, late.Sum())
}

func TestTranscriptMessageHashSHA384(t *testing.T) {
	t.Parallel()
	ch1 := []byte("\x01\x00\x00\x01x")
	tr := NewTranscript(crypto.SHA384)
	tr.Write(ch1)
	tr.RewriteForHRR()
	inner := sha512.Sum384(ch1)
	want := sha512.Sum384(append([]byte{254, 0, 0, 48}, inner[:]...))
	require.Equal(t, want[:], tr.Sum())
}

func TestTranscriptMisuse(t *testing.T) {
	t.Parallel()
	require.PanicsWithValue(t, "handshake: Transcript.Sum before SetHash", func() {
		NewTranscriptBuffered().Sum()
	})
	require.PanicsWithValue(t, "handshake: Transcript.SetHash called twice", func() {
		NewTranscript(crypto.SHA256).SetHash(crypto.SHA256)
	})
}

// splitMessages splits concatenated handshake messages at their 4-byte
// headers (test input from the RFC trace only).
func splitMessages(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var msgs [][]byte
	s := cryptobyte.String(b)
	for !s.Empty() {
		whole := s
		var typ uint8
		var body cryptobyte.String
		require.True(t, s.ReadUint8(&typ) && s.ReadUint24LengthPrefixed(&body), "truncated message")
		msgs = append(msgs, whole[:len(whole)-len(s)])
	}
	return msgs
}

// loadRFC8448 reads testdata/ks-rfc8448.txt: "name = hex" lines, #
// comments.
func loadRFC8448(t *testing.T) map[string][]byte {
	t.Helper()
	data, err := os.ReadFile("testdata/ks-rfc8448.txt")
	require.NoError(t, err)
	values := make(map[string][]byte)
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, " = ")
		require.True(t, ok, "malformed line %q", line)
		b, err := hex.DecodeString(value)
		require.NoError(t, err, name)
		values[name] = b
	}
	return values
}
