package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"time"

	"github.com/tlsrecord/tlsrecord/conn"
)

// scenario is one way for a server to end a connection.
type scenario struct {
	title string
	// server runs on the server's side after the handshake; raw is the
	// TCP connection under it.
	server func(tc *tls.Conn, raw net.Conn)
	auth   tls.ClientAuthType
}

var scenarios = []scenario{
	{
		title: "the server answers, then sends close_notify",
		server: func(tc *tls.Conn, raw net.Conn) {
			readLine(tc)
			io.WriteString(tc, "pong\n")
			tc.Close() // crypto/tls sends close_notify
		},
	},
	{
		title: "the server answers, then closes TCP without close_notify (truncation)",
		server: func(tc *tls.Conn, raw net.Conn) {
			readLine(tc)
			io.WriteString(tc, "pong\n")
			raw.Close() // a bare FIN: crypto/tls's own client would call this io.EOF
		},
	},
	{
		title: "the server requires a client certificate we do not have",
		auth:  tls.RequireAndVerifyClientCert,
		server: func(tc *tls.Conn, raw net.Conn) {
			readLine(tc)
		},
	},
}

func readLine(c io.Reader) {
	buf := make([]byte, 64)
	c.Read(buf)
}

// demo runs each scenario against an in-process crypto/tls server and
// prints the timeline of records and alerts our client saw.
func demo(w io.Writer) error {
	cert, roots, err := selfSigned()
	if err != nil {
		return err
	}
	for i, sc := range scenarios {
		fmt.Fprintf(w, "\n%d. %s\n", i+1, sc.title)
		if err := runScenario(w, sc, cert, roots); err != nil {
			return err
		}
	}
	return nil
}

func runScenario(w io.Writer, sc scenario, cert tls.Certificate, roots *x509.CertPool) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		raw, err := ln.Accept()
		if err != nil {
			return
		}
		defer raw.Close()
		raw.SetDeadline(time.Now().Add(10 * time.Second))
		tc := tls.Server(raw, &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: sc.auth, ClientCAs: roots})
		if tc.Handshake() == nil {
			sc.server(tc, raw)
		}
	}()
	tl := newTimeline(w)
	c, err := conn.Dial("tcp", ln.Addr().String(), &conn.Config{ServerName: "tlsrec.demo", RootCAs: roots, Trace: tl.trace()})
	if err != nil {
		tl.printf("handshake failed: %v", err)
		<-done
		return nil
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "ping\n")
	reply, readErr := io.ReadAll(c)
	if len(reply) > 0 {
		tl.printf("read %q", reply)
	}
	cs := c.ConnectionState()
	c.Close()
	<-done
	fmt.Fprintf(w, "  => %s\n", ending(cs, readErr))
	return nil
}

// selfSigned makes a throwaway certificate for "tlsrec.demo".
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "tlsrec.demo"},
		DNSNames:              []string{"tlsrec.demo"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, roots, nil
}
