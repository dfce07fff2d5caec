// Command flowapp runs the sample Prove Identity integration against Prove
// (by default a local mockprove at http://127.0.0.1:8080).
//
//	flowapp -addr 127.0.0.1:3000 -prove-base-url http://127.0.0.1:8080
//
// Environment: PROVE_BASE_URL, PROVE_CLIENT_ID, PROVE_CLIENT_SECRET,
// FLOWAPP_ADDR, FINAL_TARGET_URL, FLOWAPP_SESSION_SECRET, FLOWAPP_WEB_DIR;
// flags win.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/mockprove/mockprove/flowapp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := flowapp.Main(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "flowapp:", err)
		os.Exit(2)
	}
}
