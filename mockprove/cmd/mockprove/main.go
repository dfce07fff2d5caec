// Command mockprove runs the offline Prove emulator.
//
//	mockprove -addr 127.0.0.1:8080 -personas personas.yaml -public-url http://127.0.0.1:8080
//
// Every flag can also be set with an environment variable (MOCKPROVE_ADDR,
// MOCKPROVE_PERSONAS, ...; MOCKPROVE_CLIENT takes a comma-separated list);
// flags win.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/mockprove/mockprove/mockprove/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cli.Main(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		msg := err.Error()
		if !strings.HasPrefix(msg, "mockprove: ") { // errors of package mockprove carry it already
			msg = "mockprove: " + msg
		}
		fmt.Fprintln(os.Stderr, msg)
		os.Exit(2)
	}
}
