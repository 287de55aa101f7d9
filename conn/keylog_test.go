package conn_test

import (
	"bytes"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/conn"
)

// segment is one chunk of bytes that crossed the transport.
type segment struct {
	fromClient bool
	data       []byte
}

// tapConn records both directions of a client's transport, in order.
type tapConn struct {
	net.Conn
	mu   sync.Mutex
	segs []segment
}

func (c *tapConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.add(false, p[:n])
	return n, err
}

func (c *tapConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.add(true, p[:n])
	return n, err
}

func (c *tapConn) add(fromClient bool, p []byte) {
	if len(p) == 0 {
		return
	}
	c.mu.Lock()
	c.segs = append(c.segs, segment{fromClient, bytes.Clone(p)})
	c.mu.Unlock()
}

func TestKeyLog(t *testing.T) {
	t.Parallel()
	var serverLog, clientLog bytes.Buffer
	scfg := serverConfig(t, "ecdsa")
	scfg.KeyLogWriter = &serverLog
	s := serveGo(t, scfg, echo)
	raw, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	require.NoError(t, err)
	raw.SetDeadline(time.Now().Add(20 * time.Second))
	tap := &tapConn{Conn: raw}
	cfg := clientConfig(t)
	cfg.KeyLogWriter = &clientLog
	c := conn.Client(tap, cfg)
	const secret = "attack at dawn, over TLS 1.3"
	roundTrip(t, c, secret)
	require.NoError(t, c.Close())
	require.NoError(t, s.nextErr(t))

	ours := strings.Split(strings.TrimSpace(clientLog.String()), "\n")
	theirs := strings.Split(strings.TrimSpace(serverLog.String()), "\n")
	require.Len(t, theirs, 4, "crypto/tls logs the four traffic secrets")
	for _, line := range theirs {
		require.Contains(t, ours, line, "crypto/tls's server logged a line we did not")
	}
	for _, line := range ours {
		if !slices.Contains(theirs, line) {
			require.True(t, strings.HasPrefix(line, "EXPORTER_SECRET "), "unexpected key log line %q", line)
		}
	}

	tshark, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tshark not found: CI must install it (see .ci/run)")
		}
		t.Log("tshark not installed: key log checked against crypto/tls's lines only")
		return
	}
	dir := t.TempDir()
	pcap, keys := filepath.Join(dir, "session.pcap"), filepath.Join(dir, "keys.txt")
	require.NoError(t, os.WriteFile(keys, clientLog.Bytes(), 0o600))
	writePcap(t, pcap, tap.segs)
	out, err := exec.Command(tshark, "-r", pcap, "-o", "tls.keylog_file:"+keys,
		"-d", "tcp.port==4433,tls", "-T", "fields", "-e", "data.data").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), hex.EncodeToString([]byte(secret)), "tshark decrypted the session with our key log:\n%s", out)
}

// writePcap writes the segments as one TCP connection between
// 10.0.0.1:50000 (client) and 10.0.0.2:4433 (server), after a handshake,
// so that tshark can reassemble and decrypt it. Nothing is sent anywhere.
func writePcap(t *testing.T, path string, segs []segment) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	w := pcapgo.NewWriter(f)
	require.NoError(t, w.WriteFileHeader(65535, layers.LinkTypeEthernet))
	ips := [2]net.IP{net.IPv4(10, 0, 0, 1).To4(), net.IPv4(10, 0, 0, 2).To4()}
	ports := [2]layers.TCPPort{50000, 4433}
	seq := [2]uint32{1000, 5000}
	ts := time.Unix(1_700_000_000, 0)
	packet := func(from int, flags string, payload []byte) {
		to := 1 - from
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, byte(from + 1)}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, byte(to + 1)}, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: ips[from], DstIP: ips[to]}
		tcp := &layers.TCP{SrcPort: ports[from], DstPort: ports[to], Seq: seq[from], Ack: seq[to], Window: 65535,
			SYN: strings.Contains(flags, "S"), ACK: strings.Contains(flags, "A"), PSH: len(payload) > 0}
		require.NoError(t, tcp.SetNetworkLayerForChecksum(ip))
		buf := gopacket.NewSerializeBuffer()
		require.NoError(t, gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
			eth, ip, tcp, gopacket.Payload(payload)))
		ts = ts.Add(time.Millisecond)
		require.NoError(t, w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(buf.Bytes()), Length: len(buf.Bytes())}, buf.Bytes()))
		seq[from] += uint32(len(payload))
		if tcp.SYN {
			seq[from]++
		}
	}
	packet(0, "S", nil)
	packet(1, "SA", nil)
	packet(0, "A", nil)
	for _, s := range segs {
		from := 1
		if s.fromClient {
			from = 0
		}
		for data := s.data; len(data) > 0; {
			n := min(len(data), 1400)
			packet(from, "A", data[:n])
			data = data[n:]
		}
	}
}
