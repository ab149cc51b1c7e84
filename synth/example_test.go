package synth_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"

	"taxsms/synth"
)

// Write a small city and look at what it holds.
func Example() {
	dir, err := os.MkdirTemp("", "city")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	fs, err := synth.Write(dir, synth.Config{Seed: 7, Taxpayers: 100, ContactsPer: 2})
	if err != nil {
		panic(err)
	}
	for _, path := range []string{fs.Offices, fs.Users, fs.Taxpayers, fs.Contacts} {
		f, _ := os.Open(path)
		sc := bufio.NewScanner(f)
		n := 0
		for sc.Scan() {
			n++
		}
		f.Close()
		fmt.Printf("%s: %d rows\n", filepath.Base(path), n-1)
	}
	// Output:
	// offices.csv: 12 rows
	// users.csv: 40 rows
	// taxpayers.csv: 100 rows
	// contacts.csv: 200 rows
}
