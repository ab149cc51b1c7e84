package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	"taxsms"
)

// APIKey is a key a tax core system calls the REST API with. The secret is
// shown once, when made; the store keeps only its hash. A key acts within one
// office subtree and may call only the endpoints it lists.
type APIKey struct {
	ID         int64
	Name       string // what system it is for, e.g. "core tax system (CTAIS)"
	Hash       string // HashKey of the secret; the store's look-up key
	OfficeID   int64
	OfficePath string   // the subtree the key reaches, "/1/5/"
	Endpoints  []string // route patterns it may call, "POST /api/v1/messages"
	CreatedBy  int64    // the user who made it
	CreatedAt  time.Time
	RevokedAt  time.Time // zero while the key is in force
}

// KeyPrefix starts every API key, so that a leaked key is recognised by
// secret scanners and in logs.
const KeyPrefix = "tsk_"

// keyEncoding writes keys in lower-case base32 without padding: no
// characters that need escaping anywhere, none easily confused.
var keyEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// apiKeyLen is the length of a key: the prefix and 32 random bytes (256 bits).
var apiKeyLen = len(KeyPrefix) + keyEncoding.EncodedLen(32)

// NewKey returns a new random API key, to show once, and its hash, to store.
// Its error is crypto/rand's.
func NewKey() (key, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("api key: %w", err)
	}
	key = KeyPrefix + keyEncoding.EncodeToString(b)
	return key, HashKey(key), nil
}

// ParseKey returns the key in s (an Authorization header's "Bearer KEY", or
// the bare key) if it has the form NewKey gives, and otherwise an
// EUNAUTHORIZED error, so that junk is refused without a database look-up.
func ParseKey(s string) (string, error) {
	s = strings.TrimSpace(s)
	if t, ok := strings.CutPrefix(s, "Bearer "); ok {
		s = strings.TrimSpace(t)
	}
	body, ok := strings.CutPrefix(s, KeyPrefix)
	if !ok || len(s) != apiKeyLen {
		return "", taxsms.Errorf(taxsms.EUNAUTHORIZED, "A valid API key is required.")
	}
	if _, err := keyEncoding.DecodeString(body); err != nil {
		return "", taxsms.Errorf(taxsms.EUNAUTHORIZED, "A valid API key is required.")
	}
	return s, nil
}

// KeyFromRequest returns the API key r carries in "Authorization: Bearer
// KEY" or "X-API-Key: KEY", with ParseKey's errors.
func KeyFromRequest(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		h = r.Header.Get("X-API-Key")
	}
	return ParseKey(h)
}

// HashKey returns the hex SHA-256 of key. A key is 256 random bits, so a
// fast hash is enough and the store can look keys up by it.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Revoked reports whether k has been revoked.
func (k APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }

// Allows reports whether k, not revoked, may call the route pattern with
// method. pattern is the route as registered on the ServeMux, with or
// without its method ("GET /api/v1/messages/{id}" or "/api/v1/messages/{id}";
// http.Request.Pattern gives it). HEAD is allowed where GET is. Matching is
// exact: the key lists patterns, not URL paths, so "{id}" covers every id.
func (k APIKey) Allows(method, pattern string) bool {
	if k.Revoked() {
		return false
	}
	if m, p, ok := strings.Cut(pattern, " "); ok {
		if m != method && !(m == http.MethodGet && method == http.MethodHead) {
			return false
		}
		pattern = p
	}
	for _, e := range k.Endpoints {
		m, p, _ := strings.Cut(e, " ")
		if p == pattern && (m == method || m == http.MethodGet && method == http.MethodHead) {
			return true
		}
	}
	return false
}

// Validate returns an EINVALID error naming the first bad field: a name of 1
// to 100 characters, an office and its Path, and at least one endpoint, each
// "METHOD /path" with an upper-case method.
func (k *APIKey) Validate() error {
	if n := len([]rune(strings.TrimSpace(k.Name))); n < 1 || n > 100 {
		return taxsms.Invalid("name", "1 to 100 characters, got %d", n)
	}
	if k.OfficeID <= 0 {
		return taxsms.Invalid("office", "required")
	}
	if !validPath(k.OfficePath) {
		return taxsms.Invalid("office", "bad office path %q", k.OfficePath)
	}
	if len(k.Endpoints) == 0 {
		return taxsms.Invalid("endpoints", "name at least one, e.g. \"POST /api/v1/messages\"")
	}
	for _, e := range k.Endpoints {
		m, p, ok := strings.Cut(e, " ")
		if !ok || m == "" || strings.ToUpper(m) != m || !strings.HasPrefix(p, "/") || strings.ContainsAny(p, " \t") {
			return taxsms.Invalid("endpoints", "%q: want \"METHOD /path\", e.g. \"GET /api/v1/taxpayers\"", e)
		}
	}
	return nil
}

var apiKeyPermissions = []Permission{PermSendJurisdiction, PermManageTaxpayers, PermAnswerTickets}

// APIKeyPermissions returns the permissions every API key's actor holds:
// sending within its subtree, feeding taxpayers and answering tickets. Its
// Endpoints decide what it may call, its OfficePath where.
func APIKeyPermissions() []Permission { return append([]Permission(nil), apiKeyPermissions...) }

// Actor returns the actor a request made with k acts as: no user, no role,
// the key's office subtree (see Actor.Access), APIKeyPermissions and the
// key's Endpoints (see Actor.CanCall).
func (k APIKey) Actor() *Actor {
	return &Actor{Login: "key:" + k.Name, OfficeID: k.OfficeID, OfficePath: k.OfficePath, Permissions: APIKeyPermissions(), APIKeyID: k.ID,
		Endpoints: append([]string(nil), k.Endpoints...)}
}
