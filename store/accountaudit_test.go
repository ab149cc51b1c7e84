package store

import (
	"net/netip"
	"testing"
	"time"

	"taxsms/audit"
)

func TestMaskNumbers(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"13912345678", "139****5678"},
		{"office 13702000000 suspended", "office 137****0000 suspended"},
		{"8613912345678", "86139****5678"},
		{"{\"code\":\"13702000000\",\"id\":12}", "{\"code\":\"137****0000\",\"id\":12}"},
		{"12345678901", "12345678901"},   // 12…: not a mobile number
		{"139123456789", "139123456789"}, // twelve digits
		{"1391234567", "1391234567"},     // ten
		{"a13912345678b13800000000", "a139****5678b138****0000"},
	} {
		if got := maskNumbers(tt.in); got != tt.want {
			t.Errorf("maskNumbers(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCleanIP(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"192.0.2.1", "192.0.2.1"},
		{"192.0.2.1:5000", "192.0.2.1"},
		{"[2001:db8::1]:443", "2001:db8::1"},
		{"2001:db8::1", "2001:db8::1"},
		{"unknown", ""},
		{"192.0.2.1, 10.0.0.1", ""},
	} {
		if got := cleanIP(tt.in); got != tt.want {
			t.Errorf("cleanIP(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzAuditInput checks that whatever a client sends as its address or
// types as a login, the audit record made of it is one the archive takes,
// so that a sign-in failure is always recorded.
func FuzzAuditInput(f *testing.F) {
	for _, s := range []string{"", "li.qiang", "13912345678", "8613912345678", "192.0.2.1:80", "[::1]:1", "\x00", "\xff"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, login, ip string) {
		if c := cleanIP(ip); c != "" {
			if _, err := netip.ParseAddr(c); err != nil {
				t.Fatalf("cleanIP(%q) = %q, not an address", ip, c)
			}
		}
		e := audit.Entry{At: time.Unix(1, 0), Actor: audit.Actor{Kind: audit.ActorUser, Login: typedLogin(login)},
			Action: audit.SignInFailed, IP: cleanIP(ip), Detail: "wrong password"}
		if err := e.Validate(); err != nil {
			t.Fatalf("login %q, ip %q: %v", login, ip, err)
		}
	})
}
