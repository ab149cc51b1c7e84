package auth_test

import (
	"encoding/base32"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"taxsms"
	"taxsms/auth"
)

// rfcSecret is RFC 6238 Appendix B's SHA-1 seed, "12345678901234567890",
// in base32.
var rfcSecret = base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))

// rfcVectors are RFC 6238 Appendix B's SHA-1 test values (8 digits).
var rfcVectors = []struct {
	unix int64
	code string
}{
	{59, "94287082"},
	{1111111109, "07081804"},
	{1111111111, "14050471"},
	{1234567890, "89005924"},
	{2000000000, "69279037"},
	{20000000000, "65353130"},
}

func TestTOTP_RFC6238(t *testing.T) {
	for _, v := range rfcVectors {
		now := time.Unix(v.unix, 0)
		got, err := totp.GenerateCodeCustom(rfcSecret, now, totp.ValidateOpts{Period: auth.TOTPPeriod, Digits: otp.DigitsEight, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		if got != v.code {
			t.Errorf("code at %d = %s, want %s", v.unix, got, v.code)
		}
		// The six-digit code is the last six digits of the eight-digit one.
		step, err := auth.VerifyTOTP(rfcSecret, v.code[2:], now, 0)
		wantCode(t, err, "")
		if step != auth.TOTPStep(now) {
			t.Errorf("step at %d = %d, want %d", v.unix, step, auth.TOTPStep(now))
		}
	}
}

func TestVerifyTOTP(t *testing.T) {
	// At 1111111111 the step is 37037037; 1111111109 is in the step before.
	now := time.Unix(1111111111, 0)
	step := auth.TOTPStep(now)
	code := func(at time.Time) string {
		t.Helper()
		c, err := totp.GenerateCode(rfcSecret, at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, c := range []struct {
		name     string
		code     string
		lastStep int64
		step     int64
		err      string
	}{
		{"Now", code(now), 0, step, ""},
		{"Spaces", " " + code(now)[:3] + " " + code(now)[3:] + " ", 0, step, ""},
		{"PreviousStep", code(now.Add(-30 * time.Second)), 0, step - 1, ""},
		{"NextStep", code(now.Add(30 * time.Second)), 0, step + 1, ""},
		{"ErrTwoStepsBack", code(now.Add(-60 * time.Second)), 0, 0, taxsms.EUNAUTHORIZED},
		{"ErrTwoStepsAhead", code(now.Add(60 * time.Second)), 0, 0, taxsms.EUNAUTHORIZED},
		{"ErrReplay", code(now), step, 0, taxsms.EUNAUTHORIZED},
		{"ErrOlderThanLastUsed", code(now.Add(-30 * time.Second)), step, 0, taxsms.EUNAUTHORIZED},
		{"NewerThanLastUsed", code(now.Add(30 * time.Second)), step, step + 1, ""},
		{"ErrWrong", "000000", 0, 0, taxsms.EUNAUTHORIZED},
		{"ErrShort", "12345", 0, 0, taxsms.EINVALID},
		{"ErrLetters", "12345a", 0, 0, taxsms.EINVALID},
		{"ErrEmpty", "", 0, 0, taxsms.EINVALID},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := auth.VerifyTOTP(rfcSecret, c.code, now, c.lastStep)
			wantCode(t, err, c.err)
			if got != c.step {
				t.Errorf("step = %d, want %d", got, c.step)
			}
		})
	}
	t.Run("ErrBadSecret", func(t *testing.T) {
		_, err := auth.VerifyTOTP("not base32!", "123456", now, 0)
		wantCode(t, err, taxsms.EINTERNAL)
	})
	t.Run("ReplayAfterUse", func(t *testing.T) {
		// Accept once, store the step, refuse the same code a second later.
		c := code(now)
		last, err := auth.VerifyTOTP(rfcSecret, c, now, 0)
		wantCode(t, err, "")
		_, err = auth.VerifyTOTP(rfcSecret, c, now.Add(time.Second), last)
		wantCode(t, err, taxsms.EUNAUTHORIZED)
	})
}

func TestEnrolTOTP(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		k, err := auth.EnrolTOTP("Qingdao 12366", "zhang.wei", nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(k.Secret) != 32 || strings.Trim(k.Secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
			t.Errorf("Secret = %q, want 32 base32 characters", k.Secret)
		}
		u, err := url.Parse(k.URL)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Qingdao 12366:zhang.wei" ||
			q.Get("secret") != k.Secret || q.Get("issuer") != "Qingdao 12366" || q.Get("digits") != "6" ||
			q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
			t.Errorf("URL = %s", k.URL)
		}
		now := time.Now()
		c, _ := totp.GenerateCode(k.Secret, now)
		_, err = auth.VerifyTOTP(k.Secret, c, now, 0)
		wantCode(t, err, "")
	})
	t.Run("Rand", func(t *testing.T) {
		k, err := auth.EnrolTOTP("x", "y", strings.NewReader("12345678901234567890"))
		if err != nil {
			t.Fatal(err)
		}
		if want := strings.TrimRight(rfcSecret, "="); k.Secret != want {
			t.Errorf("Secret = %q, want %q", k.Secret, want)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		_, err := auth.EnrolTOTP("", "y", nil)
		wantCode(t, err, taxsms.EINVALID)
		_, err = auth.EnrolTOTP("x", "", nil)
		wantCode(t, err, taxsms.EINVALID)
	})
}

func TestTOTPPolicy(t *testing.T) {
	for _, c := range []struct {
		p    auth.TOTPPolicy
		role taxsms.Role
		want bool
	}{
		{auth.TOTPPolicy{}, taxsms.RoleCityAdmin, false},
		{auth.AdminTOTP(), taxsms.RoleCityAdmin, true},
		{auth.AdminTOTP(), taxsms.RoleBranchAdmin, true},
		{auth.AdminTOTP(), taxsms.RoleMaintainer, true},
		{auth.AdminTOTP(), taxsms.RoleOperator, false},
		{auth.TOTPPolicy{Roles: taxsms.Roles}, taxsms.RoleOperator, true},
	} {
		if got := c.p.RequireTOTP(c.role); got != c.want {
			t.Errorf("%v.RequireTOTP(%s) = %v, want %v", c.p.Roles, c.role, got, c.want)
		}
	}
	wantCode(t, auth.AdminTOTP().Validate(), "")
	wantCode(t, auth.TOTPPolicy{Roles: []taxsms.Role{"king"}}.Validate(), taxsms.EINVALID)
}
