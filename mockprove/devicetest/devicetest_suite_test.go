// Package devicetest_test exercises mockprove's possession checks from the
// outside: the device API that Prove's web SDK calls, the status WebSocket,
// the virtual phone (SMS outbox), the virtual clock, faults, the journal and
// the /_mock/ control API, over real HTTP and a real WebSocket client.
// Business time is always moved on mockprove's clock, never slept.
package devicetest_test

import (
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestDevice(t *testing.T) {
	RegisterFailHandler(Fail)
	// Eventually/Consistently only wait for the asynchronous WebSocket
	// pushes (real time); business time moves on the virtual clock.
	SetDefaultEventuallyTimeout(5 * time.Second)
	SetDefaultEventuallyPollingInterval(5 * time.Millisecond)
	SetDefaultConsistentlyDuration(150 * time.Millisecond)
	SetDefaultConsistentlyPollingInterval(10 * time.Millisecond)
	RunSpecs(t, "mockprove device API")
}
