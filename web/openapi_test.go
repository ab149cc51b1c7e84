package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
)

// openAPIDoc is the part of an OpenAPI 3 document the tests read.
type openAPIDoc struct {
	OpenAPI string                                 `json:"openapi"`
	Paths   map[string]map[string]openAPIOperation `json:"paths"`
	Comps   struct {
		Schemas   map[string]*schema `json:"schemas"`
		Responses map[string]struct {
			Content map[string]struct {
				Schema *schema `json:"schema"`
			} `json:"content"`
		} `json:"responses"`
	} `json:"components"`
}

type openAPIOperation struct {
	OperationID string `json:"operationId"`
	Responses   map[string]struct {
		Ref     string `json:"$ref"`
		Content map[string]struct {
			Schema *schema `json:"schema"`
		} `json:"content"`
	} `json:"responses"`
}

// schema is the subset of JSON Schema the document uses.
type schema struct {
	Ref        string             `json:"$ref"`
	Type       string             `json:"type"`
	Required   []string           `json:"required"`
	Properties map[string]*schema `json:"properties"`
	Items      *schema            `json:"items"`
	Enum       []any              `json:"enum"`
	OneOf      []*schema          `json:"oneOf"`
	// AdditionalProperties false forbids undocumented fields.
	AdditionalProperties *bool `json:"additionalProperties"`
}

func loadOpenAPI(t *testing.T) *openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi = %q, want 3.x", doc.OpenAPI)
	}
	return &doc
}

