// Package fuzz holds tlsrecord's fuzz targets. They drive the exported APIs
// of alert, record and cipher and check properties, not only the absence of
// panics: any chunking of a stream gives the same records, re-encoding gives
// the input back, every error carries an alert, and no more bytes are
// consumed than were given.
//
// Run one target with, for example:
//
//	go test -run '^$' -fuzz '^FuzzRecordReader$' -fuzztime 60s ./fuzz/
//
// Seed corpora live in testdata/fuzz/<Target>/ (Go's corpus format) and in
// the f.Add calls; crashers found by the fuzzer are committed there as
// regression seeds. The package has no non-test code and imports nothing.
package fuzz
