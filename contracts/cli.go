package contracts

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"time"
)

// VerifyMain is "contracts verify": it runs the scenarios against a
// target, prints one line per scenario and the summary, writes the
// reports asked for and returns the exit status (1 on any failure, 2 on a
// usage error).
func VerifyMain(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("contracts verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		opts                        VerifyOptions
		run, junit, jsonOut         string
		idID, idSecret, pfID, pfSec string
		unID, unSec                 string
	)
	fs.StringVar(&opts.Target, "target", TargetInProcess, "inprocess (a fresh mockprove in this process), sandbox (Prove's, from PROVE_BASE_URL, PROVE_CLIENT_ID, PROVE_CLIENT_SECRET, PROVE_PRODUCT) or the URL of a running mockprove")
	fs.StringVar(&opts.ControlToken, "control-token", getenv("MOCKPROVE_CONTROL_TOKEN"), "token of a guarded /_mock/ control API [MOCKPROVE_CONTROL_TOKEN]")
	fs.StringVar(&idID, "identity-client", "identity-client", "client id of the Prove Identity client")
	fs.StringVar(&idSecret, "identity-secret", "identity-secret", "its secret")
	fs.StringVar(&pfID, "prefill-client", "prefill-client", "client id of the Pre-Fill client")
	fs.StringVar(&pfSec, "prefill-secret", "prefill-secret", "its secret")
	fs.StringVar(&unID, "unify-client", "unify-client", "client id of the client of Prove's current suite (Unify, Verify, Identity Manager, ProveX)")
	fs.StringVar(&unSec, "unify-secret", "unify-secret", "its secret")
	fs.StringVar(&run, "run", "", "only the scenarios whose area/name matches this regular expression")
	fs.StringVar(&junit, "junit", "", "write a JUnit XML report to this file")
	fs.StringVar(&jsonOut, "json", "", "write a JSON report (results, violations, response shapes) to this file")
	fs.DurationVar(&opts.Timeout, "timeout", 10*time.Second, "timeout of each request")
	fs.IntVar(&opts.Rate, "rate", 0, "at most this many requests per second (0: no cap; the sandbox target defaults to 20)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if opts.Rate < 0 {
		fmt.Fprintln(stderr, "contracts verify: -rate must be 0 or more")
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "contracts verify: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if run != "" {
		re, err := regexp.Compile(run)
		if err != nil {
			fmt.Fprintf(stderr, "contracts verify: -run: %v\n", err)
			return 2
		}
		opts.Run = re
	}
	opts.Identity, opts.Prefill, opts.Unify = Credentials{idID, idSecret}, Credentials{pfID, pfSec}, Credentials{unID, unSec}
	opts.Getenv = getenv
	opts.Progress = func(r Result) { fmt.Fprintln(stdout, r.Line()) }
	rep, err := Verify(ctx, opts)
	if errors.Is(err, ErrNoSandboxCredentials) {
		fmt.Fprintln(stdout, err)
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	fmt.Fprintln(stdout, rep.Summary())
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "contracts verify: interrupted; the summary counts the scenarios that ran")
	}
	for path, write := range map[string]func(io.Writer) error{junit: rep.WriteJUnit, jsonOut: rep.WriteJSON} {
		if path == "" {
			continue
		}
		if err := writeFile(path, write); err != nil {
			fmt.Fprintf(stderr, "contracts verify: %v\n", err)
			return 2
		}
	}
	if rep.Failed > 0 || ctx.Err() != nil {
		return 1
	}
	return 0
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// DiffMain is "contracts diff A.json B.json": it prints where two verify
// runs differ and returns 1 when they do, 0 when they agree, 2 on a usage
// error.
func DiffMain(args []string, stdout, stderr io.Writer) int {
	if len(args) != 2 {
		fmt.Fprintln(stderr, "usage: contracts diff A.json B.json (two reports of contracts verify -json)")
		return 2
	}
	a, err := ReadVerifyReport(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "contracts diff: %v\n", err)
		return 2
	}
	b, err := ReadVerifyReport(args[1])
	if err != nil {
		fmt.Fprintf(stderr, "contracts diff: %v\n", err)
		return 2
	}
	lines := Diff(a, b)
	for _, l := range lines {
		fmt.Fprintln(stdout, l)
	}
	if len(lines) > 0 {
		fmt.Fprintf(stdout, "%d differences between %s (A: %s) and %s (B: %s)\n", len(lines), args[0], a.Target, args[1], b.Target)
		return 1
	}
	fmt.Fprintf(stdout, "no differences between %s and %s\n", args[0], args[1])
	return 0
}

// HealthMain is "contracts health URL": exit 0 when URL answers 2xx
// within two seconds, else 1. It is the HEALTHCHECK of the container
// image, which has no curl.
func HealthMain(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: contracts health URL")
		return 2
	}
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "contracts health: %v\n", err)
		return 1
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		fmt.Fprintf(stderr, "contracts health: %s answered %s\n", args[0], resp.Status)
		return 1
	}
	fmt.Fprintf(stdout, "ok %s\n", args[0])
	return 0
}
