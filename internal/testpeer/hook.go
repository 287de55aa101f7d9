package testpeer

import (
	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/record"
)

// Record is one record as the proxy read it from its sender, decrypted. A
// Hook sees it and decides what the receiver gets instead.
type Record struct {
	Conn  int       // proxied connection, from 1
	Dir   Direction // which side sent it
	Index int       // records the sender sent before this one
	// Header is the outer header as received.
	Header record.Header
	// Type is the real content type (for TLS 1.3 the inner one), Payload
	// the plaintext content. Payload is the hook's own copy.
	Type    record.ContentType
	Payload []byte
	// Protected, Epoch and Generation say which keys protected it.
	Protected  bool
	Epoch      Epoch
	Generation int
	// Version is the negotiated version, 0 before the ServerHello.
	Version uint16
	// Messages are the handshake messages that end in this record, whole
	// (a message split over records appears with its last fragment).
	Messages []Message
	// HandshakeDone reports that both Finished messages had passed before
	// this record; CompletesHandshake that this record carries the second.
	HandshakeDone      bool
	CompletesHandshake bool
}

// Alert returns the record's alert when it is a two-byte alert record.
func (r Record) Alert() (alert.Alert, bool) {
	if r.Type != record.Alert {
		return alert.Alert{}, false
	}
	a, err := alert.Parse(r.Payload, false)
	return a, err == nil
}

// IsAlert reports whether r is an alert record carrying d.
func (r Record) IsAlert(d alert.Description) bool {
	a, ok := r.Alert()
	return ok && a.Description == d
}

// IsApplicationData reports whether r carries application data.
func (r Record) IsApplicationData() bool { return r.Type == record.ApplicationData }

// HasMessage reports whether a handshake message of type t ends in r.
func (r Record) HasMessage(t handshake.MsgType) bool {
	for _, m := range r.Messages {
		if m.Type() == t {
			return true
		}
	}
	return false
}

// Message is one whole handshake message, its 4-byte header included.
type Message []byte

// Type returns the message's HandshakeType.
func (m Message) Type() handshake.MsgType { return handshake.MsgType(m[0]) }

// A Hook sees every record one side sends and returns what the proxy does
// instead of forwarding it. No actions (nil or empty) means Forward();
// Drop() alone drops it. A connection's two hooks run on two goroutines:
// state they share needs a lock.
type Hook func(r Record) []Action

// Hooks are one connection's two hooks; a nil hook forwards everything.
type Hooks struct {
	ToServer Hook // sees the client's records
	ToClient Hook // sees the server's records
}

// Scenario is a named way for the server side to behave. New makes fresh
// Hooks for each proxied connection, so that stateful hooks start over. The
// zero Scenario forwards everything.
type Scenario struct {
	Name string
	New  func() Hooks
}

// Hooked names fixed hooks as a Scenario; use it for stateless hooks.
func Hooked(name string, h Hooks) Scenario {
	return Scenario{Name: name, New: func() Hooks { return h }}
}

func (sc Scenario) hooks() Hooks {
	if sc.New == nil {
		return Hooks{}
	}
	return sc.New()
}
