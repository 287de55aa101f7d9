package main

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/internal/testpeer"
)

// capture is a pcapng file read back with gopacket.
type capture struct {
	fins      []layers.TCPPort // source ports of FIN packets, in order
	rsts      []layers.TCPPort
	streams   map[layers.TCPPort][]byte
	comment   string
	secrets   []byte // the Decryption Secrets Block's key log
	clientEnd layers.TCPPort
}

func readCapture(t *testing.T, path string) capture {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	r, err := pcapgo.NewNgReader(bytes.NewReader(raw), pcapgo.DefaultNgReaderOptions)
	require.NoError(t, err)
	c := capture{streams: map[layers.TCPPort][]byte{}, comment: r.SectionInfo().Comment, secrets: secretsBlock(t, raw)}
	src := gopacket.NewPacketSource(r, r.LinkType())
	first := true
	for p := range src.Packets() {
		tcp, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		require.True(t, ok)
		if first {
			require.True(t, tcp.SYN, "the capture opens with the TCP handshake")
			c.clientEnd, first = tcp.SrcPort, false
		}
		if tcp.FIN {
			c.fins = append(c.fins, tcp.SrcPort)
		}
		if tcp.RST {
			c.rsts = append(c.rsts, tcp.SrcPort)
		}
		c.streams[tcp.SrcPort] = append(c.streams[tcp.SrcPort], tcp.Payload...)
	}
	return c
}

// secretsBlock finds the Decryption Secrets Block in a pcapng file by
// walking the blocks, and checks its layout.
func secretsBlock(t *testing.T, b []byte) []byte {
	t.Helper()
	for len(b) >= 12 {
		typ, total := binary.LittleEndian.Uint32(b), int(binary.LittleEndian.Uint32(b[4:]))
		require.Zero(t, total%4, "blocks are padded to 4 bytes")
		require.LessOrEqual(t, total, len(b))
		require.Equal(t, uint32(total), binary.LittleEndian.Uint32(b[total-4:]), "trailing length")
		if typ == 0x0000000A {
			require.Equal(t, uint32(0x544c534b), binary.LittleEndian.Uint32(b[8:]), "secrets type TLSK")
			n := int(binary.LittleEndian.Uint32(b[12:]))
			require.Equal(t, 16+(n+3)/4*4+4, total)
			return b[16 : 16+n]
		}
		b = b[total:]
	}
	t.Fatal("no Decryption Secrets Block")
	return nil
}

// tsharkFields runs tshark on the capture with no option but a filter
// and the fields: what a user typing "tshark -r FILE" sees, decrypted.
func tsharkFields(t *testing.T, path, filter string, fields ...string) []string {
	t.Helper()
	bin := testpeer.NeedTool(t, "tshark")
	args := []string{"-r", path, "-Y", filter, "-T", "fields"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	out, err := exec.Command(bin, args...).Output()
	require.NoError(t, err)
	s := strings.TrimSpace(string(out))
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func port(p layers.TCPPort) string { return strconv.Itoa(int(p)) }

// A clean TLS 1.3 session: the capture holds the key log the --keylog
// file got, says it is synthesized, has our FIN only (the peer's was
// never read: we stopped at its close_notify), and tshark decrypts both
// close_notify alerts and the data with no option.
func TestPcapClean(t *testing.T) {
	t.Parallel()
	f := certFiles(t)
	addr := serveTLS(t, &tls.Config{}, echoThenClose)
	dir := t.TempDir()
	pcap, keys := filepath.Join(dir, "s.pcapng"), filepath.Join(dir, "keys.txt")
	code, stdout, stderr := runCLI(t, "hello pcap\n", "connect", "--ca", f.Root, "--pcap", pcap, "--keylog", keys, addr)
	require.Equal(t, exitClean, code, stderr)
	require.Equal(t, "hello pcap\n", stdout)

	c := readCapture(t, pcap)
	require.Contains(t, c.comment, "synthesized by tlsrec")
	require.Equal(t, readFile(t, keys), string(c.secrets))
	require.Equal(t, []layers.TCPPort{c.clientEnd}, c.fins, "our FIN, and no FIN the socket never reported")
	require.Empty(t, c.rsts)
	require.Len(t, c.streams, 2)
	for p, data := range c.streams {
		require.Equal(t, byte(22), data[0], "port %d starts with a handshake record", p)
	}

	alerts := tsharkFields(t, pcap, "tls.alert_message", "tcp.srcport", "tls.alert_message.desc")
	server := strings.TrimPrefix(addr, "127.0.0.1:")
	require.ElementsMatch(t, []string{port(c.clientEnd) + "\t0", server + "\t0"}, alerts,
		"both close_notify alerts (description 0), decrypted: TLS 1.3 alerts are encrypted")
	fins := tsharkFields(t, pcap, "tcp.flags.fin==1", "tcp.srcport")
	require.Equal(t, []string{port(c.clientEnd)}, fins)
	data := tsharkFields(t, pcap, "tls.app_data", "tcp.srcport")
	require.Len(t, data, 2, "our line and its echo, decrypted")
}

// A peer that closes without close_notify: the capture shows its FIN
// (the socket reported it) and then ours, and only our close_notify.
func TestPcapTruncated(t *testing.T) {
	t.Parallel()
	f := certFiles(t)
	addr := serveTLS(t, &tls.Config{MaxVersion: tls.VersionTLS12}, func(c *tls.Conn) {
		c.Write([]byte("bye\n"))
		c.NetConn().(*net.TCPConn).CloseWrite()
		c.NetConn().Read(make([]byte, 1024))
	})
	pcap := filepath.Join(t.TempDir(), "t.pcapng")
	code, _, stderr := runCLI(t, "", "connect", "--ca", f.Root, "--pcap", pcap, addr)
	require.Equal(t, exitTruncated, code, stderr)
	c := readCapture(t, pcap)
	server := layers.TCPPort(mustPort(t, addr))
	require.Equal(t, []layers.TCPPort{server, c.clientEnd}, c.fins, "the peer's FIN as read, then ours")

	alerts := tsharkFields(t, pcap, "tls.alert_message", "tcp.srcport", "tls.alert_message.desc")
	require.Equal(t, []string{port(c.clientEnd) + "\t0"}, alerts, "our close_notify only")
	fins := tsharkFields(t, pcap, "tcp.flags.fin==1", "tcp.srcport")
	require.Equal(t, []string{port(server), port(c.clientEnd)}, fins)
}

func mustPort(t *testing.T, addr string) int {
	_, p, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	n, err := strconv.Atoi(p)
	require.NoError(t, err)
	return n
}

// shortConn takes only the first n bytes of a write and times out, as a
// socket whose write deadline passed part-way.
type shortConn struct {
	net.Conn
	n int
}

func (s *shortConn) Write(p []byte) (int, error) {
	return min(s.n, len(p)), os.ErrDeadlineExceeded
}

func (s *shortConn) Read([]byte) (int, error) { return 0, errors.New("unused") }

// The tap records what the transport took, not what was handed to it: a
// write that timed out after 3 of 10 bytes leaves 3 bytes in the capture.
func TestTapRecordsWhatWasWritten(t *testing.T) {
	t.Parallel()
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	tp := newTap(&shortConn{Conn: c1, n: 3})
	n, err := tp.Write([]byte("0123456789"))
	require.Equal(t, 3, n)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	require.Len(t, tp.segs, 1)
	require.Equal(t, []byte("012"), tp.segs[0].data)
	require.True(t, tp.segs[0].fromClient)
	require.WithinDuration(t, time.Now(), tp.segs[0].at, time.Minute)
}
