package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/conn"
	"github.com/tlsrecord/tlsrecord/handshake"
)

// runConnection runs one connection the way BoringSSL's shim does
// (bssl_shim.cc, DoExchange): handshake, checks on the connection state,
// the test's writes, the echo loop, and the shutdown.
func runConnection(raw net.Conn, cfg *shimConfig, tc *conn.Config) error {
	var tickets atomic.Int32
	tc.Trace = &conn.Trace{SessionTicket: func(*handshake.NewSessionTicket) { tickets.Add(1) }}
	c := conn.Client(raw, tc)
	defer func() { cfg.version = c.State().Version }()
	if !cfg.implicitHandshake {
		if err := c.Handshake(); err != nil {
			return err
		}
		if cfg.extraHandshake {
			if err := c.Handshake(); err != nil {
				return err
			}
		}
		if err := cfg.checkState(c.State(), c.ConnectionState()); err != nil {
			return err
		}
	}
	if cfg.exportKeyingMaterial > 0 {
		if err := cfg.export(c); err != nil {
			return err
		}
	}
	if cfg.tlsUnique {
		if err := writeTLSUnique(c); err != nil {
			return err
		}
	}
	if cfg.sendAlert {
		// The runner expects the alert and nothing after it.
		if err := c.SendAlert(alert.Fatal, alert.DecompressionFailure); err != nil {
			return err
		}
		drain(raw)
		return nil
	}
	if err := cfg.writeAndEcho(c); err != nil {
		return err
	}
	if cfg.implicitHandshake {
		// The first Read or Write ran the handshake.
		if err := cfg.checkState(c.State(), c.ConnectionState()); err != nil {
			return err
		}
	}
	if err := cfg.checkSession(c, int(tickets.Load())); err != nil {
		return err
	}
	return cfg.shutdown(c)
}

// writeAndEcho writes what the test asks the shim to write first, then
// echoes what it reads, each byte XORed with 0xff, until the runner's
// close_notify.
func (cfg *shimConfig) writeAndEcho(c *conn.Conn) error {
	if cfg.differentSizes {
		return writeDifferentSizes(c)
	}
	if cfg.shimWritesFirst {
		for range cfg.repeatInitialWrite {
			if _, err := c.Write([]byte(cfg.initialWrite)); err != nil {
				return err
			}
		}
	}
	if cfg.shimShutsDown {
		return nil
	}
	size := 512 // bssl_shim reads 512 bytes at a time so records span reads
	if cfg.readSize > 0 {
		size = cfg.readSize
	}
	buf := make([]byte, size)
	for {
		if cfg.keyUpdateBeforeRead {
			if err := c.UpdateKeys(false); err != nil {
				return err
			}
		}
		n, err := c.Read(buf)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if cfg.keyUpdate {
			if err := c.UpdateKeys(false); err != nil {
				return err
			}
		}
		for i := range buf[:n] {
			buf[i] ^= 0xff
		}
		if _, err := c.Write(buf[:n]); err != nil {
			return err
		}
	}
}

// writeDifferentSizes writes the record sizes bssl_shim's
// -write-different-record-sizes writes.
func writeDifferentSizes(c *conn.Conn) error {
	buf := bytes.Repeat([]byte{0x42}, 32769)
	for _, n := range []int{0, 1, 255, 256, 257, 16383, 16384, 16385, 32767, 32768, 32769} {
		if _, err := c.Write(buf[:n]); err != nil {
			return err
		}
	}
	return nil
}

