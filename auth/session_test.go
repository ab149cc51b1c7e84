package auth_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"taxsms/auth"
)

func TestNewSession(t *testing.T) {
	now := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	id, s, err := auth.NewSession(7, "10.0.0.1", strings.Repeat("M", 300), now)
	if err != nil {
		t.Fatal(err)
	}
	if !auth.ValidSessionID(id) || len(id) != 43 {
		t.Errorf("id = %q, want 43 characters of base64url", id)
	}
	if s.IDHash != auth.HashSessionID(id) || len(s.IDHash) != 64 || strings.Contains(s.IDHash, id) {
		t.Errorf("IDHash = %q, want the hex SHA-256 of the id", s.IDHash)
	}
	if s.UserID != 7 || !s.CreatedAt.Equal(now) || !s.LastSeen.Equal(now) || s.IP != "10.0.0.1" || len(s.UserAgent) != 256 {
		t.Errorf("Session = %+v", s)
	}
	id2, _, _ := auth.NewSession(7, "", "", now)
	if id2 == id {
		t.Errorf("two sessions share the id %q", id)
	}
	for _, bad := range []string{"", "x", id[:42], id + "A", strings.Repeat("!", 43)} {
		if auth.ValidSessionID(bad) {
			t.Errorf("ValidSessionID(%q) = true, want false", bad)
		}
	}
}

func TestSessionConfig_Valid(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	fresh := auth.Session{UserID: 7, CreatedAt: t0, LastSeen: t0}
	busy := auth.Session{UserID: 7, CreatedAt: t0, LastSeen: t0.Add(11*time.Hour + 50*time.Minute)}
	var def auth.SessionConfig
	short := auth.SessionConfig{Idle: time.Minute, Absolute: 5 * time.Minute}
	for _, c := range []struct {
		name string
		c    auth.SessionConfig
		s    auth.Session
		now  time.Time
		want bool
	}{
		{"Fresh", def, fresh, t0, true},
		{"JustBeforeIdle", def, fresh, t0.Add(30*time.Minute - time.Nanosecond), true},
		{"AtIdle", def, fresh, t0.Add(30 * time.Minute), false},
		{"BusyBeforeAbsolute", def, busy, t0.Add(12*time.Hour - time.Nanosecond), true},
		{"BusyAtAbsolute", def, busy, t0.Add(12 * time.Hour), false},
		{"ShortIdle", short, fresh, t0.Add(time.Minute), false},
		{"ShortAbsolute", short, auth.Session{CreatedAt: t0, LastSeen: t0.Add(4*time.Minute + 30*time.Second)}, t0.Add(5 * time.Minute), false},
		{"ShortBeforeAbsolute", short, auth.Session{CreatedAt: t0, LastSeen: t0.Add(4*time.Minute + 30*time.Second)}, t0.Add(5*time.Minute - time.Second), true},
		{"ClockBehind", def, fresh, t0.Add(-time.Minute), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.c.Valid(c.s, c.now); got != c.want {
				t.Errorf("Valid = %v, want %v (expiry %v)", got, c.want, c.c.Expiry(c.s))
			}
		})
	}
	t.Run("NeedsTouch", func(t *testing.T) {
		for _, c := range []struct {
			after time.Duration
			want  bool
		}{{0, false}, {59 * time.Second, false}, {time.Minute, true}} {
			if got := def.NeedsTouch(fresh, t0.Add(c.after)); got != c.want {
				t.Errorf("NeedsTouch after %v = %v, want %v", c.after, got, c.want)
			}
		}
	})
}

func TestSessionConfig_Cookie(t *testing.T) {
	for _, c := range []struct {
		name   string
		c      auth.SessionConfig
		header string
	}{
		{"Secure", auth.SessionConfig{Secure: true}, "__Host-taxsms_session=abc; Path=/; HttpOnly; Secure; SameSite=Strict"},
		{"Plain", auth.SessionConfig{}, "taxsms_session=abc; Path=/; HttpOnly; SameSite=Strict"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.c.Cookie("abc").String(); got != c.header {
				t.Errorf("Cookie = %q, want %q", got, c.header)
			}
			clear := c.c.ClearCookie()
			if clear.Name != c.c.CookieName() || clear.MaxAge != -1 || clear.Value != "" || !clear.HttpOnly {
				t.Errorf("ClearCookie = %q", clear.String())
			}
		})
	}
	t.Run("SessionID", func(t *testing.T) {
		c := auth.SessionConfig{Secure: true}
		id, _, _ := auth.NewSession(1, "", "", time.Now())
		for _, k := range []struct {
			cookie *http.Cookie
			want   string
		}{
			{c.Cookie(id), id},
			{nil, ""},
			{c.Cookie("junk"), ""},
			{auth.SessionConfig{}.Cookie(id), ""}, // the plain name, when secure is expected
		} {
			r := httptest.NewRequest("GET", "/", nil)
			if k.cookie != nil {
				r.AddCookie(k.cookie)
			}
			if got := c.SessionID(r); got != k.want {
				t.Errorf("SessionID(%v) = %q, want %q", k.cookie, got, k.want)
			}
		}
	})
}
