package tlsrecord_test

import (
	"bufio"
	"bytes"
	"crypto/aes"
	stdcipher "crypto/cipher"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

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
// nonce and AAD construction, the TLS 1.3 type byte and padding scan, the
// length and type checks, the interface call.
//
// BenchmarkSeal seals the payload where record.Writer.Next puts it, in the
// record buffer at the Sealer's ContentOffset: the zero-copy path.
// BenchmarkSealCopy seals it from the caller's own buffer, as Writer.Write
// and conn's Write do; for TLS 1.3 that adds one memmove of the payload,
// because the AEAD seals content and type as one contiguous
// TLSInnerPlaintext (crypto/tls copies too). For TLS 1.2 the two paths
// cost the same.
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

func BenchmarkSeal(b *testing.B)     { benchPairs(b, sealInPlace) }
func BenchmarkSealCopy(b *testing.B) { benchPairs(b, sealCopy) }
func BenchmarkOpen(b *testing.B)     { benchPairs(b, openRecords) }

// ops builds, for one construction and payload size, a function that does
// k operations of ours and one that does k of the bare AEAD's.
type ops func(b *testing.B, c benchConstruction, size int) (ours, raw func(k int))

func sealInPlace(_ *testing.B, c benchConstruction, size int) (func(int), func(int)) {
	return sealOps(c, size, true), rawSealOps(c, size)
}

func sealCopy(_ *testing.B, c benchConstruction, size int) (func(int), func(int)) {
	return sealOps(c, size, false), rawSealOps(c, size)
}

func openRecords(b *testing.B, c benchConstruction, size int) (func(int), func(int)) {
	return openOps(b, c, size), rawOpenOps(b, c, size)
}

// benchPairs runs <construction>/<size> and raw/<construction>/<size>
// for every construction and size.
func benchPairs(b *testing.B, mk ops) {
	for _, c := range benchConstructions(b) {
		for _, size := range benchSizes {
			name := c.name + "/" + strconv.Itoa(size)
			b.Run(name, func(b *testing.B) {
				ours, _ := mk(b, c, size)
				benchOps(b, size, ours)
			})
			b.Run("raw/"+name, func(b *testing.B) {
				_, raw := mk(b, c, size)
				benchOps(b, size, raw)
			})
		}
	}
}

func benchOps(b *testing.B, size int, f func(int)) {
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		f(1)
	}
}

// sealOps seals size-byte payloads under consecutive sequence numbers,
// inPlace where Writer.Next puts them, else from a separate buffer.
func sealOps(c benchConstruction, size int, inPlace bool) func(int) {
	s := c.new()
	dst := make([]byte, 0, record.HeaderLen+size+s.Overhead())
	payload := make([]byte, size)
	if inPlace {
		off := s.(record.InPlaceSealer).ContentOffset()
		payload = dst[off : off+size]
	}
	var seq uint64
	return func(k int) {
		for range k {
			dst = s.Seal(dst[:0], record.ApplicationData, seq, payload)
			seq++
		}
	}
}

func rawSealOps(c benchConstruction, size int) func(int) {
	plaintext := make([]byte, size+c.overLen)
	nonce, aad := make([]byte, 12), make([]byte, c.aadLen)
	dst := make([]byte, 0, len(plaintext)+c.raw.Overhead())
	return func(k int) {
		for range k {
			dst = c.raw.Seal(dst[:0], nonce, plaintext, aad)
		}
	}
}

// openRing is how many records openOps seals ahead, outside the timer,
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

func openOps(b *testing.B, c benchConstruction, size int) func(int) {
	sealer, opener := c.new(), c.new()
	ring := make([][]byte, openRing(size))
	for i := range ring {
		ring[i] = sealer.Seal(nil, record.ApplicationData, uint64(i), make([]byte, size))
	}
	mask := uint64(len(ring) - 1)
	dst := make([]byte, 0, size+opener.Overhead()+1)
	var i uint64
	return func(k int) {
		for range k {
			seq := i & mask
			_, pt, err := opener.Open(dst[:0], seq, ring[seq])
			if err != nil || len(pt) != size {
				b.Fatal("open failed", err)
			}
			i++
		}
	}
}

func rawOpenOps(b *testing.B, c benchConstruction, size int) func(int) {
	nonce, aad := make([]byte, 12), make([]byte, c.aadLen)
	ciphertext := c.raw.Seal(nil, nonce, make([]byte, size+c.overLen), aad)
	dst := make([]byte, 0, len(ciphertext))
	return func(k int) {
		for range k {
			pt, err := c.raw.Open(dst[:0], nonce, ciphertext, aad)
			if err != nil || len(pt) != size+c.overLen {
				b.Fatal("open failed", err)
			}
		}
	}
}

