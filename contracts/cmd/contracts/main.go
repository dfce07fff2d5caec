// Command contracts is mockprove's contract-test kit.
//
//	contracts verify [-target inprocess|sandbox|URL] [-junit FILE] [-json FILE] [-run REGEX]
//	contracts diff A.json B.json
//	contracts proxy -upstream http://127.0.0.1:8080 [-listen 127.0.0.1:9090] [-report FILE] [-fail-on client|platform|any|none]
//	contracts health URL
//
// See docs/contracts.md and docs/contracts-proxy.md.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/mockprove/mockprove/contracts"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "verify":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return contracts.VerifyMain(ctx, args[1:], os.Getenv, stdout, stderr)
	case "diff":
		return contracts.DiffMain(args[1:], stdout, stderr)
	case "proxy":
		return contracts.ProxyMain(args[1:], stdout, stderr)
	case "health":
		return contracts.HealthMain(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "contracts: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: contracts <command> [flags]")
	fmt.Fprintln(w, "  verify  check a platform: run the scenario suite against mockprove (in process or at a URL) or Prove's sandbox")
	fmt.Fprintln(w, "  diff    compare two verify -json reports: verdicts and response shapes")
	fmt.Fprintln(w, "  proxy   check an integration: a reverse proxy in front of Prove or mockprove that reports violations and coverage")
	fmt.Fprintln(w, "  health  exit 0 when a URL answers 2xx (the container's health check)")
}
