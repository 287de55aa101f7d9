package alert_test

import (
	"errors"
	"fmt"

	"github.com/tlsrecord/tlsrecord/alert"
)

func ExampleParse() {
	a, err := alert.Parse([]byte{2, 40}, true)
	fmt.Println(a, err)
	_, err = alert.Parse([]byte{2, 40, 0}, true)
	fmt.Println(err)
	_, err = alert.Parse(nil, true)
	fmt.Println(err)
	// Output:
	// fatal handshake_failure <nil>
	// decode_error
	// unexpected_message
}

func ExampleAlert_Marshal() {
	fmt.Printf("% x\n", alert.Alert{Level: alert.Warning, Description: alert.CloseNotify}.Marshal())
	// Output: 01 00
}

func ExampleDescription_String() {
	fmt.Println(alert.BadRecordMAC.String(), alert.ECHRequired.String(), alert.Description(255).String())
	// A Description is an error too: %v prints its registry name, Error its
	// text, %d its code point.
	fmt.Printf("%v %d\n", alert.BadRecordMAC, alert.BadRecordMAC)
	fmt.Println(alert.BadRecordMAC.Error())
	// Output:
	// bad_record_mac ech_required alert(255)
	// bad_record_mac 20
	// tls: bad_record_mac
}

func ExampleIsFatal() {
	warning := alert.Alert{Level: alert.Warning, Description: alert.BadCertificate}
	fmt.Println("TLS 1.2:", alert.IsFatal(warning, false))
	fmt.Println("TLS 1.3:", alert.IsFatal(warning, true))
	// Output:
	// TLS 1.2: false
	// TLS 1.3: true
}

// A lower layer returns the alert it wants sent; the connection finds it
// with Of and matches it with errors.Is.
func ExampleWrap() {
	err := fmt.Errorf("reading ServerHello: %w",
		alert.Wrap(alert.IllegalParameter, errors.New("tls: server selected an unoffered cipher suite")))
	d, ok := alert.Of(err)
	fmt.Println(d.String(), ok)
	fmt.Println(errors.Is(err, alert.IllegalParameter))
	fmt.Println(err)
	// Output:
	// illegal_parameter true
	// true
	// reading ServerHello: tls: server selected an unoffered cipher suite (illegal_parameter)
}

func ExampleError() {
	var err error = &alert.Error{
		Alert:  alert.Alert{Level: alert.Fatal, Description: alert.HandshakeFailure},
		Remote: true,
	}
	var ae *alert.Error
	if errors.As(err, &ae) {
		fmt.Println(ae.Remote, ae.Alert)
	}
	fmt.Println(err)
	// Output:
	// true fatal handshake_failure
	// remote error: tls: handshake_failure
}
