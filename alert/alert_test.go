package alert_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tlsrecord/tlsrecord/alert"
)

// registry is the IANA TLS Alerts registry as the RFCs spell it.
var registry = []struct {
	d    alert.Description
	code uint8
	name string
}{
	{alert.CloseNotify, 0, "close_notify"},
	{alert.UnexpectedMessage, 10, "unexpected_message"},
	{alert.BadRecordMAC, 20, "bad_record_mac"},
	{alert.DecryptionFailed, 21, "decryption_failed"},
	{alert.RecordOverflow, 22, "record_overflow"},
	{alert.DecompressionFailure, 30, "decompression_failure"},
	{alert.HandshakeFailure, 40, "handshake_failure"},
	{alert.NoCertificate, 41, "no_certificate"},
	{alert.BadCertificate, 42, "bad_certificate"},
	{alert.UnsupportedCertificate, 43, "unsupported_certificate"},
	{alert.CertificateRevoked, 44, "certificate_revoked"},
	{alert.CertificateExpired, 45, "certificate_expired"},
	{alert.CertificateUnknown, 46, "certificate_unknown"},
	{alert.IllegalParameter, 47, "illegal_parameter"},
	{alert.UnknownCA, 48, "unknown_ca"},
	{alert.AccessDenied, 49, "access_denied"},
	{alert.DecodeError, 50, "decode_error"},
	{alert.DecryptError, 51, "decrypt_error"},
	{alert.TooManyCIDsRequested, 52, "too_many_cids_requested"},
	{alert.ExportRestriction, 60, "export_restriction"},
	{alert.ProtocolVersion, 70, "protocol_version"},
	{alert.InsufficientSecurity, 71, "insufficient_security"},
	{alert.InternalError, 80, "internal_error"},
	{alert.InappropriateFallback, 86, "inappropriate_fallback"},
	{alert.UserCanceled, 90, "user_canceled"},
	{alert.NoRenegotiation, 100, "no_renegotiation"},
	{alert.MissingExtension, 109, "missing_extension"},
	{alert.UnsupportedExtension, 110, "unsupported_extension"},
	{alert.CertificateUnobtainable, 111, "certificate_unobtainable"},
	{alert.UnrecognizedName, 112, "unrecognized_name"},
	{alert.BadCertificateStatusResponse, 113, "bad_certificate_status_response"},
	{alert.BadCertificateHashValue, 114, "bad_certificate_hash_value"},
	{alert.UnknownPSKIdentity, 115, "unknown_psk_identity"},
	{alert.CertificateRequired, 116, "certificate_required"},
	{alert.GeneralError, 117, "general_error"},
	{alert.NoApplicationProtocol, 120, "no_application_protocol"},
	{alert.ECHRequired, 121, "ech_required"},
}

func TestDescriptionString(t *testing.T) {
	t.Parallel()
	registered := map[alert.Description]bool{}
	for _, tt := range registry {
		require.Equal(t, tt.code, uint8(tt.d), tt.name)
		require.Equal(t, tt.name, tt.d.String())
		require.Equal(t, "tls: "+tt.name, tt.d.Error())
		require.True(t, tt.d.Registered(), tt.name)
		registered[tt.d] = true
	}
	// Every other code is unassigned and prints as alert(N).
	for code := range 256 {
		d := alert.Description(code)
		if registered[d] {
			continue
		}
		require.Equal(t, fmt.Sprintf("alert(%d)", code), d.String())
		require.False(t, d.Registered(), "code %d", code)
	}
	require.Equal(t, "alert(255)", alert.Description(255).String())
	require.Equal(t, "tls: alert(255)", alert.Description(255).Error())
}

