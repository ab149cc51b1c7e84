package web

import (
	_ "embed"
	"net/http"
)

// openAPI is the OpenAPI 3 document of the REST API, written by hand and
// checked against the route table by the tests (every route documented,
// every documented operation routed, every required response field served).
//
//go:embed openapi.json
var openAPI []byte

// handleOpenAPI serves GET /api/v1/openapi.json.
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(openAPI)
}
