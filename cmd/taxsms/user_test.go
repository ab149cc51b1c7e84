package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"taxsms"
	"taxsms/auth"
	"taxsms/pii"
)

func TestUserCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	env := []string{"TAXSMS_DATABASE=sqlite:" + filepath.Join(dir, "t.db"), "TAXSMS_SECRET_KEYS=1:" + pii.NewKey(), "TAXSMS_SECRET_LOOKUP_KEY=" + pii.NewKey()}
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := Run(ctx, args, env, &out, &out)
		return out.String(), err
	}
	// An office to put the user in.
	m := NewMain(env, &bytes.Buffer{}, &bytes.Buffer{})
	if err := m.ParseFlags(m.FlagSet("t", ""), nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.DB.CreateOffice(ctx, &taxsms.Office{Code: "QD", Name: "青岛市税务局"}); err != nil {
		t.Fatal(err)
	}
	m.Close()

	out, err := run("user", "add", "admin", "-name", "李强", "-office", "QD", "-role", "city_admin")
	if err != nil || !strings.Contains(out, "user admin (city_admin, 青岛市税务局) created") || !strings.Contains(out, "password for admin: ") {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	pw := strings.Fields(out[strings.Index(out, "password for admin: "):])[3]
	if _, err := run("user", "add", "admin", "-name", "again", "-office", "QD", "-role", "operator"); taxsms.ErrorCode(err) != taxsms.ECONFLICT {
		t.Errorf("second add = %v, want ECONFLICT", err)
	}
	if _, err := run("user", "add", "x", "-name", "x", "-office", "QD", "-role", "king"); taxsms.ErrorField(err) != "role" {
		t.Errorf("bad role = %v, want EINVALID naming role", err)
	}

	m = NewMain(env, &bytes.Buffer{}, &bytes.Buffer{})
	m.ParseFlags(m.FlagSet("t", ""), nil)
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	id, hash, err := m.DB.PasswordHash(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.NewHasher(auth.Params{}, 0).Verify(ctx, hash, pw); err != nil {
		t.Errorf("the printed password does not verify: %v", err)
	}
	queued := &taxsms.Message{Direction: taxsms.MT, Kind: taxsms.KindSpecial, Priority: taxsms.PriorityBulk, Mobile: "13800138000", Body: "x", Segments: 1, AuthorID: id}
	if err := m.DB.CreateMessage(ctx, queued); err != nil {
		t.Fatal(err)
	}
	m.Close()

	if out, err := run("user", "suspend", "admin", "-reason", "left the bureau"); err != nil || !strings.Contains(out, "1 queued messages held") {
		t.Errorf("suspend: %v %s", err, out)
	}
	if _, err := run("user", "suspend", "admin", "-reason", "again"); taxsms.ErrorCode(err) != taxsms.ECONFLICT {
		t.Errorf("second suspend = %v, want ECONFLICT", err)
	}
	if _, err := run("user", "suspend", "admin"); taxsms.ErrorField(err) != "reason" {
		t.Errorf("suspend without reason = %v", err)
	}
	if out, err := run("user", "resume", "admin", "-reason", "back"); err != nil || !strings.Contains(out, "resumed") {
		t.Errorf("resume: %v %s", err, out)
	}
	out, err = run("audit", "verify")
	if err != nil || !strings.Contains(out, "audit chain verified: 6 records") {
		t.Errorf("audit verify: %v\n%s", err, out)
	}
}
