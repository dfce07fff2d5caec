package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"unsafe"
)

// cpuMask is a CPU affinity mask (sched_setaffinity(2)), up to 1024 CPUs.
type cpuMask [16]uint64

// affinity reads the affinity mask of thread tid (0: the calling thread).
func affinity(tid int) (cpuMask, error) {
	var m cpuMask
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, uintptr(tid), unsafe.Sizeof(m), uintptr(unsafe.Pointer(&m)))
	if e != 0 {
		return m, e
	}
	return m, nil
}

// cpus lists the CPUs of a mask.
func (m cpuMask) cpus() []int {
	var out []int
	for i := range len(m) * 64 {
		if m[i/64]&(1<<(i%64)) != 0 {
			out = append(out, i)
		}
	}
	return out
}

// only is the mask of one CPU.
func only(cpu int) cpuMask {
	var m cpuMask
	m[cpu/64] |= 1 << (cpu % 64)
	return m
}

// setProcessAffinity sets the mask of every thread of process pid. Threads
// started later inherit the mask of the thread that starts them.
func setProcessAffinity(pid int, m cpuMask) error {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return err
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, uintptr(tid), unsafe.Sizeof(m), uintptr(unsafe.Pointer(&m)))
		if e != 0 && e != syscall.ESRCH { // a thread that just ended
			return fmt.Errorf("sched_setaffinity %d: %w", tid, e)
		}
	}
	return nil
}
