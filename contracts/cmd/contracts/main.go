// Command contracts is mockprove's contract-test kit.
//
//	contracts verify [-target inprocess|sandbox|URL] [-junit FILE] [-json FILE] [-run REGEX]
//	contracts diff A.json B.json
//	contracts health URL
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/mockprove/mockprove/contracts"
)

const usage = `usage:
  contracts verify [-target inprocess|sandbox|URL] [-junit FILE] [-json FILE] [-run REGEX]
  contracts diff A.json B.json
  contracts health URL`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	args := os.Args[2:]
	var code int
	switch os.Args[1] {
	case "verify":
		code = contracts.VerifyMain(ctx, args, os.Getenv, os.Stdout, os.Stderr)
	case "diff":
		code = contracts.DiffMain(args, os.Stdout, os.Stderr)
	case "health":
		code = contracts.HealthMain(args, os.Stdout, os.Stderr)
	default:
		fmt.Fprintf(os.Stderr, "contracts: unknown command %q\n%s\n", os.Args[1], usage)
		code = 2
	}
	stop()
	os.Exit(code)
}
