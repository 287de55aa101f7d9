package handshake

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tlsrecord/tlsrecord/alert"
)

// asmFlight returns the RFC 8448 server flight's messages and their
// concatenation.
func asmFlight(t *testing.T) (msgs [][]byte, stream []byte) {
	t.Helper()
	for _, n := range []string{"server-hello", "encrypted-extensions", "certificate", "certificate-verify", "server-finished", "new-session-ticket"} {
		m := msgLoad(t, "msg-rfc8448-"+n+".hex")
		msgs = append(msgs, m)
		stream = append(stream, m...)
	}
	return msgs, stream
}

// asmDrain returns copies of every message Next yields.
func asmDrain(a *Assembler) [][]byte {
	var out [][]byte
	for {
		msg, ok := a.Next()
		if !ok {
			return out
		}
		out = append(out, bytes.Clone(msg))
	}
}

// asmFeed writes the records one by one, draining after each.
func asmFeed(t *testing.T, records ...[]byte) [][]byte {
	t.Helper()
	var a Assembler
	var out [][]byte
	for _, r := range records {
		require.NoError(t, a.Write(r))
		out = append(out, asmDrain(&a)...)
	}
	require.False(t, a.Pending())
	return out
}

func TestAssemblerSplitAtEveryByte(t *testing.T) {
	t.Parallel()
	msgs, stream := asmFlight(t)
	for i := 1; i < len(stream); i++ {
		require.Equal(t, msgs, asmFeed(t, stream[:i], stream[i:]), "split at %d", i)
	}
}

func TestAssemblerChunkSizes(t *testing.T) {
	t.Parallel()
	msgs, stream := asmFlight(t)
	for size := 1; size <= 64; size++ {
		var records [][]byte
		for rest := stream; len(rest) > 0; {
			n := min(size, len(rest))
			records = append(records, rest[:n])
			rest = rest[n:]
		}
		require.Equal(t, msgs, asmFeed(t, records...), "chunk size %d", size)
	}
}

func TestAssemblerSeveralMessagesPerRecord(t *testing.T) {
	t.Parallel()
	msgs, stream := asmFlight(t)
	require.Equal(t, msgs, asmFeed(t, stream))

	// Several in one record, the last one cut and finished by the next.
	cut := len(msgs[0]) + len(msgs[1]) + 10
	var a Assembler
	require.NoError(t, a.Write(stream[:cut]))
	require.True(t, a.Pending())
	require.Equal(t, msgs[:2], asmDrain(&a))
	require.True(t, a.Pending(), "a partial message is pending")
	require.NoError(t, a.Write(stream[cut:]))
	require.Equal(t, msgs[2:], asmDrain(&a))
	require.False(t, a.Pending())
}

func TestAssemblerPending(t *testing.T) {
	t.Parallel()
	var a Assembler
	require.False(t, a.Pending())
	require.NoError(t, a.Write([]byte{byte(TypeKeyUpdate), 0}))
	require.True(t, a.Pending(), "partial header")
	_, ok := a.Next()
	require.False(t, ok)
	require.NoError(t, a.Write([]byte{0, 1, 0}))
	require.True(t, a.Pending(), "whole message not yet read")
	msg, ok := a.Next()
	require.True(t, ok)
	require.Equal(t, []byte{byte(TypeKeyUpdate), 0, 0, 1, 0}, msg)
	require.False(t, a.Pending())
}

func TestAssemblerOversizedHeader(t *testing.T) {
	t.Parallel()
	valid := msgFrame(TypeKeyUpdate, []byte{1})
	tests := []struct {
		name      string
		writes    [][]byte // all but the last succeed
		wantAlert alert.Description
	}{
		{"encrypted_extensions of 64 KiB + 1", [][]byte{{byte(TypeEncryptedExtensions), 0x01, 0x00, 0x01}}, alert.IllegalParameter},
		{"largest announced length", [][]byte{{byte(TypeFinished), 0xff, 0xff, 0xff, 1, 2, 3}}, alert.IllegalParameter},
		{"certificate of 256 KiB + 1", [][]byte{{byte(TypeCertificate), 0x04, 0x00, 0x01}}, alert.IllegalParameter},
		{"header split across records", [][]byte{{byte(TypeCertificateRequest), 0x01}, {0x00, 0x01}}, alert.IllegalParameter},
		{"after a whole message in the same record", [][]byte{append(bytes.Clone(valid), byte(TypeNewSessionTicket), 0x01, 0x00, 0x01, 0xaa)}, alert.IllegalParameter},
		{"zero-length fragment", [][]byte{{}}, alert.UnexpectedMessage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var a Assembler
			last := len(tc.writes) - 1
			for _, w := range tc.writes[:last] {
				require.NoError(t, a.Write(w))
			}
			before := len(a.buf)
			err := a.Write(tc.writes[last])
			require.ErrorIs(t, err, tc.wantAlert)
			require.Len(t, a.buf, before, "the refused record must not be buffered")
			// The error is sticky.
			require.ErrorIs(t, a.Write(valid), tc.wantAlert)
			require.Len(t, a.buf, before)
		})
	}
}

