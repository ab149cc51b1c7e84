package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"

	"taxsms"
)

// Where a form or a script sends the CSRF token.
const (
	CSRFField  = "csrf_token"   // hidden form field
	CSRFHeader = "X-CSRF-Token" // request header, for scripts
)

// CSRF makes and checks synchronizer tokens: each session's token is an HMAC
// of its id under a server key, so nothing more is stored, and it holds on
// every node that shares the key. It also refuses cross-origin browser
// requests (net/http.CrossOriginProtection), which covers the sign-in form,
// posted before there is a session.
type CSRF struct {
	key    []byte
	origin *http.CrossOriginProtection
}

// NewCSRF returns a CSRF using key, which must hold at least 32 bytes of
// secret (generated once per installation and shared by every node);
// otherwise an EINVALID error naming "csrf key".
func NewCSRF(key []byte) (*CSRF, error) {
	if len(key) < 32 {
		return nil, taxsms.Invalid("csrf key", "at least 32 bytes, got %d", len(key))
	}
	return &CSRF{key: append([]byte(nil), key...), origin: http.NewCrossOriginProtection()}, nil
}

// Token returns the token of the session sessionID, to put in every form as
// the hidden field CSRFField. It is "" for "" (no session).
func (c *CSRF) Token(sessionID string) string {
	if sessionID == "" {
		return ""
	}
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte("taxsms csrf v1\x00"))
	m.Write([]byte(sessionID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Check returns nil if r may proceed. GET, HEAD and OPTIONS always may (they
// must change nothing). Any other method is refused with EFORBIDDEN if it
// comes from another origin, and, when sessionID is not "", if it does not
// carry the session's token in the X-CSRF-Token header or the csrf_token form
// field (compared in constant time). Reading the field parses the form (at
// most 32 MB of a multipart form in memory, as http.Request.ParseMultipartForm);
// the handler then finds it parsed.
func (c *CSRF) Check(r *http.Request, sessionID string) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if err := c.origin.Check(r); err != nil {
		return taxsms.Errorf(taxsms.EFORBIDDEN, "Cross-origin request refused.")
	}
	if sessionID == "" {
		return nil
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		got = r.PostFormValue(CSRFField)
	}
	if got == "" || !hmac.Equal([]byte(got), []byte(c.Token(sessionID))) {
		return taxsms.Errorf(taxsms.EFORBIDDEN, "The form has expired or did not come from this site: reload the page and try again.")
	}
	return nil
}

// Protect returns a handler that serves r with next if Check(r,
// sessionID(r)) passes, and otherwise answers 403 Forbidden with the error's
// message. sessionID returns the session id of r ("" if none), e.g.
// SessionConfig.SessionID.
func (c *CSRF) Protect(next http.Handler, sessionID func(*http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := c.Check(r, sessionID(r)); err != nil {
			http.Error(w, taxsms.ErrorMessage(err), http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}
