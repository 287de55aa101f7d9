package tlsrecord_test

import (
	"bytes"
	"crypto/aes"
	stdcipher "crypto/cipher"
	"crypto/tls"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/conn"
	"github.com/tlsrecord/tlsrecord/internal/testpeer"
	"github.com/tlsrecord/tlsrecord/record"
)

// The record-throughput benchmarks. Each BenchmarkSeal/<construction>/<size>
// runs beside BenchmarkSeal/raw/<construction>/<size>, the bare AEAD doing
// the same cryptographic work in the same run: the same number of bytes
// through stdcipher.AEAD (for TLS 1.3, size+1, the TLSInnerPlaintext without
// padding), a 12-byte nonce and the same AAD length (5 bytes for TLS 1.3, 13
// for TLS 1.2). The difference is the record layer's own cost: header,
// nonce and AAD construction, the TLS 1.3 copy into dst and padding scan,
// the length and type checks, the interface call.
//
// Compare with benchstat after renaming the raw rows:
//
//	go test -run '^$' -bench . -benchtime 0.3s -count 6 . > bench.txt
//	grep -v /raw/ bench.txt > ours.txt
//	grep -e /raw/ -e '^[a-z]' bench.txt | sed 's|/raw/|/|' > raw.txt
//	benchstat raw.txt ours.txt

var benchSizes = []int{16384, 4096, 1024, 256, 64}

type benchConstruction struct {
	name    string
	tls13   bool
	new     func() protection
	raw     stdcipher.AEAD
	aadLen  int
	overLen int // bytes the AEAD seals beyond the payload: 1 for TLS 1.3's type
}

type protection interface {
	record.Sealer
	record.Opener
}

func benchConstructions(b *testing.B) []benchConstruction {
	b.Helper()
	var cs []benchConstruction
	for _, c := range []struct {
		name string
		id   uint16
	}{
		{"tls13/aes128gcm", 0x1301},
		{"tls13/aes256gcm", 0x1302},
		{"tls13/chacha20poly1305", 0x1303},
		{"tls12/aes128gcm", 0xc02f},
		{"tls12/aes256gcm", 0xc030},
		{"tls12/chacha20poly1305", 0xcca8},
	} {
		s := cipher.SuiteByID(c.id)
		bc := benchConstruction{name: c.name, tls13: s.Version == record.VersionTLS13}
		var key []byte
		if bc.tls13 {
			secret := bytes.Repeat([]byte{0x42}, s.Hash.Size())
			key, _ = s.TrafficKey(secret)
			bc.new = func() protection { return cipher.NewTLS13(s, secret) }
			bc.aadLen, bc.overLen = record.HeaderLen, 1
		} else {
			key = bytes.Repeat([]byte{0x42}, s.KeyLen)
			iv := bytes.Repeat([]byte{0x24}, s.IVLen())
			bc.new = func() protection { return cipher.NewTLS12(s, key, iv) }
			bc.aadLen = 13
		}
		var err error
		if strings.Contains(c.name, "chacha") {
			bc.raw, err = chacha20poly1305.New(key)
		} else {
			var block stdcipher.Block
			if block, err = aes.NewCipher(key); err == nil {
				bc.raw, err = stdcipher.NewGCM(block)
			}
		}
		if err != nil {
			b.Fatal(err)
		}
		cs = append(cs, bc)
	}
	return cs
}

func BenchmarkSeal(b *testing.B) {
	for _, c := range benchConstructions(b) {
		for _, size := range benchSizes {
			name := c.name + "/" + strconv.Itoa(size)
			b.Run(name, func(b *testing.B) { benchSeal(b, c, size, false) })
			b.Run("raw/"+name, func(b *testing.B) { benchRawSeal(b, c, size) })
		}
	}
}

// BenchmarkSealInPlace is BenchmarkSeal for TLS 1.3 with the payload already
// in place at dst[len(dst)+record.HeaderLen:], as a caller that builds its
// plaintext in the record buffer has it: Seal then skips the copy that the
// contiguous TLSInnerPlaintext (content || type) otherwise requires.
func BenchmarkSealInPlace(b *testing.B) {
	for _, c := range benchConstructions(b) {
		if !c.tls13 {
			continue
		}
		for _, size := range benchSizes {
			name := c.name + "/" + strconv.Itoa(size)
			b.Run(name, func(b *testing.B) { benchSeal(b, c, size, true) })
			b.Run("raw/"+name, func(b *testing.B) { benchRawSeal(b, c, size) })
		}
	}
}

func benchSeal(b *testing.B, c benchConstruction, size int, inPlace bool) {
	s := c.new()
	dst := make([]byte, 0, record.HeaderLen+size+s.Overhead())
	payload := make([]byte, size)
	if inPlace {
		payload = dst[record.HeaderLen : record.HeaderLen+size]
	}
	var seq uint64
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		dst = s.Seal(dst[:0], record.ApplicationData, seq, payload)
		seq++
	}
}

