package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"
)

// Session is a signed-in browser, as the store keeps it. The session id
// itself lives only in the user's cookie; the store keeps its hash, so a
// stolen copy of the database cannot be used to sign in.
type Session struct {
	IDHash    string // HashSessionID of the id; the store's key
	UserID    int64
	CreatedAt time.Time // when the user signed in
	LastSeen  time.Time // the last request; see SessionConfig.NeedsTouch
	IP        string
	UserAgent string
}

// sessionIDLen is the length of a session id: 32 random bytes (256 bits) in
// unpadded URL-safe base64.
const sessionIDLen = 43

// NewSession returns a new random session id, for the cookie, and the
// Session to store for user userID signing in at now from ip with userAgent
// (cut to 256 bytes). Its error is crypto/rand's.
func NewSession(userID int64, ip, userAgent string, now time.Time) (id string, s Session, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", Session{}, fmt.Errorf("session id: %w", err)
	}
	id = base64.RawURLEncoding.EncodeToString(b)
	if len(userAgent) > 256 {
		userAgent = userAgent[:256]
	}
	return id, Session{IDHash: HashSessionID(id), UserID: userID, CreatedAt: now, LastSeen: now, IP: ip, UserAgent: userAgent}, nil
}

// HashSessionID returns the hex SHA-256 of a session id: what the store keys
// sessions by. An id is 256 random bits, so a fast hash is enough.
func HashSessionID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// ValidSessionID reports whether id has the form NewSession gives ids, so
// that a junk cookie is refused without a database look-up.
func ValidSessionID(id string) bool {
	if len(id) != sessionIDLen {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(id)
	return err == nil
}

// SessionConfig is the sessions' policy. The zero value uses the defaults:
// 30 minutes idle, 12 hours at most, cookies for plain HTTP (set Secure in
// production, behind TLS).
type SessionConfig struct {
	Idle     time.Duration // a session unused this long ends; default 30 min
	Absolute time.Duration // a session this old ends, used or not; default 12 h
	// Secure marks the cookie Secure and names it with the __Host- prefix,
	// which browsers accept only over HTTPS, with Path=/ and no Domain.
	Secure bool
}

func (c SessionConfig) withDefaults() SessionConfig {
	if c.Idle <= 0 {
		c.Idle = 30 * time.Minute
	}
	if c.Absolute <= 0 {
		c.Absolute = 12 * time.Hour
	}
	return c
}

// Expiry returns when s ends if it is not used again: the earlier of
// LastSeen+Idle and CreatedAt+Absolute.
func (c SessionConfig) Expiry(s Session) time.Time {
	c = c.withDefaults()
	idle, abs := s.LastSeen.Add(c.Idle), s.CreatedAt.Add(c.Absolute)
	if idle.Before(abs) {
		return idle
	}
	return abs
}

// Valid reports whether s may serve a request at now: strictly before its
// Expiry. The store deletes sessions that are not.
func (c SessionConfig) Valid(s Session, now time.Time) bool {
	return now.Before(c.Expiry(s))
}

// NeedsTouch reports whether the store should write LastSeen = now for s:
// once a minute at most, so that a busy page does not write on every
// request. The idle timeout is therefore exact to within a minute.
func (c SessionConfig) NeedsTouch(s Session, now time.Time) bool {
	return now.Sub(s.LastSeen) >= time.Minute
}

// CookieName returns the session cookie's name: "__Host-taxsms_session" when
// Secure, else "taxsms_session".
func (c SessionConfig) CookieName() string {
	if c.Secure {
		return "__Host-taxsms_session"
	}
	return "taxsms_session"
}

// Cookie returns the cookie that carries session id: HttpOnly, SameSite
// Strict, Path /, no Domain, Secure when c.Secure. It has no Max-Age, so the
// browser forgets it when it closes (on shared office computers too); the
// server enforces the timeouts with Valid.
func (c SessionConfig) Cookie(id string) *http.Cookie {
	return &http.Cookie{
		Name: c.CookieName(), Value: id, Path: "/",
		Secure: c.Secure, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	}
}

// ClearCookie returns a cookie that deletes the session cookie: send it on
// sign-out and when a session is refused.
func (c SessionConfig) ClearCookie() *http.Cookie {
	k := c.Cookie("")
	k.MaxAge = -1
	return k
}

// SessionID returns the session id in r's cookie, or "" if there is none or it
// is not of the form NewSession gives.
func (c SessionConfig) SessionID(r *http.Request) string {
	k, err := r.Cookie(c.CookieName())
	if err != nil || !ValidSessionID(k.Value) {
		return ""
	}
	return k.Value
}
