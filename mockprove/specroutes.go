package mockprove

import (
	"net/http"
	"sort"

	"github.com/gorilla/mux"
)

// registerSpecs serves the embedded OpenAPI documents at /openapi/<name>
// and a page listing them at /openapi/.
func (s *Server) registerSpecs(r *mux.Router) {
	docs := servedSpecs()
	names := make([]string, 0, len(docs))
	for name, data := range docs {
		names = append(names, name)
		r.HandleFunc("/openapi/"+name, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/yaml")
			_, _ = w.Write(data)
		}).Methods(http.MethodGet)
	}
	sort.Strings(names)
	r.Handle("/openapi/", s.serve(endpoint{step: "/openapi/", internal: true, h: openapiIndex(names)})).Methods(http.MethodGet)
}
