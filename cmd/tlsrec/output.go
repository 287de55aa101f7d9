package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/conn"
	"github.com/tlsrecord/tlsrecord/handshake"
)

// event is one line of output. In text mode it is rendered by text(); with
// --json it is one JSON object, the field names documented in the README.
type event struct {
	Type      string   `json:"type"` // record, message, alert, eof, fin, ticket, note, data, error, ...
	TimeMS    *float64 `json:"t_ms,omitempty"`
	Dir       string   `json:"dir,omitempty"` // "sent" or "received"
	Content   string   `json:"content,omitempty"`
	Outer     string   `json:"outer,omitempty"`
	Length    *int     `json:"length,omitempty"`
	Seq       *uint64  `json:"seq,omitempty"`
	Protected bool     `json:"protected,omitempty"`
	Message   string   `json:"message,omitempty"`
	Level     string   `json:"level,omitempty"`
	Alert     string   `json:"alert,omitempty"`
	Boundary  *bool    `json:"at_record_boundary,omitempty"`
	Lifetime  *uint32  `json:"lifetime_s,omitempty"`
	Text      string   `json:"text,omitempty"`
	Data      string   `json:"data,omitempty"`
}

var arrows = map[string]string{"sent": "->", "received": "<-", "": "  "}

// text renders e as one timeline line, without the time column.
func (e *event) text() string {
	var what string
	switch e.Type {
	case "record":
		what = fmt.Sprintf("%-20s %6d  seq %d", e.Content, *e.Length, *e.Seq)
		if e.Outer != "" {
			what += "  (outer " + e.Outer + ")"
		}
	case "message":
		what = e.Message
	case "alert":
		what = e.Level + " " + e.Alert
	case "eof":
		what = "transport EOF inside a record"
		if *e.Boundary {
			what = "transport EOF between records"
		}
	case "ticket":
		what = fmt.Sprintf("NewSessionTicket kept for the caller, lifetime %ds", *e.Lifetime)
	default:
		what = e.Text
	}
	return fmt.Sprintf("%s %-7s %s", arrows[e.Dir], e.Type, what)
}

// printer writes events to stderr (or, for data, stdout) as text or
// JSON lines. Trace hooks run on the reading and the writing goroutine,
// hence the lock.
type printer struct {
	mu     sync.Mutex
	stdout io.Writer
	stderr io.Writer
	json   bool
	start  time.Time
	clock  func() time.Time // nil: no timings (deterministic output)
	indent string
}

func newPrinter(stdout, stderr io.Writer, jsonOut bool) *printer {
	return &printer{stdout: stdout, stderr: stderr, json: jsonOut, start: time.Now(), clock: time.Now}
}

// emit prints a timeline event.
func (p *printer) emit(e event) {
	// The time of the event, not of the turn to print it.
	if p.clock != nil {
		ms := float64(p.clock().Sub(p.start).Microseconds()) / 1000
		e.TimeMS = &ms
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		p.writeJSON(p.stderr, e)
		return
	}
	line := e.text()
	if e.TimeMS != nil {
		line = fmt.Sprintf("%9.3fms  %s", *e.TimeMS, line)
	}
	fmt.Fprintf(p.stderr, "%s%s\n", p.indent, line)
}

// note prints a free-form timeline line.
func (p *printer) note(format string, args ...any) {
	p.emit(event{Type: "note", Text: fmt.Sprintf(format, args...)})
}

// object prints v (a summary, verdict, finding, ...) as one JSON object, or
// its text lines.
func (p *printer) object(w io.Writer, v any, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		p.writeJSON(w, v)
		return
	}
	for line := range strings.SplitSeq(strings.TrimSuffix(text, "\n"), "\n") {
		fmt.Fprintf(w, "%s%s\n", p.indent, line)
	}
}

// data writes the server's application data to stdout: raw, or a "data"
// event per read with --json.
func (p *printer) data(b []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		p.writeJSON(p.stdout, event{Type: "data", Data: string(b)})
		return
	}
	p.stdout.Write(b)
}

func (p *printer) writeJSON(w io.Writer, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(event{Type: "error", Text: err.Error()})
	}
	w.Write(append(b, '\n'))
}

// trace returns the conn.Trace that prints the timeline.
func (p *printer) trace() *conn.Trace {
	return &conn.Trace{
		RecordWritten:    func(r conn.RecordInfo) { p.emit(recordEvent("sent", r)) },
		RecordRead:       func(r conn.RecordInfo) { p.emit(recordEvent("received", r)) },
		AlertSent:        func(a alert.Alert) { p.emit(alertEvent("sent", a)) },
		AlertReceived:    func(a alert.Alert) { p.emit(alertEvent("received", a)) },
		HandshakeMessage: func(t handshake.MsgType, sent bool) { p.emit(messageEvent(t, sent)) },
		TransportEOF: func(atBoundary bool) {
			p.emit(event{Type: "eof", Dir: "received", Boundary: &atBoundary})
		},
		SessionTicket: func(t *handshake.NewSessionTicket) {
			p.emit(event{Type: "ticket", Dir: "received", Lifetime: &t.Lifetime})
		},
	}
}

func recordEvent(dir string, r conn.RecordInfo) event {
	e := event{Type: "record", Dir: dir, Content: r.Inner.String(), Length: &r.Length, Seq: &r.Seq, Protected: r.Protected}
	if r.Outer != r.Inner {
		e.Outer = r.Outer.String()
	}
	return e
}

func alertEvent(dir string, a alert.Alert) event {
	return event{Type: "alert", Dir: dir, Level: a.Level.String(), Alert: a.Description.String()}
}

func messageEvent(t handshake.MsgType, sent bool) event {
	dir := "received"
	if sent {
		dir = "sent"
	}
	return event{Type: "message", Dir: dir, Message: messageName(t)}
}

// messageName is the RFC's name of a handshake message, as s_client and
// Wireshark print it: ClientHello, NewSessionTicket.
func messageName(t handshake.MsgType) string {
	s := t.String()
	if strings.HasPrefix(s, "handshake_type(") {
		return s
	}
	var b strings.Builder
	for part := range strings.SplitSeq(s, "_") {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}
