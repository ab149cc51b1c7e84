package main

import (
	"bytes"
	"testing"
)

// TestExampleConfig reads the annotated example configuration: every key in
// it is a setting, and its links validate.
func TestExampleConfig(t *testing.T) {
	m := NewMain(nil, &bytes.Buffer{}, &bytes.Buffer{})
	if err := m.ParseFlags(m.FlagSet("serve", ""), []string{"-config", "../../taxsms.example.toml"}); err != nil {
		t.Fatal(err)
	}
	if got := len(m.Config.Links); got != 3 {
		t.Errorf("links = %d, want 3", got)
	}
	if ext := m.Config.Links[0].Extensions["reply"]; ext != "1" {
		t.Errorf("reply extension = %q, want 1", ext)
	}
}
