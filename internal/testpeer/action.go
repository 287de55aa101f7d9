package testpeer

import (
	"time"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/record"
)

// An Action is what the proxy does in one direction in answer to a record
// (from a Hook) or at a test's request (Peer.Inject). Actions act on the
// direction of the record they answer: its receiver gets what they write,
// its sender is the one Mute and StopReading silence. Back applies actions
// to the opposite direction.
//
// Records are sealed when sent, under the keys the receiver expects at
// that point and with the proxy's own sequence numbers, so dropping,
// splitting or injecting records keeps the stream valid. A direction's key
// changes follow the messages actually sent in it: forwarding or injecting
// a KeyUpdate updates the keys after that record.
//
// Actions are values; the modifiers (Split, Pad, Corrupt, Truncate, Plain)
// return a changed copy and apply to every record the action writes.
type Action struct {
	op      op
	typ     record.ContentType
	payload []byte
	msg     Marshaler
	n       int
	d       time.Duration
	sub     []Action
	mods    mods
}

type op uint8

const (
	opForward op = iota + 1
	opDrop
	opSend
	opHold
	opRelease
	opRaw
	opDelay
	opClose
	opReset
	opMute
	opStopReading
	opTrickle
	opBack
)

// writes reports whether the action writes records.
func (o op) writes() bool {
	return o == opForward || o == opSend || o == opRelease || o == opRaw
}

// mods change how each record of an action is written.
type mods struct {
	split     int // at most this many content bytes per record; 0: MaxPlaintext
	pad       int
	corrupt   bool
	corruptAt int
	truncate  bool
	keep      int
	plain     bool
}

// Marshaler is a handshake message of the handshake package.
type Marshaler interface {
	Marshal() ([]byte, error)
}

// Forward sends the record as it arrived: its type and content, protected
// if it arrived protected (a plaintext record stays plaintext).
func Forward() Action { return Action{op: opForward} }

// Drop sends nothing.
func Drop() Action { return Action{op: opDrop} }

// Send sends a record of type typ with payload, protected under the current
// keys once the direction has keys, in plaintext before. A payload longer
// than record.MaxPlaintext goes out in several records; an empty one is one
// empty record.
func Send(typ record.ContentType, payload []byte) Action {
	return Action{op: opSend, typ: typ, payload: payload}
}

// SendAlert sends an alert record.
func SendAlert(level alert.Level, desc alert.Description) Action {
	return Send(record.Alert, alert.Alert{Level: level, Description: desc}.Marshal())
}

// SendMessage sends a handshake message, marshaled when sent, in one
// handshake record: &handshake.HelloRequest{}, &handshake.KeyUpdate{...},
// &handshake.NewSessionTicket{...}, a ServerHello...
func SendMessage(m Marshaler) Action {
	return Action{op: opSend, typ: record.Handshake, msg: m}
}

// Hold keeps the record back until Release.
func Hold() Action { return Action{op: opHold} }

// Release sends the held records, oldest first, sealed now.
func Release() Action { return Action{op: opRelease} }

// Raw writes b to the receiver as it is: no framing, no protection.
func Raw(b []byte) Action { return Action{op: opRaw, payload: b} }

// Delay sends what is pending, then waits d (less if the peer closes)
// before the next action.
func Delay(d time.Duration) Action { return Action{op: opDelay, d: d} }

// Close shuts the write side toward the receiver without close_notify: the
// receiver reads a FIN. Later records in this direction are dropped; the
// proxy goes on reading what the receiver sends.
func Close() Action { return Action{op: opClose} }

// Reset resets the receiver's connection: SO_LINGER 0, then close, so the
// kernel sends an RST.
func Reset() Action { return Action{op: opReset} }

// Mute drops every later record from this direction's sender, and its end
// of stream is not passed on: the receiver hears nothing more from it.
// Records that the other direction's hook or Peer.Inject write still go
// out.
func Mute() Action { return Action{op: opMute} }

// StopReading stops reading from this direction's sender: its bytes stay in
// the kernel until the proxy closes, so its writes eventually block.
func StopReading() Action { return Action{op: opStopReading} }

// Trickle makes every later write toward the receiver go out chunk bytes
// at a time, with pause between chunks.
func Trickle(chunk int, pause time.Duration) Action {
	return Action{op: opTrickle, n: max(chunk, 1), d: pause}
}

// Back applies acts to the opposite direction: toward this record's
// sender.
func Back(acts ...Action) Action { return Action{op: opBack, sub: acts} }

// Split sends the content in records of at most n bytes each.
func (a Action) Split(n int) Action { a.mods.split = max(n, 1); return a }

// Pad adds n bytes of TLS 1.3 padding to each protected record (clamped to
// the 2^14+1-byte TLSInnerPlaintext limit). TLS 1.2 and plaintext records
// have no padding and go out unpadded.
func (a Action) Pad(n int) Action { a.mods.pad = n; return a }

// Corrupt flips every bit of byte i of each record as written, header
// included; a negative i counts from the end, so -1 is the last byte of
// the AEAD tag and the receiver fails to open the record (bad_record_mac).
func (a Action) Corrupt(i int) Action {
	a.mods.corrupt, a.mods.corruptAt = true, i
	return a
}

// Truncate writes only the first keep bytes of each record. Followed by
// Close it makes the transport end inside a record.
func (a Action) Truncate(keep int) Action {
	a.mods.truncate, a.mods.keep = true, max(keep, 0)
	return a
}

// Plain sends the records as TLSPlaintext even when the direction has keys:
// a plaintext alert or change_cipher_spec in the middle of a protected
// stream.
func (a Action) Plain() Action { a.mods.plain = true; return a }
