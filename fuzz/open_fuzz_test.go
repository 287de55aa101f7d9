package fuzz_test

import (
	"bytes"
	"crypto/aes"
	stdcipher "crypto/cipher"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/record"
)

// openTarget is one suite's protection under fixed keys: a sealer, an opener,
// and the bare AEAD with the same key and IV, which seals any plaintext (for
// TLS 1.3 a whole TLSInnerPlaintext) so fuzzed plaintext reaches the checks
// behind authentication.
type openTarget struct {
	suite  *cipher.Suite
	sealer interface {
		record.Sealer
		record.Opener
	}
	opener record.Opener
	padded *cipher.AEAD13 // the sealer when TLS 1.3
	raw    stdcipher.AEAD
	iv     []byte
}

func openTargets(t testing.TB) []openTarget {
	t.Helper()
	var ts []openTarget
	for _, s := range cipher.Suites() {
		var key, iv []byte
		tt := openTarget{suite: s}
		if s.Version == record.VersionTLS13 {
			secret := bytes.Repeat([]byte{0x5a}, s.Hash.Size())
			key, iv = s.TrafficKey(secret)
			tt.padded = cipher.NewTLS13(s, secret)
			tt.sealer, tt.opener = tt.padded, cipher.NewTLS13(s, secret)
		} else {
			key, iv = bytes.Repeat([]byte{0xa5}, s.KeyLen), bytes.Repeat([]byte{0x3c}, s.IVLen())
			tt.sealer, tt.opener = cipher.NewTLS12(s, key, iv), cipher.NewTLS12(s, key, iv)
		}
		var err error
		if strings.Contains(s.Name, "CHACHA20") {
			tt.raw, err = chacha20poly1305.New(key)
		} else {
			var b stdcipher.Block
			b, err = aes.NewCipher(key)
			if err == nil {
				tt.raw, err = stdcipher.NewGCM(b)
			}
		}
		require.NoError(t, err)
		tt.iv = iv
		ts = append(ts, tt)
	}
	return ts
}

// rawSeal protects plaintext as a record of type typ (TLS 1.2) or as a whole
// TLSInnerPlaintext (TLS 1.3), as RFC 5246/5288/7905 and RFC 8446 describe.
func (tt openTarget) rawSeal(typ record.ContentType, seq uint64, plaintext []byte) []byte {
	var seqBytes [12]byte
	binary.BigEndian.PutUint64(seqBytes[4:], seq)
	nonce := append([]byte(nil), tt.iv...)
	if tt.suite.Version == record.VersionTLS13 {
		for i := range nonce {
			nonce[i] ^= seqBytes[i]
		}
		h := record.Header{Type: record.ApplicationData, Version: record.VersionTLS12, Length: len(plaintext) + 16}.AppendTo(nil)
		return tt.raw.Seal(h, nonce, plaintext, h)
	}
	aad := record.Header{Type: typ, Version: record.VersionTLS12, Length: len(plaintext)}.AppendTo(seqBytes[4:12:12])
	var explicit []byte
	if len(nonce) == 4 {
		explicit = seqBytes[4:]
		nonce = append(nonce, explicit...)
	} else {
		for i := range nonce {
			nonce[i] ^= seqBytes[i]
		}
	}
	h := record.Header{Type: typ, Version: record.VersionTLS12, Length: len(explicit) + len(plaintext) + 16}.AppendTo(nil)
	return tt.raw.Seal(append(h, explicit...), nonce, plaintext, aad)
}

// requireOpenAlert asserts that err is one of the three alerts Open may
// return, as the bare alert.Description.
func requireOpenAlert(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	var d alert.Description
	require.True(t, errors.As(err, &d), "error %v carries no alert", err)
	require.Equal(t, error(d), err, "Open wraps its alert")
	require.Contains(t, []alert.Description{alert.BadRecordMAC, alert.UnexpectedMessage, alert.RecordOverflow}, d)
}

