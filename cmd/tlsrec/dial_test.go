package main

import (
	"bytes"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/internal/testpeer"
)

// TestDialPcap dials an in-process HTTPS-like server with -pcap and
// -keylog, checks the timeline's verdict, reads the capture back with
// gopacket (both directions, TLS records from the first byte), and, when
// tshark is installed, has it decrypt the capture with the key log.
func TestDialPcap(t *testing.T) {
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{testpeer.ECDSACertificate()}})
	require.NoError(t, err)
	defer ln.Close()
	const body = "hello from the capture"
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 512)
		c.Read(buf)
		fmt.Fprintf(c, "HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	}()
	dir := t.TempDir()
	opts := dialOptions{pcap: filepath.Join(dir, "s.pcap"), keyLog: filepath.Join(dir, "keys.txt"), insecure: true}
	var out bytes.Buffer
	require.NoError(t, dial(&out, ln.Addr().String(), opts))
	require.Contains(t, out.String(), "=> clean", "crypto/tls's Close sends close_notify:\n%s", out.String())
	require.Contains(t, out.String(), "<- alert warning close_notify")

	f, err := os.Open(opts.pcap)
	require.NoError(t, err)
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	require.NoError(t, err)
	streams := map[layers.TCPPort][]byte{}
	src := gopacket.NewPacketSource(r, r.LinkType())
	for p := range src.Packets() {
		tcp, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		require.True(t, ok)
		streams[tcp.SrcPort] = append(streams[tcp.SrcPort], tcp.Payload...)
	}
	require.Len(t, streams, 2, "client and server streams")
	for port, data := range streams {
		require.GreaterOrEqual(t, len(data), 5, "port %d", port)
		require.Equal(t, byte(22), data[0], "port %d starts with a handshake record", port)
	}

	tshark, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tshark not found: CI must install it (see .ci/run)")
		}
		t.Log("tshark not installed: capture checked with gopacket only")
		return
	}
	port := strings.TrimPrefix(ln.Addr().String(), "127.0.0.1:")
	tsOut, err := exec.Command(tshark, "-r", opts.pcap, "-o", "tls.keylog_file:"+opts.keyLog,
		"-d", "tcp.port=="+port+",tls", "-Y", "http", "-T", "fields",
		"-e", "http.request.method", "-e", "http.response.code", "-e", "http.file_data").CombinedOutput()
	require.NoError(t, err, "%s", tsOut)
	text := string(tsOut)
	require.Contains(t, text, "GET", "tshark decrypted our request with our key log:\n%s", text)
	require.Contains(t, text, "200", "and the server's response:\n%s", text)
	require.True(t, strings.Contains(text, body) || strings.Contains(text, hex.EncodeToString([]byte(body))),
		"with its body:\n%s", text)
}
