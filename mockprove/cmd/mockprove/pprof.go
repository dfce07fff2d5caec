//go:build pprof

// Built with -tags pprof, mockprove serves net/http/pprof on the address in
// MOCKPROVE_PPROF (e.g. 127.0.0.1:6060), to profile the running binary under
// load:
//
//	go build -tags pprof -o /tmp/mockprove-pprof ./mockprove/cmd/mockprove
//	MOCKPROVE_PPROF=127.0.0.1:6060 /tmp/mockprove-pprof -addr 127.0.0.1:8080 &
//	go tool pprof -seconds 5 http://127.0.0.1:6060/debug/pprof/profile
//
// The mutex and block profiles are on too (one event in 10 sampled; the
// block profile records waits of 10 µs or more). Release builds have no
// such listener.
package main

import (
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
)

func init() {
	if addr := os.Getenv("MOCKPROVE_PPROF"); addr != "" {
		runtime.SetMutexProfileFraction(10)
		runtime.SetBlockProfileRate(10000) // ns
		go func() { _ = http.ListenAndServe(addr, nil) }()
	}
}