func benchRawSeal(b *testing.B, c benchConstruction, size int) {
	plaintext := make([]byte, size+c.overLen)
	nonce, aad := make([]byte, 12), make([]byte, c.aadLen)
	dst := make([]byte, 0, len(plaintext)+c.raw.Overhead())
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		dst = c.raw.Seal(dst[:0], nonce, plaintext, aad)
	}
}

// openRing is how many records BenchmarkOpen seals ahead, outside the timer,
// under sequence numbers 0..n-1: a record only opens under its own sequence
// number, so the loop cycles through them. The ring is kept within 16 KiB
// (two records at least) so that, like the raw AEAD's single ciphertext, it
// is served from L1 as a record just read from the socket would be.
func openRing(size int) int {
	n := 1024
	for n > 2 && n*(size+64) > 16<<10 {
		n /= 2
	}
	return n
}

func BenchmarkOpen(b *testing.B) {
	for _, c := range benchConstructions(b) {
		for _, size := range benchSizes {
			name := c.name + "/" + strconv.Itoa(size)
			b.Run(name, func(b *testing.B) {
				sealer, opener := c.new(), c.new()
				ring := make([][]byte, openRing(size))
				for i := range ring {
					ring[i] = sealer.Seal(nil, record.ApplicationData, uint64(i), make([]byte, size))
				}
				mask := uint64(len(ring) - 1)
				dst := make([]byte, 0, size+opener.Overhead()+1)
				var i uint64
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					seq := i & mask
					_, pt, err := opener.Open(dst[:0], seq, ring[seq])
					if err != nil || len(pt) != size {
						b.Fatal("open failed", err)
					}
					i++
				}
			})
			b.Run("raw/"+name, func(b *testing.B) {
				nonce, aad := make([]byte, 12), make([]byte, c.aadLen)
				ciphertext := c.raw.Seal(nil, nonce, make([]byte, size+c.overLen), aad)
				dst := make([]byte, 0, len(ciphertext))
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					pt, err := c.raw.Open(dst[:0], nonce, ciphertext, aad)
					if err != nil || len(pt) != size+c.overLen {
						b.Fatal("open failed", err)
					}
				}
			})
		}
	}
}

// BenchmarkConnWrite and BenchmarkConnRead measure a whole client Conn
// over loopback TCP against crypto/tls's client in the same run: TLS 1.3,
// AES-128-GCM, a crypto/tls server that discards (Write) or streams
// (Read). Compare with benchstat after renaming:
//
//	go test -run '^$' -bench 'Conn' -count 6 . > conn.txt
//	grep /tlsrecord/ conn.txt | sed 's|/tlsrecord/|/|' > ours.txt
//	grep -e /cryptotls/ -e '^[a-z]' conn.txt | sed 's|/cryptotls/|/|' > theirs.txt
//	benchstat theirs.txt ours.txt
func BenchmarkConnWrite(b *testing.B) {
	benchConn(b, func(c net.Conn) { io.Copy(io.Discard, c) }, func(b *testing.B, c net.Conn, buf []byte) {
		for b.Loop() {
			if _, err := c.Write(buf); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkConnRead(b *testing.B) {
	chunk := bytes.Repeat([]byte("r"), 1<<16)
	benchConn(b, func(c net.Conn) {
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}, func(b *testing.B, c net.Conn, buf []byte) {
		for b.Loop() {
			if _, err := io.ReadFull(c, buf); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func benchConn(b *testing.B, serve func(net.Conn), run func(*testing.B, net.Conn, []byte)) {
	cert := testpeer.ECDSACertificate()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13})
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
	clients := []struct {
		name string
		dial func() (net.Conn, error)
	}{
		{"tlsrecord", func() (net.Conn, error) {
			return conn.Dial("tcp", ln.Addr().String(), &conn.Config{ServerName: testpeer.ServerName, RootCAs: testpeer.Roots(),
				CipherSuites: []uint16{tls.TLS_AES_128_GCM_SHA256}})
		}},
		{"cryptotls", func() (net.Conn, error) {
			return tls.Dial("tcp", ln.Addr().String(), &tls.Config{ServerName: testpeer.ServerName, RootCAs: testpeer.Roots()})
		}},
	}
	for _, cl := range clients {
		for _, size := range []int{16384, 1024, 64} {
			b.Run(cl.name+"/"+strconv.Itoa(size), func(b *testing.B) {
				c, err := cl.dial()
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				buf := bytes.Repeat([]byte("w"), size)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				run(b, c, buf)
			})
		}
	}
}
