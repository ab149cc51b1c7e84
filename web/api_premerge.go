package web

import (
	"net/http"

	"taxsms"
	"taxsms/auth"
)

func canCall(a *auth.Actor, method, pattern string) bool { return a == nil || a.APIKeyID == 0 }

func (s *Server) keyActor(r *http.Request, key string) (*auth.Actor, error) {
	return nil, taxsms.Errorf(taxsms.EUNAUTHORIZED, "A valid API key is required.")
}
