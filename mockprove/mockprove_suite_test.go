package mockprove_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestMockprove(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "mockprove")
}
