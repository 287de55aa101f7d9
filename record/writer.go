package record

import (
	"errors"
	"io"
	"math"
	"sync"

	"github.com/tlsrecord/tlsrecord/alert"
)

// writeBatch is how many full-size records the Writer seals before handing
// them to the transport in one write. 16 records of 16 KiB make a 1 MiB
// Write 4 transport writes; see TestWriterBatching and BenchmarkWriterTCP
// for why more does not pay.
const writeBatch = 16

// largeWriteBuf is the size of the pooled buffers of large writes: a batch
// of the largest records with any Sealer's overhead. Smaller needs get a
// buffer of the Writer's own, kept; a pooled one is kept while writes are
// large and goes back at the first small one, so a connection whose last
// write was small holds no large buffer.
const (
	largeWriteBuf = writeBatch * (HeaderLen + MaxCiphertextTLS12)
	smallWriteBuf = 4 << 10
)

var largeWriteBufs = sync.Pool{New: func() any { return new([largeWriteBuf]byte) }}

// Writer fragments payloads into records, seals them into one reusable
// buffer and hands the transport several sealed records per write.
//
// Sealed bytes the transport has not taken stay pending, in order, and go
// out before anything sealed later: a sealed record is never dropped,
// sealed again, or given back its sequence number.
//
// A Writer is not safe for concurrent use.
type Writer struct {
	dst io.Writer

	sealer   Sealer
	overhead int // sealer.Overhead(), cached at SetSealer
	seq      uint64
	maxFrag  int
	batch    int // records per transport write: writeBatch, set by tests

	// contentOff is the Sealer's ContentOffset, 0 when it is no
	// InPlaceSealer (Next then places the area past the largest record
	// and the content is copied, as by Write).
	contentOff int
	// next is the offset in buf of the area Next handed out, 0 when none is
	// outstanding (an area never starts at 0).
	next int

	// buf[off:] is sealed and not yet sent. buf[:off] has been sent.
	buf   []byte
	off   int
	spare []byte // the small buffer, while buf is a pooled large one
	// OnRecord, when set, is called for each record as it is sealed, with
	// its outer header, its real content type and its sequence number.
	OnRecord func(h Header, inner ContentType, seq uint64, protected bool)

	// failed is set when a transport write failed with bytes still pending;
	// Write then sends them before it seals anything new.
	failed bool
}

// NewWriter returns a Writer to w with Plaintext protection and the largest
// fragment size.
func NewWriter(w io.Writer) *Writer {
	wr := &Writer{dst: w, maxFrag: MaxPlaintext, batch: writeBatch}
	wr.SetSealer(Plaintext{})
	return wr
}

// SetSealer installs new write keys. The sequence number starts again at 0;
// records sealed under the old keys and not yet sent stay queued and go out
// first.
func (w *Writer) SetSealer(s Sealer) {
	w.sealer = s
	w.overhead = max(s.Overhead(), 0)
	w.seq = 0
	w.next = 0
	w.contentOff = 0
	if ip, ok := s.(InPlaceSealer); ok {
		w.contentOff = ip.ContentOffset()
	}
}

// SetMaxFragment sets the largest plaintext fragment per record. n is
// clamped to 1..MaxPlaintext; the default is MaxPlaintext.
func (w *Writer) SetMaxFragment(n int) {
	w.maxFrag = min(max(n, 1), MaxPlaintext)
	w.next = 0
}

// Sealer returns the current write protection.
func (w *Writer) Sealer() Sealer { return w.sealer }

// Pending returns the number of sealed bytes not yet sent.
func (w *Writer) Pending() int { return len(w.buf) - w.off }

// Seq returns the sequence number the next record will be sealed under.
func (w *Writer) Seq() uint64 { return w.seq }

// Write seals payload as records of type typ and sends them, several records
// per transport write. An empty payload is one empty record. n is the number
// of payload bytes whose records were sealed, whether or not the transport
// took them all: on a transport error the unsent bytes stay pending and go
// out first on the next Write or Flush. If bytes from an earlier failure are
// still pending, Write first sends them, and returns (0, err) without
// sealing anything if that fails.
func (w *Writer) Write(typ ContentType, payload []byte) (int, error) {
	if w.failed {
		if err := w.Flush(); err != nil {
			return 0, err
		}
	}
	n := 0
	for {
		m, sealErr := w.seal(typ, payload[n:], n == 0, w.batch)
		n += m
		if err := w.Flush(); err != nil {
			if sealErr != nil {
				err = errors.Join(sealErr, err)
			}
			return n, err
		}
		if sealErr != nil {
			return n, sealErr
		}
		if n == len(payload) {
			return n, nil
		}
	}
}

// Seal seals payload as records of type typ into the pending bytes without
// sending them, so that a flight of messages goes out in one Flush. It
// returns the number of payload bytes sealed.
func (w *Writer) Seal(typ ContentType, payload []byte) (int, error) {
	return w.seal(typ, payload, true, math.MaxInt)
}

