package record

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sync"

	"github.com/tlsrecord/tlsrecord/alert"
)

// ErrSeqOverflow is returned by Reader and Writer instead of letting a
// sequence number wrap: "If a TLS implementation would need to wrap a
// sequence number, it MUST either rekey (Section 4.6.3) or terminate the
// connection" (RFC 8446, Section 5.3). The last value, 2^64-1, is never used,
// so the counter cannot wrap. It carries internal_error; SetOpener and
// SetSealer (new keys) clear the condition.
var ErrSeqOverflow = alert.Wrap(alert.InternalError, errors.New("tls: record sequence number would wrap"))

// NotTLSError is the error for a first record whose content type is not
// TLS's: the peer most likely does not speak TLS. Header holds the five
// bytes read, as crypto/tls's RecordHeaderError does.
type NotTLSError struct {
	Header [HeaderLen]byte
}

func (e *NotTLSError) Error() string {
	return "tls: first record does not look like a TLS handshake"
}

// maxEmptyRecords is how many empty records the Reader accepts between two
// non-empty application data records;
// one more is an unexpected_message (alert policy, package alert, after
// BoringSSL's kMaxEmptyRecords). It bounds the work a peer can cause without
// sending data.
const maxEmptyRecords = 32

// maxEmptyReads is how many consecutive (0, nil) reads the Reader tolerates
// from its transport before it gives up with io.ErrNoProgress, as bufio does.
const maxEmptyReads = 100

// readBufSize is the Reader's buffer for large records: room for two of the
// largest records any version allows (a TLS 1.2 ciphertext), so one
// transport read can bring in a whole record and most of the next.
const readBufSize = 2 * (HeaderLen + MaxCiphertextTLS12)

// smallBufSize is the Reader's buffer while records are smaller than a
// full one: handshake flights, and streams of small writes, several
// records per transport read (with 4 KiB, reading 1 KiB records cost the
// client up to 10% more CPU than crypto/tls's in go run ./bench: more read
// calls for the same bytes). It is pooled, so an idle connection holds none.
const smallBufSize = 16 << 10

// Buffers are shared by all Readers through two pools: a Reader holds one
// only while it has bytes buffered or a record outstanding, or after a
// large record (see Release), so an idle connection whose last records
// were small holds none.
var (
	smallBufs = sync.Pool{New: func() any { return new([smallBufSize]byte) }}
	largeBufs = sync.Pool{New: func() any { return new([readBufSize]byte) }}
)

// Record is one record as the Reader delivers it.
type Record struct {
	// Header is the outer header as received.
	Header Header
	// Type is the real content type: the header's for plaintext and TLS 1.2,
	// the one inside TLSInnerPlaintext for TLS 1.3.
	Type ContentType
	// Payload is the plaintext. It aliases the Reader's buffer (or the dst
	// of ReadRecordTo) and is valid until the next ReadRecord, Release or
	// Discard, after which the buffer may serve another Reader.
	Payload []byte
	// Seq is the sequence number the record was opened under.
	Seq uint64
	// Protected reports whether the record was deprotected by a real Opener.
	Protected bool
}

// Reader deframes records from a byte stream. It reads into one buffer,
// taken from a pool when needed (a small one until a record needs more)
// and given back whenever it is empty, asking the transport for as many bytes
// as fit (so one read may bring in several records), and returns the same
// records whatever the chunking of the stream. Bytes read past the current
// record stay buffered for the next call.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	src io.Reader

	opener    Opener
	protected bool // opener.Protected(), cached at SetOpener
	maxFrag   int  // opener.MaxFragment(), cached and clamped at SetOpener
	seq       uint64

	// buf[start:end] holds bytes read from src and not yet returned.
	buf        []byte
	start, end int
	large      bool // the last record needed more than a small buffer

	version uint16 // legacy_record_version every record must carry; 0: not checked
	empty   int    // empty records since the last non-empty application data
	pending error  // transport error that arrived with bytes, reported once they are used
	err     error  // sticky: set by any error that carries an alert
}

// NewReader returns a Reader of r's stream with Plaintext protection.
func NewReader(r io.Reader) *Reader {
	rd := &Reader{src: r}
	rd.SetOpener(Plaintext{})
	return rd
}

// RequireVersion makes every later record header carry version v, else
// the Reader fails with protocol_version before buffering its fragment:
// the TLS 1.2 rule once the ServerHello fixed the version (alert policy,
// package alert; crypto/tls does the same). TLS 1.3 never calls it, as
// legacy_record_version "MUST be ignored for all purposes" (RFC 8446,
// Section 5.1).
func (r *Reader) RequireVersion(v uint16) { r.version = v }

