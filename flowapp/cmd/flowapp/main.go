// Command flowapp runs the sample Prove Identity integration against Prove
// (by default a local mockprove at http://127.0.0.1:8080).
//
//	flowapp -addr 127.0.0.1:3000 -prove-base-url http://127.0.0.1:8080
//
// Against Prove's sandbox:
//
//	PROVE_BASE_URL=https://platform.uat.proveapis.com PROVE_CLIENT_ID=... \
//	PROVE_CLIENT_SECRET=... PUBLIC_URL=https://shop.example.com flowapp
//
// Environment: PROVE_BASE_URL, PROVE_CLIENT_ID, PROVE_CLIENT_SECRET,
// FLOWAPP_ADDR, PUBLIC_URL, FINAL_TARGET_URL, FLOWAPP_DEV_HINTS,
// FLOWAPP_SESSION_SECRET, FLOWAPP_WEB_DIR, FLOWAPP_PROVE_TIMEOUT,
// FLOWAPP_LOG_LEVEL, FLOWAPP_SESSION_TTL, FLOWAPP_MAX_SESSIONS,
// FLOWAPP_STARTS_PER_PHONE, FLOWAPP_STARTS_PER_IP, FLOWAPP_THROTTLE_KEYS,
// FLOWAPP_TRUSTED_PROXIES; flags win.
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
