package testpeer

import (
	"context"
	"crypto/tls"
	"io"
	"net"
)

// startServer starts the in-process crypto/tls server on loopback. Its key
// log feeds the proxy.
func (p *Peer) startServer() error {
	cfg := p.cfg.Server
	if cfg == nil {
		cfg = DefaultServerConfig()
	}
	cfg = cfg.Clone()
	if cfg.KeyLogWriter != nil {
		cfg.KeyLogWriter = io.MultiWriter(p.keys, cfg.KeyLogWriter)
	} else {
		cfg.KeyLogWriter = p.keys
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	p.srvLn, p.srvCfg, p.backend = ln, cfg, ln.Addr().String()
	p.wg.Go(p.serve)
	return nil
}

func (p *Peer) serve() {
	for {
		c, err := p.srvLn.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			return
		}
		p.srvConns[c] = struct{}{}
		p.mu.Unlock()
		p.wg.Go(func() { p.handle(c) })
	}
}

// handle runs one server connection: the handshake, bounded like every
// wait here, then the Handler, then Close (close_notify, then FIN).
func (p *Peer) handle(c net.Conn) {
	defer func() {
		p.mu.Lock()
		delete(p.srvConns, c)
		p.mu.Unlock()
	}()
	tc := tls.Server(c, p.srvCfg)
	defer tc.Close()
	ctx, cancel := context.WithTimeout(p.ctx, defaultWait)
	err := tc.HandshakeContext(ctx)
	cancel()
	if err == nil {
		h := p.cfg.Handler
		if h == nil {
			h = Echo
		}
		err = h(tc)
	}
	if err != nil {
		p.serverError(c.RemoteAddr(), err)
	}
}

// serverError puts the in-process server's error on the timeline, with the
// connection whose proxy side dialed from addr.
func (p *Peer) serverError(addr net.Addr, err error) {
	p.mu.Lock()
	id := 0
	for _, s := range p.sessions {
		if len(s.conns) > 1 && s.conns[1].LocalAddr().String() == addr.String() {
			id = s.id
		}
	}
	p.mu.Unlock()
	p.tl.add(Event{Conn: id, Dir: ClientToServer, Kind: KindServerError, Err: err})
}
