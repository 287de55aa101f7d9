package cipher_test

import (
	"encoding/hex"
	"fmt"

	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/record"
)

// Seal and open one record of RFC 8448, Section 3: the client's first
// application data record under client_application_traffic_secret_0,
// whose header and tag are the RFC's.
func ExampleNewTLS13() {
	suite := cipher.SuiteByID(0x1301)
	secret, _ := hex.DecodeString("9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5")
	payload := make([]byte, 50)
	for i := range payload {
		payload[i] = byte(i)
	}

	w := cipher.NewTLS13(suite, secret)
	rec := w.Seal(nil, record.ApplicationData, 0, payload)
	fmt.Printf("header %x, tag %x\n", rec[:record.HeaderLen], rec[len(rec)-16:])

	r := cipher.NewTLS13(suite, secret) // the server's reading side
	typ, plaintext, err := r.Open(nil, 0, rec)
	fmt.Println(typ, len(plaintext), err)
	// Output:
	// header 1703030043, tag 977014bd1e3deae63aeebb21694915e4
	// application_data 50 <nil>
}

func ExampleSuiteByID() {
	for _, id := range []uint16{0x1303, 0xc02b, 0x009c} {
		s := cipher.SuiteByID(id)
		if s == nil {
			fmt.Printf("%#04x unsupported\n", id)
			continue
		}
		fmt.Printf("%#04x %s version %#04x key %d iv %d\n", id, s, s.Version, s.KeyLen, s.IVLen())
	}
	// Output:
	// 0x1303 TLS_CHACHA20_POLY1305_SHA256 version 0x0304 key 32 iv 12
	// 0xc02b TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 version 0x0303 key 16 iv 4
	// 0x009c unsupported
}

// Pad every record's TLSInnerPlaintext to a multiple of 256 bytes, hiding
// the exact length of short messages; a request beyond the 2^14+1 limit is
// clamped.
func ExampleAEAD13_SetPadding() {
	suite := cipher.SuiteByID(0x1303)
	w := cipher.NewTLS13(suite, make([]byte, 32))
	w.SetPadding(func(_ record.ContentType, n int) int { return 255 - n%256 })
	for _, n := range []int{2, 300, record.MaxPlaintext} {
		rec := w.Seal(nil, record.ApplicationData, 0, make([]byte, n))
		fmt.Println(n, "->", record.ParseHeader(rec).Length)
	}
	// Output:
	// 2 -> 272
	// 300 -> 528
	// 16384 -> 16401
}
