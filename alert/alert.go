package alert

import (
	"errors"
	"fmt"
	"strconv"
)

// Level is an AlertLevel (RFC 8446, Section 6).
type Level uint8

const (
	Warning Level = 1
	Fatal   Level = 2
)

func (l Level) String() string {
	switch l {
	case Warning:
		return "warning"
	case Fatal:
		return "fatal"
	}
	return "level(" + strconv.Itoa(int(l)) + ")"
}

// Description is an AlertDescription from the IANA TLS Alerts registry.
// It implements error so that lower layers can return the alert they want
// sent; its message is the registry name behind "tls: ".
type Description uint8

// The IANA TLS Alerts registry, in registry order. Codes the registry marks
// reserved ("_RESERVED") keep their historical names without the suffix.
const (
	CloseNotify                  Description = 0
	UnexpectedMessage            Description = 10
	BadRecordMAC                 Description = 20
	DecryptionFailed             Description = 21 // reserved (SSL 3.0 / TLS 1.0)
	RecordOverflow               Description = 22
	DecompressionFailure         Description = 30 // reserved
	HandshakeFailure             Description = 40
	NoCertificate                Description = 41 // reserved (SSL 3.0)
	BadCertificate               Description = 42
	UnsupportedCertificate       Description = 43
	CertificateRevoked           Description = 44
	CertificateExpired           Description = 45
	CertificateUnknown           Description = 46
	IllegalParameter             Description = 47
	UnknownCA                    Description = 48
	AccessDenied                 Description = 49
	DecodeError                  Description = 50
	DecryptError                 Description = 51
	TooManyCIDsRequested         Description = 52 // RFC 9146
	ExportRestriction            Description = 60 // reserved
	ProtocolVersion              Description = 70
	InsufficientSecurity         Description = 71
	InternalError                Description = 80
	InappropriateFallback        Description = 86 // RFC 7507
	UserCanceled                 Description = 90
	NoRenegotiation              Description = 100 // reserved in TLS 1.3
	MissingExtension             Description = 109
	UnsupportedExtension         Description = 110
	CertificateUnobtainable      Description = 111 // reserved
	UnrecognizedName             Description = 112
	BadCertificateStatusResponse Description = 113
	BadCertificateHashValue      Description = 114 // reserved
	UnknownPSKIdentity           Description = 115
	CertificateRequired          Description = 116
	GeneralError                 Description = 117
	NoApplicationProtocol        Description = 120 // RFC 7301
	ECHRequired                  Description = 121 // RFC 9849
)

var names = map[Description]string{
	CloseNotify:                  "close_notify",
	UnexpectedMessage:            "unexpected_message",
	BadRecordMAC:                 "bad_record_mac",
	DecryptionFailed:             "decryption_failed",
	RecordOverflow:               "record_overflow",
	DecompressionFailure:         "decompression_failure",
	HandshakeFailure:             "handshake_failure",
	NoCertificate:                "no_certificate",
	BadCertificate:               "bad_certificate",
	UnsupportedCertificate:       "unsupported_certificate",
	CertificateRevoked:           "certificate_revoked",
	CertificateExpired:           "certificate_expired",
	CertificateUnknown:           "certificate_unknown",
	IllegalParameter:             "illegal_parameter",
	UnknownCA:                    "unknown_ca",
	AccessDenied:                 "access_denied",
	DecodeError:                  "decode_error",
	DecryptError:                 "decrypt_error",
	TooManyCIDsRequested:         "too_many_cids_requested",
	ExportRestriction:            "export_restriction",
	ProtocolVersion:              "protocol_version",
	InsufficientSecurity:         "insufficient_security",
	InternalError:                "internal_error",
	InappropriateFallback:        "inappropriate_fallback",
	UserCanceled:                 "user_canceled",
	NoRenegotiation:              "no_renegotiation",
	MissingExtension:             "missing_extension",
	UnsupportedExtension:         "unsupported_extension",
	CertificateUnobtainable:      "certificate_unobtainable",
	UnrecognizedName:             "unrecognized_name",
	BadCertificateStatusResponse: "bad_certificate_status_response",
	BadCertificateHashValue:      "bad_certificate_hash_value",
	UnknownPSKIdentity:           "unknown_psk_identity",
	CertificateRequired:          "certificate_required",
	GeneralError:                 "general_error",
	NoApplicationProtocol:        "no_application_protocol",
	ECHRequired:                  "ech_required",
}

// String returns the registry's snake_case name, or alert(N) for a code the
// registry does not assign.
func (d Description) String() string {
	if n, ok := names[d]; ok {
		return n
	}
	return "alert(" + strconv.Itoa(int(d)) + ")"
}

// Registered reports whether the IANA registry assigns d.
func (d Description) Registered() bool {
	_, ok := names[d]
	return ok
}

// Error makes a Description usable as the error a lower layer returns for
// the alert it wants sent.
func (d Description) Error() string { return "tls: " + d.String() }

