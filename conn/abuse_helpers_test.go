package conn_test

import (
	"bufio"
	"bytes"
	"crypto/aes"
	stdcipher "crypto/cipher"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"sync"

	"golang.org/x/crypto/cryptobyte"

	"github.com/tlsrecord/tlsrecord/cipher"
	"github.com/tlsrecord/tlsrecord/handshake"
	"github.com/tlsrecord/tlsrecord/internal/testpeer"
	"github.com/tlsrecord/tlsrecord/record"
)

// Helpers of the abuse catalogue: records no correct sealer makes (the
// cipher package refuses to seal them), sealed by hand with the keys our
// client logs, and a ServerHello with a duplicated extension.

// keyLog keeps the client's NSS key log lines, for records sealed by hand.
type keyLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (k *keyLog) Write(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.buf.Write(p)
}

// line returns the client random and the secret of the first line with
// label.
func (k *keyLog) line(label string) (clientRandom, secret []byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	sc := bufio.NewScanner(bytes.NewReader(k.buf.Bytes()))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == label {
			r, err1 := hex.DecodeString(f[1])
			s, err2 := hex.DecodeString(f[2])
			if err1 == nil && err2 == nil {
				return r, s
			}
		}
	}
	return nil, nil
}

func gcm(key []byte) stdcipher.AEAD {
	b, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	a, err := stdcipher.NewGCM(b)
	if err != nil {
		panic(err)
	}
	return a
}

// sealRaw13 seals inner, a whole TLSInnerPlaintext (content, type, zeros),
// as the server's TLS 1.3 application record number seq under
// TLS_AES_128_GCM_SHA256, whatever its length or content.
func sealRaw13(log *keyLog, seq uint64, inner []byte) []byte {
	suite := cipher.SuiteByID(tls.TLS_AES_128_GCM_SHA256)
	_, secret := log.line(handshake.KeyLogLabelServerTraffic)
	key, iv := suite.TrafficKey(secret)
	a := gcm(key)
	hdr := []byte{byte(record.ApplicationData), 3, 3, 0, 0}
	binary.BigEndian.PutUint16(hdr[3:], uint16(len(inner)+a.Overhead()))
	nonce := bytes.Clone(iv)
	for i := range 8 {
		nonce[len(nonce)-1-i] ^= byte(seq >> (8 * i))
	}
	return a.Seal(hdr, nonce, inner, hdr)
}

// sealRaw12 seals payload as a TLS 1.2 record of type typ, the server's
// first after its Finished (sequence number 1), under
// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (RFC 5288), whatever its length.
func sealRaw12(log *keyLog, serverRandom []byte, typ record.ContentType, payload []byte) []byte {
	suite := cipher.SuiteByID(tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
	clientRandom, master := log.line(handshake.KeyLogLabelTLS12)
	_, key, _, salt := suite.KeyBlock(master, clientRandom, serverRandom)
	const seq = 1
	nonce := binary.BigEndian.AppendUint64(bytes.Clone(salt), seq)
	aad := binary.BigEndian.AppendUint64(nil, seq)
	aad = append(aad, byte(typ), 3, 3)
	aad = binary.BigEndian.AppendUint16(aad, uint16(len(payload)))
	a := gcm(key)
	hdr := []byte{byte(typ), 3, 3, 0, 0}
	binary.BigEndian.PutUint16(hdr[3:], uint16(8+len(payload)+a.Overhead()))
	out := append(hdr, nonce[4:]...)
	return a.Seal(out, nonce, payload, aad)
}

// withDuplicateExtension returns the ServerHello msg with its first
// extension repeated at the end of the block.
func withDuplicateExtension(msg []byte) []byte {
	s := cryptobyte.String(msg[4:])
	var vers, suite uint16
	var random, sid, exts cryptobyte.String
	var comp uint8
	if !s.ReadUint16(&vers) || !s.ReadBytes((*[]byte)(&random), 32) || !s.ReadUint8LengthPrefixed(&sid) ||
		!s.ReadUint16(&suite) || !s.ReadUint8(&comp) || !s.ReadUint16LengthPrefixed(&exts) {
		panic("testpeer made a malformed ServerHello")
	}
	first := exts
	var typ uint16
	var body cryptobyte.String
	if !first.ReadUint16(&typ) || !first.ReadUint16LengthPrefixed(&body) {
		panic("ServerHello without extensions")
	}
	var b cryptobyte.Builder
	b.AddUint8(uint8(handshake.TypeServerHello))
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint16(vers)
		b.AddBytes(random)
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(sid) })
		b.AddUint16(suite)
		b.AddUint8(comp)
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddBytes(exts)
			b.AddUint16(typ)
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(body) })
		})
	})
	return b.BytesOrPanic()
}

// rawMessage is a Marshaler of fixed bytes, for testpeer.SendMessage.
type rawMessage []byte

func (m rawMessage) Marshal() ([]byte, error) { return m, nil }

var _ testpeer.Marshaler = rawMessage(nil)
