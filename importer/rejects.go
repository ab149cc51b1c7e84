package importer

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
)

// rejects is a rejects file being written: CSV in UTF-8 with a byte order
// mark (which spreadsheets need to read it as UTF-8), the input's named
// columns, and ErrorHeader last. The fields of a row that had more than
// the header follow its error, so the row stays too long until corrected.
type rejects struct {
	path  string
	f     *os.File
	b     *bufio.Writer
	w     *csv.Writer
	keep  []int // input columns written
	width int   // columns of the input's header
	rec   []string
}

func createRejects(path string, header []string) (*rejects, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("rejects file: %w", err)
	}
	r := &rejects{path: path, f: f, b: bufio.NewWriter(f), width: len(header)}
	r.b.WriteString("\ufeff")
	r.w = csv.NewWriter(r.b)
	r.w.UseCRLF = true
	for i, h := range header {
		if headerKey(h) != "" && !isErrorHeader(h) {
			r.keep = append(r.keep, i)
			r.rec = append(r.rec, h)
		}
	}
	r.rec = append(r.rec, ErrorHeader)
	if err := r.w.Write(r.rec); err != nil {
		return nil, r.fail(err)
	}
	return r, nil
}

// write writes one row's cells, as read, and its errors.
func (r *rejects) write(cells []string, reason string) error {
	r.rec = r.rec[:0]
	for _, i := range r.keep {
		v := ""
		if i < len(cells) {
			v = cells[i]
		}
		r.rec = append(r.rec, v)
	}
	r.rec = append(r.rec, reason)
	if len(cells) > r.width && !blank(cells[r.width:]) {
		r.rec = append(r.rec, cells[r.width:]...)
	}
	if err := r.w.Write(r.rec); err != nil {
		return r.fail(err)
	}
	return nil
}

func (r *rejects) fail(err error) error {
	r.f.Close()
	r.f = nil
	return fmt.Errorf("write %s: %w", filepath.Base(r.path), err)
}

// close flushes and closes the file.
func (r *rejects) close() error {
	if r.f == nil {
		return nil
	}
	r.w.Flush()
	err := r.w.Error()
	if e := r.b.Flush(); err == nil {
		err = e
	}
	if e := r.f.Close(); err == nil {
		err = e
	}
	r.f = nil
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(r.path), err)
	}
	return nil
}
