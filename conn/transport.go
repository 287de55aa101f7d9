package conn

import (
	"errors"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/record"
)

// transport implements handshake.Transport over the Conn's record layer.
// The handshake holds both inMu and outMu while it runs.
type transport struct{ c *Conn }

func (t transport) ReadMessage() ([]byte, error) {
	c := t.c
	for {
		if msg, ok := c.nextMessageLocked(); ok {
			return msg, nil
		}
		if err := c.readRecordLocked(true, nil); err != nil {
			return nil, err
		}
	}
}

func (t transport) WriteMessage(msg []byte) error {
	t.c.traceMessage(msg, true)
	_, err := t.c.wr.Seal(record.Handshake, msg)
	return err
}

func (t transport) WriteChangeCipherSpec() error {
	_, err := t.c.wr.Seal(record.ChangeCipherSpec, []byte{1})
	return err
}

// ReadChangeCipherSpec reads records until the server's TLS 1.2
// ChangeCipherSpec, which handleCCS12 judges. Alerts are handled as
// everywhere; HelloRequests are ignored (RFC 5246, Section 7.4.1.1); any
// other handshake message is an unexpected_message: "It is essential that
// a change cipher spec message be received between the other handshake
// messages and the Finished message" (RFC 5246, Section 7.4.9).
func (t transport) ReadChangeCipherSpec() error {
	c := t.c
	if err := c.dropHelloRequestsLocked(); err != nil {
		return err
	}
	c.expectCCS, c.gotCCS = true, false
	defer func() { c.expectCCS, c.gotCCS = false, false }()
	for !c.gotCCS {
		if err := c.readRecordLocked(true, nil); err != nil {
			return err
		}
		if err := c.dropHelloRequestsLocked(); err != nil {
			return err
		}
	}
	return nil
}

func (t transport) Flush() error { return t.c.wr.Flush() }

// Pending reports buffered handshake bytes beyond the last message.
func (t transport) Pending() bool { return t.c.asm.Pending() }

func (t transport) SetReadKeys(o record.Opener) error {
	// "Handshake messages MUST NOT span key changes. Implementations MUST
	// verify that all messages immediately preceding a key change align
	// with a record boundary; if not, then they MUST terminate the
	// connection with an "unexpected_message" alert" (RFC 8446, Section
	// 5.1).
	if t.c.asm.Pending() {
		return alert.Wrap(alert.UnexpectedMessage, errors.New("tls: handshake message straddles a key change"))
	}
	t.c.installOpenerLocked(o)
	return nil
}

func (t transport) SetWriteKeys(s record.Sealer) error {
	t.c.installSealerLocked(s)
	return nil
}

func (t transport) SetVersion(v uint16) error {
	t.c.stateMu.Lock()
	t.c.version = v
	t.c.stateMu.Unlock()
	if v == record.VersionTLS12 {
		t.c.rd.RequireVersion(record.VersionTLS12)
	}
	// Only the initial ClientHello may carry 0x0301; every later record
	// says 0x0303 (RFC 8446, Section 5.1), crypto/tls checks it.
	if !t.c.wr.Sealer().Protected() {
		t.c.wr.SetSealer(record.Plaintext{Version: record.VersionTLS12})
	}
	// A change_cipher_spec before the ServerHello was dropped as TLS 1.3's
	// middlebox compatibility record (RFC 8446, Section 5); in TLS 1.2 it
	// came before the handshake messages it must follow: "It is essential
	// that a change cipher spec message be received between the other
	// handshake messages and the Finished message" (RFC 5246, Section
	// 7.4.9).
	if v == record.VersionTLS12 && t.c.ccsSeen > 0 {
		return alert.Wrap(alert.UnexpectedMessage, errors.New("tls: change_cipher_spec before a TLS 1.2 server_hello"))
	}
	return nil
}
