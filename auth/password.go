package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"taxsms"
)

// Params are argon2id's cost parameters (RFC 9106).
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over the memory
	Threads uint8  // lanes
}

// DefaultParams are OWASP's first recommended argon2id setting: 46 MiB, one
// pass, one lane. One verification took 35 to 65 ms on a 2-vCPU Xeon VM
// (BenchmarkHasher_Verify); the Hasher runs at most GOMAXPROCS at once, so
// sign-ins use at most GOMAXPROCS × 46 MiB.
var DefaultParams = Params{Memory: 46 * 1024, Time: 1, Threads: 1}

// Limits on the parameters and sizes read from a stored hash, so that a bad
// row cannot make Verify allocate gigabytes or spin for minutes.
const (
	saltLen      = 16
	keyLen       = 32
	maxMemory    = 1 << 20 // 1 GiB in KiB
	maxTime      = 32
	maxPassBytes = 1024 // longer passwords are refused before hashing
)

// dummySalt is the salt VerifyDummy hashes with; its value does not matter.
var dummySalt = make([]byte, saltLen)

// Hasher hashes and verifies passwords with argon2id, at most a few at a time
// so that a burst of sign-ins cannot take all memory (each hash takes
// Params.Memory). It is safe for concurrent use.
type Hasher struct {
	params Params
	sem    chan struct{}
}

// NewHasher returns a Hasher using p for new hashes (zero fields take
// DefaultParams' values) and running at most limit hashes at once (0:
// GOMAXPROCS). Tests may pass cheap parameters, e.g. Params{Memory: 64,
// Time: 1, Threads: 1}.
func NewHasher(p Params, limit int) *Hasher {
	if p.Memory == 0 {
		p.Memory = DefaultParams.Memory
	}
	if p.Time == 0 {
		p.Time = DefaultParams.Time
	}
	if p.Threads == 0 {
		p.Threads = DefaultParams.Threads
	}
	if limit <= 0 {
		limit = runtime.GOMAXPROCS(0)
	}
	return &Hasher{params: p, sem: make(chan struct{}, limit)}
}

// Params returns the parameters h uses for new hashes.
func (h *Hasher) Params() Params { return h.params }

// Hash returns the PHC string of password with a fresh random salt:
// "$argon2id$v=19$m=47104,t=1,p=1$<salt>$<hash>" (unpadded standard base64).
// It does not check the policy (see CheckPassword). It blocks while the
// Hasher is busy and returns ctx's error if ctx ends first.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if len(password) > maxPassBytes {
		return "", taxsms.Invalid("password", "at most %d bytes", maxPassBytes)
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key, err := h.key(ctx, password, salt, h.params, keyLen)
	if err != nil {
		return "", err
	}
	return encodePHC(h.params, salt, key), nil
}

// Verify returns nil if password matches the PHC string encoded, comparing in
// constant time; an EUNAUTHORIZED error if it does not; ctx's error if ctx
// ends while waiting; and an internal error if encoded is not an argon2id PHC
// string within sane limits. The message of the EUNAUTHORIZED error is the
// one for an unknown login too.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) error {
	p, salt, want, err := parsePHC(encoded)
	if err != nil {
		return err
	}
	if len(password) > maxPassBytes {
		password = password[:maxPassBytes] // keep the cost; it cannot match
	}
	got, err := h.key(ctx, password, salt, p, uint32(len(want)))
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return errBadCredentials()
	}
	return nil
}

// VerifyDummy spends the time of a Verify against h's parameters and always
// returns the EUNAUTHORIZED error Verify returns for a wrong password. Call it
// for an unknown login, so that the answer and its timing do not tell whether
// the login exists.
func (h *Hasher) VerifyDummy(ctx context.Context, password string) error {
	if len(password) > maxPassBytes {
		password = password[:maxPassBytes]
	}
	if _, err := h.key(ctx, password, dummySalt, h.params, keyLen); err != nil {
		return err
	}
	return errBadCredentials()
}

// NeedsRehash reports whether encoded was made with parameters other than h's
// (or is not a PHC string h reads): after a successful Verify, hash the
// password again and store the new string.
func (h *Hasher) NeedsRehash(encoded string) bool {
	p, salt, key, err := parsePHC(encoded)
	return err != nil || p != h.params || len(salt) != saltLen || len(key) != keyLen
}

