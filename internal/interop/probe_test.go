package interop

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/conn"
	"github.com/tlsrecord/tlsrecord/internal/testpeer"
)

// The ways a connection's read side ends, as the table names them.
const (
	endCloseNotify = "close_notify" // Read returned io.EOF after the server's close_notify
	endFIN         = "FIN"          // the transport ended between records without close_notify
	endRST         = "RST"          // the server reset the connection
	endMidRecord   = "FIN inside a record"
	endOpen        = "open" // nothing ended within the probe's wait
	endNone        = "-"    // not applicable: an echo server never ends on its own
)

// Deadlines: data gets dataWait to arrive; a server that is going to end a
// connection or answer does so within endWait, after which it is "open".
const (
	dataWait = 30 * time.Second
	endWait  = 2 * time.Second
	// settleWait is how long a TLS 1.3 server that sends no ticket gets to
	// finish its handshake.
	settleWait = 500 * time.Millisecond
)

// smallBody is what the probes other than the 1 MiB one fetch or echo.
var smallBody = []byte("hello\n")

// payload is the 1 MiB every server sends: 64-byte lines, so that line
// echo servers take it as is.
var payload = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < 1<<20; i++ {
		fmt.Fprintf(&b, "%010d %052x\n", i, i)
	}
	return b.Bytes()[:1<<20]
})

// request is what the probes send: for an HTTP server a GET of path,
// keeping the connection alive or not; for an echo server a line.
func (s *server) request(path string, keepAlive bool) []byte {
	if s.echo {
		return smallBody
	}
	req := "GET /" + path + " HTTP/1.1\r\nHost: " + testpeer.ServerName + "\r\n"
	if !keepAlive {
		req += "Connection: close\r\n"
	}
	return []byte(req + "\r\n")
}

// served says whether data is a complete answer carrying body: the echo,
// or a 200 response whose body is exactly body.
func (s *server) served(data, body []byte) bool {
	if s.echo {
		return bytes.Equal(data, body)
	}
	if s.oneFile {
		body = payload()
	}
	head, rest, ok := bytes.Cut(data, []byte("\r\n\r\n"))
	return ok && bytes.HasPrefix(head, []byte("HTTP/1.")) && bytes.Contains(head, []byte(" 200 ")) &&
		bytes.Equal(rest, body)
}

// outcome is what one server does at the end of a connection, on one
// version; the fields are the columns of the README's table.
type outcome struct {
	// Handshake: "ok", or how the server refused a version it does not
	// speak or our ClientHello (the other probes then do not run).
	Handshake string
	// Response: how the server ends after its response to a request
	// with "Connection: close" (the 1 MiB one).
	Response string
	// Shutdown: our Shutdown right after the handshake, within endWait:
	// close_notify (it answers ours), FIN (it closes without answering) or
	// open (it does neither).
	Shutdown string
	// HalfClose: a keep-alive request followed at once by our
	// close_notify (CloseWrite): "served, <end>" or "not served, <end>".
	HalfClose string
	// UserCanceled: a warning user_canceled, then a request: "ignored"
	// when the server answers it, else how the connection ended.
	UserCanceled string
}

// probe runs the four probes against s on version v, one connection
// each, one after the other (some servers serve one client at a time).
func probe(t *testing.T, s *server, addr string, v uint16) outcome {
	if !slices.Contains(s.versions, v) {
		return outcome{Handshake: probeRefusal(t, addr, v)}
	}
	return outcome{
		Handshake:    "ok",
		Response:     probeResponse(t, s, addr, v),
		Shutdown:     probeShutdown(t, addr, v),
		HalfClose:    probeHalfClose(t, s, addr, v),
		UserCanceled: probeUserCanceled(t, s, addr, v),
	}
}

// probeRefusal tries a handshake on a version the server does not speak
// (or with a server that speaks to no ClientHello of ours) and says how it
// failed.
func probeRefusal(t *testing.T, addr string, v uint16) string {
	raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	require.NoError(t, raw.SetDeadline(time.Now().Add(dataWait)))
	c := conn.Client(raw, clientConfig(v))
	defer c.Close()
	err = c.Handshake()
	require.Error(t, err, "the server speaks %s after all", versionName(v))
	return endOf(err)
}

// probeResponse fetches or echoes the 1 MiB payload, requires it intact,
// and returns how the server then ended the connection.
func probeResponse(t *testing.T, s *server, addr string, v uint16) string {
	c := dial(t, addr, v)
	defer c.Close()
	if s.echo {
		werr := make(chan error, 1)
		go func() {
			_, err := c.Write(payload())
			werr <- err
		}()
		got := make([]byte, len(payload()))
		_, err := io.ReadFull(c, got)
		require.NoError(t, err)
		require.NoError(t, <-werr)
		require.True(t, bytes.Equal(payload(), got), "the echo differs from the 1 MiB sent")
		return endNone
	}
	_, err := c.Write(s.request("big", false))
	require.NoError(t, err)
	data, end := c.readToEnd(dataWait)
	require.True(t, s.served(data, payload()), "no complete 1 MiB response (%d bytes, ended by %s): %.200q", len(data), end, data)
	return end
}

// probeShutdown closes with Shutdown right after the handshake: does the
// server answer our close_notify?
func probeShutdown(t *testing.T, addr string, v uint16) string {
	c := dial(t, addr, v)
	ctx, cancel := context.WithTimeout(context.Background(), endWait)
	defer cancel()
	return c.end(c.Shutdown(ctx))
}

// probeHalfClose sends a keep-alive request and our close_notify in one
// segment: does the server serve a half-closed client, and how does it end?
func probeHalfClose(t *testing.T, s *server, addr string, v uint16) string {
	c := dial(t, addr, v)
	defer c.Close()
	require.NoError(t, c.w.together(func() error {
		_, err := c.Write(s.request("small", true))
		return errors.Join(err, c.CloseWrite())
	}))
	data, end := c.readToEnd(endWait)
	if s.served(data, smallBody) {
		return "served, " + end
	}
	return "not served, " + end
}

// probeUserCanceled sends a warning user_canceled and a request in one
// segment: does the server carry on?
func probeUserCanceled(t *testing.T, s *server, addr string, v uint16) string {
	c := dial(t, addr, v)
	defer c.Close()
	require.NoError(t, c.w.together(func() error {
		if err := c.SendAlert(alert.Warning, alert.UserCanceled); err != nil {
			return err
		}
		_, err := c.Write(s.request("small", false))
		return err
	}))
	var data []byte
	var end string
	if s.echo {
		data = make([]byte, len(smallBody))
		c.SetReadDeadline(time.Now().Add(endWait))
		n, err := io.ReadFull(c, data)
		data, end = data[:n], c.end(err)
	} else {
		data, end = c.readToEnd(endWait)
	}
	if s.served(data, smallBody) {
		return "ignored"
	}
	return end
}

// versionName is how the table and the README name a version.
func versionName(v uint16) string { return tls.VersionName(v) }