// SetOpener installs new read keys. The sequence number starts again at 0
// and bytes already buffered are opened with o.
func (r *Reader) SetOpener(o Opener) {
	r.opener = o
	r.protected = o.Protected()
	r.maxFrag = min(max(o.MaxFragment(), 0), math.MaxUint16)
	r.seq = 0
	if errors.Is(r.err, ErrSeqOverflow) {
		r.err = nil
	}
}

// Buffered returns how many bytes were read from the transport past the
// records returned so far.
func (r *Reader) Buffered() int { return r.end - r.start }

// Seq returns the sequence number the next record will be opened under.
func (r *Reader) Seq() uint64 { return r.seq }

// ReadRecord returns the next record.
//
// At the end of the stream it returns io.EOF if the stream ended at a record
// boundary and io.ErrUnexpectedEOF if it ended inside a record. Any other
// transport error is returned as it is and is not fatal: the bytes read so
// far stay buffered and the next call continues where this one stopped.
// Errors that carry an alert (an alert.Description or an *alert.Error,
// including the Opener's) are sticky: every later call returns the same one.
func (r *Reader) ReadRecord() (Record, error) { return r.ReadRecordTo(nil) }

// ReadRecordTo is ReadRecord, except that when dst is at least as long as
// the record's fragment, the plaintext is decrypted into dst (Payload then
// aliases dst) rather than in place, saving the caller a copy.
func (r *Reader) ReadRecordTo(dst []byte) (Record, error) {
	if r.err != nil {
		return Record{}, r.err
	}
	// The last record's payload is no longer valid: an empty buffer goes
	// back to its pool.
	r.Release()
	if r.buf == nil {
		r.grow(smallBufSize)
		if r.large {
			r.grow(readBufSize)
		}
	}
	for {
		need := HeaderLen
		if r.end-r.start >= HeaderLen {
			h := ParseHeader(r.buf[r.start:r.end])
			if err := r.checkHeader(h, r.buf[r.start:r.start+HeaderLen]); err != nil {
				r.err = err
				return Record{}, err
			}
			need += h.Length
			r.large = need > smallBufSize
			if r.end-r.start >= need {
				return r.open(h, dst)
			}
			if need > len(r.buf) {
				r.grow(need)
			}
		}
		if err := r.fill(need); err != nil {
			return Record{}, err
		}
	}
}

// checkHeader judges a header, whose bytes are raw, before its fragment is
// buffered.
func (r *Reader) checkHeader(h Header, raw []byte) error {
	// "If a TLS implementation receives an unexpected record type, it MUST
	// terminate the connection with an "unexpected_message" alert" (RFC
	// 8446, Section 5). legacy_record_version is looked at only when
	// RequireVersion asked for it (TLS 1.2): it "MUST be ignored for all
	// purposes" (RFC 8446, Section 5.1).
	if !h.Type.Known() {
		if !r.protected && r.seq == 0 {
			// The very first record: the peer most likely speaks another
			// protocol (a plaintext HTTP server answers "HTTP/").
			return alert.Wrap(alert.UnexpectedMessage, &NotTLSError{Header: [HeaderLen]byte(raw)})
		}
		return alert.Wrap(alert.UnexpectedMessage, fmt.Errorf("tls: unknown record content type %d", uint8(h.Type)))
	}
	if r.version != 0 && h.Version != r.version {
		return alert.Wrap(alert.ProtocolVersion, fmt.Errorf("tls: record version %#04x, negotiated %#04x", h.Version, r.version))
	}
	// "An endpoint that receives a record that exceeds this length MUST
	// terminate the connection with a "record_overflow" alert" (RFC 8446,
	// Sections 5.1 and 5.2; RFC 5246, Section 6.2.3). The limit is the
	// Opener's: 2^14 in plaintext, 2^14+256 for TLS 1.3, 2^14+2048 for 1.2.
	if h.Length > r.maxFrag {
		return alert.Wrap(alert.RecordOverflow, fmt.Errorf("tls: record fragment of %d bytes exceeds %d", h.Length, r.maxFrag))
	}
	return nil
}

// open deprotects the whole record at buf[start:] and applies the checks that
// need its plaintext.
func (r *Reader) open(h Header, dst []byte) (Record, error) {
	if r.seq == math.MaxUint64 {
		r.err = ErrSeqOverflow
		return Record{}, r.err
	}
	raw := r.buf[r.start : r.start+HeaderLen+h.Length]
	if h.Type == ChangeCipherSpec && r.protected {
		// change_cipher_spec records are never protected: TLS 1.3 sends
		// them in the clear for middlebox compatibility "at any time ...
		// before the peer's Finished" (RFC 8446, Section 5), and TLS 1.2
		// switches keys right after one. Such a record takes no sequence
		// number of the protected epoch; the upper layer judges it.
		r.start += len(raw)
		if err := r.checkEmpty(h.Type, h.Length); err != nil {
			return Record{}, err
		}
		return Record{Header: h, Type: h.Type, Payload: raw[HeaderLen:], Seq: r.seq}, nil
	}
	if len(dst) >= h.Length {
		dst = dst[:0]
	} else {
		dst = nil // in place
	}
	typ, payload, err := r.opener.Open(dst, r.seq, raw)
	if err != nil {
		r.err = err
		return Record{}, err
	}
	r.start += len(raw)
	rec := Record{Header: h, Type: typ, Payload: payload, Seq: r.seq, Protected: r.protected}
	r.seq++
	if err := r.checkEmpty(typ, len(payload)); err != nil {
		return Record{}, err
	}
	return rec, nil
}

