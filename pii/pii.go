// Package pii protects personal data at rest (PIPL Art. 51, seed Art. 14):
// mobile numbers are sealed with AES-256-GCM and found again through a keyed
// hash, so the database alone reveals no number.
//
// Sealed values carry the id of the key that sealed them in their first byte,
// which makes key rotation possible: add a new key with a higher id (it seals
// from then on), keep the old ones for opening, re-seal the stored values
// (taxsms migrate --reseal), then drop the old keys. The lookup key is not
// rotated this way: changing it needs every hash recomputed.
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// KeySize is the length of every key: AES-256 and a 256-bit HMAC key.
const KeySize = 32

// HashSize is the length of a lookup hash.
const HashSize = 16

// Box seals, opens and hashes personal values. It is safe for concurrent use.
type Box struct {
	aeads  map[byte]cipher.AEAD
	active byte
	lookup []byte
}

// New returns a Box that seals with the key of the highest id, opens with any
// of keys, and hashes with lookup. Keys and lookup must be KeySize bytes.
func New(keys map[byte][]byte, lookup []byte) (*Box, error) {
	if len(keys) == 0 {
		return nil, errors.New("pii: no data key")
	}
	if len(lookup) != KeySize {
		return nil, fmt.Errorf("pii: lookup key is %d bytes, want %d", len(lookup), KeySize)
	}
	b := &Box{aeads: make(map[byte]cipher.AEAD), lookup: lookup}
	for id, k := range keys {
		if len(k) != KeySize {
			return nil, fmt.Errorf("pii: data key %d is %d bytes, want %d", id, len(k), KeySize)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("pii: data key %d: %w", id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("pii: data key %d: %w", id, err)
		}
		b.aeads[id] = aead
		b.active = max(b.active, id)
	}
	return b, nil
}

// ParseKeys reads data keys written as "id:base64" separated by commas or
// spaces, e.g. "1:q83v…,2:mL0x…". Ids are 1-255. The error never contains key
// material.
func ParseKeys(s string) (map[byte][]byte, error) {
	keys := make(map[byte][]byte)
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
		idText, enc, ok := strings.Cut(f, ":")
		if !ok {
			return nil, errors.New("pii: a data key is written id:base64")
		}
		id, err := strconv.ParseUint(idText, 10, 8)
		if err != nil || id == 0 {
			return nil, fmt.Errorf("pii: key id %q: want 1-255", idText)
		}
		k, err := DecodeKey(enc)
		if err != nil {
			return nil, fmt.Errorf("pii: data key %d: %w", id, err)
		}
		if _, dup := keys[byte(id)]; dup {
			return nil, fmt.Errorf("pii: key id %d given twice", id)
		}
		keys[byte(id)] = k
	}
	if len(keys) == 0 {
		return nil, errors.New("pii: no data key")
	}
	return keys, nil
}

// DecodeKey decodes one base64 key and checks its length.
func DecodeKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("key is not valid base64")
	}
	if len(k) != KeySize {
		return nil, fmt.Errorf("key is %d bytes, want %d", len(k), KeySize)
	}
	return k, nil
}

// NewKey returns a fresh random key, base64-encoded.
func NewKey() string {
	k := make([]byte, KeySize)
	rand.Read(k)
	return base64.StdEncoding.EncodeToString(k)
}

// Seal encrypts v with the active key: key id, nonce, then ciphertext and tag.
func (b *Box) Seal(v string) []byte {
	aead := b.aeads[b.active]
	out := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(v)+aead.Overhead())
	out[0] = b.active
	rand.Read(out[1:])
	return aead.Seal(out, out[1:], []byte(v), out[:1])
}

// Open decrypts a value made by Seal with any known key. It fails if the key
// is unknown or the value was altered.
func (b *Box) Open(sealed []byte) (string, error) {
	if len(sealed) < 1 {
		return "", errors.New("pii: empty sealed value")
	}
	aead, ok := b.aeads[sealed[0]]
	if !ok {
		return "", fmt.Errorf("pii: sealed with unknown key %d", sealed[0])
	}
	n := 1 + aead.NonceSize()
	if len(sealed) < n+aead.Overhead() {
		return "", errors.New("pii: sealed value too short")
	}
	v, err := aead.Open(nil, sealed[1:n], sealed[n:], sealed[:1])
	if err != nil {
		return "", errors.New("pii: sealed value altered or wrong key")
	}
	return string(v), nil
}

// Active returns the id of the key Seal uses; values sealed with another
// need re-sealing after a rotation.
func (b *Box) Active() byte { return b.active }

// Hash returns the keyed lookup hash of v: equal values hash alike, and the
// hash reveals nothing without the lookup key.
func (b *Box) Hash(v string) []byte {
	m := hmac.New(sha256.New, b.lookup)
	m.Write([]byte(v))
	return m.Sum(nil)[:HashSize]
}