func TestAssemblerLimits(t *testing.T) {
	t.Parallel()
	require.Equal(t, 64<<10, MaxMessageLen(TypeEncryptedExtensions))
	require.Equal(t, 64<<10, MaxMessageLen(MsgType(200)))
	require.Equal(t, 256<<10, MaxMessageLen(TypeCertificate))
	for _, typ := range []MsgType{TypeCertificate, TypeCertificateRequest, TypeNewSessionTicket} {
		t.Run(typ.String(), func(t *testing.T) {
			t.Parallel()
			body := bytes.Repeat([]byte{0x5a}, MaxMessageLen(typ))
			msg := msgFrame(typ, body)
			var a Assembler
			const recordLen = 1 << 14
			for rest := msg; len(rest) > 0; {
				n := min(recordLen, len(rest))
				require.NoError(t, a.Write(rest[:n]))
				rest = rest[n:]
				if len(rest) > 0 {
					_, ok := a.Next()
					require.False(t, ok)
				}
			}
			got, ok := a.Next()
			require.True(t, ok)
			require.Equal(t, msg, got)
			require.LessOrEqual(t, cap(a.buf), retainLimit, "a drained assembler drops a large buffer")
		})
	}
}

// TestAssemblerMessageCapacity checks that appending to a returned message
// cannot overwrite the next one.
func TestAssemblerMessageCapacity(t *testing.T) {
	t.Parallel()
	msgs, stream := asmFlight(t)
	var a Assembler
	require.NoError(t, a.Write(stream))
	first, ok := a.Next()
	require.True(t, ok)
	_ = append(first, 0xee, 0xee, 0xee, 0xee)
	second, ok := a.Next()
	require.True(t, ok)
	require.Equal(t, msgs[1], second)
}

// TestAssemblerSteadyStateAllocs pins the buffer reuse: once warm, a
// record of small post-handshake messages costs no allocation.
func TestAssemblerSteadyStateAllocs(t *testing.T) {
	ku := msgFrame(TypeKeyUpdate, []byte{0})
	record := bytes.Repeat(ku, 3)
	var a Assembler
	allocs := testing.AllocsPerRun(100, func() {
		if err := a.Write(record[:7]); err != nil {
			panic(err)
		}
		if err := a.Write(record[7:]); err != nil {
			panic(err)
		}
		for {
			if _, ok := a.Next(); !ok {
				break
			}
		}
	})
	require.Zero(t, allocs)
}

func BenchmarkAssembler(b *testing.B) {
	for _, size := range []int{64, 1 << 10, 16 << 10} {
		b.Run(fmt.Sprintf("msg=%d", size), func(b *testing.B) {
			msg := msgFrame(TypeNewSessionTicket, make([]byte, size))
			var a Assembler
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				half := len(msg) / 2
				if err := a.Write(msg[:half]); err != nil {
					b.Fatal(err)
				}
				if err := a.Write(msg[half:]); err != nil {
					b.Fatal(err)
				}
				if _, ok := a.Next(); !ok {
					b.Fatal("no message")
				}
			}
		})
	}
}

func ExampleAssembler() {
	// One record holding a KeyUpdate and the first half of a Finished,
	// then a record with the rest.
	var a Assembler
	_ = a.Write([]byte{24, 0, 0, 1, 1, 20, 0, 0, 4, 0xaa, 0xbb})
	for msg, ok := a.Next(); ok; msg, ok = a.Next() {
		fmt.Printf("%v % x\n", MsgType(msg[0]), msg)
	}
	fmt.Println("pending:", a.Pending())
	_ = a.Write([]byte{0xcc, 0xdd})
	for msg, ok := a.Next(); ok; msg, ok = a.Next() {
		fmt.Printf("%v % x\n", MsgType(msg[0]), msg)
	}
	fmt.Println("pending:", a.Pending())

	// A header announcing more than MaxMessageLen is refused at once.
	err := a.Write([]byte{byte(TypeEncryptedExtensions), 0x10, 0x00, 0x00})
	fmt.Println(err)
	// Output:
	// key_update 18 00 00 01 01
	// pending: true
	// finished 14 00 00 04 aa bb cc dd
	// pending: false
	// tls: encrypted_extensions message of 1048576 bytes exceeds the 65536-byte limit (illegal_parameter)
}