// key runs argon2id once a slot is free.
func (h *Hasher) key(ctx context.Context, password string, salt []byte, p Params, n uint32) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("password hash: %w", err)
	}
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("password hash: %w", ctx.Err())
	}
	defer func() { <-h.sem }()
	return argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, n), nil
}

// errBadCredentials is the one answer to a wrong login or password.
func errBadCredentials() error {
	return taxsms.Errorf(taxsms.EUNAUTHORIZED, "Wrong login or password.")
}

var b64 = base64.RawStdEncoding

// encodePHC formats an argon2id hash as a PHC string.
func encodePHC(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// errPHC is wrapped by every parse error of a stored hash.
var errPHC = errors.New("not an argon2id PHC string")

// parsePHC reads a PHC string written by encodePHC (the parameters in that
// order, version 19), refusing parameters beyond the limits.
func parsePHC(s string) (p Params, salt, key []byte, err error) {
	f := strings.Split(s, "$")
	if len(f) != 6 || f[0] != "" || f[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("password hash: %w", errPHC)
	}
	if f[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("password hash: version %q: %w", f[2], errPHC)
	}
	var m, t, th uint32
	if _, err := fmt.Sscanf(f[3], "m=%d,t=%d,p=%d", &m, &t, &th); err != nil || f[3] != fmt.Sprintf("m=%d,t=%d,p=%d", m, t, th) {
		return p, nil, nil, fmt.Errorf("password hash: parameters %q: %w", f[3], errPHC)
	}
	if m < 8 || m > maxMemory || t < 1 || t > maxTime || th < 1 || th > 255 || m < 8*th {
		return p, nil, nil, fmt.Errorf("password hash: parameters %q out of range: %w", f[3], errPHC)
	}
	salt, err1 := b64.DecodeString(f[4])
	key, err2 := b64.DecodeString(f[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(salt) > 64 || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, fmt.Errorf("password hash: salt or key: %w", errPHC)
	}
	return Params{Memory: uint32(m), Time: uint32(t), Threads: uint8(th)}, salt, key, nil
}

// MinPasswordLength is the fewest characters a password may have.
const MinPasswordLength = 10

// commonPasswords are refused whatever their length; compared in lower case.
// A short list of what leaks show most, including the Chinese favourites; the
// length rule already refuses the shorter ones.
var commonPasswords = []string{
	"1234567890", "0123456789", "12345678910", "123456789a", "a123456789",
	"1234567890a", "abc1234567", "qwertyuiop", "1q2w3e4r5t", "1qaz2wsx3edc",
	"qwe1234567", "qwer123456", "asdfghjkl;", "zxcvbnm123", "password12",
	"password123", "password1234", "passw0rd123", "iloveyou12", "woaini1314",
	"woaini520520", "5201314520", "1314520520", "abcdefghij", "administrator",
	"admin12345", "admin123456", "root123456", "p@ssw0rd123", "qazwsxedc123",
	"88888888888", "66666666666", "taxsms12366", "12366123456", "changeme123",
}

// CheckPassword returns nil if password may be used by the user login, and
// otherwise an EINVALID error naming "password" that says why: fewer than
// MinPasswordLength characters, more than 1024 bytes, the login itself (in
// any case), one character repeated, or one of a list of common passwords.
func CheckPassword(login, password string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLength:
		return taxsms.Invalid("password", "at least %d characters, got %d", MinPasswordLength, n)
	case len(password) > maxPassBytes:
		return taxsms.Invalid("password", "at most %d bytes, got %d", maxPassBytes, len(password))
	case !utf8.ValidString(password):
		return taxsms.Invalid("password", "not valid UTF-8")
	case login != "" && strings.EqualFold(strings.TrimSpace(password), login):
		return taxsms.Invalid("password", "must not be the login")
	case strings.Count(password, password[:firstRuneLen(password)]) == n:
		return taxsms.Invalid("password", "must not repeat one character")
	}
	lower := strings.ToLower(password)
	for _, c := range commonPasswords {
		if lower == c {
			return taxsms.Invalid("password", "too common; choose another")
		}
	}
	return nil
}

// firstRuneLen returns the length in bytes of the first character of s.
func firstRuneLen(s string) int {
	_, size := utf8.DecodeRuneInString(s)
	return size
}
