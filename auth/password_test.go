package auth_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"taxsms"
	"taxsms/auth"
)

// cheap are argon2id parameters fast enough for tests.
var cheap = auth.Params{Memory: 64, Time: 1, Threads: 1}

func TestHasher(t *testing.T) {
	ctx := context.Background()
	h := auth.NewHasher(cheap, 0)
	enc, err := h.Hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("PHC", func(t *testing.T) {
		re := regexp.MustCompile(`^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
		if !re.MatchString(enc) {
			t.Errorf("Hash = %q, want %v", enc, re)
		}
		enc2, _ := h.Hash(ctx, "correct horse battery")
		if enc2 == enc {
			t.Errorf("two hashes of one password are equal: the salt is not random")
		}
	})
	t.Run("OK", func(t *testing.T) {
		wantCode(t, h.Verify(ctx, enc, "correct horse battery"), "")
	})
	t.Run("ErrWrong", func(t *testing.T) {
		for _, pw := range []string{"correct horse batterY", "", "correct horse battery ", strings.Repeat("x", 5000)} {
			wantCode(t, h.Verify(ctx, enc, pw), taxsms.EUNAUTHORIZED)
		}
	})
	t.Run("OtherParams", func(t *testing.T) {
		// A hash made with other parameters still verifies, and needs a rehash.
		h2 := auth.NewHasher(auth.Params{Memory: 128, Time: 2, Threads: 2}, 1)
		wantCode(t, h2.Verify(ctx, enc, "correct horse battery"), "")
		if !h2.NeedsRehash(enc) {
			t.Errorf("NeedsRehash(other params) = false, want true")
		}
		if h.NeedsRehash(enc) {
			t.Errorf("NeedsRehash(same params) = true, want false")
		}
	})
	t.Run("ErrMalformed", func(t *testing.T) {
		salt, key := strings.Split(enc, "$")[4], strings.Split(enc, "$")[5]
		for _, bad := range []string{
			"",
			"$2a$10$abcdefghijklmnopqrstuv",
			"$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key,
			"$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key,
			"$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key,
			"$argon2id$v=19$m=64,t=1,p=1,x=2$" + salt + "$" + key,
			"$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + key,
			"$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + key, // 4 GiB
			"$argon2id$v=19$m=64,t=1000,p=1$" + salt + "$" + key,
			"$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key,
			"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$",
			"$argon2id$v=19$m=64,t=1,p=1$!!$" + key,
			"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$",
		} {
			err := h.Verify(ctx, bad, "correct horse battery")
			if err == nil || taxsms.ErrorCode(err) != taxsms.EINTERNAL {
				t.Errorf("Verify(%q) = %v, want an internal error", bad, err)
			}
			if !h.NeedsRehash(bad) {
				t.Errorf("NeedsRehash(%q) = false, want true", bad)
			}
		}
	})
	t.Run("Dummy", func(t *testing.T) {
		err := h.VerifyDummy(ctx, "anything at all")
		wrong := h.Verify(ctx, enc, "anything at all")
		if taxsms.ErrorCode(err) != taxsms.EUNAUTHORIZED || err.Error() != wrong.Error() {
			t.Errorf("VerifyDummy = %v, want the wrong-password error %v", err, wrong)
		}
	})
	t.Run("ErrCanceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := h.Hash(ctx, "correct horse battery"); !errors.Is(err, context.Canceled) {
			t.Errorf("Hash = %v, want context.Canceled", err)
		}
		if err := h.Verify(ctx, enc, "correct horse battery"); !errors.Is(err, context.Canceled) {
			t.Errorf("Verify = %v, want context.Canceled", err)
		}
	})
	t.Run("ErrTooLong", func(t *testing.T) {
		_, err := h.Hash(ctx, strings.Repeat("x", 1025))
		wantCode(t, err, taxsms.EINVALID)
	})
}

func TestNewHasher_Defaults(t *testing.T) {
	if got := auth.NewHasher(auth.Params{}, 0).Params(); got != auth.DefaultParams {
		t.Errorf("Params = %+v, want %+v", got, auth.DefaultParams)
	}
}

func TestCheckPassword(t *testing.T) {
	for _, c := range []struct {
		login, password, msg string
	}{
		{"zhang.wei", "Qingdao-12366-tax", ""},
		{"zhang.wei", "青岛市地方税务局服务", ""},
		{"zhang.wei", "short", "password: at least 10 characters, got 5"},
		{"zhang.wei", "税务局服务短", "password: at least 10 characters, got 6"},
		{"zhang.wei", "Zhang.Wei", "password: at least 10 characters, got 9"},
		{"zhang.weiwei", "ZHANG.WEIWEI", "password: must not be the login"},
		{"zhang.weiwei", "zhang.weiwei ", "password: must not be the login"},
		{"x", "aaaaaaaaaaaa", "password: must not repeat one character"},
		{"x", "中中中中中中中中中中", "password: must not repeat one character"},
		{"x", "Password123", "password: too common; choose another"},
		{"x", "1qaz2wsx3edc", "password: too common; choose another"},
		{"x", "woaini1314", "password: too common; choose another"},
		{"x", strings.Repeat("ab", 513), "password: at most 1024 bytes, got 1026"},
		{"x", "abcdefghi\xff", "password: not valid UTF-8"},
	} {
		t.Run(c.password, func(t *testing.T) {
			err := auth.CheckPassword(c.login, c.password)
			if c.msg == "" {
				wantCode(t, err, "")
				return
			}
			wantCode(t, err, taxsms.EINVALID)
			if got := taxsms.ErrorField(err); got != "password" {
				t.Errorf("field = %q, want password", got)
			}
			if got := err.Error(); got != c.msg {
				t.Errorf("message = %q, want %q", got, c.msg)
			}
		})
	}
}

// BenchmarkHasher_Verify measures one verification with DefaultParams (46 MiB,
// t=1, p=1), the cost of a sign-in, beside OWASP's lighter setting (19 MiB,
// t=2) and RFC 9106's second recommended one (64 MiB, t=3, p=4).
func BenchmarkHasher_Verify(b *testing.B) {
	for _, p := range []auth.Params{auth.DefaultParams, {Memory: 19 * 1024, Time: 2, Threads: 1}, {Memory: 64 * 1024, Time: 3, Threads: 4}} {
		b.Run(fmt.Sprintf("m=%dKiB,t=%d,p=%d", p.Memory, p.Time, p.Threads), func(b *testing.B) {
			ctx := context.Background()
			h := auth.NewHasher(p, 0)
			enc, err := h.Hash(ctx, "correct horse battery")
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := h.Verify(ctx, enc, "correct horse battery"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
