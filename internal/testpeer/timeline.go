package testpeer

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/record"
)

// Direction is the way a record travels through the proxy.
type Direction uint8

const (
	// ClientToServer carries what the client sends.
	ClientToServer Direction = iota
	// ServerToClient carries what the server (or the proxy playing it)
	// sends.
	ServerToClient
)

func (d Direction) String() string {
	if d == ClientToServer {
		return "client->server"
	}
	return "server->client"
}

// Reverse returns the other direction.
func (d Direction) Reverse() Direction { return 1 - d }

// Kind says what an Event records.
type Kind uint8

const (
	// KindSent: the sender sent this record; the proxy read and opened it.
	KindSent Kind = iota + 1
	// KindDelivered: the proxy wrote this record to the receiver.
	KindDelivered
	// KindEOF: the sender's transport ended. Err is nil for a FIN and the
	// read error otherwise (io.ErrUnexpectedEOF inside a record,
	// ECONNRESET, ...).
	KindEOF
	// KindClosed: the proxy shut its write side toward the receiver (FIN).
	// Err is set when a write failed and the direction was given up.
	KindClosed
	// KindReset: the proxy reset the receiver's connection (RST).
	KindReset
	// KindFailed: the proxy could not follow the connection (a secret that
	// never came, a record it could not open, a hook's message that did not
	// marshal). Err says why.
	KindFailed
	// KindServerError: the in-process server's handshake or Handler ended
	// with Err. Dir is ClientToServer.
	KindServerError
)

var kindNames = [...]string{"?", "sent", "delivered", "eof", "closed", "reset", "failed", "server-error"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Event is one entry of the timeline. For KindSent and KindDelivered it
// describes a record; for the other kinds only Time, Conn, Dir, Kind and Err
// are set.
type Event struct {
	Seq  int // position in the timeline, from 0
	Time time.Time
	Conn int // proxied connection, from 1
	Dir  Direction
	Kind Kind

	// Outer is the record header's content type (application_data for a
	// TLS 1.3 protected record), Inner the real one. Raw bytes written by
	// the Raw action have neither.
	Outer, Inner record.ContentType
	// Length is the content's length: the plaintext, without header,
	// nonce, tag or padding (the byte count for Raw). Wire is the record's
	// size on the wire, header included.
	Length     int
	Wire       int
	Protected  bool
	Epoch      Epoch
	Generation int
	// Alert is the decoded alert of a two-byte alert record, else nil.
	Alert *alert.Alert
	// Messages are the handshake messages that end in this record.
	Messages []handshake.MsgType

	Err error
}

// IsAlert reports whether e is a record carrying alert d.
func (e Event) IsAlert(d alert.Description) bool {
	return e.Alert != nil && e.Alert.Description == d
}

// HasMessage reports whether a handshake message of type t ends in e.
func (e Event) HasMessage(t handshake.MsgType) bool {
	for _, m := range e.Messages {
		if m == t {
			return true
		}
	}
	return false
}

func (e Event) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d conn %d %v %v", e.Seq, e.Conn, e.Dir, e.Kind)
	if e.Kind == KindSent || e.Kind == KindDelivered {
		switch {
		case e.Inner == 0:
			fmt.Fprintf(&b, " raw %dB", e.Length)
		case e.Protected:
			fmt.Fprintf(&b, " %v %dB protected(%v", e.Inner, e.Length, e.Epoch)
			if e.Epoch == EpochApplication && e.Generation > 0 {
				fmt.Fprintf(&b, "+%d", e.Generation)
			}
			b.WriteByte(')')
		default:
			fmt.Fprintf(&b, " %v %dB plaintext", e.Inner, e.Length)
		}
		if e.Alert != nil {
			fmt.Fprintf(&b, " [%v]", *e.Alert)
		}
		for _, m := range e.Messages {
			fmt.Fprintf(&b, " <%v>", m)
		}
	}
	if e.Err != nil {
		fmt.Fprintf(&b, " err=%v", e.Err)
	}
	return b.String()
}

// Predicates for Peer.WaitFor, Peer.Events and Peer.Count.

// SentAlert matches alert d sent by the sender of dir.
func SentAlert(dir Direction, d alert.Description) func(Event) bool {
	return func(e Event) bool { return e.Dir == dir && e.Kind == KindSent && e.IsAlert(d) }
}

// DeliveredAlert matches alert d delivered to the receiver of dir.
func DeliveredAlert(dir Direction, d alert.Description) func(Event) bool {
	return func(e Event) bool { return e.Dir == dir && e.Kind == KindDelivered && e.IsAlert(d) }
}

// SentMessage matches a record of dir's sender that ends a handshake
// message of type t.
func SentMessage(dir Direction, t handshake.MsgType) func(Event) bool {
	return func(e Event) bool { return e.Dir == dir && e.Kind == KindSent && e.HasMessage(t) }
}

// SentRecords matches every record sent in dir.
func SentRecords(dir Direction) func(Event) bool {
	return func(e Event) bool { return e.Dir == dir && e.Kind == KindSent }
}

// TransportEOF matches the end of dir's sender's transport.
func TransportEOF(dir Direction) func(Event) bool {
	return func(e Event) bool { return e.Dir == dir && e.Kind == KindEOF }
}

// OfKind matches events of kind k in dir.
func OfKind(dir Direction, k Kind) func(Event) bool {
	return func(e Event) bool { return e.Dir == dir && e.Kind == k }
}

// timeline is the append-only event log shared by every connection.
type timeline struct {
	mu      sync.Mutex
	events  []Event
	changed chan struct{} // closed and replaced at every append
}

func newTimeline() *timeline {
	return &timeline{changed: make(chan struct{})}
}

func (tl *timeline) add(e Event) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	e.Seq = len(tl.events)
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	tl.events = append(tl.events, e)
	close(tl.changed)
	tl.changed = make(chan struct{})
}

// snapshot returns a copy of the events and the channel closed at the next
// append.
func (tl *timeline) snapshot() ([]Event, <-chan struct{}) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return append([]Event(nil), tl.events...), tl.changed
}

// defaultWait bounds a wait whose context has no deadline.
const defaultWait = 10 * time.Second

// waitFor returns the first event, past or future, that pred matches.
func (tl *timeline) waitFor(ctx context.Context, pred func(Event) bool) (Event, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultWait)
		defer cancel()
	}
	seen := 0
	for {
		events, changed := tl.snapshot()
		for _, e := range events[seen:] {
			if pred(e) {
				return e, nil
			}
		}
		seen = len(events)
		select {
		case <-changed:
		case <-ctx.Done():
			return Event{}, fmt.Errorf("testpeer: no matching event among %d: %w", seen, ctx.Err())
		}
	}
}

// Format renders events one per line, for test failure messages.
func Format(events []Event) string {
	var b strings.Builder
	for _, e := range events {
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	return b.String()
}
