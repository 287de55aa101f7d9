package record

// Test hooks. Sequence numbers are otherwise only reset by new keys, so
// tests reach the wrap limit by setting them.

// SetSeqForTest sets the next sequence number the Reader opens under.
func (r *Reader) SetSeqForTest(seq uint64) { r.seq = seq }

// SetSeqForTest sets the next sequence number the Writer seals under.
func (w *Writer) SetSeqForTest(seq uint64) { w.seq = seq }

// SetBatchForTest sets how many records the Writer seals per transport write.
func (w *Writer) SetBatchForTest(n int) { w.batch = n }

// SetBufferForTest gives the Reader a buffer of n bytes instead of the
// default; it must be empty and hold at least one largest record.
func (r *Reader) SetBufferForTest(n int) { r.buf = make([]byte, n) }

const (
	WriteBatch      = writeBatch
	MaxEmptyRecords = maxEmptyRecords
	ReadBufSize     = readBufSize
)

// BufferLenForTest is the length of the Reader's buffer, 0 when it holds none.
func (r *Reader) BufferLenForTest() int { return len(r.buf) }

// BufferCapForTest is the capacity of the Writer's buffer.
func (w *Writer) BufferCapForTest() int { return cap(w.buf) }

const (
	SmallBufSize  = smallBufSize
	LargeWriteBuf = largeWriteBuf
)
