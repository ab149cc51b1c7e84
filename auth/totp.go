package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"taxsms"
)

// TOTP parameters: those every authenticator app reads (RFC 6238 defaults).
const (
	TOTPPeriod = 30 // seconds per step
	TOTPDigits = 6
	totpSkew   = 1 // steps accepted either side of now
)

// TOTPKey is a new second-factor secret, shown once to the user as a QR code
// of URL (or the Secret typed in) and stored (encrypted at rest if the store
// can) with the user.
type TOTPKey struct {
	Secret string // base32, unpadded: 160 random bits
	URL    string // otpauth://totp/Issuer:login?secret=...&issuer=...
}

// EnrolTOTP returns a new secret for the user login, named issuer in the
// authenticator app. Random bytes come from random (nil: crypto/rand). It
// returns an EINVALID error if issuer or login is empty. Enrolment should be
// confirmed with a first VerifyTOTP before the secret is stored as active.
func EnrolTOTP(issuer, login string, random io.Reader) (TOTPKey, error) {
	if issuer == "" {
		return TOTPKey{}, taxsms.Invalid("issuer", "required")
	}
	if login == "" {
		return TOTPKey{}, taxsms.Invalid("login", "required")
	}
	if random == nil {
		random = rand.Reader
	}
	k, err := totp.Generate(totp.GenerateOpts{
		Issuer: issuer, AccountName: login, Period: TOTPPeriod, SecretSize: 20,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1, Rand: random,
	})
	if err != nil {
		return TOTPKey{}, fmt.Errorf("totp enrol: %w", err)
	}
	return TOTPKey{Secret: k.Secret(), URL: k.URL()}, nil
}

// TOTPStep returns the RFC 6238 time step of t: Unix seconds / 30.
func TOTPStep(t time.Time) int64 { return t.Unix() / TOTPPeriod }

// VerifyTOTP checks the 6-digit code against secret at now, accepting the
// step of now and one step either side (for clocks a little off), but only a
// step after lastStep, the step of the last code accepted for this user (0 if
// none): a code is used once. It returns the matched step, which the store
// must keep as the new lastStep. A wrong, expired or replayed code is an
// EUNAUTHORIZED error (count it as a failure with Lockout.Failed); a code
// that is not 6 digits is EINVALID naming "code"; a bad secret is internal.
func VerifyTOTP(secret, code string, now time.Time, lastStep int64) (int64, error) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != TOTPDigits || strings.Trim(code, "0123456789") != "" {
		return 0, taxsms.Invalid("code", "%d digits, got %q", TOTPDigits, code)
	}
	now0 := TOTPStep(now)
	matched := int64(0)
	// Every step is computed and compared, so the time taken says nothing
	// about which one matched.
	for step := now0 - totpSkew; step <= now0+totpSkew; step++ {
		want, err := hotp.GenerateCodeCustom(secret, uint64(step), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, fmt.Errorf("totp verify: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && step > lastStep && matched == 0 {
			matched = step
		}
	}
	if matched == 0 {
		return 0, taxsms.Errorf(taxsms.EUNAUTHORIZED, "Wrong or expired code.")
	}
	return matched, nil
}

// TOTPPolicy says which roles must use a second factor. The city
// administrator sets it (PermManageSettings); the store keeps it. Users of
// other roles may still enrol, and are then asked for a code.
type TOTPPolicy struct {
	Roles []taxsms.Role // roles that must enrol before they can use the console
}

// AdminTOTP requires a second factor of city and branch administrators and
// maintainers: the accounts that can change who does what, and the links.
func AdminTOTP() TOTPPolicy {
	return TOTPPolicy{Roles: []taxsms.Role{taxsms.RoleCityAdmin, taxsms.RoleBranchAdmin, taxsms.RoleMaintainer}}
}

// RequireTOTP reports whether users of role must use a second factor.
func (p TOTPPolicy) RequireTOTP(role taxsms.Role) bool { return slices.Contains(p.Roles, role) }

// Validate returns an EINVALID error naming "roles" if p names an unknown
// role.
func (p TOTPPolicy) Validate() error {
	for _, r := range p.Roles {
		if !r.Valid() {
			return taxsms.Invalid("roles", "unknown role %q", r)
		}
	}
	return nil
}
