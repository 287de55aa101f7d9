package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// pcapComment is the capture's section comment: the packets are made up
// from what the client's transport reported, not captured.
const pcapComment = "synthesized by tlsrec from what the client's socket reported, not captured on the wire: " +
	"each segment is a transport read or write as it happened, FINs and RSTs only as the socket reported them; " +
	"TCP handshake, ACKs and checksums are made up"

// segKind is what a segment records.
type segKind int

const (
	segData segKind = iota
	segFIN
	segRST
)

// segment is one read or write on the transport, or the end of one side.
type segment struct {
	at         time.Time
	fromClient bool
	kind       segKind
	data       []byte
}

// tap records both directions of a client's transport, as the socket
// reported them: the bytes each write took and each read returned, our
// FIN when we close, the peer's FIN when a read returns EOF, its RST when
// a read or write reports a reset. Nothing else.
type tap struct {
	net.Conn
	start time.Time
	// onEnd, when set, is told of our FIN and the peer's RST.
	onEnd func(kind segKind)

	mu   sync.Mutex
	segs []segment
	fin  [2]bool // client, server: FIN or RST recorded
	rst  bool    // the peer reset the connection
	// first holds the first bytes read, to recognize a plain HTTP server.
	first []byte
}

func newTap(c net.Conn) *tap { return &tap{Conn: c, start: time.Now()} }

func (t *tap) Read(p []byte) (int, error) {
	n, err := t.Conn.Read(p)
	t.add(false, segData, p[:n])
	switch {
	case errors.Is(err, io.EOF):
		t.add(false, segFIN, nil)
	case isReset(err):
		t.add(false, segRST, nil)
	}
	return n, err
}

func (t *tap) Write(p []byte) (int, error) {
	n, err := t.Conn.Write(p)
	t.add(true, segData, p[:n])
	if isReset(err) {
		t.add(false, segRST, nil)
	}
	return n, err
}

// Close closes the transport: our FIN (the kernel sends a RST instead when
// unread bytes are left; the capture cannot know).
func (t *tap) Close() error {
	t.add(true, segFIN, nil)
	return t.Conn.Close()
}

// CloseWrite shuts our write side, when the transport can: our FIN.
// conn.Close calls it before Close so that the kernel sends a FIN, not an
// RST.
func (t *tap) CloseWrite() error {
	cw, ok := t.Conn.(interface{ CloseWrite() error })
	if !ok {
		return errors.ErrUnsupported
	}
	err := cw.CloseWrite()
	if err == nil {
		t.add(true, segFIN, nil)
	}
	return err
}

// traceTo prints our FIN and the peer's RST on p's timeline.
func (t *tap) traceTo(p *printer) {
	t.onEnd = func(kind segKind) {
		if kind == segRST {
			p.emit(event{Type: "rst", Dir: "received", Text: "TCP RST: the peer reset the connection"})
			return
		}
		p.emit(event{Type: "fin", Dir: "sent", Text: "TCP FIN: we shut our write side"})
	}
}

// add records a segment and tells onEnd of a FIN or RST.
func (t *tap) add(fromClient bool, kind segKind, p []byte) {
	if kind == segData && len(p) == 0 {
		return
	}
	if t.record(fromClient, kind, p) && kind != segData && t.onEnd != nil && (fromClient || kind == segRST) {
		t.onEnd(kind)
	}
}

// record records a segment; it reports false for a second FIN or RST.
func (t *tap) record(fromClient bool, kind segKind, p []byte) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	side := 1
	if fromClient {
		side = 0
	}
	if kind != segData {
		// After the peer's RST nothing of ours reaches the wire.
		if t.fin[side] || (fromClient && t.rst) {
			return false
		}
		t.fin[side] = true
		t.rst = t.rst || kind == segRST
	}
	if !fromClient && len(t.first) < 8 {
		t.first = append(t.first, p[:min(len(p), 8-len(t.first))]...)
	}
	t.segs = append(t.segs, segment{time.Now(), fromClient, kind, bytes.Clone(p)})
	return true
}

// judge corrects a truncation verdict when the socket reported the
// peer's reset: conn reports a reset as a truncation, the exit code says
// transport error.
func (t *tap) judge(v verdict) verdict {
	t.mu.Lock()
	rst := t.rst
	t.mu.Unlock()
	if rst && v.Exit == exitTruncated {
		return newVerdict("transport error", exitTransport, "the peer reset the connection (RST) without close_notify")
	}
	return v
}

// plainHTTP reports whether the server answered with HTTP, not TLS.
func (t *tap) plainHTTP() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return bytes.HasPrefix(t.first, []byte("HTTP/"))
}

// maxSegment is the TCP payload per packet in the capture.
const maxSegment = 1400

