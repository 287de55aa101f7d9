package testpeer

import (
	"fmt"

	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/record"
)

// Epoch names the keys a record was protected under.
type Epoch uint8

const (
	// EpochPlaintext: no keys. The hellos, the TLS 1.2 flights before
	// ChangeCipherSpec, TLS 1.3's compatibility change_cipher_spec and
	// plaintext alerts.
	EpochPlaintext Epoch = iota
	// EpochHandshake: TLS 1.3 handshake traffic keys.
	EpochHandshake
	// EpochApplication: TLS 1.3 application traffic keys (the Generation
	// counts KeyUpdates), or the TLS 1.2 keys after ChangeCipherSpec.
	EpochApplication
)

func (e Epoch) String() string {
	switch e {
	case EpochPlaintext:
		return "plaintext"
	case EpochHandshake:
		return "handshake"
	case EpochApplication:
		return "application"
	}
	return fmt.Sprintf("epoch(%d)", uint8(e))
}

// aead is one direction's record protection from the cipher package.
type aead interface {
	record.Sealer
	record.Opener
}

// protection follows one stream of records through its key changes: the
// records one side sends as the proxy reads them, or the records the proxy
// writes to the other side. Each has its own sequence numbers, so that what
// the proxy drops, splits or injects leaves the written stream valid.
//
// Key changes are driven by the records themselves, the same way on both
// ends of the proxy (advance), and keys are fetched lazily (ensure): a
// server logs a secret before it uses it, but possibly after the proxy saw
// the message that announced the change.
type protection struct {
	s    *session
	keys Direction // whose write keys: the client's or the server's
	// epoch and gen say which keys protect the next record; aead holds
	// them once fetched.
	epoch Epoch
	gen   int
	aead  aead
	seq   uint64
	// secret is the TLS 1.3 traffic secret of generation secretGen, kept
	// to derive the next generation's at a KeyUpdate.
	secret    []byte
	secretGen int
}

// protects reports whether a record sent now would be protected: in TLS
// 1.3 from the first protected record after the ServerHello on, in TLS 1.2
// after ChangeCipherSpec.
func (p *protection) protects() bool {
	return p.epoch != EpochPlaintext || p.s.version() == record.VersionTLS13
}

// begin moves a TLS 1.3 stream from plaintext to the handshake keys at its
// first protected record; the ServerHello announced them (RFC 8446,
// Section 2).
func (p *protection) begin() {
	if p.epoch == EpochPlaintext {
		p.epoch = EpochHandshake
	}
}

// ensure fetches the current epoch's keys if they are not yet in hand.
func (p *protection) ensure() error {
	if p.aead != nil {
		return nil
	}
	v, suite := p.s.version(), p.s.suite()
	if suite == nil || suite.Version != v {
		return fmt.Errorf("testpeer: no supported cipher suite for version %#04x", v)
	}
	if v == record.VersionTLS12 {
		key, iv, err := p.s.keyBlock(p.keys)
		if err != nil {
			return err
		}
		p.aead = cipher.NewTLS12(suite, key, iv)
		return nil
	}
	if p.secret == nil {
		secret, err := p.s.secret(p.label())
		if err != nil {
			return err
		}
		p.secret, p.secretGen = secret, 0
	}
	// "application_traffic_secret_N+1 = HKDF-Expand-Label(
	// application_traffic_secret_N, "traffic upd", "", Hash.length)" (RFC
	// 8446, Section 7.2).
	for ; p.secretGen < p.gen; p.secretGen++ {
		p.secret = suite.NextTrafficSecret(p.secret)
	}
	p.aead = cipher.NewTLS13(suite, p.secret)
	return nil
}

// label is the key log label of the current TLS 1.3 epoch's first secret.
func (p *protection) label() string {
	switch {
	case p.epoch == EpochHandshake && p.keys == ClientToServer:
		return handshake.KeyLogLabelClientHandshake
	case p.epoch == EpochHandshake:
		return handshake.KeyLogLabelServerHandshake
	case p.keys == ClientToServer:
		return handshake.KeyLogLabelClientTraffic
	}
	return handshake.KeyLogLabelServerTraffic
}

// advance applies the key change a record announces, after the record:
// TLS 1.3 Finished (application keys) and KeyUpdate (next generation), and
// TLS 1.2 ChangeCipherSpec.
func (p *protection) advance(typ record.ContentType, msgs []Message) {
	switch p.s.version() {
	case record.VersionTLS13:
		for _, m := range msgs {
			switch {
			case m.Type() == handshake.TypeFinished && p.epoch == EpochHandshake:
				p.switchTo(EpochApplication)
			case m.Type() == handshake.TypeKeyUpdate && p.epoch == EpochApplication:
				p.gen++
				p.aead, p.seq = nil, 0
			}
		}
	case record.VersionTLS12:
		if typ == record.ChangeCipherSpec && p.epoch == EpochPlaintext {
			p.switchTo(EpochApplication)
		}
	}
}

func (p *protection) switchTo(e Epoch) {
	p.epoch, p.gen = e, 0
	p.aead, p.seq, p.secret, p.secretGen = nil, 0, nil, 0
}
