package testpeer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/record"
)

// session is one proxied connection: the client's socket, the server's (nil
// in scripted mode) and a stream per direction.
type session struct {
	p       *Peer
	id      int
	ctx     context.Context // done when the peer closes
	conns   []net.Conn
	closing atomic.Bool // the proxy closes both sockets
	streams [2]*stream

	mu           sync.Mutex // guards what the handshake told
	clientRandom []byte
	sessionID    []byte // the first ClientHello's
	serverRandom []byte
	vers         uint16
	cs           *cipher.Suite
	resumed12    bool // a TLS 1.2 ServerHello echoed the client's session ID
	finished     [2]bool
	keyBlock12   [][]byte // TLS 1.2: client key, server key, client IV, server IV
}

// stream is one direction: a pump reading the sender's records and a
// sender writing to the receiver.
type stream struct {
	s    *session
	dir  Direction
	src  net.Conn // the sender; nil when no one sends (scripted mode)
	hook Hook

	// Used by the pump goroutine only.
	rd    *record.Reader
	in    protection
	inAsm handshake.Assembler
	index int

	stop atomic.Bool // StopReading
	out  sender
}

func newSession(p *Peer, id int, client, server net.Conn, h Hooks) *session {
	s := &session{p: p, id: id, ctx: p.ctx, conns: []net.Conn{client}}
	if server != nil {
		s.conns = append(s.conns, server)
	}
	s.streams[ClientToServer] = s.newStream(ClientToServer, client, server, h.ToServer)
	s.streams[ServerToClient] = s.newStream(ServerToClient, server, client, h.ToClient)
	return s
}

func (s *session) newStream(dir Direction, src, dst net.Conn, hook Hook) *stream {
	st := &stream{s: s, dir: dir, src: src, hook: hook}
	st.in = protection{s: s, keys: dir}
	st.out = sender{st: st, dst: dst, prot: protection{s: s, keys: dir}}
	if src != nil {
		st.rd = record.NewReader(src)
		st.rd.SetOpener(framing{})
	}
	return st
}

// run pumps both directions until both senders are done, then closes both
// sockets.
func (s *session) run() {
	var wg sync.WaitGroup
	for _, st := range s.streams {
		if st.src != nil {
			wg.Go(st.run)
		}
	}
	wg.Wait()
	s.closeAll()
}

func (s *session) closeAll() {
	s.closing.Store(true)
	for _, c := range s.conns {
		c.Close()
	}
}

// fail records why the proxy cannot go on and ends the connection.
func (s *session) fail(dir Direction, err error) {
	s.event(Event{Dir: dir, Kind: KindFailed, Err: err})
	s.closeAll()
}

func (s *session) event(e Event) {
	e.Conn = s.id
	s.p.tl.add(e)
}

// sleep waits d, or less when the peer closes.
func (s *session) sleep(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.ctx.Done():
	}
}