func TestLevelString(t *testing.T) {
	t.Parallel()
	require.Equal(t, "warning", alert.Warning.String())
	require.Equal(t, "fatal", alert.Fatal.String())
	require.Equal(t, "level(0)", alert.Level(0).String())
	require.Equal(t, "level(255)", alert.Level(255).String())
	require.Equal(t, "fatal bad_record_mac", alert.Alert{alert.Fatal, alert.BadRecordMAC}.String())
}

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		body      []byte
		tls13     bool
		want      alert.Alert
		wantAlert alert.Description // 0 with want set: no error
	}{
		{"close_notify 1.2", []byte{1, 0}, false, alert.Alert{alert.Warning, alert.CloseNotify}, 0},
		{"close_notify 1.3", []byte{1, 0}, true, alert.Alert{alert.Warning, alert.CloseNotify}, 0},
		{"fatal 1.3", []byte{2, 40}, true, alert.Alert{alert.Fatal, alert.HandshakeFailure}, 0},
		// Parse judges neither level nor description.
		{"unknown level", []byte{9, 20}, false, alert.Alert{9, alert.BadRecordMAC}, 0},
		{"unassigned description", []byte{2, 255}, true, alert.Alert{alert.Fatal, 255}, 0},
		{"empty 1.2", nil, false, alert.Alert{}, alert.DecodeError},
		{"empty 1.3", []byte{}, true, alert.Alert{}, alert.UnexpectedMessage},
		{"one byte 1.2", []byte{2}, false, alert.Alert{}, alert.DecodeError},
		{"one byte 1.3", []byte{2}, true, alert.Alert{}, alert.DecodeError},
		{"three bytes 1.2", []byte{2, 40, 0}, false, alert.Alert{}, alert.DecodeError},
		{"two coalesced 1.3", []byte{1, 0, 1, 0}, true, alert.Alert{}, alert.DecodeError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := alert.Parse(tt.body, tt.tls13)
			if tt.wantAlert != 0 {
				require.ErrorIs(t, err, tt.wantAlert)
				d, ok := alert.Of(err)
				require.True(t, ok)
				require.Equal(t, tt.wantAlert, d)
				require.Zero(t, a)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, a)
			require.Equal(t, tt.body, a.Marshal(), "marshal gives the body back")
		})
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tls13 := range []bool{false, true} {
		for level := range 256 {
			for desc := range 256 {
				a := alert.Alert{alert.Level(level), alert.Description(desc)}
				wire := a.Marshal()
				require.Equal(t, []byte{byte(level), byte(desc)}, wire)
				back, err := alert.Parse(wire, tls13)
				require.NoError(t, err)
				require.Equal(t, a, back)
			}
		}
	}
	require.Equal(t, []byte{0xff, 2, 20}, alert.Alert{alert.Fatal, alert.BadRecordMAC}.AppendTo([]byte{0xff}))
}

func TestClosureAndFatal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a           alert.Alert
		tls13       bool
		wantClosure bool
		wantFatal   bool
	}{
		// TLS 1.2: only close_notify closes; the level decides fatality.
		{alert.Alert{alert.Warning, alert.CloseNotify}, false, true, false},
		{alert.Alert{alert.Fatal, alert.CloseNotify}, false, true, true},
		{alert.Alert{alert.Warning, alert.UserCanceled}, false, false, false},
		{alert.Alert{alert.Warning, alert.NoRenegotiation}, false, false, false},
		{alert.Alert{alert.Warning, alert.BadCertificate}, false, false, false},
		{alert.Alert{alert.Fatal, alert.HandshakeFailure}, false, false, true},
		{alert.Alert{7, alert.BadCertificate}, false, false, true},
		{alert.Alert{alert.Warning, 255}, false, false, false},
		// TLS 1.3: close_notify and user_canceled close; everything else is
		// an error alert whatever its level byte says.
		{alert.Alert{alert.Warning, alert.CloseNotify}, true, true, false},
		{alert.Alert{alert.Fatal, alert.CloseNotify}, true, true, false},
		{alert.Alert{alert.Warning, alert.UserCanceled}, true, true, false},
		{alert.Alert{alert.Warning, alert.BadCertificate}, true, false, true},
		{alert.Alert{alert.Warning, alert.NoRenegotiation}, true, false, true},
		{alert.Alert{0, alert.DecodeError}, true, false, true},
		{alert.Alert{alert.Fatal, 255}, true, false, true},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%v tls13=%v", tt.a, tt.tls13)
		require.Equal(t, tt.wantClosure, alert.IsClosure(tt.a.Description, tt.tls13), name)
		require.Equal(t, tt.wantFatal, alert.IsFatal(tt.a, tt.tls13), name)
	}
}

func TestValidLevel(t *testing.T) {
	t.Parallel()
	for level := range 256 {
		l := alert.Level(level)
		require.True(t, alert.ValidLevel(l, true), "TLS 1.3 ignores the level byte")
		require.Equal(t, l == alert.Warning || l == alert.Fatal, alert.ValidLevel(l, false), "level %d", level)
	}
}

func TestErrorText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want string
	}{
		{&alert.Error{Alert: alert.Alert{alert.Fatal, alert.HandshakeFailure}, Remote: true}, "remote error: tls: handshake_failure"},
		{&alert.Error{Alert: alert.Alert{alert.Warning, alert.CloseNotify}, Remote: true}, "remote error: tls: close_notify"},
		{&alert.Error{Alert: alert.Alert{alert.Fatal, 255}, Remote: true}, "remote error: tls: alert(255)"},
		{&alert.Error{Alert: alert.Alert{alert.Fatal, alert.DecodeError}}, "tls: decode_error"},
		{alert.Wrap(alert.DecodeError, alert.DecodeError), "tls: decode_error"},
		{alert.Wrap(alert.DecodeError, fmt.Errorf("tls: bad hello: %w", alert.DecodeError)), "tls: bad hello: decode_error"}, // %w of a Description does not stutter
		{alert.Wrap(alert.IllegalParameter, errors.New("tls: duplicate extension")), "tls: duplicate extension (illegal_parameter)"},
		{alert.Wrap(alert.InternalError, alert.DecodeError), "tls: decode_error (internal_error)"},
	}
	for _, tt := range tests {
		require.EqualError(t, tt.err, tt.want)
	}
}

