//go:build !linux

package main

import "errors"

type cpuMask [16]uint64

func affinity(int) (cpuMask, error) { return cpuMask{}, errors.New("CPU affinity: Linux only") }

func (m cpuMask) cpus() []int { return nil }

func only(int) cpuMask { return cpuMask{} }

func setProcessAffinity(int, cpuMask) error { return errors.New("CPU affinity: Linux only") }
