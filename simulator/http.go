package simulator

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Handler returns the HTTP API of the simulator:
//
//	GET  /stats             counters per protocol and account (Stats)
//	GET  /submits?limit=N   the last accepted submits, newest last
//	POST /mo[?wait=1]       inject an MO message (MO as JSON); with wait,
//	                        answer once the SP acknowledged every segment
//	GET  /fault             the faults in force per protocol
//	POST /fault             set a protocol's fault: {"protocol":"cmpp",
//	                        "throttle":3, "no_response":1, "garbage":1,
//	                        "drop":1, "delay":"200ms", "drop_rate":0.01, ...}
//	POST /drop              close links now: {"protocol":"cmpp","account":""}
//
// Errors are answered 400 (bad request) or 404 (unknown protocol or
// account) with a JSON {"error": "..."}.
func (s *Simulator) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handleIndex)
	mux.HandleFunc("GET /stats", s.handleStats)
	mux.HandleFunc("GET /submits", s.handleSubmits)
	mux.HandleFunc("POST /mo", s.handleMO)
	mux.HandleFunc("GET /fault", s.handleGetFault)
	mux.HandleFunc("POST /fault", s.handleSetFault)
	mux.HandleFunc("POST /drop", s.handleDrop)
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

// handleIndex serves GET /: the addresses and the routes.
func (s *Simulator) handleIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "taxsms carrier simulator")
	for _, p := range Protocols() {
		if a := s.Addr(p); a != "" {
			fmt.Fprintf(w, "  %s  %s  accounts %v\n", p, a, s.Accounts(p))
		}
	}
	fmt.Fprintln(w, "GET /stats, GET /submits?limit=N, POST /mo[?wait=1], GET|POST /fault, POST /drop")
}

// handleStats serves GET /stats.
func (s *Simulator) handleStats(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Stats())
}

// submitJSON is a Submit as GET /submits shows it.
type submitJSON struct {
	Protocol  Protocol  `json:"protocol"`
	Account   string    `json:"account"`
	MsgID     string    `json:"msg_id"`
	Src       string    `json:"src"`
	Dests     []string  `json:"dests"`
	Coding    string    `json:"coding"`
	Text      string    `json:"text"`
	Content   string    `json:"content_base64"`
	Ref       uint16    `json:"ref"`
	Total     int       `json:"total"`
	Seq       int       `json:"seq"`
	Report    bool      `json:"report"`
	Duplicate bool      `json:"duplicate"`
	Time      time.Time `json:"time"`
}

// handleSubmits serves GET /submits?limit=N (default 100).
func (s *Simulator) handleSubmits(w http.ResponseWriter, r *http.Request) {
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, fmt.Errorf("limit %q is not a count", v))
			return
		}
		limit = n
	}
	subs := s.Submits()
	if len(subs) > limit {
		subs = subs[len(subs)-limit:]
	}
	out := make([]submitJSON, len(subs))
	for i := range subs {
		sb := &subs[i]
		out[i] = submitJSON{
			Protocol: sb.Protocol, Account: sb.Account, MsgID: sb.MsgID, Src: sb.Src, Dests: sb.Dests,
			Coding: sb.Coding.String(), Text: sb.Text(), Content: base64.StdEncoding.EncodeToString(sb.Content),
			Ref: sb.Ref, Total: sb.Total, Seq: sb.Seq, Report: sb.Report, Duplicate: sb.Duplicate, Time: sb.Time,
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// handleMO serves POST /mo.
func (s *Simulator) handleMO(w http.ResponseWriter, r *http.Request) {
	var mo MO
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&mo); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("MO body: %w", err))
		return
	}
	if s.servers[mo.Protocol] == nil {
		writeError(w, http.StatusNotFound, fmt.Errorf("protocol %q is not served", mo.Protocol))
		return
	}
	if r.URL.Query().Get("wait") == "" {
		n, err := s.QueueMO(mo)
		if err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		writeJSON(w, http.StatusAccepted, map[string]int{"segments": n})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	if err := s.InjectMO(ctx, mo); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "delivered"})
}

// faultJSON is a Fault with its protocol, the delay as a Go duration text.
type faultJSON struct {
	Protocol Protocol `json:"protocol"`
	Fault
	Delay string `json:"delay,omitempty"`
}

// handleGetFault serves GET /fault.
func (s *Simulator) handleGetFault(w http.ResponseWriter, r *http.Request) {
	out := make([]faultJSON, 0, len(s.servers))
	for _, p := range Protocols() {
		if s.servers[p] == nil {
			continue
		}
		f := s.Fault(p)
		fj := faultJSON{Protocol: p, Fault: f}
		if f.Delay > 0 {
			fj.Delay = f.Delay.String()
		}
		fj.Fault.Delay = 0
		out = append(out, fj)
	}
	writeJSON(w, http.StatusOK, out)
}

// handleSetFault serves POST /fault.
func (s *Simulator) handleSetFault(w http.ResponseWriter, r *http.Request) {
	var fj faultJSON
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fj); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("fault body: %w", err))
		return
	}
	f := fj.Fault
	f.Delay = 0
	if fj.Delay != "" {
		d, err := time.ParseDuration(fj.Delay)
		if err != nil || d < 0 {
			writeError(w, http.StatusBadRequest, fmt.Errorf("delay %q is not a duration", fj.Delay))
			return
		}
		f.Delay = d
	}
	if !s.SetFault(fj.Protocol, f) {
		writeError(w, http.StatusNotFound, fmt.Errorf("protocol %q is not served", fj.Protocol))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "set"})
}

// handleDrop serves POST /drop.
func (s *Simulator) handleDrop(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Protocol Protocol `json:"protocol"`
		Account  string   `json:"account"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("drop body: %w", err))
		return
	}
	if s.servers[req.Protocol] == nil {
		writeError(w, http.StatusNotFound, fmt.Errorf("protocol %q is not served", req.Protocol))
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"dropped": s.Drop(req.Protocol, req.Account)})
}
