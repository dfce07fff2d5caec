package contracts_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/mockprove/mockprove/contracts"
	"github.com/mockprove/mockprove/mockprove"
)

// ExampleNewRecorder checks a backend's Prove calls without a proxy
// process: the recorder is the transport of the backend's HTTP client.
// docs/contracts-proxy.md shows its middle part verbatim.
func ExampleNewRecorder() {
	s, err := mockprove.Run()
	if err != nil {
		panic(err)
	}
	defer s.Close()

	rec, err := contracts.NewRecorder(http.DefaultTransport) // or your own transport
	if err != nil {
		panic(err)
	}
	prove := &http.Client{Transport: rec} // your backend's Prove client uses it
	// ... run the flow (here: a /token call with a grant type Prove does not know) ...
	resp, err := prove.PostForm(s.URL()+"/token", url.Values{"grant_type": {"password"},
		"client_id": {"identity-client"}, "client_secret": {"identity-secret"}})
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	for _, v := range rec.Violations() { // one line each
		fmt.Println(v)
	}
	missed := rec.Coverage().Missed() // what the test never exercised
	var report strings.Builder
	if err := rec.Report().WriteJUnit(&report); err != nil { // the proxy's report, same formats
		panic(err)
	}

	fmt.Println(slices.Contains(missed, "operation POST /v3/start"), slices.Contains(missed, "status 200 of POST /token"))
	fmt.Println(strings.Contains(report.String(), `<testsuite name="contracts client"`))
	// Output:
	// client POST /token request body grant_type [schema.enum]: expected one of client_credentials, got "password"
	// true true
	// true
}
