package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"

	"taxsms"
)

// source yields the rows of one file, header included.
type source interface {
	// next returns the next non-blank row's number, as a spreadsheet shows
	// it (the header is row 1 unless blank rows precede it), and its cells;
	// io.EOF after the last. Other errors are fatal for the file: they are
	// *taxsms.Error values naming the file and the row.
	next() (row int, cells []string, err error)
	// padded reports whether missing trailing cells are normal (a
	// spreadsheet drops empty trailing cells; a CSV row must have them all).
	padded() bool
	// isExcel reports whether cells are raw spreadsheet values, so that
	// dates may be day serial numbers.
	isExcel() bool
	close() error
}

// open returns a source for path, chosen by its extension: .xlsx is Excel,
// anything else but .xls is CSV.
func open(path string) (source, error) {
	name := filepath.Base(path)
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx", ".xlsm":
		return openExcel(path, name)
	case ".xls", ".et":
		return nil, taxsms.Errorf(taxsms.EINVALID, "%s: the old binary Excel format is not read; save the sheet as .xlsx or as CSV UTF-8", name)
	}
	return openCSV(path, name)
}

// csvSource reads CSV in UTF-8 (with or without a byte order mark) or in
// GB18030, of which GBK and GB2312 are subsets.
type csvSource struct {
	name string
	f    *os.File
	r    *csv.Reader
	n    int // records read
}

// sniffSize is how much of a CSV file decides its encoding.
const sniffSize = 64 << 10

func openCSV(path, name string) (*csvSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, openError(name, err)
	}
	br := bufio.NewReaderSize(f, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		f.Close()
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	var rd io.Reader = br
	switch {
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		br.Discard(3)
	case bytes.HasPrefix(head, []byte("\xff\xfe")), bytes.HasPrefix(head, []byte("\xfe\xff")):
		f.Close()
		return nil, taxsms.Errorf(taxsms.EINVALID, "%s: UTF-16 text is not read; save the sheet as CSV UTF-8 or CSV", name)
	case !validUTF8Prefix(head, len(head) == sniffSize):
		rd = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
	}
	r := csv.NewReader(rd)
	r.FieldsPerRecord = -1 // counted against the header here, to name the row
	r.ReuseRecord = true
	return &csvSource{name: name, f: f, r: r}, nil
}

// validUTF8Prefix reports whether b is UTF-8, allowing a character cut at the
// end when b is only the beginning of the file.
func validUTF8Prefix(b []byte, cut bool) bool {
	if cut {
		for i := 0; i < utf8.UTFMax-1 && len(b) > 0; i++ {
			if r, size := utf8.DecodeLastRune(b); r != utf8.RuneError || size != 1 {
				break
			}
			b = b[:len(b)-1]
		}
	}
	return utf8.Valid(b)
}

func (s *csvSource) next() (int, []string, error) {
	rec, err := s.r.Read()
	if err == io.EOF {
		return 0, nil, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return pe.StartLine, nil, taxsms.Errorf(taxsms.EINVALID, "%s: row %d: not valid CSV: %v", s.name, pe.StartLine, pe.Err)
		}
		return 0, nil, fmt.Errorf("read %s: %w", s.name, err)
	}
	s.n++
	line, _ := s.r.FieldPos(0)
	return line, rec, nil
}

func (s *csvSource) padded() bool  { return false }
func (s *csvSource) isExcel() bool { return false }
func (s *csvSource) close() error  { return s.f.Close() }

// excelSource reads the first sheet of an .xlsx workbook, streaming its rows.
type excelSource struct {
	name string
	f    *excelize.File
	rows *excelize.Rows
	row  int
}

func openExcel(path, name string) (*excelSource, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, openError(name, err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		return nil, taxsms.Errorf(taxsms.EINVALID, "%s: not a readable .xlsx workbook (truncated or corrupt?): %v", name, err)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, taxsms.Errorf(taxsms.EINVALID, "%s: the workbook has no sheet", name)
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		f.Close()
		return nil, taxsms.Errorf(taxsms.EINVALID, "%s: sheet %q cannot be read (truncated or corrupt?): %v", name, sheets[0], err)
	}
	return &excelSource{name: name, f: f, rows: rows}, nil
}

func (s *excelSource) next() (int, []string, error) {
	for s.rows.Next() {
		s.row++
		cells, err := s.rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return s.row, nil, taxsms.Errorf(taxsms.EINVALID, "%s: row %d cannot be read (truncated or corrupt?): %v", s.name, s.row, err)
		}
		if !blank(cells) {
			return s.row, cells, nil
		}
	}
	if err := s.rows.Error(); err != nil {
		return s.row, nil, taxsms.Errorf(taxsms.EINVALID, "%s: after row %d: the sheet cannot be read (truncated or corrupt?): %v", s.name, s.row, err)
	}
	return 0, nil, io.EOF
}

func (s *excelSource) padded() bool  { return true }
func (s *excelSource) isExcel() bool { return true }

func (s *excelSource) close() error {
	err := s.rows.Close()
	if e := s.f.Close(); err == nil {
		err = e
	}
	return err
}

// blank reports whether every cell is empty or spaces.
func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func openError(name string, err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return taxsms.Errorf(taxsms.ENOTFOUND, "%s: no such file", name)
	}
	return fmt.Errorf("open %s: %w", name, err)
}

// excelDate converts a spreadsheet day serial number ("45292", "45292.5")
// to a date, reporting false if s is not one.
func excelDate(s string) (taxsms.Date, bool) {
	if s == "" || len(s) > 12 || strings.ContainsAny(s, "eE+-") {
		return taxsms.Date{}, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 1 || f >= 2958466 { // 9999-12-31
		return taxsms.Date{}, false
	}
	// Day 0 is 1899-12-30 for every serial after the false 1900-02-29.
	return taxsms.DateOf(excelEpoch.AddDate(0, 0, int(f))), true
}

// excelNumber undoes the scientific notation in which a spreadsheet may
// store a long number such as a mobile number: "1.3812345678E10" is
// "13812345678". Anything else is returned unchanged.
func excelNumber(s string) string {
	if !strings.ContainsAny(s, "eE") {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != float64(int64(f)) {
		return s
	}
	return strconv.FormatInt(int64(f), 10)
}