// Block and secrets types of the pcapng Decryption Secrets Block
// (draft-ietf-opsawg-pcapng, Section 4.7): Wireshark decrypts with the
// NSS key log it holds, no option needed. gopacket's NgWriter cannot write
// one.
const (
	dsbBlockType  = 0x0000000A
	dsbSecretsTLS = 0x544c534b // "TLSK": an NSS key log
	pcapngAlign   = 4          // blocks are padded to 4 bytes
)

// writePcapng writes the recorded session as pcapng: the section (with
// pcapComment), the interface, a Decryption Secrets Block with keyLog, then
// one TCP connection between the transport's addresses.
func (t *tap) writePcapng(w io.Writer, keyLog []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	intf := pcapgo.DefaultNgInterface
	intf.Name, intf.LinkType = "tlsrec", layers.LinkTypeEthernet
	opts := pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{
		Hardware: runtime.GOARCH, OS: runtime.GOOS, Application: "tlsrec", Comment: pcapComment,
	}}
	ngw, err := pcapgo.NewNgWriterInterface(w, intf, opts)
	if err != nil {
		return err
	}
	// The NgWriter buffers; the section and interface must be out before
	// our own block.
	if err := ngw.Flush(); err != nil {
		return err
	}
	if len(keyLog) > 0 {
		if _, err := w.Write(decryptionSecretsBlock(keyLog)); err != nil {
			return err
		}
	}
	p := &packetWriter{w: ngw, addrs: [2]*net.TCPAddr{tcpAddr(t.LocalAddr()), tcpAddr(t.RemoteAddr())}, seq: [2]uint32{1, 1}}
	if err := t.writeSegments(p); err != nil {
		return err
	}
	return ngw.Flush()
}

// decryptionSecretsBlock builds the block: type, total length, secrets
// type, secrets length, the secrets padded to 4 bytes, total length again,
// little-endian as gopacket writes the section.
func decryptionSecretsBlock(secrets []byte) []byte {
	padded := (len(secrets) + pcapngAlign - 1) / pcapngAlign * pcapngAlign
	total := 4 + 4 + 4 + 4 + padded + 4
	b := make([]byte, 0, total)
	b = binary.LittleEndian.AppendUint32(b, dsbBlockType)
	b = binary.LittleEndian.AppendUint32(b, uint32(total))
	b = binary.LittleEndian.AppendUint32(b, dsbSecretsTLS)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(secrets)))
	b = append(b, secrets...)
	b = append(b, make([]byte, padded-len(secrets))...)
	return binary.LittleEndian.AppendUint32(b, uint32(total))
}

// writeSegments writes a three-way handshake (the connection was
// established: we had a socket), then every segment as it happened.
func (t *tap) writeSegments(p *packetWriter) error {
	p.at = t.start
	for _, step := range []struct {
		from     int
		syn, ack bool
	}{{0, true, false}, {1, true, true}, {0, false, true}} {
		if err := p.packet(step.from, tcpFlags{syn: step.syn, ack: step.ack}, nil); err != nil {
			return err
		}
	}
	for _, s := range t.segs {
		from := 1
		if s.fromClient {
			from = 0
		}
		p.at = s.at
		var err error
		switch s.kind {
		case segFIN:
			err = p.packet(from, tcpFlags{ack: true, fin: true}, nil)
		case segRST:
			err = p.packet(from, tcpFlags{ack: true, rst: true}, nil)
		default:
			for data := s.data; len(data) > 0 && err == nil; data = data[min(len(data), maxSegment):] {
				err = p.packet(from, tcpFlags{ack: true}, data[:min(len(data), maxSegment)])
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func tcpAddr(a net.Addr) *net.TCPAddr {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta
	}
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}
}

type tcpFlags struct{ syn, ack, fin, rst bool }

// packetWriter serializes Ethernet/IP/TCP packets of one connection,
// keeping each side's sequence number.
type packetWriter struct {
	w     *pcapgo.NgWriter
	addrs [2]*net.TCPAddr // client, server
	seq   [2]uint32
	at    time.Time
}

func (p *packetWriter) packet(from int, f tcpFlags, payload []byte) error {
	to := 1 - from
	src, dst := p.addrs[from], p.addrs[to]
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, byte(from + 1)}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, byte(to + 1)}}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(src.Port), DstPort: layers.TCPPort(dst.Port), Seq: p.seq[from], Ack: p.seq[to],
		SYN: f.syn, ACK: f.ack, FIN: f.fin, RST: f.rst, PSH: len(payload) > 0, Window: 65535}
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
	if f.syn || f.fin {
		p.seq[from]++
	}
	b := buf.Bytes()
	return p.w.WritePacket(gopacket.CaptureInfo{Timestamp: p.at, CaptureLength: len(b), Length: len(b)}, b)
}

// savePcap writes the capture to path.
func savePcap(t *tap, path string, keyLog []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := t.writePcapng(f, keyLog); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
