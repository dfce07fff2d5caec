// Command contracts is mockprove's contract-test kit.
//
//	contracts proxy -upstream http://127.0.0.1:8080 [-listen 127.0.0.1:9090] [-report FILE] [-fail-on client|platform|any|none]
//
// See docs/contracts-proxy.md.
package main

import (
	"fmt"
	"io"
	"os"

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
	case "proxy":
		return contracts.ProxyMain(args[1:], stdout, stderr)
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
	fmt.Fprintln(w, "  proxy   check an integration: a reverse proxy in front of Prove or mockprove that reports violations and coverage")
}
