package main

import (
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// shimConfig is one handshake's configuration, parsed from the runner's
// flags as BoringSSL's ssl/test/test_config.cc defines them. A flag without
// a prefix sets every handshake's config; -on-initial-, -on-resume- and
// -on-retry- set one of them only.
type shimConfig struct {
	port        int
	ipv6        bool
	shimID      uint64
	resumeCount int
	// isResume is set on the resume config's copy for the connections
	// after the first; expectSessionMiss and resumptionDelay apply to them.
	isResume          bool
	expectSessionMiss bool
	resumptionDelay   int
	version           uint16 // negotiated by this config's last connection

	minVersion, maxVersion int
	noTLS13, noTLS12       bool
	expectVersion          int
	cipher                 string
	curves                 []int
	keyShares              []int
	hostName               string
	trustCert              string
	advertiseALPN          string
	expectALPN             string
	expectCurveID          int
	expectCipher           int
	expectPeerSigAlg       int
	expectPeerCertFile     string
	expectHRR, expectNoHRR bool
	expectEMS              bool
	expectSecureReneg      bool
	expectNoSecureReneg    bool
	// The default credential, and those -new-x509-credential adds: a
	// credential flag sets the last one added, or the default when none was.
	credential             credential
	credentials            []credential
	oldCertCallback        bool
	policy                 string // a compliance policy flag, see policies
	expectOCSP             string
	expectSCTs             string
	tlsUnique              bool
	expectSelected         *int // -expect-selected-credential
	selected               int  // the credential selectCredential chose, -1 for none or the default
	verifyPrefs            []int
	verifyPeer, verifyFail bool
	customVerify           bool
	expectNoSession        bool
	implicitHandshake      bool
	extraHandshake         bool

	shimWritesFirst     bool
	initialWrite        string
	repeatInitialWrite  int
	shimShutsDown       bool
	checkCloseNotify    bool
	sendAlert           bool
	keyUpdate           bool
	keyUpdateBeforeRead bool
	readSize            int
	maxSendFragment     int
	differentSizes      bool

	exportKeyingMaterial int
	exportLabel          string
	exportContext        string
	useExportContext     bool

	// unimplemented lists the flags this shim cannot honour: the shim exits
	// with code 89 so that -allow-unimplemented skips the test.
	unimplemented []string
}

// credential is a client certificate chain and key, with the signature
// schemes it may sign with.
type credential struct {
	certFile, keyFile string
	signingPrefs      []int
	mustMatchIssuer   bool
}

// cred returns the credential that credential flags set now.
func (c *shimConfig) cred() *credential {
	if n := len(c.credentials); n > 0 {
		return &c.credentials[n-1]
	}
	return &c.credential
}

func newShimConfig() *shimConfig {
	return &shimConfig{initialWrite: "hello", repeatInitialWrite: 1, selected: -1}
}

// flagDef is one flag: whether it takes a parameter, and how it sets it.
type flagDef struct {
	param bool
	set   func(c *shimConfig, v string) error
}

func boolFlag(f func(*shimConfig) *bool) flagDef {
	return flagDef{set: func(c *shimConfig, _ string) error { *f(c) = true; return nil }}
}

func stringFlag(f func(*shimConfig) *string) flagDef {
	return flagDef{param: true, set: func(c *shimConfig, v string) error { *f(c) = v; return nil }}
}

func intFlag(f func(*shimConfig) *int) flagDef {
	return flagDef{param: true, set: func(c *shimConfig, v string) error {
		n, err := strconv.Atoi(v)
		*f(c) = n
		return err
	}}
}

// intListFlag appends: the runner repeats the flag once per value.
func intListFlag(f func(*shimConfig) *[]int) flagDef {
	return flagDef{param: true, set: func(c *shimConfig, v string) error {
		n, err := strconv.Atoi(v)
		*f(c) = append(*f(c), n)
		return err
	}}
}

func base64Flag(f func(*shimConfig) *string) flagDef {
	return flagDef{param: true, set: func(c *shimConfig, v string) error {
		b, err := base64.StdEncoding.DecodeString(v)
		*f(c) = string(b)
		return err
	}}
}

func policyFlag(name string) flagDef {
	return flagDef{set: func(c *shimConfig, _ string) error { c.policy = name; return nil }}
}

// ignoredFlag accepts a flag whose request this client always meets, with
// the reason in the table below.
func ignoredFlag(param bool) flagDef {
	return flagDef{param: param, set: func(*shimConfig, string) error { return nil }}
}

var flags = map[string]flagDef{
	"-port":                            intFlag(func(c *shimConfig) *int { return &c.port }),
	"-ipv6":                            boolFlag(func(c *shimConfig) *bool { return &c.ipv6 }),
	"-shim-id":                         {param: true, set: func(c *shimConfig, v string) (err error) { c.shimID, err = strconv.ParseUint(v, 10, 64); return err }},
	"-resume-count":                    intFlag(func(c *shimConfig) *int { return &c.resumeCount }),
	"-expect-session-miss":             boolFlag(func(c *shimConfig) *bool { return &c.expectSessionMiss }),
	"-resumption-delay":                intFlag(func(c *shimConfig) *int { return &c.resumptionDelay }),
	"-min-version":                     intFlag(func(c *shimConfig) *int { return &c.minVersion }),
	"-max-version":                     intFlag(func(c *shimConfig) *int { return &c.maxVersion }),
	"-no-tls13":                        boolFlag(func(c *shimConfig) *bool { return &c.noTLS13 }),
	"-no-tls12":                        boolFlag(func(c *shimConfig) *bool { return &c.noTLS12 }),
	"-expect-version":                  intFlag(func(c *shimConfig) *int { return &c.expectVersion }),
	"-cipher":                          stringFlag(func(c *shimConfig) *string { return &c.cipher }),
	"-curves":                          intListFlag(func(c *shimConfig) *[]int { return &c.curves }),
	"-key-shares":                      intListFlag(func(c *shimConfig) *[]int { return &c.keyShares }),
	"-host-name":                       stringFlag(func(c *shimConfig) *string { return &c.hostName }),
	"-trust-cert":                      stringFlag(func(c *shimConfig) *string { return &c.trustCert }),
	"-advertise-alpn":                  stringFlag(func(c *shimConfig) *string { return &c.advertiseALPN }),
	"-expect-alpn":                     stringFlag(func(c *shimConfig) *string { return &c.expectALPN }),
	"-expect-curve-id":                 intFlag(func(c *shimConfig) *int { return &c.expectCurveID }),
	"-expect-cipher":                   intFlag(func(c *shimConfig) *int { return &c.expectCipher }),
	"-expect-peer-signature-algorithm": intFlag(func(c *shimConfig) *int { return &c.expectPeerSigAlg }),
	"-expect-peer-cert-file":           stringFlag(func(c *shimConfig) *string { return &c.expectPeerCertFile }),
	"-expect-hrr":                      boolFlag(func(c *shimConfig) *bool { return &c.expectHRR }),
	"-expect-no-hrr":                   boolFlag(func(c *shimConfig) *bool { return &c.expectNoHRR }),
	"-expect-extended-master-secret":   boolFlag(func(c *shimConfig) *bool { return &c.expectEMS }),
	"-expect-secure-renegotiation":     boolFlag(func(c *shimConfig) *bool { return &c.expectSecureReneg }),
	"-expect-no-secure-renegotiation":  boolFlag(func(c *shimConfig) *bool { return &c.expectNoSecureReneg }),
	"-cert-file":                       stringFlag(func(c *shimConfig) *string { return &c.cred().certFile }),
	"-key-file":                        stringFlag(func(c *shimConfig) *string { return &c.cred().keyFile }),
	"-signing-prefs":                   intListFlag(func(c *shimConfig) *[]int { return &c.cred().signingPrefs }),
	"-new-x509-credential": {set: func(c *shimConfig, _ string) error {
		c.credentials = append(c.credentials, credential{})
		return nil
	}},
	"-use-old-client-cert-callback":  boolFlag(func(c *shimConfig) *bool { return &c.oldCertCallback }),
	"-expect-ocsp-response":          base64Flag(func(c *shimConfig) *string { return &c.expectOCSP }),
	"-expect-signed-cert-timestamps": base64Flag(func(c *shimConfig) *string { return &c.expectSCTs }),
	"-tls-unique":                    boolFlag(func(c *shimConfig) *bool { return &c.tlsUnique }),
	"-must-match-issuer":             boolFlag(func(c *shimConfig) *bool { return &c.cred().mustMatchIssuer }),
	"-expect-selected-credential": {param: true, set: func(c *shimConfig, v string) error {
		n, err := strconv.Atoi(v)
		c.expectSelected = &n
		return err
	}},
	"-fips-202205":                  policyFlag("-fips-202205"),
	"-wpa-202304":                   policyFlag("-wpa-202304"),
	"-cnsa1-202603":                 policyFlag("-cnsa1-202603"),
	"-verify-prefs":                 intListFlag(func(c *shimConfig) *[]int { return &c.verifyPrefs }),
	"-verify-peer":                  boolFlag(func(c *shimConfig) *bool { return &c.verifyPeer }),
	"-verify-fail":                  boolFlag(func(c *shimConfig) *bool { return &c.verifyFail }),
	"-use-custom-verify-callback":   boolFlag(func(c *shimConfig) *bool { return &c.customVerify }),
	"-expect-no-session":            boolFlag(func(c *shimConfig) *bool { return &c.expectNoSession }),
	"-implicit-handshake":           boolFlag(func(c *shimConfig) *bool { return &c.implicitHandshake }),
	"-no-op-extra-handshake":        boolFlag(func(c *shimConfig) *bool { return &c.extraHandshake }),
	"-shim-writes-first":            boolFlag(func(c *shimConfig) *bool { return &c.shimWritesFirst }),
	"-shim-initial-write":           stringFlag(func(c *shimConfig) *string { return &c.initialWrite }),
	"-repeat-shim-initial-write":    intFlag(func(c *shimConfig) *int { return &c.repeatInitialWrite }),
	"-shim-shuts-down":              boolFlag(func(c *shimConfig) *bool { return &c.shimShutsDown }),
	"-check-close-notify":           boolFlag(func(c *shimConfig) *bool { return &c.checkCloseNotify }),
	"-send-alert":                   boolFlag(func(c *shimConfig) *bool { return &c.sendAlert }),
	"-key-update":                   boolFlag(func(c *shimConfig) *bool { return &c.keyUpdate }),
	"-key-update-before-read":       boolFlag(func(c *shimConfig) *bool { return &c.keyUpdateBeforeRead }),
	"-read-size":                    intFlag(func(c *shimConfig) *int { return &c.readSize }),
	"-max-send-fragment":            intFlag(func(c *shimConfig) *int { return &c.maxSendFragment }),
	"-write-different-record-sizes": boolFlag(func(c *shimConfig) *bool { return &c.differentSizes }),
	"-export-keying-material":       intFlag(func(c *shimConfig) *int { return &c.exportKeyingMaterial }),
	"-export-label":                 stringFlag(func(c *shimConfig) *string { return &c.exportLabel }),
	"-export-context":               stringFlag(func(c *shimConfig) *string { return &c.exportContext }),
	"-use-export-context":           boolFlag(func(c *shimConfig) *bool { return &c.useExportContext }),

	// Requests this client always meets: it never offers session tickets
	// in TLS 1.2, and -expect-verify-result asks that the soft-failing
	// verify callback's result be reported, which -verify-fail without
	// -verify-peer never turns into an error here either.
	"-no-ticket": ignoredFlag(false),
	// OCSP staples and SCTs are requested in every ClientHello, as
	// crypto/tls does.
	"-enable-ocsp-stapling":          ignoredFlag(false),
	"-enable-signed-cert-timestamps": ignoredFlag(false),
	"-expect-verify-result":          ignoredFlag(false),
}

// unimplementedNames are the flags of test_config.cc this client has no
// counterpart for: server side, DTLS and QUIC, TLS 1.0/1.1, renegotiation,
// resumption and early data (issue 14), ECH, NPN, Channel ID, OCSP and SCT,
// certificate compression, BoringSSL's callbacks and I/O modes.
// The value says whether the flag takes a parameter; parsing stops at the
// first of them anyway.
var unimplementedNames = map[string]bool{
	"-server": false, "-expect-peer-verify-pref": true, "-dtls": false, "-quic": false, "-async": false, "-write-settings": true,
	"-fuzzer-mode": false, "-fallback-scsv": false, "-no-tls11": false, "-no-tls1": false,
	"-curves-flags": true, "-no-key-shares": false, "-server-supported-groups-hint": true,
	"-enable-ech-grease": false, "-reject-unusable-ech-config": false, "-ech-server-config": true,
	"-ech-server-key": true, "-ech-is-retry-config": true, "-expect-ech-accept": false,
	"-expect-ech-name-override": true, "-expect-no-ech-name-override": false,
	"-expect-ech-retry-configs": true, "-expect-no-ech-retry-configs": false, "-ech-config-list": true,
	"-expect-server-name": true, "-expect-certificate-types": true,
	"-require-any-client-certificate": false, "-advertise-npn": true, "-advertise-empty-npn": false,
	"-expect-next-proto": true, "-expect-no-next-proto": false, "-false-start": false,
	"-select-next-proto": true, "-select-empty-next-proto": false, "-cbc-record-splitting": false,
	"-partial-write": false, "-no-legacy-server-connect": false, "-expect-channel-id": true,
	"-enable-channel-id": false, "-send-channel-id": true, "-expect-advertised-alpn": true,
	"-select-alpn": true, "-decline-alpn": false, "-reject-alpn": false, "-select-empty-alpn": false,
	"-defer-alps": false, "-application-settings": true, "-expect-peer-application-settings": true,
	"-alps-use-new-codepoint": false, "-quic-transport-params": true,
	"-expect-quic-transport-params": true, "-quic-use-legacy-codepoint": true,
	"-psk": true, "-psk-identity": true, "-srtp-profiles": true,

	"-mtu": true, "-use-early-callback": false,
	"-fail-early-callback": false, "-fail-early-callback-ech-rewind": false,
	"-install-ddos-callback": false, "-fail-ddos-callback": false, "-fail-cert-callback": false,
	"-handshake-never-done": false, "-expect-ticket-renewal": false,
	"-expect-ticket-supports-early-data": false, "-expect-accept-early-data": false,
	"-expect-reject-early-data": false, "-expect-no-offer-early-data": false,
	"-expect-no-server-name": false, "-use-ticket-callback": false, "-use-ticket-aead-callback": false,
	"-renew-ticket": false, "-skip-ticket": false, "-enable-early-data": false,
	"-expect-total-renegotiations": true, "-renegotiate-once": false,
	"-renegotiate-freely": false, "-renegotiate-ignore": false, "-renegotiate-explicit": false,
	"-forbid-renegotiation-after-handshake": false,
	"-initial-timeout-duration-ms":          true, "-use-client-ca-list": true, "-expect-client-ca-list": true,
	"-peek-then-read": false, "-enable-grease": false, "-permute-extensions": false,
	"-max-cert-list": true, "-ticket-key": true, "-use-exporter-between-reads": false,
	"-expect-cipher-aes": true, "-expect-cipher-no-aes": true, "-expect-no-peer-cert": false,
	"-retain-only-sha256-client-cert": false,
	"-expect-sha256-client-cert":      false, "-read-with-unfinished-write": false,
	"-expect-session-id": true, "-expect-no-session-id": false, "-expect-ticket-age-skew": true,
	"-handshake-twice": false, "-allow-unknown-alpn-protos": false, "-expect-msg-callback": true,
	"-allow-false-start-without-alpn": false, "-handshake-hints": true, "-allow-hint-mismatch": false,
	"-use-ocsp-callback": false, "-set-ocsp-in-callback": false, "-decline-ocsp-callback": false,
	"-fail-ocsp-callback": false, "-install-cert-compression-algs": false,
	"-install-one-cert-compression-alg": true, "-reverify-on-resume": false,
	"-handshaker-resume": false, "-handshaker-path": true, "-jdk11-workaround": false,
	"-server-preference": false, "-export-traffic-secrets": false,
	"-expect-early-data-reason": true, "-wait-for-debugger": false, "-quic-early-data-context": true,
	"-early-write-after-message": true,
	"-cnsa-202407":               false, "-cnsa2-202603": false,
	"-expect-peer-match-trust-anchor": false, "-expect-no-peer-match-trust-anchor": false,
	"-expect-peer-available-trust-anchors": true, "-requested-trust-anchors": true,
	"-available-trust-anchors":     true,
	"-new-delegated-credential":    false,
	"-new-spake2plusv1-credential": false, "-new-psk-credential": false,
	"-new-rpk-credential": false, "-delegated-credential": true, "-ocsp-response": true,
	"-signed-cert-timestamps": true, "-pake-context": true,
	"-pake-client-id": true, "-pake-server-id": true, "-pake-password": true,
	"-wrong-pake-role": false, "-psk-importer-key": true, "-psk-importer-identity": true,
	"-psk-importer-context": true, "-psk-importer-sha256": false, "-psk-importer-sha384": false,
	"-cert-properties": true, "-private-key-delay-ms": true,
	"-resumption-across-names-enabled": false, "-expect-resumable-across-names": false,
	"-expect-not-resumable-across-names": false, "-no-server-name-ack": false,
	"-accepted-peer-cert-types": true, "-available-client-cert-types": true,
	"-expect-peer-certificate-type": true, "-expect-peer-rpk-sha256": true,
	"-request-server-padding": true, "-expect-server-sent-requested-padding": false,
	"-server-supports-padding": false,
}

// handshakeConfigs are the configs of the initial handshake, the
// resumptions and the 0-RTT retries.
type handshakeConfigs struct {
	initial, resume, retry *shimConfig
}

// removePrefix strips prefix from name when name continues with "-" after
// it, as test_config.cc's RemovePrefix does.
func removePrefix(name *string, prefix string) bool {
	if strings.HasPrefix(*name, prefix+"-") {
		*name = (*name)[len(prefix):]
		return true
	}
	return false
}

// parseFlags parses args into the three configs. An unknown flag counts as
// unimplemented, as PORTING.md recommends.
func parseFlags(args []string) (*handshakeConfigs, error) {
	hc := &handshakeConfigs{newShimConfig(), newShimConfig(), newShimConfig()}
	for i := 0; i < len(args); i++ {
		name := args[i]
		skip := removePrefix(&name, "-on-handshaker") // this shim is no handshaker
		removePrefix(&name, "-on-shim")
		targets := []*shimConfig{hc.initial, hc.resume, hc.retry}
		switch {
		case removePrefix(&name, "-on-initial"):
			targets = targets[:1]
		case removePrefix(&name, "-on-resume"):
			targets = targets[1:2]
		case removePrefix(&name, "-on-retry"):
			targets = targets[2:]
		}
		def, ok := flags[name]
		if _, no := unimplementedNames[name]; no || !ok {
			// Nothing after it matters: the shim exits with 89. (Its
			// parameter, if any, is not known for an unknown flag.)
			hc.initial.unimplemented = append(hc.initial.unimplemented, name)
			return hc, nil
		}
		var param string
		if def.param {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("missing parameter for %s", name)
			}
			i++
			param = args[i]
		}
		if skip {
			continue
		}
		for _, c := range targets {
			if err := def.set(c, param); err != nil {
				return nil, fmt.Errorf("invalid parameter for %s: %q: %w", name, param, err)
			}
		}
	}
	return hc, nil
}

// curveIDs converts the runner's group numbers.
func curveIDs(ns []int) []tls.CurveID {
	var out []tls.CurveID
	for _, n := range ns {
		out = append(out, tls.CurveID(n))
	}
	return out
}

// signatureSchemes converts the runner's signature scheme numbers.
func signatureSchemes(ns []int) []tls.SignatureScheme {
	var out []tls.SignatureScheme
	for _, n := range ns {
		out = append(out, tls.SignatureScheme(n))
	}
	return out
}
