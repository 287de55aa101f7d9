package testpeer

import (
	"bytes"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/record"
)

// sender writes one direction's records to its receiver. Both pumps and
// Peer.Inject may write in the same direction, so everything here is
// guarded by mu, held for a whole batch of actions so that batches never
// interleave. mu is never held while taking the other direction's.
type sender struct {
	mu  sync.Mutex
	st  *stream
	dst net.Conn // the receiver; nil when there is none (scripted mode)

	prot protection
	asm  handshake.Assembler // follows the handshake messages written
	buf  []byte              // sealed, not yet written
	held []heldRecord

	closed bool // FIN or RST sent, or a write failed: nothing more goes out
	muted  bool // the sender's own records are dropped
	chunk  int  // Trickle: bytes per write, 0 for whole batches
	pause  time.Duration
}

type heldRecord struct {
	typ     record.ContentType
	payload []byte
	plain   bool
	version uint16
}

// apply runs acts on target's direction. own says the actions answer a
// record of target's own sender: once that direction is muted, they write
// nothing, unless this very batch muted it (its later actions are the
// scenario's last words).
func (s *session) apply(target *stream, own bool, acts []Action, rec *Record) {
	o := &target.out
	o.mu.Lock()
	selfMuted := false
	for _, a := range acts {
		switch {
		case a.op == opBack:
			o.flushLocked()
			o.mu.Unlock()
			s.apply(s.streams[target.dir.Reverse()], false, a.sub, rec)
			o.mu.Lock()
		case a.op == opDelay:
			o.flushLocked()
			o.mu.Unlock()
			s.sleep(a.d)
			o.mu.Lock()
		case a.op.writes() && own && o.muted && !selfMuted:
		case a.op == opMute:
			selfMuted = selfMuted || !o.muted
			o.muted = true
		default:
			o.doLocked(a, rec)
		}
	}
	o.flushLocked()
	o.mu.Unlock()
}

func (o *sender) doLocked(a Action, rec *Record) {
	switch a.op {
	case opForward:
		if rec != nil {
			o.sendLocked(rec.Type, rec.Payload, !rec.Protected, rec.Header.Version, a.mods)
		}
	case opSend:
		o.sendMessageLocked(a)
	case opHold:
		if rec != nil {
			o.held = append(o.held, heldRecord{rec.Type, rec.Payload, !rec.Protected, rec.Header.Version})
		}
	case opRelease:
		held := o.held
		o.held = nil
		for _, h := range held {
			o.sendLocked(h.typ, h.payload, h.plain, h.version, a.mods)
		}
	case opRaw:
		o.rawLocked(a.payload)
	case opClose:
		o.closeLocked(false)
	case opReset:
		o.closeLocked(true)
	case opStopReading:
		o.st.stopReading()
	case opTrickle:
		o.chunk, o.pause = a.n, a.d
	}
}

func (o *sender) sendMessageLocked(a Action) {
	payload := a.payload
	if a.msg != nil {
		msg, err := a.msg.Marshal()
		if err != nil {
			o.st.s.event(Event{Dir: o.st.dir, Kind: KindFailed, Err: fmt.Errorf("testpeer: marshaling %T: %w", a.msg, err)})
			return
		}
		payload = msg
	}
	o.sendLocked(a.typ, payload, false, 0, a.mods)
}

// sendLocked seals payload as records of type typ, split as m says.
// plain forces TLSPlaintext; version is the plaintext header's
// legacy_record_version (0: 0x0303).
func (o *sender) sendLocked(typ record.ContentType, payload []byte, plain bool, version uint16, m mods) {
	n := m.split
	if n == 0 || n > record.MaxPlaintext {
		n = record.MaxPlaintext
	}
	for first := true; first || len(payload) > 0; first = false {
		k := min(n, len(payload))
		o.sealLocked(typ, payload[:k], plain || m.plain, version, m)
		payload = payload[k:]
	}
}

