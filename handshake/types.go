package handshake

import "strconv"

// MsgType is a HandshakeType (RFC 8446, Section 4), in decimal as the
// registry has it.
type MsgType uint8

const (
	TypeHelloRequest        MsgType = 0 // TLS 1.2 only
	TypeClientHello         MsgType = 1
	TypeServerHello         MsgType = 2
	TypeNewSessionTicket    MsgType = 4
	TypeEndOfEarlyData      MsgType = 5
	TypeEncryptedExtensions MsgType = 8
	TypeCertificate         MsgType = 11
	TypeServerKeyExchange   MsgType = 12 // TLS 1.2 only
	TypeCertificateRequest  MsgType = 13
	TypeServerHelloDone     MsgType = 14 // TLS 1.2 only
	TypeCertificateVerify   MsgType = 15
	TypeClientKeyExchange   MsgType = 16 // TLS 1.2 only
	TypeFinished            MsgType = 20
	TypeCertificateStatus   MsgType = 22 // TLS 1.2 only (RFC 6066, Section 8)
	TypeKeyUpdate           MsgType = 24
	TypeMessageHash         MsgType = 254
)

var msgNames = map[MsgType]string{
	TypeHelloRequest:        "hello_request",
	TypeClientHello:         "client_hello",
	TypeServerHello:         "server_hello",
	TypeNewSessionTicket:    "new_session_ticket",
	TypeEndOfEarlyData:      "end_of_early_data",
	TypeEncryptedExtensions: "encrypted_extensions",
	TypeCertificate:         "certificate",
	TypeServerKeyExchange:   "server_key_exchange",
	TypeCertificateRequest:  "certificate_request",
	TypeServerHelloDone:     "server_hello_done",
	TypeCertificateVerify:   "certificate_verify",
	TypeClientKeyExchange:   "client_key_exchange",
	TypeFinished:            "finished",
	TypeCertificateStatus:   "certificate_status",
	TypeKeyUpdate:           "key_update",
	TypeMessageHash:         "message_hash",
}

func (t MsgType) String() string {
	if n, ok := msgNames[t]; ok {
		return n
	}
	return "handshake_type(" + strconv.Itoa(int(t)) + ")"
}

// Extension code points (IANA TLS ExtensionType Values), in hex.
const (
	ExtServerName              uint16 = 0x0000
	ExtStatusRequest           uint16 = 0x0005
	ExtSupportedGroups         uint16 = 0x000a
	ExtECPointFormats          uint16 = 0x000b
	ExtSignatureAlgorithms     uint16 = 0x000d
	ExtALPN                    uint16 = 0x0010
	ExtSCT                     uint16 = 0x0012
	ExtExtendedMasterSecret    uint16 = 0x0017
	ExtSessionTicket           uint16 = 0x0023
	ExtPreSharedKey            uint16 = 0x0029
	ExtEarlyData               uint16 = 0x002a
	ExtSupportedVersions       uint16 = 0x002b
	ExtCookie                  uint16 = 0x002c
	ExtPSKKeyExchangeModes     uint16 = 0x002d
	ExtCertificateAuthorities  uint16 = 0x002f
	ExtSignatureAlgorithmsCert uint16 = 0x0032
	ExtKeyShare                uint16 = 0x0033
	ExtRenegotiationInfo       uint16 = 0xff01
)

// SignatureScheme is a TLS SignatureScheme (RFC 8446, Section 4.2.3).
type SignatureScheme uint16

const (
	PKCS1WithSHA256        SignatureScheme = 0x0401
	PKCS1WithSHA384        SignatureScheme = 0x0501
	PKCS1WithSHA512        SignatureScheme = 0x0601
	ECDSAWithP256AndSHA256 SignatureScheme = 0x0403
	ECDSAWithP384AndSHA384 SignatureScheme = 0x0503
	ECDSAWithP521AndSHA512 SignatureScheme = 0x0603
	PSSWithSHA256          SignatureScheme = 0x0804 // rsa_pss_rsae_sha256
	PSSWithSHA384          SignatureScheme = 0x0805
	PSSWithSHA512          SignatureScheme = 0x0806
	Ed25519                SignatureScheme = 0x0807
	PSSPSSWithSHA256       SignatureScheme = 0x0809 // rsa_pss_pss_sha256
	PSSPSSWithSHA384       SignatureScheme = 0x080a
	PSSPSSWithSHA512       SignatureScheme = 0x080b
	PKCS1WithSHA1          SignatureScheme = 0x0201 // never offered
	ECDSAWithSHA1          SignatureScheme = 0x0203 // never offered
)

// CurveID is a NamedGroup (RFC 8446, Section 4.2.7); its values are
// crypto/tls's tls.CurveID values.
type CurveID uint16

const (
	CurveP256      CurveID = 0x0017
	CurveP384      CurveID = 0x0018
	CurveP521      CurveID = 0x0019
	X25519         CurveID = 0x001d
	X25519MLKEM768 CurveID = 0x11ec
)