// checkEmpty applies the rules for empty records and counts them.
func (r *Reader) checkEmpty(typ ContentType, n int) error {
	if n > 0 {
		// Only application data ends a flood: records of other kinds
		// (alerts, handshake) would let a peer alternate them with empty
		// records forever (alert policy, package alert).
		if typ == ApplicationData {
			r.empty = 0
		}
		return nil
	}
	// "Implementations MUST NOT send zero-length fragments of Handshake,
	// Alert, or ChangeCipherSpec content types" (RFC 5246, Section 6.2.1);
	// "Implementations MUST NOT send zero-length fragments of Handshake
	// types" (RFC 8446, Section 5.1), an unexpected_message by Section 5.4.
	// Empty alerts are judged by alert.Parse, which knows the version.
	if typ == Handshake || typ == ChangeCipherSpec {
		r.err = alert.Wrap(alert.UnexpectedMessage, fmt.Errorf("tls: empty %v record", typ))
		return r.err
	}
	r.empty++
	if r.empty > maxEmptyRecords {
		r.err = alert.Wrap(alert.UnexpectedMessage, errors.New("tls: too many empty records without application data"))
		return r.err
	}
	return nil
}

// fill reads from the transport until buf[start:end] holds at least need
// bytes or a read fails, moving the buffered bytes to the front first when
// the record would not fit behind them.
func (r *Reader) fill(need int) error {
	if r.pending != nil {
		err := r.pending
		r.pending = nil
		return r.readErr(err)
	}
	if r.start == r.end {
		r.start, r.end = 0, 0
	} else if r.start+need > len(r.buf) {
		r.end = copy(r.buf, r.buf[r.start:r.end])
		r.start = 0
	}
	for range maxEmptyReads {
		n, err := r.src.Read(r.buf[r.end:])
		r.end += n
		if err != nil {
			if n > 0 {
				// Use the bytes first; the error is reported when they run out.
				r.pending = err
				return nil
			}
			return r.readErr(err)
		}
		if n > 0 {
			return nil
		}
	}
	return io.ErrNoProgress
}

// readErr classifies a transport error: io.EOF is a clean end only at a
// record boundary.
func (r *Reader) readErr(err error) error {
	if err == io.EOF && r.start != r.end {
		return io.ErrUnexpectedEOF
	}
	return err
}

// grow gives the Reader a buffer of at least size bytes, keeping what is
// buffered: a pooled one when a small or a large buffer is enough, else its
// own, room for two of the largest records the Opener accepts.
func (r *Reader) grow(size int) {
	if size <= len(r.buf) {
		return
	}
	var buf []byte
	switch {
	case size <= smallBufSize:
		buf = smallBufs.Get().(*[smallBufSize]byte)[:]
	case size <= readBufSize:
		buf = largeBufs.Get().(*[readBufSize]byte)[:]
	default:
		buf = make([]byte, max(size, 2*(HeaderLen+r.maxFrag)))
	}
	r.end = copy(buf, r.buf[r.start:r.end])
	r.start = 0
	r.release()
	r.buf = buf
}

// Release gives the buffer back to its pool if it holds no unread bytes, so
// that an idle connection holds none; the last record's Payload is invalid
// afterwards. ReadRecord does the same by itself when it starts.
//
// A Reader whose last record was large keeps its large buffer: the next
// record is most likely large too, and a pool may lose it in a garbage
// collection. It goes back after the first small record.
func (r *Reader) Release() {
	if r.start == r.end && !r.large {
		r.start, r.end = 0, 0
		r.release()
	}
}

// Discard drops whatever is buffered and gives the buffer back: the
// stream is over for the caller (a closed connection). A later
// ReadRecord starts at the next byte the transport gives.
func (r *Reader) Discard() {
	r.start, r.end, r.large = 0, 0, false
	r.release()
}

// release gives a pooled buffer back; the caller has used or copied its
// bytes. A buffer of the Reader's own stays.
func (r *Reader) release() {
	switch len(r.buf) {
	case smallBufSize:
		smallBufs.Put((*[smallBufSize]byte)(r.buf))
	case readBufSize:
		largeBufs.Put((*[readBufSize]byte)(r.buf))
	default:
		return
	}
	r.buf = nil
}