// %v and %s of a Description print the registry name though it is an
// error; the integer verbs print the code point.
func TestDescriptionFormat(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		format string
		want   string
	}{
		{"%v", "bad_record_mac"},
		{"%s", "bad_record_mac"},
		{"%+v", "bad_record_mac"},
		{"%q", `"bad_record_mac"`},
		{"%d", "20"},
		{"%#x", "0x14"},
		{"%-16v|", "bad_record_mac  |"},
	} {
		require.Equal(t, tt.want, fmt.Sprintf(tt.format, alert.BadRecordMAC), tt.format)
	}
	require.Equal(t, "alert(255)", fmt.Sprint(alert.Description(255)))
	require.Equal(t, "tls: bad_record_mac", alert.BadRecordMAC.Error())
}

func TestErrorsIsAs(t *testing.T) {
	t.Parallel()
	cause := errors.New("tls: server chose an unoffered group")
	local := fmt.Errorf("handshake: %w", alert.Wrap(alert.IllegalParameter, cause))
	remote := fmt.Errorf("read: %w", &alert.Error{Alert: alert.Alert{alert.Fatal, alert.HandshakeFailure}, Remote: true})
	bare := fmt.Errorf("parse: %w", alert.DecodeError)

	require.ErrorIs(t, local, alert.IllegalParameter)
	require.ErrorIs(t, local, cause, "Unwrap reaches the cause")
	require.NotErrorIs(t, local, alert.HandshakeFailure)
	require.ErrorIs(t, remote, alert.HandshakeFailure)
	require.NotErrorIs(t, remote, alert.IllegalParameter)
	require.ErrorIs(t, bare, alert.DecodeError)
	require.NotErrorIs(t, bare, alert.DecryptError)

	var ae *alert.Error
	require.ErrorAs(t, local, &ae)
	require.Equal(t, alert.Alert{alert.Fatal, alert.IllegalParameter}, ae.Alert)
	require.False(t, ae.Remote)
	require.Same(t, cause, ae.Err)

	require.ErrorAs(t, remote, &ae)
	require.Equal(t, alert.Alert{alert.Fatal, alert.HandshakeFailure}, ae.Alert)
	require.True(t, ae.Remote)
	require.NoError(t, ae.Unwrap())

	var d alert.Description
	require.ErrorAs(t, bare, &d)
	require.Equal(t, alert.DecodeError, d)
	require.False(t, errors.As(bare, &ae), "a bare Description is not an *Error")
}

func TestOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		err    error
		want   alert.Description
		wantOK bool
	}{
		{"nil", nil, 0, false},
		{"plain error", errors.New("x"), 0, false},
		{"io.EOF", io.EOF, 0, false},
		{"description", alert.BadRecordMAC, alert.BadRecordMAC, true},
		{"close_notify is a description too", alert.CloseNotify, alert.CloseNotify, true},
		{"wrapped description", fmt.Errorf("x: %w", alert.RecordOverflow), alert.RecordOverflow, true},
		{"local error", alert.Wrap(alert.DecryptError, errors.New("bad finished")), alert.DecryptError, true},
		{"local error whose cause carries another alert", alert.Wrap(alert.InternalError, alert.DecodeError), alert.InternalError, true},
		{"remote error", &alert.Error{Alert: alert.Alert{alert.Fatal, alert.UnknownCA}, Remote: true}, alert.UnknownCA, true},
		{"joined", errors.Join(io.ErrUnexpectedEOF, alert.UnexpectedMessage), alert.UnexpectedMessage, true},
	}
	for _, tt := range tests {
		d, ok := alert.Of(tt.err)
		require.Equal(t, tt.wantOK, ok, tt.name)
		require.Equal(t, tt.want, d, tt.name)
	}
}

func TestWrap(t *testing.T) {
	t.Parallel()
	cause := errors.New("tls: x")
	e := alert.Wrap(alert.BadCertificate, cause)
	require.Equal(t, &alert.Error{Alert: alert.Alert{alert.Fatal, alert.BadCertificate}, Err: cause}, e)
}
