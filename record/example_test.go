package record_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tlsrecord/tlsrecord/alert"
	"github.com/tlsrecord/tlsrecord/record"
)

func ExampleWriter() {
	var wire bytes.Buffer
	w := record.NewWriter(&wire)
	w.SetMaxFragment(4)
	n, err := w.Write(record.ApplicationData, []byte("hello, world"))
	fmt.Println(n, err, w.Seq())
	fmt.Printf("% x\n", wire.Bytes()[:9])
	// Output:
	// 12 <nil> 3
	// 17 03 03 00 04 68 65 6c 6c
}

func ExampleWriter_Seal() {
	var wire bytes.Buffer
	w := record.NewWriter(&wire)
	// A flight: seal each message, then send them in one write.
	_, _ = w.Seal(record.Handshake, []byte{20, 0, 0, 0})
	_, _ = w.Seal(record.ChangeCipherSpec, []byte{1})
	fmt.Println(w.Pending(), wire.Len())
	fmt.Println(w.Flush(), w.Pending(), wire.Len())
	// Output:
	// 15 0
	// <nil> 0 15
}

func ExampleWriter_Next() {
	var wire bytes.Buffer
	w := record.NewWriter(&wire)
	w.SetMaxFragment(8)
	// Read straight into the record buffer: each record is sealed where its
	// bytes landed, with no copy in between.
	src := strings.NewReader("zero-copy records")
	for {
		n, err := src.Read(w.Next())
		if n > 0 {
			if err := w.SealNext(record.ApplicationData, n); err != nil {
				panic(err)
			}
		}
		if err != nil {
			break
		}
	}
	fmt.Println(w.Flush(), w.Seq(), wire.Len())
	// Output:
	// <nil> 3 32
}

func ExampleReader() {
	wire := []byte{
		22, 3, 1, 0, 4, 2, 0, 0, 0, // handshake
		21, 3, 3, 0, 2, 1, 0, // alert: warning close_notify
		23, 3, 3, 0, // a record cut short
	}
	rd := record.NewReader(bytes.NewReader(wire))
	for {
		rec, err := rd.ReadRecord()
		if err != nil {
			fmt.Println(err, errors.Is(err, io.ErrUnexpectedEOF))
			break
		}
		fmt.Printf("%d %v %x % x\n", rec.Seq, rec.Type, rec.Header.Version, rec.Payload)
	}
	// Output:
	// 0 handshake 301 02 00 00 00
	// 1 alert 303 01 00
	// unexpected EOF true
}

func ExampleReader_ReadRecord_overflow() {
	// A header announcing 2^14+1 bytes is refused before its fragment is
	// read, with the alert conn must send.
	rd := record.NewReader(bytes.NewReader([]byte{23, 3, 3, 0x40, 0x01}))
	_, err := rd.ReadRecord()
	d, _ := alert.Of(err)
	fmt.Println(d.String(), errors.Is(err, alert.RecordOverflow))
	fmt.Println(err)
	// Output:
	// record_overflow true
	// tls: record fragment of 16385 bytes exceeds 16384 (record_overflow)
}