// Format makes %v and %s print the registry name, as String does: fmt
// prefers Error to String, and a Description is both. %q quotes the name,
// %d and the other integer verbs print the code point. Error keeps its
// "tls: " prefix, so err.Error() reads like crypto/tls's errors.
func (d Description) Format(f fmt.State, verb rune) {
	switch verb {
	case 'd', 'x', 'X', 'o', 'b', 'c', 'U':
		fmt.Fprintf(f, fmt.FormatString(f, verb), uint8(d))
	case 'q':
		fmt.Fprintf(f, fmt.FormatString(f, verb), d.String())
	default:
		fmt.Fprintf(f, fmt.FormatString(f, 's'), d.String())
	}
}

// Alert is the two-byte alert message.
type Alert struct {
	Level       Level
	Description Description
}

func (a Alert) String() string { return a.Level.String() + " " + a.Description.String() }

// Marshal returns the alert's two-byte wire form.
func (a Alert) Marshal() []byte { return a.AppendTo(nil) }

// AppendTo appends the alert's wire form to b.
func (a Alert) AppendTo(b []byte) []byte { return append(b, byte(a.Level), byte(a.Description)) }

// Parse decodes the body of an alert record. "Alert messages MUST NOT be
// fragmented across records, and multiple alert messages MUST NOT be
// coalesced into a single TLSPlaintext record" (RFC 8446, Section 5.1), so a
// body of any length but 2 is a decode_error; an empty TLS 1.3 alert is an
// unexpected_message: "Implementations MUST NOT send zero-length fragments of
// Handshake or Alert types" (RFC 8446, Section 5.4 and the alert policy, package alert).
// Parse does not judge the level byte: that is version policy (see
// ValidLevel).
func Parse(body []byte, tls13 bool) (Alert, error) {
	if len(body) == 0 && tls13 {
		return Alert{}, UnexpectedMessage
	}
	if len(body) != 2 {
		return Alert{}, DecodeError
	}
	return Alert{Level: Level(body[0]), Description: Description(body[1])}, nil
}

// IsClosure reports whether d is a closure alert: close_notify, and in TLS
// 1.3 also user_canceled ("Closure alerts: close_notify, user_canceled",
// RFC 8446, Section 6.1). RFC 5246 lists only close_notify as a closure
// alert; user_canceled there is a warning-level error alert.
func IsClosure(d Description, tls13 bool) bool {
	return d == CloseNotify || (tls13 && d == UserCanceled)
}

// IsFatal reports whether receiving or sending a ends the connection.
//
// TLS 1.3: "All the alerts listed in Section 6.2 MUST be sent with
// AlertLevel=fatal and MUST be treated as error alerts when received
// regardless of the AlertLevel in the message" (RFC 8446, Section 6), so
// every description but close_notify and user_canceled is fatal whatever
// the level byte says; close_notify ends only the sender's direction.
//
// TLS 1.2: the level decides ("Alert messages with a level of fatal result
// in the immediate termination of the connection", RFC 5246, Section 7.2),
// and a level other than warning is treated as fatal.
func IsFatal(a Alert, tls13 bool) bool {
	if tls13 {
		return !IsClosure(a.Description, true)
	}
	return a.Level != Warning
}

// ValidLevel reports whether l is a level the version defines. TLS 1.3
// ignores the level byte for error alerts, so every level is accepted; in
// TLS 1.2 an unknown level is an illegal_parameter (alert policy, package alert).
func ValidLevel(l Level, tls13 bool) bool {
	return tls13 || l == Warning || l == Fatal
}

// Error is an alert sent or received, with its cause. Remote is true for an
// alert the peer sent; Err is the local cause of one we sent (nil for a
// remote alert).
type Error struct {
	Alert  Alert
	Remote bool
	Err    error
}

func (e *Error) Error() string {
	if e.Remote {
		return "remote error: tls: " + e.Alert.Description.String()
	}
	if e.Err == nil {
		return "tls: " + e.Alert.Description.String()
	}
	// Keep the cause's text; name the alert only when the cause does not.
	var d Description
	if errors.As(e.Err, &d) && d == e.Alert.Description {
		return e.Err.Error()
	}
	return e.Err.Error() + " (" + e.Alert.Description.String() + ")"
}

// Unwrap returns the local cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, alert.X) hold for a local and a remote alert X.
func (e *Error) Is(target error) bool {
	d, ok := target.(Description)
	return ok && d == e.Alert.Description
}

// Of returns the description an error carries: the Description itself, or
// an *Error's, found with errors.As. ok is false when err carries none.
func Of(err error) (d Description, ok bool) {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Alert.Description, true
	}
	if errors.As(err, &d) {
		return d, true
	}
	return 0, false
}

// Wrap returns an *Error for a local fatal alert d caused by err.
func Wrap(d Description, err error) *Error {
	return &Error{Alert: Alert{Level: Fatal, Description: d}, Err: err}
}