// Next returns the content area of the next record: MaxFragment bytes of the
// Writer's own buffer, placed where the Sealer will put the record's content.
// Fill the first n bytes and call SealNext(typ, n), and the record is sealed
// where the bytes lie, without the copy Write makes of a payload held
// elsewhere (for TLS 1.3 a copy it cannot avoid: the AEAD seals content
// and content type as one contiguous TLSInnerPlaintext). Reading from a file
// or socket straight into the area makes a record with no extra copy.
//
// The area belongs to the Writer and is valid until the next call of any
// Writer method other than Pending, Seq, Sealer or MaxFragment.
func (w *Writer) Next() []byte {
	off := w.contentOff
	if off == 0 {
		off = HeaderLen + w.maxFrag + w.overhead
	}
	// Room for the record Seal appends and, when the content is not in
	// place, for the area beyond it.
	w.reserve(max(HeaderLen+w.maxFrag+w.overhead, off+w.maxFrag))
	w.next = len(w.buf) + off
	return w.buf[w.next : w.next+w.maxFrag : w.next+w.maxFrag]
}

// MaxFragment returns the largest plaintext fragment per record: the length
// of the area Next returns.
func (w *Writer) MaxFragment() int { return w.maxFrag }

// SealNext seals the first n bytes of the area the last Next returned as
// one record of type typ and adds it to the pending bytes, like Seal:
// Flush sends it. It fails with ErrSeqOverflow when the sequence number
// has run out, and with an internal_error when no area is outstanding (Next
// was not called, or another Writer method was called since) or n is
// outside 0..MaxFragment; then nothing is sealed.
func (w *Writer) SealNext(typ ContentType, n int) error {
	at := w.next
	w.next = 0
	switch {
	case at == 0:
		return errNoNext
	case n < 0 || n > w.maxFrag:
		return errNextLength
	case w.seq == math.MaxUint64:
		return ErrSeqOverflow
	}
	w.sealOne(typ, w.buf[at:at+n])
	return nil
}

var (
	errNoNext     = alert.Wrap(alert.InternalError, errors.New("record: SealNext without a current Next area"))
	errNextLength = alert.Wrap(alert.InternalError, errors.New("record: SealNext length outside the Next area"))
)

// Flush sends the pending bytes. On error the unsent ones stay pending.
func (w *Writer) Flush() error {
	w.next = 0
	for w.off < len(w.buf) {
		n, err := w.dst.Write(w.buf[w.off:])
		w.off += n
		if err == nil && n == 0 {
			err = io.ErrShortWrite
		}
		if err != nil {
			w.failed = true
			return err
		}
	}
	w.buf = w.buf[:0]
	w.off = 0
	w.failed = false
	return nil
}

// releaseLarge gives a pooled buffer back; the caller has sent or copied
// its bytes.
func (w *Writer) releaseLarge() {
	if cap(w.buf) == largeWriteBuf {
		largeWriteBufs.Put((*[largeWriteBuf]byte)(w.buf[:largeWriteBuf]))
		w.buf, w.spare = w.spare, nil
	}
}

// seal seals up to batch records of payload into buf. first means an empty
// payload still makes one record. It returns the payload bytes sealed and
// ErrSeqOverflow if the sequence number ran out first.
func (w *Writer) seal(typ ContentType, payload []byte, first bool, batch int) (int, error) {
	recs := (len(payload) + w.maxFrag - 1) / w.maxFrag
	if recs == 0 && first {
		recs = 1
	}
	recs = min(recs, batch)
	w.next = 0
	w.reserve(min(len(payload), recs*w.maxFrag) + recs*(HeaderLen+w.overhead))
	n := 0
	for range recs {
		// "If a TLS implementation would need to wrap a sequence number, it
		// MUST either rekey (Section 4.6.3) or terminate the connection"
		// (RFC 8446, Section 5.3).
		if w.seq == math.MaxUint64 {
			return n, ErrSeqOverflow
		}
		frag := payload[n:min(n+w.maxFrag, len(payload))]
		w.sealOne(typ, frag)
		n += len(frag)
	}
	return n, nil
}

// sealOne seals one record; the caller has checked the sequence number.
func (w *Writer) sealOne(typ ContentType, frag []byte) {
	start := len(w.buf)
	w.buf = w.sealer.Seal(w.buf, typ, w.seq, frag)
	if w.OnRecord != nil {
		w.OnRecord(ParseHeader(w.buf[start:]), typ, w.seq, w.sealer.Protected())
	}
	w.seq++
}

// reserve makes room for size more bytes after the pending ones, moving them
// to the front or into a larger buffer only when they would not fit. Once the
// buffer has grown to the largest batch in use, it never allocates again.
func (w *Writer) reserve(size int) {
	if size <= smallWriteBuf && len(w.buf) == 0 && w.spare != nil && size <= cap(w.spare) {
		w.releaseLarge() // small records again: back to the small buffer
	}
	if cap(w.buf)-len(w.buf) >= size {
		return
	}
	pending := len(w.buf) - w.off
	if w.off > 0 && cap(w.buf)-pending >= size {
		w.buf = w.buf[:copy(w.buf[:cap(w.buf)], w.buf[w.off:])]
		w.off = 0
		return
	}
	var buf []byte
	if n := pending + size; n > smallWriteBuf && n <= largeWriteBuf {
		buf = largeWriteBufs.Get().(*[largeWriteBuf]byte)[:pending]
	} else {
		buf = make([]byte, pending, n)
	}
	copy(buf, w.buf[w.off:])
	if cap(buf) == largeWriteBuf && cap(w.buf) <= smallWriteBuf {
		w.spare = w.buf[:0] // the small buffer, back after the large one
	}
	w.releaseLarge()
	w.buf, w.off = buf, 0
}
