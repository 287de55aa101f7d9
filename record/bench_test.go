package record_test

import (
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/tlsrecord/tlsrecord/record"
)

var benchSizes = []int{record.MaxPlaintext, 64}

func BenchmarkWrite(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			payload := pattern(size, 1)
			w := record.NewWriter(io.Discard)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := w.Write(record.ApplicationData, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkReadRecord(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			rd := record.NewReader(&loopReader{data: cyclicStream(plain, size), size: 1 << 20})
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := rd.ReadRecord(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(b *testing.B) (client, server net.Conn) {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		b.Fatal("accept failed")
	}
	b.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// countingConn counts the transport calls a Reader or Writer makes.
type countingConn struct {
	net.Conn
	calls int
}

func (c *countingConn) Write(p []byte) (int, error) { c.calls++; return c.Conn.Write(p) }
func (c *countingConn) Read(p []byte) (int, error)  { c.calls++; return c.Conn.Read(p) }

// BenchmarkWriterTCP writes 1 MiB per op over loopback TCP with several
// batch sizes, to choose writeBatch; calls/op is transport writes.
func BenchmarkWriterTCP(b *testing.B) {
	payload := pattern(1<<20, 1)
	for _, batch := range []int{1, 4, 8, 16, 32} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			client, server := tcpPair(b)
			go io.Copy(io.Discard, server) // ends when the pair is closed
			cc := &countingConn{Conn: client}
			w := record.NewWriter(cc)
			w.SetBatchForTest(batch)
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := w.Write(record.ApplicationData, payload); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cc.calls)/float64(b.N), "writes/op")
		})
	}
}

// BenchmarkReaderTCP reads records over loopback TCP with several buffer
// sizes, to choose readBufSize; reads/op is transport reads per record.
func BenchmarkReaderTCP(b *testing.B) {
	for _, size := range benchSizes {
		stream := cyclicStream(plain, size)
		for _, buf := range []int{record.ReadBufSize, 64 << 10, 128 << 10, 256 << 10} {
			b.Run(fmt.Sprintf("%d/buf=%d", size, buf), func(b *testing.B) {
				client, server := tcpPair(b)
				go func() {
					for {
						if _, err := server.Write(stream); err != nil {
							return
						}
					}
				}()
				cc := &countingConn{Conn: client}
				rd := record.NewReader(cc)
				rd.SetBufferForTest(buf)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := rd.ReadRecord(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(cc.calls)/float64(b.N), "reads/op")
			})
		}
	}
}