// BenchmarkOverhead measures the record layer's cost over the bare AEAD
// directly, for machines (shared VMs) whose run-to-run noise is larger
// than that cost and hides it in an unpaired benchstat comparison of
// BenchmarkSeal with its raw/ rows. Each <op>/<construction>/<size> runs
// ours and the raw AEAD in alternating blocks of about 20 µs, so both see
// the same machine state, and reports the median over blocks of the
// per-operation difference: ns-over-raw/op and %-over-raw (that
// difference against the raw AEAD's median). ns/op is ours's median.
// Summarize a few runs with benchstat:
//
//	go test -run '^$' -bench '^BenchmarkOverhead$' -count 6 . > overhead.txt
//	benchstat overhead.txt
func BenchmarkOverhead(b *testing.B) {
	for _, op := range []struct {
		name string
		mk   ops
	}{{"Seal", sealInPlace}, {"SealCopy", sealCopy}, {"Open", openRecords}} {
		for _, c := range benchConstructions(b) {
			for _, size := range benchSizes {
				b.Run(op.name+"/"+c.name+"/"+strconv.Itoa(size), func(b *testing.B) {
					ours, raw := op.mk(b, c, size)
					benchPaired(b, size, ours, raw)
				})
			}
		}
	}
}

func benchPaired(b *testing.B, size int, ours, raw func(int)) {
	k := max(1, 20000/(size/4+100)) // operations per block: about 20 µs
	ours(k)                         // warm both up
	raw(k)
	var oursNs, rawNs, diffNs []float64
	b.ResetTimer()
	for done, i := 0, 0; done < b.N; done, i = done+k, i+1 {
		var to, tr time.Duration
		if i%2 == 0 {
			to, tr = timeOps(ours, k), timeOps(raw, k)
		} else {
			tr, to = timeOps(raw, k), timeOps(ours, k)
		}
		o, r := float64(to)/float64(k), float64(tr)/float64(k)
		oursNs, rawNs, diffNs = append(oursNs, o), append(rawNs, r), append(diffNs, o-r)
	}
	b.StopTimer()
	d, r := median(diffNs), median(rawNs)
	b.ReportMetric(median(oursNs), "ns/op")
	b.ReportMetric(d, "ns-over-raw/op")
	b.ReportMetric(100*d/r, "%-over-raw")
}

func timeOps(f func(int), k int) time.Duration {
	start := time.Now()
	f(k)
	return time.Since(start)
}

func median(x []float64) float64 {
	slices.Sort(x)
	return x[len(x)/2]
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
	go serveAll(ln, serve)
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

// BenchmarkResumedHandshake measures a resumed TLS 1.3 handshake (PSK with
// X25519, psk_dhe_ke) of our client beside crypto/tls's, against the same
// crypto/tls server. The server runs in a child process (this test binary,
// as TestResumeBenchServer), so the CPU and allocations measured are the
// client's alone. Each iteration runs one handshake of each client, in
// alternating order, so that both meet the same machine load; the metrics
// are per handshake and per client: wall time (dial, handshake, close),
// client CPU (user plus system time of this process) and heap allocations.
// Every handshake must resume, or the benchmark fails.
//
//	go test -run '^$' -bench '^BenchmarkResumedHandshake$' -benchtime 2000x -count 6 .
func BenchmarkResumedHandshake(b *testing.B) {
	addr := startBenchServer(b)
	ours := &conn.Config{ServerName: testpeer.ServerName, RootCAs: testpeer.Roots(),
		CurvePreferences: []tls.CurveID{tls.X25519}, ClientSessionCache: conn.NewLRUClientSessionCache(1),
		ReuseSessionTickets: true}
	theirs := &tls.Config{ServerName: testpeer.ServerName, RootCAs: testpeer.Roots(),
		CurvePreferences: []tls.CurveID{tls.X25519}, ClientSessionCache: tls.NewLRUClientSessionCache(1)}
	clients := []resumeClient{
		{name: "tlsrecord", dial: func(raw net.Conn) (net.Conn, bool, error) {
			c := conn.Client(raw, ours)
			err := c.Handshake()
			return c, c.ConnectionState().DidResume, err
		}},
		{name: "cryptotls", dial: func(raw net.Conn) (net.Conn, bool, error) {
			c := tls.Client(raw, theirs)
			err := c.Handshake()
			return c, c.ConnectionState().DidResume, err
		}},
	}
	for i := range clients {
		clients[i].handshake(b, addr) // a full handshake fills the cache
		clients[i].total = resumeCost{}
	}
	i := 0
	for b.Loop() {
		for j := range clients {
			c := &clients[(i+j)%len(clients)]
			if !c.handshake(b, addr) {
				b.Fatalf("%s: the handshake did not resume", c.name)
			}
		}
		i++
	}
	for _, c := range clients {
		n := float64(b.N)
		b.ReportMetric(float64(c.total.wall)/n, c.name+"-ns/handshake")
		b.ReportMetric(float64(c.total.cpu)/n, c.name+"-cpu-ns/handshake")
		b.ReportMetric(float64(c.total.allocs)/n, c.name+"-allocs/handshake")
		b.ReportMetric(float64(c.total.bytes)/n, c.name+"-B/handshake")
	}
}

type resumeCost struct {
	wall, cpu     time.Duration
	allocs, bytes uint64
}

type resumeClient struct {
	name  string
	dial  func(raw net.Conn) (net.Conn, bool, error) // the conn, whether it resumed
	total resumeCost
}

// handshake dials, runs one handshake, closes, adds its cost to total and
// reports whether it resumed. After a full handshake it reads the server's
// byte, behind which the tickets arrived.
func (rc *resumeClient) handshake(b *testing.B, addr string) bool {
	start, cpu, allocs, bytes := time.Now(), processCPU(), heapAllocs("objects"), heapAllocs("bytes")
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	c, resumed, err := rc.dial(raw)
	if err != nil {
		b.Fatal(err)
	}
	if !resumed {
		if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
			b.Fatal(err)
		}
	}
	c.Close()
	rc.total.wall += time.Since(start)
	rc.total.cpu += processCPU() - cpu
	rc.total.allocs += heapAllocs("objects") - allocs
	rc.total.bytes += heapAllocs("bytes") - bytes
	return resumed
}

