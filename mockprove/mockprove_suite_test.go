package mockprove_test

import (
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestMockprove(t *testing.T) {
	RegisterFailHandler(Fail)
	// Eventually only waits for asynchronous work (a server starting or
	// shutting down, a timer firing); Gomega's default of 1 s is within
	// reach of a loaded machine, so the suite waits longer.
	SetDefaultEventuallyTimeout(10 * time.Second)
	RunSpecs(t, "mockprove")
}
