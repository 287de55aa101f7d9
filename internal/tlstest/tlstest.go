// Package tlstest holds the test helpers that handshake's tests and the
// fuzz targets share: a capture of the plaintext handshake messages a
// crypto/tls client and server send, and a comparison helper for parsed
// messages. It imports none of the project's layers, so handshake's own
// tests can use it.
package tlstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"reflect"
	"sync"
	"time"

	"golang.org/x/crypto/cryptobyte"
)

// Certificate is a self-signed ECDSA P-256 certificate for example.com,
// made once.
var Certificate = sync.OnceValues(func() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "example.com"},
		DNSNames: []string{"example.com"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
})

// Capture runs a crypto/tls client against a crypto/tls server and returns
// the plaintext handshake messages each side sent: those before the first
// application_data record (TLS 1.3) or change_cipher_spec (TLS 1.2).
//
// A server certificate without a chain (none at all, or an entry that only
// sets OCSPStaple or SCTs) gets Certificate's chain and key. A nil client
// config is one for example.com that skips verification, offers h2 and
// http/1.1 and keeps a session cache (so it offers tickets). The two talk
// over loopback TCP, whose buffering lets both write at once: net.Pipe
// deadlocks on the change_cipher_spec both send after a HelloRetryRequest.
func Capture(server, client *tls.Config) (fromClient, fromServer [][]byte, err error) {
	cert, err := Certificate()
	if err != nil {
		return nil, nil, err
	}
	server = server.Clone()
	if len(server.Certificates) == 0 {
		server.Certificates = make([]tls.Certificate, 1)
	}
	if len(server.Certificates[0].Certificate) == 0 {
		server.Certificates[0].Certificate = cert.Certificate
		server.Certificates[0].PrivateKey = cert.PrivateKey
	}
	if client == nil {
		client = &tls.Config{
			ServerName: "example.com", InsecureSkipVerify: true, NextProtos: []string{"h2", "http/1.1"},
			ClientSessionCache: tls.NewLRUClientSessionCache(1),
		}
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", server)
	if err != nil {
		return nil, nil, err
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.SetDeadline(time.Now().Add(10 * time.Second))
			err = c.(*tls.Conn).Handshake()
			c.Close()
		}
		done <- err
	}()
	raw, err := net.DialTimeout("tcp", ln.Addr().String(), 10*time.Second)
	if err != nil {
		return nil, nil, err
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	rec := &recordingConn{Conn: raw}
	c := tls.Client(rec, client)
	if err := errors.Join(c.Handshake(), <-done); err != nil {
		return nil, nil, err
	}
	raw.Close()
	tls12 := c.ConnectionState().Version == tls.VersionTLS12
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if fromClient, err = messages(rec.written, tls12); err != nil {
		return nil, nil, err
	}
	if fromServer, err = messages(rec.read, tls12); err != nil {
		return nil, nil, err
	}
	return fromClient, fromServer, nil
}

// recordingConn records the bytes read and written through it.
type recordingConn struct {
	net.Conn
	mu      sync.Mutex
	read    []byte
	written []byte
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.read = append(c.read, p[:n]...)
	c.mu.Unlock()
	return n, err
}

func (c *recordingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.mu.Lock()
	c.written = append(c.written, p[:n]...)
	c.mu.Unlock()
	return n, err
}

// messages splits the plaintext handshake messages out of a recorded stream
// of records. In TLS 1.3 a change_cipher_spec is the middlebox-compatibility
// one, which plaintext may follow (a second ClientHello); in TLS 1.2 it
// starts encryption.
func messages(stream []byte, tls12 bool) ([][]byte, error) {
	const (
		changeCipherSpec = 20
		handshake        = 22
		applicationData  = 23
	)
	s := cryptobyte.String(stream)
	var body []byte
	for !s.Empty() {
		var typ uint8
		var version uint16
		var payload cryptobyte.String
		if !s.ReadUint8(&typ) || !s.ReadUint16(&version) || !s.ReadUint16LengthPrefixed(&payload) {
			return nil, errors.New("tlstest: truncated record")
		}
		if typ == applicationData || (typ == changeCipherSpec && tls12) {
			break
		}
		if typ == handshake {
			body = append(body, payload...)
		}
	}
	var msgs [][]byte
	for b := cryptobyte.String(body); !b.Empty(); {
		var typ uint8
		var msg cryptobyte.String
		if !b.ReadUint8(&typ) || !b.ReadUint24LengthPrefixed(&msg) {
			return nil, errors.New("tlstest: truncated handshake message")
		}
		msgs = append(msgs, append([]byte{typ, byte(len(msg) >> 16), byte(len(msg) >> 8), byte(len(msg))}, msg...))
	}
	return msgs, nil
}

// StripExtensions returns a deep copy of the message v points to with
// every field named Extensions cleared: parsed messages keep their
// extensions' wire order and ignored types there, which Marshal does not
// reproduce, so messages are compared without them.
func StripExtensions(v any) any {
	c := reflect.New(reflect.TypeOf(v).Elem())
	c.Elem().Set(reflect.ValueOf(v).Elem())
	clearExtensions(c.Elem())
	return c.Interface()
}

func clearExtensions(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).Name == "Extensions" {
				v.Field(i).SetZero()
				continue
			}
			clearExtensions(v.Field(i))
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Struct || v.IsNil() {
			return
		}
		cp := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(cp, v)
		for i := range cp.Len() {
			clearExtensions(cp.Index(i))
		}
		v.Set(cp)
	}
}
