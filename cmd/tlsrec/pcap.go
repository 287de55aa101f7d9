package main

import (
	"bytes"
	"io"
	"net"
	"sync"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// segment is one read or write on the transport, as it happened.
type segment struct {
	at         time.Time
	fromClient bool
	data       []byte
}

// tap records both directions of a client's transport for the pcap.
type tap struct {
	net.Conn
	mu   sync.Mutex
	segs []segment
}

func (t *tap) Read(p []byte) (int, error) {
	n, err := t.Conn.Read(p)
	t.add(false, p[:n])
	return n, err
}

func (t *tap) Write(p []byte) (int, error) {
	n, err := t.Conn.Write(p)
	t.add(true, p[:n])
	return n, err
}

func (t *tap) add(fromClient bool, p []byte) {
	if len(p) == 0 {
		return
	}
	t.mu.Lock()
	t.segs = append(t.segs, segment{time.Now(), fromClient, bytes.Clone(p)})
	t.mu.Unlock()
}

// maxSegment is the TCP payload per packet in the capture.
const maxSegment = 1400

// writePcap writes the recorded session as one TCP connection between the
// transport's real addresses (a synthetic three-way handshake first), so
// Wireshark or tshark reassemble it and, given the key log, decrypt it.
func (t *tap) writePcap(w io.Writer) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	pw := pcapgo.NewWriter(w)
	if err := pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return err
	}
	local, remote := tcpAddr(t.LocalAddr()), tcpAddr(t.RemoteAddr())
	p := &packetWriter{w: pw, addrs: [2]*net.TCPAddr{local, remote}, seq: [2]uint32{1, 1}}
	start := time.Now()
	if len(t.segs) > 0 {
		start = t.segs[0].at
	}
	p.at = start
	for _, step := range []struct {
		from     int
		syn, ack bool
	}{{0, true, false}, {1, true, true}, {0, false, true}} {
		if err := p.packet(step.from, step.syn, step.ack, nil); err != nil {
			return err
		}
	}
	for _, s := range t.segs {
		from := 1
		if s.fromClient {
			from = 0
		}
		p.at = s.at
		for data := s.data; len(data) > 0; {
			n := min(len(data), maxSegment)
			if err := p.packet(from, false, true, data[:n]); err != nil {
				return err
			}
			data = data[n:]
		}
	}
	// The session is over: both FINs, so that reassembly of a response
	// that ends with the connection completes.
	if err := p.fin(1); err != nil {
		return err
	}
	return p.fin(0)
}

func tcpAddr(a net.Addr) *net.TCPAddr {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta
	}
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}
}

// packetWriter serializes Ethernet/IP/TCP packets of one connection,
// keeping each side's sequence number.
type packetWriter struct {
	w     *pcapgo.Writer
	addrs [2]*net.TCPAddr // client, server
	seq   [2]uint32
	at    time.Time
	// finFlag marks the next packet as a FIN.
	finFlag bool
}

func (p *packetWriter) fin(from int) error {
	p.finFlag = true
	defer func() { p.finFlag = false }()
	return p.packet(from, false, true, nil)
}

func (p *packetWriter) packet(from int, syn, ack bool, payload []byte) error {
	to := 1 - from
	src, dst := p.addrs[from], p.addrs[to]
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, byte(from + 1)}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, byte(to + 1)}}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(src.Port), DstPort: layers.TCPPort(dst.Port), Seq: p.seq[from], Ack: p.seq[to],
		SYN: syn, ACK: ack, FIN: p.finFlag, PSH: len(payload) > 0, Window: 65535}
	var network gopacket.NetworkLayer
	if ip4 := src.IP.To4(); ip4 != nil && dst.IP.To4() != nil {
		eth.EthernetType = layers.EthernetTypeIPv4
		network = &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: ip4, DstIP: dst.IP.To4()}
	} else {
		eth.EthernetType = layers.EthernetTypeIPv6
		network = &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: src.IP, DstIP: dst.IP}
	}
	if err := tcp.SetNetworkLayerForChecksum(network); err != nil {
		return err
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, eth, network.(gopacket.SerializableLayer), tcp, gopacket.Payload(payload)); err != nil {
		return err
	}
	p.seq[from] += uint32(len(payload))
	if syn || p.finFlag {
		p.seq[from]++
	}
	b := buf.Bytes()
	return p.w.WritePacket(gopacket.CaptureInfo{Timestamp: p.at, CaptureLength: len(b), Length: len(b)}, b)
}