// FuzzOpen checks record protection for every suite:
//   - any payload, known content type and TLS 1.3 padding request round-trips
//     exactly (type and payload), the record respects the limits, and
//     sealing the payload in place (where record.Writer.Next puts it)
//     gives the same record;
//   - any plaintext sealed with the bare AEAD (for TLS 1.3 a whole
//     TLSInnerPlaintext, so all-zero, unknown-type and oversized ones reach
//     the checks behind authentication) opens to what the RFC says or fails
//     with one of bad_record_mac, unexpected_message, record_overflow;
//   - a sealed record with one byte changed, with a fuzzed header, or under
//     another sequence number never opens; and arbitrary bytes never panic.
//
// Run: go test ./fuzz -run '^$' -fuzz '^FuzzOpen$' -fuzztime 60s
func FuzzOpen(f *testing.F) {
	targets := openTargets(f)
	for i := range targets {
		f.Add(uint8(i), uint8(3), uint16(0), uint64(0), []byte("hello, world"), uint16(0), uint8(0), []byte{}, uint64(0))
	}
	f.Fuzz(func(t *testing.T, sel, typSel uint8, pad uint16, seq uint64, payload []byte,
		pos uint16, xor uint8, header []byte, seqDelta uint64) {
		tt := targets[int(sel)%len(targets)]
		tls13 := tt.suite.Version == record.VersionTLS13

		// Round trip.
		typ := record.ChangeCipherSpec + record.ContentType(typSel%5)
		content := payload[:min(len(payload), record.MaxPlaintext)]
		if tls13 {
			tt.padded.SetPadding(func(record.ContentType, int) int { return int(pad) - 1000 })
		}
		rec := tt.sealer.Seal(nil, typ, seq, content)
		h := record.ParseHeader(rec)
		require.Equal(t, len(rec)-record.HeaderLen, h.Length)
		require.LessOrEqual(t, h.Length, tt.opener.MaxFragment())
		if tls13 {
			require.LessOrEqual(t, h.Length-16, record.MaxInnerPlaintextTLS13)
		}
		gotTyp, got, err := tt.opener.Open(nil, seq, append([]byte(nil), rec...))
		require.NoError(t, err)
		require.Equal(t, typ, gotTyp)
		require.Equal(t, content, got)

		// Sealed in place, where record.Writer.Next puts the content: the
		// same record.
		off := tt.sealer.(record.InPlaceSealer).ContentOffset()
		buf := make([]byte, off+len(content), off+len(content)+tt.sealer.Overhead())
		copy(buf[off:], content)
		require.Equal(t, rec, tt.sealer.Seal(buf[:0], typ, seq, buf[off:]), "sealed in place")

		// Another sequence number, a changed byte, a fuzzed header.
		if seqDelta != 0 {
			_, _, err = tt.opener.Open(nil, seq+seqDelta, append([]byte(nil), rec...))
			requireOpenAlert(t, err)
		}
		if xor != 0 {
			bad := append([]byte(nil), rec...)
			bad[int(pos)%len(bad)] ^= xor
			_, _, err = tt.opener.Open(nil, seq, bad)
			requireOpenAlert(t, err)
		}
		if len(header) >= record.HeaderLen {
			bad := append(header[:record.HeaderLen:record.HeaderLen], rec[record.HeaderLen:]...)
			if _, _, err = tt.opener.Open(nil, seq, bad); err == nil {
				require.Equal(t, rec[:record.HeaderLen], bad[:record.HeaderLen], "a changed header opened")
			} else {
				requireOpenAlert(t, err)
			}
		}

		// Fuzzed plaintext behind a valid tag.
		checkRawOpen(t, tt, record.ContentType(typSel), seq, payload)

		// Arbitrary bytes as a record.
		if _, _, err := tt.opener.Open(nil, seq, append([]byte(nil), payload...)); err != nil {
			requireOpenAlert(t, err)
		}
	})
}

// checkRawOpen seals plaintext with the bare AEAD and checks Open's verdict
// against the RFCs' rules, computed here independently.
func checkRawOpen(t *testing.T, tt openTarget, typ record.ContentType, seq uint64, plaintext []byte) {
	t.Helper()
	if len(plaintext) > record.MaxCiphertextTLS12 { // beyond any header's reach
		plaintext = plaintext[:record.MaxCiphertextTLS12]
	}
	gotTyp, got, err := tt.opener.Open(nil, seq, tt.rawSeal(typ, seq, plaintext))
	if tt.suite.Version == record.VersionTLS12 {
		switch {
		case len(plaintext) > record.MaxPlaintext:
			require.ErrorIs(t, err, alert.RecordOverflow)
		case !typ.Known():
			require.ErrorIs(t, err, alert.UnexpectedMessage)
		default:
			require.NoError(t, err)
			require.Equal(t, typ, gotTyp)
			require.Equal(t, plaintext, got)
		}
		return
	}
	// TLSInnerPlaintext: content || type || zeros (RFC 8446, Section 5.2).
	trimmed := bytes.TrimRight(plaintext, "\x00")
	switch {
	case len(plaintext) > record.MaxInnerPlaintextTLS13:
		require.ErrorIs(t, err, alert.RecordOverflow)
	case len(trimmed) == 0, !record.ContentType(trimmed[len(trimmed)-1]).Known():
		require.ErrorIs(t, err, alert.UnexpectedMessage)
	default:
		require.NoError(t, err)
		require.Equal(t, record.ContentType(trimmed[len(trimmed)-1]), gotTyp)
		require.Equal(t, trimmed[:len(trimmed)-1], got)
	}
}
