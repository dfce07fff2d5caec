package mockprove

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/mockprove/mockprove/specs"
)

// registerSpecs serves the embedded OpenAPI documents at /openapi/<name>.
func (s *Server) registerSpecs(r *mux.Router) {
	for _, name := range specs.Names() {
		data, err := specs.Bytes(name)
		if err != nil {
			continue // not embedded in this build
		}
		r.HandleFunc("/openapi/"+name, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/yaml")
			_, _ = w.Write(data)
		}).Methods(http.MethodGet)
	}
}
