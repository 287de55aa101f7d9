package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/conn"
	"github.com/tlsrecord/tlsrecord/handshake"
)

// timeline prints each traced event with its time since the start. Trace
// hooks run on the reading and the writing goroutine, hence the lock.
type timeline struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
}

func newTimeline(w io.Writer) *timeline { return &timeline{w: w, start: time.Now()} }

func (tl *timeline) printf(format string, args ...any) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	fmt.Fprintf(tl.w, "  %8.3fms  ", float64(time.Since(tl.start).Microseconds())/1000)
	fmt.Fprintf(tl.w, format+"\n", args...)
}

func (tl *timeline) trace() *conn.Trace {
	return &conn.Trace{
		RecordWritten: func(r conn.RecordInfo) { tl.printf("-> %s", describe(r)) },
		RecordRead:    func(r conn.RecordInfo) { tl.printf("<- %s", describe(r)) },
		AlertSent:     func(a alert.Alert) { tl.printf("-> alert %s", a) },
		AlertReceived: func(a alert.Alert) { tl.printf("<- alert %s", a) },
		TransportEOF: func(atBoundary bool) {
			where := "between records"
			if !atBoundary {
				where = "inside a record"
			}
			tl.printf("<- transport EOF %s", where)
		},
		SessionTicket: func(t *handshake.NewSessionTicket) {
			tl.printf("<- session ticket, lifetime %ds, %d bytes", t.Lifetime, len(t.Ticket))
		},
	}
}

func describe(r conn.RecordInfo) string {
	s := fmt.Sprintf("%-16s %5d bytes  seq %d", r.Inner, r.Length, r.Seq)
	if r.Protected {
		s += "  protected"
		if r.Outer != r.Inner {
			s += fmt.Sprintf(" (outer %s)", r.Outer)
		}
	}
	return s
}

// ending says how a connection ended, from its state and last read error.
func ending(cs conn.State, readErr error) string {
	switch {
	case cs.TerminalAlert != nil && cs.TerminalAlert.Remote:
		return "the peer sent a fatal alert: " + cs.TerminalAlert.Error()
	case cs.TerminalAlert != nil:
		return "we failed the connection (its alert goes out unless our close_notify already did): " + cs.TerminalAlert.Error()
	case cs.CloseNotifyReceived && cs.CloseNotifySent:
		return "clean: close_notify crossed both ways"
	case cs.CloseNotifyReceived:
		return "clean: the peer sent close_notify (io.EOF)"
	case cs.Truncated:
		return fmt.Sprintf("TRUNCATED: the transport closed without close_notify (%v)", readErr)
	case cs.CloseNotifySent:
		return fmt.Sprintf("our close_notify went out; the peer's never came (%v)", readErr)
	}
	return fmt.Sprintf("open (last read: %v)", readErr)
}
