package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/tlsrecord/tlsrecord/conn"
)

// dial connects to a real server, sends an HTTP/1.0 request and shows the
// exchange until the server ends the connection.
func dial(w io.Writer, addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	tl := newTimeline(w)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	d := &conn.Dialer{Config: &conn.Config{NextProtos: []string{"http/1.1"}, Trace: tl.trace()}}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	c := nc.(*conn.Conn)
	defer c.Close()
	c.SetDeadline(time.Now().Add(15 * time.Second))
	fmt.Fprintf(c, "GET / HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n", host)
	n, readErr := io.Copy(io.Discard, c)
	tl.printf("read %d bytes of response", n)
	fmt.Fprintf(w, "  => %s\n", ending(c.ConnectionState(), readErr))
	return nil
}
