// Package web serves taxsms over HTTP: the staff console (server-rendered
// pages, see Console), the REST API, the health checks and the metrics.
package web

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"taxsms/campaign"
	"taxsms/store"
)

// Counter is what the status page and the readiness check need of the store.
type Counter interface {
	Count(ctx context.Context) (store.Counts, error)
	Engine() string
	Ping(ctx context.Context) error
}

// Server is the HTTP server of a node.
type Server struct {
	Addr  string // host:port to listen on; ":0" picks a free port
	Store Counter
	// DB serves the REST API under /api/v1; nil serves only its status
	// and OpenAPI document.
	DB       *store.DB
	Notifier Notifier // told of new messages; may be nil
	// APIKey is the bootstrap key (api.key): a request bearing it acts as
	// the system, with no scope. "" accepts only the API keys in DB.
	APIKey string
	// Metrics serves GET /metrics; nil serves none.
	Metrics http.Handler
	// Ready reports whether the node can do its work (GET /readyz); nil is ready.
	Ready   func(ctx context.Context) error
	Logger  *slog.Logger
	Version string
	// Console serves the staff console at /; nil serves none.
	Console *Console
	// Campaigns runs the broadcasts for /api/v1/campaigns; nil: one on DB
	// with the embedded content lists and calendar, and no prices.
	Campaigns *campaign.Service

	ln  net.Listener
	srv *http.Server
}

// Open starts listening and serving in the background; the serving goroutine
// ends when Close is called.
func (s *Server) Open() error {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return err
	}
	s.ln = ln
	mux := http.NewServeMux()
	if err := s.openConsole(mux); err != nil {
		ln.Close()
		return err
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", s.handleReady)
	s.registerAPI(mux, s.authenticate)
	if s.Metrics != nil {
		mux.Handle("GET /metrics", s.Metrics)
	}
	s.srv = &http.Server{Handler: securityHeaders(mux), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Logger.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// URL returns the base URL the server listens on.
func (s *Server) URL() string {
	addr := s.ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(addr.Port))
}

// Close stops the server, letting requests in flight finish until ctx ends.
func (s *Server) Close(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Shutdown(ctx)
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.ServeHTTP(w, r)
	})
}

// handleReady serves GET /readyz: 200 when the node can work (its
// database answers and Ready, if set, says so), else 503 with the reason.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	err := s.Store.Ping(ctx)
	if err == nil && s.Ready != nil {
		err = s.Ready(ctx)
	}
	if err != nil {
		s.Logger.Warn("not ready", "err", err)
		http.Error(w, "not ready\n", http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ready\n"))
}

type status struct {
	Version string       `json:"version"`
	Engine  string       `json:"engine"`
	Counts  store.Counts `json:"counts"`
}

func (s *Server) status(ctx context.Context) (status, error) {
	c, err := s.Store.Count(ctx)
	return status{Version: s.Version, Engine: s.Store.Engine(), Counts: c}, err
}

// handleStatusJSON serves GET /api/v1/status.
func (s *Server) handleStatusJSON(w http.ResponseWriter, r *http.Request) {
	st, err := s.status(r.Context())
	if err != nil {
		s.Logger.Error("status", "err", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(st)
}
