package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat. Linux
// reports these fields in 1/100 s whatever the kernel's HZ.
const clockTicks = 100

// parseStatCPU returns utime+stime (in clock ticks) from the content of
// /proc/PID/stat. The command name (field 2) is in parentheses and may
// contain spaces and parentheses, so the fields are counted from the last ')'.
func parseStatCPU(stat []byte) (uint64, error) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, fmt.Errorf("stat: no ')' after the command name in %q", stat)
	}
	fields := strings.Fields(string(stat[end+1:]))
	// After the name: state (field 3) … utime is field 14, stime field 15,
	// so index 11 and 12 here.
	if len(fields) < 13 {
		return 0, fmt.Errorf("stat: %d fields after the command name, want at least 13", len(fields))
	}
	utime, err := strconv.ParseUint(fields[11], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stat: utime %q: %w", fields[11], err)
	}
	stime, err := strconv.ParseUint(fields[12], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stat: stime %q: %w", fields[12], err)
	}
	return utime + stime, nil
}

// parseStatusRSS returns VmRSS in bytes from the content of /proc/PID/status.
func parseStatusRSS(status []byte) (uint64, error) {
	for _, line := range strings.Split(string(status), "\n") {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("status: VmRSS line %q is not '<n> kB'", line)
		}
		kb, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("status: VmRSS %q: %w", f[0], err)
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("status: no VmRSS line")
}

// cpuTicks reads utime+stime of process pid.
func cpuTicks(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(b)
}

// rss reads the resident set size of process pid, in bytes.
func rss(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseStatusRSS(b)
}

// cpuMicrosPerOp is the CPU time between two tick readings divided by n
// operations, in microseconds.
func cpuMicrosPerOp(before, after uint64, n int) float64 {
	if n <= 0 || after < before {
		return 0
	}
	return float64(after-before) * (1e6 / clockTicks) / float64(n)
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
