package prove_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestProve(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "flowapp/prove")
}
