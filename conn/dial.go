package conn

import (
	"context"
	"net"
	"strings"
	"time"
)

// Dial connects to addr and runs the handshake. An empty cfg.ServerName is
// taken from addr's host.
func Dial(network, addr string, cfg *Config) (*Conn, error) {
	return DialWithDialer(new(net.Dialer), network, addr, cfg)
}

// Dialer dials TLS connections. Its DialContext fits
// http.Transport.DialTLSContext.
type Dialer struct {
	// NetDialer dials the transport; nil means a zero net.Dialer.
	NetDialer *net.Dialer
	// Config configures the client; nil means a zero Config.
	Config *Config
}

// DialContext connects to addr and runs the handshake within ctx and
// within NetDialer's Timeout and Deadline. If one of them ends first, the
// error matches context.DeadlineExceeded (or ctx's error). The returned
// net.Conn is a *Conn.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	nd := d.NetDialer
	if nd == nil {
		nd = new(net.Dialer)
	}
	cfg := d.Config
	if cfg == nil {
		cfg = new(Config)
	}
	if cfg.ServerName == "" {
		c := *cfg
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		c.ServerName = strings.TrimSuffix(host, ".")
		cfg = &c
	}
	// The dialer's Timeout and Deadline bound the handshake too, as
	// tls.Dialer's do: the earlier of the two ends both.
	timeout := nd.Timeout
	if !nd.Deadline.IsZero() {
		if until := time.Until(nd.Deadline); timeout == 0 || until < timeout {
			timeout = until
		}
	}
	if timeout != 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	raw, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	tc := Client(raw, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, err
	}
	return tc, nil
}

// DialWithDialer connects to addr with dialer and runs the handshake, as
// crypto/tls's DialWithDialer: dialer's Timeout and Deadline bound the
// connection and the handshake together. An empty config.ServerName is
// taken from addr's host.
func DialWithDialer(dialer *net.Dialer, network, addr string, config *Config) (*Conn, error) {
	c, err := (&Dialer{NetDialer: dialer, Config: config}).DialContext(context.Background(), network, addr)
	if err != nil {
		return nil, err
	}
	return c.(*Conn), nil
}

// Dial connects to addr and runs the handshake, as DialContext with a
// background context. The returned net.Conn is a *Conn.
func (d *Dialer) Dial(network, addr string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, addr)
}