// operations returns the documented operations as route patterns,
// "GET /api/v1/taxpayers/{id}", sorted.
func (doc *openAPIDoc) operations() []string {
	var out []string
	for path, ops := range doc.Paths {
		for method := range ops {
			out = append(out, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(out)
	return out
}

// resolve follows s's $ref.
func (doc *openAPIDoc) resolve(s *schema) *schema {
	for s != nil && s.Ref != "" {
		s = doc.Comps.Schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")]
	}
	return s
}

// check returns the first way v breaks s: a required field missing, an
// undocumented field, a wrong type or a value outside an enum.
func (doc *openAPIDoc) check(at string, s *schema, v any) error {
	s = doc.resolve(s)
	if s == nil {
		return fmt.Errorf("%s: unresolved schema", at)
	}
	if len(s.Enum) > 0 && !slices.Contains(s.Enum, v) {
		return fmt.Errorf("%s: %v is not one of %v", at, v, s.Enum)
	}
	switch s.Type {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: %T, want an object", at, v)
		}
		for _, r := range s.Required {
			if _, ok := m[r]; !ok {
				return fmt.Errorf("%s: required field %q missing", at, r)
			}
		}
		for k, fv := range m {
			ps, ok := s.Properties[k]
			if !ok {
				if s.AdditionalProperties != nil && !*s.AdditionalProperties {
					return fmt.Errorf("%s: field %q is not documented", at, k)
				}
				continue
			}
			if err := doc.check(at+"."+k, ps, fv); err != nil {
				return err
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s: %T, want an array", at, v)
		}
		for i, e := range a {
			if err := doc.check(fmt.Sprintf("%s[%d]", at, i), s.Items, e); err != nil {
				return err
			}
		}
	case "string":
		if _, ok := v.(string); !ok {
			return fmt.Errorf("%s: %T, want a string", at, v)
		}
	case "integer":
		if n, ok := v.(float64); !ok || n != float64(int64(n)) {
			return fmt.Errorf("%s: %v, want an integer", at, v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("%s: %T, want a boolean", at, v)
		}
	}
	return nil
}

// TestOpenAPI_Routes checks the document against the route table both
// ways, and against the server Open really serves: every documented
// operation reaches a handler, not the catch-all.
func TestOpenAPI_Routes(t *testing.T) {
	doc := loadOpenAPI(t)
	documented := doc.operations()
	var routed []string
	for _, rt := range (&Server{}).apiRoutes() {
		routed = append(routed, rt.Pattern)
	}
	sort.Strings(routed)
	for _, r := range routed {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is not documented in openapi.json", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(routed, d) {
			t.Errorf("openapi.json documents %s, which is not routed", d)
		}
	}

	f := newFixture(t, "sqlite")
	s := &Server{Addr: "127.0.0.1:0", Store: f.db, DB: f.db, APIKey: "bootstrap", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	for _, op := range append(documented, "DELETE /api/v1/taxpayers/{id}") {
		method, path, _ := strings.Cut(op, " ")
		req, _ := http.NewRequest(method, s.URL()+strings.ReplaceAll(path, "{id}", "999999"), strings.NewReader("{}"))
		req.Header.Set("Authorization", "Bearer bootstrap")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e apiError
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		caught := strings.HasPrefix(e.Error.Message, "no endpoint ")
		if want := op == "DELETE /api/v1/taxpayers/{id}"; caught != want {
			t.Errorf("%s: reached the catch-all = %v, want %v (%d %+v)", op, caught, want, resp.StatusCode, e)
		} else if want && (resp.StatusCode != http.StatusNotFound || !strings.HasSuffix(e.Error.Message, "this path takes GET, PATCH")) {
			t.Errorf("%s = %d %q, want 404 naming GET, PATCH", op, resp.StatusCode, e.Error.Message)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s: Content-Type %q, want JSON", op, ct)
		}
	}
}

// TestOpenAPI_Responses calls every documented operation with good input
// and checks the answer against its documented success schema (required
// fields present, no undocumented field, types and enums), and an error
// answer against the Error schema.
func TestOpenAPI_Responses(t *testing.T) {
	doc := loadOpenAPI(t)
	f := newFixture(t, "sqlite")
	steps := f.walkSteps()
	for _, op := range doc.operations() {
		method, path, _ := strings.Cut(op, " ")
		o := doc.Paths[path][strings.ToLower(method)]
		var status, file string
		var want *schema
		for code, r := range o.Responses {
			if code == "204" {
				status = code // no content
			} else if code[0] == '2' {
				status, want = code, r.Content["application/json"].Schema
				for ct := range r.Content {
					if ct != "application/json" {
						file = ct // a download: its type is checked, not its content
					}
				}
			}
		}
		if want == nil && file == "" && status != "204" {
			t.Errorf("%s documents no JSON success answer", op)
			continue
		}
		reqPath, body := path, ""
		if step, ok := steps[op]; ok {
			reqPath, body = step.req(0)
		}
		if status == "204" {
			if code, b := f.do("city", method, reqPath, body); code != 204 || len(b) != 0 {
				t.Errorf("%s %s = %d %q, want 204 and no body", method, reqPath, code, b)
			}
			continue
		}
		if op == "POST /api/v1/contacts/{id}/activate" { // the contact is active: cancel it first
			f.do("city", "POST", fmt.Sprintf("/api/v1/contacts/%d/cancel", f.contactA.ID), "{}")
		}
		if file != "" {
			req, _ := http.NewRequest(method, f.srv.URL+reqPath, strings.NewReader(body))
			req.Header.Set(actorHeader, "city")
			resp, err := f.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if fmt.Sprint(resp.StatusCode) != status || resp.Header.Get("Content-Type") != file {
				t.Errorf("%s %s = %d %s, want %s %s", method, reqPath, resp.StatusCode, resp.Header.Get("Content-Type"), status, file)
			}
			continue
		}
		code, b := f.do("city", method, reqPath, body)
		if fmt.Sprint(code) != status {
			t.Errorf("%s %s = %d %s, want %s", method, reqPath, code, b, status)
			continue
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Errorf("%s: %v", op, err)
			continue
		}
		if path == "/api/v1/openapi.json" {
			continue // the document itself
		}
		if err := doc.check(op, want, v); err != nil {
			t.Errorf("%s %s: %v\n%s", method, reqPath, err, b)
		}
	}
	_, b := f.do("operatorA", "GET", fmt.Sprintf("/api/v1/taxpayers/%d", f.tpB.ID), "")
	var v any
	json.Unmarshal(b, &v)
	if err := doc.check("error", doc.Comps.Responses["NotFound"].Content["application/json"].Schema, v); err != nil {
		t.Errorf("error answer: %v\n%s", err, b)
	}
}
