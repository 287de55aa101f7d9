package main

import (
	"crypto/tls"

	"github.com/tlsrecord/tlsrecord/conn"
)

// policy is one of BoringSSL's compliance policies (SSL_set_compliance_policy)
// expressed as conn.Config settings: the suites, groups and signature
// schemes it allows, per the runner's compliance_policy_tests.go. Versions
// are TLS 1.2 and 1.3 for all of them. -cnsa2-202603 (ML-KEM-1024 only) is
// unimplemented: the library has no ML-KEM-1024.
type policy struct {
	suites  []uint16
	groups  []tls.CurveID
	schemes []tls.SignatureScheme
}

var policies = map[string]policy{
	"-fips-202205": {
		suites: []uint16{
			tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		},
		groups: []tls.CurveID{tls.CurveP256, tls.CurveP384},
		schemes: []tls.SignatureScheme{
			tls.ECDSAWithP256AndSHA256, tls.ECDSAWithP384AndSHA384,
			tls.PSSWithSHA256, tls.PSSWithSHA384, tls.PSSWithSHA512,
			tls.PKCS1WithSHA256, tls.PKCS1WithSHA384, tls.PKCS1WithSHA512,
		},
	},
	"-wpa-202304": {
		suites: []uint16{
			tls.TLS_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		},
		groups: []tls.CurveID{tls.CurveP384},
		schemes: []tls.SignatureScheme{
			tls.ECDSAWithP384AndSHA384, tls.PSSWithSHA384, tls.PSSWithSHA512,
			tls.PKCS1WithSHA384, tls.PKCS1WithSHA512,
		},
	},
	// CNSA 1.0 also allows ML-KEM-1024, which the library lacks: the
	// runner's test of that group is disabled in config.json.
	"-cnsa1-202603": {
		suites: []uint16{
			tls.TLS_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		},
		groups:  []tls.CurveID{tls.CurveP384},
		schemes: []tls.SignatureScheme{tls.ECDSAWithP384AndSHA384, tls.PSSWithSHA384, tls.PKCS1WithSHA384},
	},
}

// applyPolicy restricts tc to the compliance policy, where the other flags
// left the default.
func (c *shimConfig) applyPolicy(tc *conn.Config) {
	p, ok := policies[c.policy]
	if !ok {
		return
	}
	if tc.CipherSuites == nil {
		tc.CipherSuites = p.suites
	}
	if tc.CurvePreferences == nil {
		tc.CurvePreferences = p.groups
	}
	if tc.SignatureSchemes == nil {
		tc.SignatureSchemes = p.schemes
	}
	if tc.ClientSignatureSchemes == nil {
		tc.ClientSignatureSchemes = p.schemes
	}
}
