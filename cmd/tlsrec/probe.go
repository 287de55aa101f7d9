package main

import "flag"

func probeFlags() (*flag.FlagSet, func(*env, []string) int) {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	return fs, func(*env, []string) int { return 0 }
}
