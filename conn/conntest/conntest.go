// Package conntest starts in-process crypto/tls servers on a loopback port
// for tests and examples of code that uses package conn, as
// net/http/httptest does for net/http.
//
// It sits above conn (it returns a conn.Config that trusts the server) and
// is meant for tests only: every server has a fresh self-signed
// certificate.
package conntest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"sync"
	"time"

	"github.com/tlsrecord/tlsrecord/conn"
)

// ServerName is the name the server's certificate is issued for, besides
// the address 127.0.0.1.
const ServerName = "example.test"

// Server is a crypto/tls server listening on 127.0.0.1.
type Server struct {
	// Addr is the server's address, host:port.
	Addr string
	// Certificate is the server's self-signed certificate.
	Certificate *x509.Certificate

	ln net.Listener
	wg sync.WaitGroup
}

// NewServer starts a server with cfg (nil means a zero tls.Config; its
// Certificates are set to a fresh self-signed certificate when empty). For
// each connection it runs the handshake, then handle on a goroutine of its
// own; when handle returns, the transport is closed without close_notify,
// so handle chooses how the connection ends (tls.Conn.Close sends
// close_notify first). Like httptest, it panics if it cannot listen.
func NewServer(cfg *tls.Config, handle func(*tls.Conn)) *Server {
	cert, leaf, err := selfSigned()
	if err != nil {
		panic(fmt.Sprintf("conntest: %v", err))
	}
	if cfg == nil {
		cfg = new(tls.Config)
	} else {
		cfg = cfg.Clone()
	}
	if len(cfg.Certificates) == 0 {
		cfg.Certificates = []tls.Certificate{cert}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("conntest: listening on a port: %v", err))
	}
	s := &Server{Addr: ln.Addr().String(), Certificate: leaf, ln: ln}
	s.wg.Add(1)
	go s.serve(tls.NewListener(ln, cfg), handle)
	return s
}

func (s *Server) serve(ln net.Listener, handle func(*tls.Conn)) {
	defer s.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			tc := c.(*tls.Conn)
			defer tc.NetConn().Close()
			if tc.Handshake() == nil {
				handle(tc)
			}
		}()
	}
}

// Config returns a client Config that trusts the server's certificate and
// names it.
func (s *Server) Config() *conn.Config {
	roots := x509.NewCertPool()
	roots.AddCert(s.Certificate)
	return &conn.Config{ServerName: ServerName, RootCAs: roots}
}

// Close stops accepting connections and waits for the handlers to return.
func (s *Server) Close() {
	s.ln.Close()
	s.wg.Wait()
}

// selfSigned makes an ECDSA P-256 certificate for ServerName and 127.0.0.1,
// valid for a day.
func selfSigned() (tls.Certificate, *x509.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: ServerName},
		DNSNames:              []string{ServerName},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf, nil
}
