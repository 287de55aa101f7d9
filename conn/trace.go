package conn

import (
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/record"
)

// wireTracer reports each record to Trace.RecordWritten once the transport
// has taken all of its bytes, not when it is sealed: a record that a
// timed-out or failed transport write left pending is reported when a
// later write sends it, and never if none does. It sits between the record
// Writer and the transport, only when the hook is set; outMu guards it, as
// every Writer call runs under outMu.
type wireTracer struct {
	c     *Conn
	queue []RecordInfo // sealed and not yet fully written, in order
	head  int          // queue[head] is the record the next bytes belong to
	left  int          // bytes of queue[head] the transport has not taken
}

// sealed queues a record the Writer just sealed (record.Writer.OnRecord).
func (w *wireTracer) sealed(h record.Header, inner record.ContentType, seq uint64, protected bool) {
	if w.head == len(w.queue) {
		w.queue, w.head, w.left = w.queue[:0], 0, 0
	}
	if len(w.queue) == w.head {
		w.left = record.HeaderLen + h.Length
	}
	w.queue = append(w.queue, RecordInfo{Outer: h.Type, Inner: inner, Length: h.Length, Seq: seq, Protected: protected})
}

// Write passes p to the transport and reports the records whose last byte
// it took.
func (w *wireTracer) Write(p []byte) (int, error) {
	n, err := w.c.conn.Write(p)
	for taken := n; taken > 0 && w.head < len(w.queue); {
		step := min(taken, w.left)
		taken -= step
		if w.left -= step; w.left > 0 {
			break
		}
		w.c.trace.RecordWritten(w.queue[w.head])
		if w.head++; w.head < len(w.queue) {
			w.left = record.HeaderLen + w.queue[w.head].Length
		}
	}
	return n, err
}

// nextMessageLocked returns the next whole handshake message the
// assembler holds, reported to Trace.HandshakeMessage. The caller holds
// inMu.
func (c *Conn) nextMessageLocked() ([]byte, bool) {
	msg, ok := c.asm.Next()
	if ok {
		c.traceMessage(msg, false)
	}
	return msg, ok
}

func (c *Conn) traceMessage(msg []byte, sent bool) {
	if f := c.trace.HandshakeMessage; f != nil && len(msg) > 0 {
		f(handshake.MsgType(msg[0]), sent)
	}
}
