// Command gensubset writes specs/prove-v3-token.gen.json: prove-v3.yaml cut
// down to /token (see specs.ProveV3Token). Run by go generate ./specs/.
package main

import (
	"log"
	"os"

	"github.com/mockprove/mockprove/specs"
)

func main() {
	out, err := specs.Subset(specs.MustBytes(specs.ProveV3), "/token")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(specs.ProveV3Token, out, 0o644); err != nil {
		log.Fatal(err)
	}
}
