package main

import (
	"os"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("CPU masks", func() {
	It("name one CPU and list a mask's CPUs", func() {
		Expect(only(1).cpus()).To(Equal([]int{1}))
		Expect(only(70).cpus()).To(Equal([]int{70}))
	})
	It("read this thread's mask, and set a process's mask on every thread", func() {
		m, err := affinity(0)
		Expect(err).NotTo(HaveOccurred())
		Expect(m.cpus()).NotTo(BeEmpty())
		Expect(setProcessAffinity(os.Getpid(), m)).To(Succeed()) // the same mask: nothing moves
	})
})
