package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/tlsrecord/tlsrecord/conn"
)

// dialOptions are the dial subcommand's flags.
type dialOptions struct {
	pcap     string // write the session as a pcap here
	keyLog   string // write the NSS key log here (for Wireshark)
	insecure bool   // skip certificate verification
}

// dial connects to a real server, sends an HTTP/1.0 request and shows the
// exchange until the server ends the connection.
func dial(w io.Writer, addr string, opts dialOptions) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	cfg := &conn.Config{ServerName: host, NextProtos: []string{"http/1.1"}, InsecureSkipVerify: opts.insecure}
	if opts.keyLog != "" {
		f, err := os.OpenFile(opts.keyLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		cfg.KeyLogWriter = f
	}
	tl := newTimeline(w)
	cfg.Trace = tl.trace()
	raw, err := net.DialTimeout("tcp", addr, 15*time.Second)
	if err != nil {
		return err
	}
	t := &tap{Conn: raw}
	c := conn.Client(t, cfg)
	c.SetDeadline(time.Now().Add(15 * time.Second))
	readErr := c.Handshake()
	if readErr == nil {
		fmt.Fprintf(c, "GET / HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n", host)
		var n int64
		n, readErr = io.Copy(io.Discard, c)
		tl.printf("read %d bytes of response", n)
	}
	cs := c.State()
	c.Close()
	fmt.Fprintf(w, "  => %s\n", ending(cs, readErr))
	if opts.pcap != "" {
		return savePcap(t, opts.pcap)
	}
	return nil
}

func savePcap(t *tap, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := t.writePcap(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