// run is the pump: read a record, open it, let the hook decide, act.
func (st *stream) run() {
	for {
		raw, err := st.rd.ReadRecord()
		if err != nil {
			if st.stop.Load() {
				<-st.s.ctx.Done()
				return
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			st.eof(err)
			return
		}
		rec, err := st.open(raw.Payload)
		if err != nil {
			st.s.fail(st.dir, err)
			return
		}
		st.react(rec)
		if st.stop.Load() {
			<-st.s.ctx.Done()
			return
		}
	}
}

func (st *stream) react(rec Record) {
	st.out.mu.Lock()
	muted := st.out.muted
	st.out.mu.Unlock()
	if muted {
		return
	}
	var acts []Action
	if st.hook != nil {
		acts = st.hook(rec)
	}
	if len(acts) == 0 {
		acts = []Action{Forward()}
	}
	st.s.apply(st, true, acts, &rec)
}

// eof records the end of the sender's stream and passes it on as a FIN,
// unless the direction is muted or the connection is being torn down.
func (st *stream) eof(err error) {
	if err == io.EOF {
		err = nil
	}
	st.s.event(Event{Dir: st.dir, Kind: KindEOF, Err: err})
	if st.s.closing.Load() {
		return
	}
	o := &st.out
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.muted {
		o.closeLocked(false)
	}
}

// stopReading makes the pump stop at its next read.
func (st *stream) stopReading() {
	if st.src == nil {
		return
	}
	st.stop.Store(true)
	st.src.SetReadDeadline(time.Now())
}

// open deprotects one raw record, follows the handshake through it and
// returns it for the hook.
func (st *stream) open(raw []byte) (Record, error) {
	h := record.ParseHeader(raw)
	v := st.s.version()
	protected := false
	switch {
	case v == record.VersionTLS13 && h.Type == record.ApplicationData:
		st.in.begin()
		protected = true
	case v == record.VersionTLS12 && st.in.epoch == EpochApplication:
		protected = true
	}
	typ, payload := h.Type, raw[record.HeaderLen:]
	if protected {
		if err := st.in.ensure(); err != nil {
			return Record{}, err
		}
		var err error
		typ, payload, err = st.in.aead.Open(nil, st.in.seq, raw)
		if err != nil {
			return Record{}, fmt.Errorf("testpeer: record %d from the %v does not open: %w", st.index, st.sender(), err)
		}
		st.in.seq++
	}
	rec := Record{
		Conn: st.s.id, Dir: st.dir, Index: st.index, Header: h,
		Type: typ, Payload: bytes.Clone(payload), Protected: protected,
	}
	if protected {
		rec.Epoch, rec.Generation = st.in.epoch, st.in.gen
	}
	st.index++
	rec.Messages = collect(&st.inAsm, typ, payload)
	rec.HandshakeDone, rec.CompletesHandshake = st.s.observe(st.dir, rec.Messages)
	rec.Version = st.s.version()
	e := recordEvent(st.dir, KindSent, h.Type, typ, payload, protected, &st.in, rec.Messages)
	e.Wire = len(raw)
	st.s.event(e)
	st.in.advance(typ, rec.Messages)
	return rec, nil
}

func (st *stream) sender() string {
	if st.dir == ClientToServer {
		return "client"
	}
	return "server"
}

// observe learns from the hellos and the Finished messages. It returns
// whether the handshake was complete before these messages and whether
// they complete it.
func (s *session) observe(dir Direction, msgs []Message) (done, completes bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	done = s.finished[0] && s.finished[1]
	for _, m := range msgs {
		switch m.Type() {
		case handshake.TypeClientHello:
			var ch handshake.ClientHello
			if dir == ClientToServer && s.clientRandom == nil && ch.Unmarshal(m) == nil {
				s.clientRandom, s.sessionID = ch.Random, ch.SessionID
			}
		case handshake.TypeServerHello:
			if sh, ok := parseServerHello(m); ok && dir == ServerToClient {
				s.vers, s.serverRandom, s.cs = sh.vers, sh.random, cipher.SuiteByID(sh.suite)
				// "If the ClientHello.session_id was non-empty, the server
				// will look in its session cache for a match. If a match
				// is found ... the server will respond with the same
				// value as was supplied by the client" (RFC 5246, Section
				// 7.4.1.3).
				s.resumed12 = sh.vers == record.VersionTLS12 && len(sh.sessionID) > 0 && bytes.Equal(sh.sessionID, s.sessionID)
			}
		case handshake.TypeFinished:
			s.finished[dir] = true
		}
	}
	return done, !done && s.finished[0] && s.finished[1]
}

func (s *session) version() uint16 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.vers
}

func (s *session) suite() *cipher.Suite {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cs
}

// secret waits for one of this connection's secrets in the key log.
func (s *session) secret(label string) ([]byte, error) {
	s.mu.Lock()
	random := s.clientRandom
	s.mu.Unlock()
	if random == nil {
		return nil, errors.New("testpeer: keys needed before a ClientHello was seen")
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.p.keyTimeout)
	defer cancel()
	secret, err := s.p.keys.wait(ctx, label, random)
	if err != nil && label == handshake.KeyLogLabelTLS12 {
		err = fmt.Errorf("%w (openssl logs it only after the client's Finished: give the client Peer.KeyLog)", err)
	}
	return secret, err
}

// keyBlock returns the TLS 1.2 write key and IV of the keys' owner, from
// the master secret the key log gives as CLIENT_RANDOM (RFC 5246, Section
// 6.3).
func (s *session) keyBlock(keys Direction) (key, iv []byte, err error) {
	s.mu.Lock()
	kb, resumed := s.keyBlock12, s.resumed12
	s.mu.Unlock()
	if resumed {
		// Key logs carry a master secret only for full handshakes.
		return nil, nil, errors.New("testpeer: TLS 1.2 session resumption is not followed: no key log line carries the resumed master secret")
	}
	if kb == nil {
		master, err := s.secret(handshake.KeyLogLabelTLS12)
		if err != nil {
			return nil, nil, err
		}
		s.mu.Lock()
		ck, sk, civ, siv := s.cs.KeyBlock(master, s.clientRandom, s.serverRandom)
		kb = [][]byte{ck, sk, civ, siv}
		s.keyBlock12 = kb
		s.mu.Unlock()
	}
	if keys == ClientToServer {
		return kb[0], kb[2], nil
	}
	return kb[1], kb[3], nil
}

// framing is the Opener the pumps' record.Readers use: it only frames. It
// returns each whole record, header included, as the payload, so the pump
// can open it with the keys it tracks, and accepts any length the header
// can announce: judging records is the receiver's business.
type framing struct{}

func (framing) Open(dst []byte, _ uint64, rec []byte) (record.ContentType, []byte, error) {
	if dst == nil {
		return record.ContentType(rec[0]), rec, nil
	}
	return record.ContentType(rec[0]), append(dst, rec...), nil
}
func (framing) Overhead() int    { return 0 }
func (framing) Protected() bool  { return false }
func (framing) MaxFragment() int { return math.MaxUint16 }
