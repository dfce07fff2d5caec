// Command mockprove runs the offline Prove emulator.
//
//	mockprove -addr 127.0.0.1:8080 -personas personas.yaml -public-url http://127.0.0.1:8080
//
// Every flag can also be set with an environment variable (MOCKPROVE_ADDR,
// MOCKPROVE_PERSONAS, ...); flags win.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/mockprove/mockprove/mockprove/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cli.Main(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mockprove:", err)
		os.Exit(2)
	}
}
