package pii_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"taxsms/pii"
)

func newBox(t *testing.T, keys string) *pii.Box {
	t.Helper()
	k, err := pii.ParseKeys(keys)
	if err != nil {
		t.Fatal(err)
	}
	lookup, _ := pii.DecodeKey(strings.Repeat("A", 43) + "=")
	b, err := pii.New(k, lookup)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	key1 = "1:" + pii.NewKey()
	key2 = "2:" + pii.NewKey()
)

func TestBox_SealOpen(t *testing.T) {
	b := newBox(t, key1)
	s1, s2 := b.Seal("13812345678"), b.Seal("13812345678")
	if bytes.Equal(s1, s2) {
		t.Error("two seals of one value are equal; want fresh nonces")
	}
	if bytes.Contains(s1, []byte("13812345678")) {
		t.Error("sealed value contains the plain text")
	}
	if got, err := b.Open(s1); err != nil || got != "13812345678" {
		t.Errorf("Open = %q, %v, want 13812345678", got, err)
	}
	s1[len(s1)-1] ^= 1
	if _, err := b.Open(s1); err == nil {
		t.Error("Open of an altered value succeeded")
	}
}

func TestBox_Rotation(t *testing.T) {
	old := newBox(t, key1)
	sealed := old.Seal("13912345678")
	rotated := newBox(t, key1+","+key2)
	if rotated.Active() != 2 {
		t.Errorf("Active = %d, want 2", rotated.Active())
	}
	if got, err := rotated.Open(sealed); err != nil || got != "13912345678" {
		t.Errorf("Open old value after rotation = %q, %v", got, err)
	}
	if resealed := rotated.Seal("13912345678"); resealed[0] != 2 {
		t.Errorf("new seal key id = %d, want 2", resealed[0])
	}
	if !bytes.Equal(old.Hash("13912345678"), rotated.Hash("13912345678")) {
		t.Error("lookup hash changed with the data key")
	}
	if _, err := newBox(t, key2).Open(sealed); err == nil || !strings.Contains(err.Error(), "unknown key 1") {
		t.Errorf("Open with key 1 dropped = %v, want unknown key 1", err)
	}
}

func TestParseKeys(t *testing.T) {
	for _, tt := range []struct{ in, err string }{
		{"", "pii: no data key"},
		{"abc", "pii: a data key is written id:base64"},
		{"0:" + pii.NewKey(), `pii: key id "0": want 1-255`},
		{"1:c2hvcnQ=", "pii: data key 1: key is 5 bytes, want 32"},
		{"1:!!!", "pii: data key 1: key is not valid base64"},
		{key1 + "," + key1, "pii: key id 1 given twice"},
	} {
		if _, err := pii.ParseKeys(tt.in); err == nil || err.Error() != tt.err {
			t.Errorf("ParseKeys(%.10q) = %v, want %s", tt.in, err, tt.err)
		}
	}
}

func ExampleBox() {
	keys, _ := pii.ParseKeys("1:" + pii.NewKey())
	lookup, _ := pii.DecodeKey(pii.NewKey())
	box, _ := pii.New(keys, lookup)
	sealed := box.Seal("13812345678")
	plain, _ := box.Open(sealed)
	fmt.Println(plain, len(box.Hash(plain)))
	// Output: 13812345678 16
}