// heapAllocs reads the cumulative heap allocation count ("objects") or
// size ("bytes") from runtime/metrics, which stops no world.
func heapAllocs(unit string) uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:" + unit}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// processCPU returns the user and system CPU time this process used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchServerEnv makes TestResumeBenchServer serve instead of skipping; it
// names the directory of the test certificates (testpeer.WriteCertFiles),
// which are made per process.
const benchServerEnv = "TLSRECORD_BENCH_SERVER"

// startBenchServer runs TestResumeBenchServer in a child process and
// returns its address; the child ends with the benchmark.
func startBenchServer(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	if _, err := testpeer.WriteCertFiles(dir); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestResumeBenchServer$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), benchServerEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close() // the child serves until its stdin closes
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatal(err)
	}
	return strings.TrimSpace(line)
}

// TestResumeBenchServer is BenchmarkResumedHandshake's server, a helper
// process as in os/exec's tests: it skips unless started by the benchmark.
// It serves crypto/tls (TLS 1.3, tickets on) on loopback, writes one byte
// on each connection and reads until the client closes.
func TestResumeBenchServer(t *testing.T) {
	dir := os.Getenv(benchServerEnv)
	if dir == "" {
		t.Skip("the server process of BenchmarkResumedHandshake")
	}
	files, err := testpeer.WriteCertFiles(t.TempDir()) // for the file names only
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, filepath.Base(files.ECDSACert)), filepath.Join(dir, filepath.Base(files.ECDSAKey)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(ln.Addr())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		ln.Close()
	}()
	serveAll(ln, func(c net.Conn) {
		if _, err := c.Write([]byte{1}); err == nil {
			io.Copy(io.Discard, c)
		}
	})
}

// serveAll runs serve on each connection ln accepts, until ln is closed.
func serveAll(ln net.Listener, serve func(net.Conn)) {
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
}

// BenchmarkShapedWrite seals 16 KiB of application data through a TLS 1.3
// record.Writer into io.Discard: full records, 256-byte fragments (MaxFragment,
// or a server's record_size_limit), each record padded to a 256-byte block,
// and both. It shows what small records and padding cost; allocs/op stays 0.
func BenchmarkShapedWrite(b *testing.B) {
	suite := cipher.SuiteByID(tls.TLS_AES_128_GCM_SHA256)
	block := func(_ record.ContentType, n int) int { return (256 - (n+1)%256) % 256 }
	payload := bytes.Repeat([]byte("p"), 16384)
	for _, tc := range []struct {
		name string
		frag int
		pad  func(record.ContentType, int) int
	}{
		{"full", record.MaxPlaintext, nil},
		{"frag256", 256, nil},
		{"pad256", record.MaxPlaintext, block},
		{"frag256+pad256", 256, block},
	} {
		b.Run(tc.name, func(b *testing.B) {
			w := record.NewWriter(io.Discard)
			s := cipher.NewTLS13(suite, make([]byte, 32))
			s.SetPadding(tc.pad)
			w.SetSealer(s)
			w.SetMaxFragment(tc.frag)
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := w.Write(record.ApplicationData, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
