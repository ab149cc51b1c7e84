package synth_test

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"

	"taxsms"
	"taxsms/synth"
)

// readCSV returns the records of a file written by synth, checking the BOM
// and the header.
func readCSV(t *testing.T, path string, header []string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\ufeff")) {
		t.Fatalf("%s: no byte order mark", path)
	}
	recs, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if got, want := recs[0], header; !equal(got, want) {
		t.Fatalf("%s: header = %q, want %q", path, got, want)
	}
	return recs[1:]
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	fs, err := synth.Write(dir, synth.Config{Seed: 1, Taxpayers: 3000, ContactsPer: 3})
	if err != nil {
		t.Fatal(err)
	}
	offices := readCSV(t, fs.Offices, synth.OfficeHeader)
	users := readCSV(t, fs.Users, synth.UserHeader)
	tps := readCSV(t, fs.Taxpayers, synth.TaxpayerHeader)
	contacts := readCSV(t, fs.Contacts, synth.ContactHeader)

	if got, want := len(offices), 12; got != want {
		t.Errorf("offices = %d, want %d", got, want)
	}
	if got := len(users); got < 35 || got > 45 {
		t.Errorf("users = %d, want about 40", got)
	}
	if got, want := len(tps), 3000; got != want {
		t.Errorf("taxpayers = %d, want %d", got, want)
	}
	if got, want := len(contacts), 9000; got != want {
		t.Errorf("contacts = %d, want %d", got, want)
	}

	mobiles := make(map[string]bool)
	checkMobile := func(m string) {
		t.Helper()
		n, err := taxsms.NormalizeMobile(m)
		if err != nil {
			t.Errorf("mobile %q: %v", m, err)
		}
		if mobiles[n] {
			t.Errorf("mobile %q repeated", m)
		}
		mobiles[n] = true
	}
	for _, u := range users {
		checkMobile(u[5])
	}
	ids := make(map[string]bool)
	types := make(map[taxsms.IDType]int)
	for _, tp := range tps {
		typ, err := taxsms.ValidateIdentifier("", tp[0])
		if err != nil {
			t.Errorf("identifier %q: %v", tp[0], err)
		}
		types[typ]++
		if ids[tp[0]] {
			t.Errorf("identifier %q repeated", tp[0])
		}
		ids[tp[0]] = true
		if _, err := taxsms.ParseDate(tp[5]); err != nil || tp[5] == "" {
			t.Errorf("registered %q: %v", tp[5], err)
		}
	}
	for _, typ := range []taxsms.IDType{taxsms.IDUSCC, taxsms.IDResident, taxsms.IDOld15} {
		if types[typ] == 0 {
			t.Errorf("no identifier of type %s among %v", typ, types)
		}
	}
	for _, c := range contacts {
		if !ids[c[0]] {
			t.Errorf("contact of unknown taxpayer %q", c[0])
		}
		checkMobile(c[3])
	}
}

// With agencies, about a fifth of the tax clerks share an agency's
// number, which no other role and no member of staff holds.
func TestWrite_Agencies(t *testing.T) {
	fs, err := synth.Write(t.TempDir(), synth.Config{Seed: 1, Taxpayers: 5000, ContactsPer: 3, Agencies: 50})
	if err != nil {
		t.Fatal(err)
	}
	holders := make(map[string][]string) // number: roles
	for _, u := range readCSV(t, fs.Users, synth.UserHeader) {
		holders[u[5]] = append(holders[u[5]], "staff")
	}
	for _, c := range readCSV(t, fs.Contacts, synth.ContactHeader) {
		holders[c[3]] = append(holders[c[3]], c[1])
	}
	agencies, shared := 0, 0
	for m, roles := range holders {
		if len(roles) == 1 {
			continue
		}
		agencies++
		shared += len(roles)
		for _, r := range roles {
			if r != "办税人员" {
				t.Errorf("%s: held by %q", m, roles)
				break
			}
		}
	}
	if agencies < 40 || agencies > 50 || shared < 800 || shared > 1200 {
		t.Errorf("%d numbers shared by %d clerks, want about 50 by about 1,000", agencies, shared)
	}
}

func TestWrite_Deterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	cfg := synth.Config{Seed: 42, Taxpayers: 500}
	if _, err := synth.Write(a, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := synth.Write(b, cfg); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"offices.csv", "users.csv", "taxpayers.csv", "contacts.csv"} {
		x, _ := os.ReadFile(filepath.Join(a, name))
		y, _ := os.ReadFile(filepath.Join(b, name))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}
	c := t.TempDir()
	cfg.Seed = 43
	if _, err := synth.Write(c, cfg); err != nil {
		t.Fatal(err)
	}
	x, _ := os.ReadFile(filepath.Join(a, "taxpayers.csv"))
	y, _ := os.ReadFile(filepath.Join(c, "taxpayers.csv"))
	if bytes.Equal(x, y) {
		t.Error("seeds 42 and 43 gave the same taxpayers")
	}
}

func TestWrite_BadConfig(t *testing.T) {
	for _, cfg := range []synth.Config{{Taxpayers: -1}, {ContactsPer: 5}, {Taxpayers: synth.MaxTaxpayers + 1}, {Agencies: -1}} {
		if _, err := synth.Write(t.TempDir(), cfg); err == nil {
			t.Errorf("Write(%+v) = nil error, want one", cfg)
		}
	}
}

func BenchmarkWrite(b *testing.B) {
	dir := b.TempDir()
	for b.Loop() {
		if _, err := synth.Write(dir, synth.Config{Seed: 1, Taxpayers: 100_000}); err != nil {
			b.Fatal(err)
		}
	}
}