// sealLocked appends one record to the batch, records it in the timeline,
// and applies the key change it announces.
func (o *sender) sealLocked(typ record.ContentType, payload []byte, plain bool, version uint16, m mods) {
	if o.closed || o.dst == nil {
		return
	}
	var sealer record.Sealer = record.Plaintext{Version: version}
	protect := !plain && o.prot.protects()
	if protect {
		o.prot.begin()
		if err := o.prot.ensure(); err != nil {
			o.st.s.fail(o.st.dir, err)
			o.closed = true
			return
		}
		sealer = o.prot.aead
		if a13, ok := sealer.(*cipher.AEAD13); ok && m.pad > 0 {
			a13.SetPadding(func(record.ContentType, int) int { return m.pad })
			defer a13.SetPadding(nil)
		}
	}
	start := len(o.buf)
	o.buf = sealer.Seal(o.buf, typ, o.prot.seq, payload)
	if protect {
		o.prot.seq++
	}
	sealed := o.buf[start:]
	outer := record.ContentType(sealed[0])
	if m.corrupt {
		i := m.corruptAt
		if i < 0 {
			i += len(sealed)
		}
		if i >= 0 && i < len(sealed) {
			sealed[i] ^= 0xff
		}
	}
	if m.truncate && m.keep < len(sealed) {
		o.buf = o.buf[:start+m.keep]
	}
	msgs := collect(&o.asm, typ, payload)
	e := recordEvent(o.st.dir, KindDelivered, outer, typ, payload, protect, &o.prot, msgs)
	e.Wire = len(o.buf) - start
	o.st.s.event(e)
	o.prot.advance(typ, msgs)
}

func (o *sender) rawLocked(b []byte) {
	if o.closed || o.dst == nil {
		return
	}
	o.buf = append(o.buf, b...)
	o.st.s.event(Event{Dir: o.st.dir, Kind: KindDelivered, Length: len(b), Wire: len(b)})
}

// flushLocked writes the batch, chunk bytes at a time when trickling.
func (o *sender) flushLocked() {
	defer func() { o.buf = o.buf[:0] }()
	if o.closed || len(o.buf) == 0 {
		return
	}
	for b := o.buf; len(b) > 0; {
		n := len(b)
		if o.chunk > 0 {
			n = min(n, o.chunk)
		}
		if _, err := o.dst.Write(b[:n]); err != nil {
			o.closed = true
			o.st.s.event(Event{Dir: o.st.dir, Kind: KindClosed, Err: err})
			return
		}
		b = b[n:]
		if len(b) > 0 && o.pause > 0 {
			o.st.s.sleep(o.pause)
		}
	}
}

// closeLocked sends what is pending, then a FIN, or an RST when reset.
func (o *sender) closeLocked(reset bool) {
	o.flushLocked()
	if o.closed || o.dst == nil {
		return
	}
	o.closed = true
	kind := KindClosed
	var err error
	if reset {
		kind = KindReset
		if tc, ok := o.dst.(*net.TCPConn); ok {
			err = tc.SetLinger(0)
		}
		if cerr := o.dst.Close(); err == nil {
			err = cerr
		}
	} else {
		err = closeWrite(o.dst)
	}
	o.st.s.event(Event{Dir: o.st.dir, Kind: kind, Err: err})
}

// closeWrite sends a FIN, keeping the read side open.
func closeWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Close()
}

// collect feeds a handshake record's content to asm and returns the
// messages it completes. A stream the assembler refuses (a hook may inject
// anything) is no longer followed: the assembler starts over.
func collect(asm *handshake.Assembler, typ record.ContentType, payload []byte) []Message {
	if typ != record.Handshake || len(payload) == 0 {
		return nil
	}
	if err := asm.Write(payload); err != nil {
		*asm = handshake.Assembler{}
		return nil
	}
	var msgs []Message
	for {
		m, ok := asm.Next()
		if !ok {
			return msgs
		}
		msgs = append(msgs, Message(bytes.Clone(m)))
	}
}

// recordEvent describes a record for the timeline.
func recordEvent(dir Direction, kind Kind, outer, typ record.ContentType, payload []byte,
	protected bool, p *protection, msgs []Message) Event {
	e := Event{
		Dir: dir, Kind: kind, Outer: outer, Inner: typ, Length: len(payload),
		Protected: protected,
	}
	if protected {
		e.Epoch, e.Generation = p.epoch, p.gen
	}
	if typ == record.Alert {
		if a, err := alert.Parse(payload, false); err == nil {
			e.Alert = &a
		}
	}
	for _, m := range msgs {
		e.Messages = append(e.Messages, m.Type())
	}
	return e
}