// shutdown ends the connection as SSL_shutdown does in bssl_shim: our
// close_notify, and with -shim-shuts-down -check-close-notify a wait for
// the runner's, which fails on application data.
func (cfg *shimConfig) shutdown(c *conn.Conn) error {
	if !cfg.shimShutsDown || !cfg.checkCloseNotify {
		return c.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := c.Shutdown(ctx); err != nil {
		return err
	}
	if n := c.State().DiscardedBytes; n > 0 {
		return fmt.Errorf("tls: %d bytes of application data on shutdown", n)
	}
	return nil
}

// checkSession is bssl_shim's check that a TLS 1.3 server's ticket
// arrived, unless the test expects none or the shim never read.
func (cfg *shimConfig) checkSession(c *conn.Conn, tickets int) error {
	if c.State().Version != versionTLS13 {
		return nil
	}
	if want := !cfg.expectNoSession && !cfg.shimShutsDown; want != (tickets > 0) {
		return fmt.Errorf("new session was received: %v, but expected %v", tickets > 0, want)
	}
	return nil
}

// writeTLSUnique writes the tls-unique channel binding (RFC 5929), which
// for TLS 1.2 is 12 bytes.
func writeTLSUnique(c *conn.Conn) error {
	u := c.ConnectionState().TLSUnique
	if len(u) != 12 {
		return fmt.Errorf("expected 12 bytes of tls-unique but got %d", len(u))
	}
	_, err := c.Write(u)
	return err
}

func (cfg *shimConfig) export(c *conn.Conn) error {
	var ctx []byte
	if cfg.useExportContext {
		ctx = []byte(cfg.exportContext)
	}
	ekm, err := c.ExportKeyingMaterial(cfg.exportLabel, ctx, cfg.exportKeyingMaterial)
	if err != nil {
		return err
	}
	_, err = c.Write(ekm)
	return err
}

// checkState applies the -expect-* flags to the connection state.
func (cfg *shimConfig) checkState(cs conn.State, tcs tls.ConnectionState) error {
	checks := []struct {
		name      string
		want, got int
		set       bool
	}{
		{"version", cfg.expectVersion, int(cs.Version), cfg.expectVersion != 0},
		{"cipher", cfg.expectCipher, int(cs.CipherSuite), cfg.expectCipher != 0},
		{"curve", cfg.expectCurveID, int(cs.CurveID), cfg.expectCurveID != 0},
		{"peer signature algorithm", cfg.expectPeerSigAlg, int(cs.PeerSignatureScheme), cfg.expectPeerSigAlg != 0},
	}
	for _, ch := range checks {
		if ch.set && ch.want != ch.got {
			return fmt.Errorf("%s %#x, expected %#x", ch.name, ch.got, ch.want)
		}
	}
	// bssl_shim: a resumption must reuse the session unless
	// -expect-session-miss, and then must not.
	if cfg.isResume && cs.DidResume == cfg.expectSessionMiss {
		return fmt.Errorf("session reused %v, expected the opposite (-expect-session-miss %v)", cs.DidResume, cfg.expectSessionMiss)
	}
	if !cfg.isResume && cs.DidResume {
		return errors.New("the initial handshake resumed a session")
	}
	if cfg.expectSelected != nil && *cfg.expectSelected != cfg.selected {
		return fmt.Errorf("credential %d was selected, expected %d", cfg.selected, *cfg.expectSelected)
	}
	if cfg.expectALPN != "" && cs.NegotiatedProtocol != cfg.expectALPN {
		return fmt.Errorf("ALPN %q, expected %q", cs.NegotiatedProtocol, cfg.expectALPN)
	}
	if cfg.expectHRR && !cs.HelloRetryRequest || cfg.expectNoHRR && cs.HelloRetryRequest {
		return fmt.Errorf("HelloRetryRequest %v, expected the opposite", cs.HelloRetryRequest)
	}
	if cfg.expectEMS && !cs.ExtendedMasterSecret && cs.Version == versionTLS12 {
		return errors.New("extended master secret not negotiated")
	}
	// BoringSSL reports TLS 1.3, which has no renegotiation, as secure.
	secure := cs.SecureRenegotiation || cs.Version == versionTLS13
	if cfg.expectSecureReneg && !secure || cfg.expectNoSecureReneg && secure {
		return fmt.Errorf("secure renegotiation %v, expected the opposite", secure)
	}
	if err := cfg.checkStapled(tcs); err != nil {
		return err
	}
	return cfg.checkPeerCertificates(cs)
}

// checkStapled compares the leaf's OCSP staple and SCT list (the
// SignedCertificateTimestampList as on the wire) with the flags.
func (cfg *shimConfig) checkStapled(cs tls.ConnectionState) error {
	if cfg.expectOCSP != "" && string(cs.OCSPResponse) != cfg.expectOCSP {
		return errors.New("OCSP response mismatch")
	}
	if cfg.expectSCTs != "" {
		var list []byte
		for _, sct := range cs.SignedCertificateTimestamps {
			list = binary.BigEndian.AppendUint16(list, uint16(len(sct)))
			list = append(list, sct...)
		}
		if string(binary.BigEndian.AppendUint16(nil, uint16(len(list))))+string(list) != cfg.expectSCTs {
			return errors.New("SCT list mismatch")
		}
	}
	return nil
}

// checkPeerCertificates compares the chain with -expect-peer-cert-file.
func (cfg *shimConfig) checkPeerCertificates(cs conn.State) error {
	if cfg.expectPeerCertFile == "" {
		return nil
	}
	data, err := os.ReadFile(cfg.expectPeerCertFile)
	if err != nil {
		return err
	}
	var want [][]byte
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		want = append(want, block.Bytes)
	}
	if len(want) != len(cs.PeerCertificates) {
		return fmt.Errorf("peer sent %d certificates, expected %d", len(cs.PeerCertificates), len(want))
	}
	for i, cert := range cs.PeerCertificates {
		if !bytes.Equal(cert.Raw, want[i]) {
			return fmt.Errorf("peer certificate %d differs from -expect-peer-cert-file", i)
		}
	}
	return nil
}
