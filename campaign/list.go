package campaign

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"

	"taxsms"
	"taxsms/store"
)

// ListRow is one row of an uploaded recipient list: a taxpayer's
// identifier or a mobile number, normalised and checked.
type ListRow struct {
	Row        int    // the row's number as the spreadsheet shows it (or the value's position, from 1)
	Identifier string // a valid identifier, or ""
	Mobile     string // 11 digits, or ""
}

// Limits of an uploaded list.
const (
	MaxListBytes = 16 << 20 // the file
	MaxListRows  = 200_000  // its rows, header included
)

// maxListErrors is how many bad rows an error names; the rest are counted.
const maxListErrors = 10

// listHeaders are the column headers that name a list's column (case
// folded), so that a sheet with other columns beside it is read too.
var listHeaders = []string{
	"纳税人识别号", "统一社会信用代码", "社会信用代码", "识别号", "identifier", "taxpayer",
	"手机号码", "手机号", "手机", "mobile", "number", "号码",
}

// ParseList reads an uploaded recipient list: CSV (UTF-8 with or without
// a byte order mark, or GB18030/GBK, detected) or an Excel .xlsx workbook
// (its first sheet), told apart by content, the file name deciding only
// the error for the old .xls format. The list is one column of taxpayer
// identifiers (unified social credit codes, resident ids, older taxpayer
// numbers) or mobile numbers, in any mix, one a row; blank rows are
// skipped. A first row that is neither is a header; with a header naming
// it (纳税人识别号, 统一社会信用代码, 手机号码, identifier, mobile, …) the
// column may stand among others.
//
// Any bad row makes it return an EINVALID error (field "file") naming the
// file and up to ten bad rows with their values and what is wrong, and no
// rows. A file over MaxListBytes or MaxListRows is EINVALID too; other
// errors are those of r.
func ParseList(filename string, r io.Reader) ([]ListRow, error) {
	name := filepath.Base(filename)
	if name == "." || name == "/" {
		name = "list"
	}
	b, err := io.ReadAll(io.LimitReader(r, MaxListBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(b) > MaxListBytes {
		return nil, listError(name, "the file is larger than %d MB: split the list", MaxListBytes>>20)
	}
	var cells []listCells
	switch ext := strings.ToLower(filepath.Ext(name)); {
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		cells, err = excelCells(name, b)
	case ext == ".xls" || ext == ".et" || bytes.HasPrefix(b, []byte("\xd0\xcf\x11\xe0")):
		return nil, listError(name, "the old binary Excel format is not read; save the sheet as .xlsx or as CSV UTF-8")
	default:
		cells, err = csvCells(name, b)
	}
	if err != nil {
		return nil, err
	}
	return listRows(name, cells)
}

// listCells is a non-blank row of a list file.
type listCells struct {
	row   int
	cells []string
	excel bool // raw spreadsheet values: a long number may be in scientific notation
}

func listError(name, format string, args ...any) *taxsms.Error {
	return &taxsms.Error{Code: taxsms.EINVALID, Field: "file", Message: name + ": " + fmt.Sprintf(format, args...)}
}

func csvCells(name string, b []byte) ([]listCells, error) {
	switch {
	case bytes.HasPrefix(b, []byte("\xef\xbb\xbf")):
		b = b[3:]
	case bytes.HasPrefix(b, []byte("\xff\xfe")), bytes.HasPrefix(b, []byte("\xfe\xff")):
		return nil, listError(name, "UTF-16 text is not read; save the sheet as CSV UTF-8 or CSV")
	case !utf8.Valid(b):
		d, _, err := transform.Bytes(simplifiedchinese.GB18030.NewDecoder(), b)
		if err != nil {
			return nil, listError(name, "neither UTF-8 nor GBK text")
		}
		b = d
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var out []listCells
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, listError(name, "row %d: not valid CSV: %v", pe.StartLine, pe.Err)
			}
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		if blankCells(rec) {
			continue
		}
		if len(out) == MaxListRows {
			return nil, listError(name, "more than %d rows: split the list", MaxListRows)
		}
		line, _ := r.FieldPos(0)
		out = append(out, listCells{row: line, cells: rec})
	}
}

func excelCells(name string, b []byte) (cells []listCells, err error) {
	// A workbook is a zip of XML: a corrupt one must not bring the caller
	// down, whatever the reader does with it.
	defer func() {
		if p := recover(); p != nil {
			cells, err = nil, listError(name, "not a readable .xlsx workbook (truncated or corrupt?)")
		}
	}()
	f, err := excelize.OpenReader(bytes.NewReader(b), excelize.Options{UnzipSizeLimit: 8 * MaxListBytes, UnzipXMLSizeLimit: 8 * MaxListBytes})
	if err != nil {
		return nil, listError(name, "not a readable .xlsx workbook (truncated or corrupt?): %v", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, listError(name, "the workbook has no sheet")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, listError(name, "sheet %q cannot be read (truncated or corrupt?): %v", sheets[0], err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
		rec, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, listError(name, "row %d cannot be read (truncated or corrupt?): %v", n, err)
		}
		if blankCells(rec) {
			continue
		}
		if len(cells) == MaxListRows {
			return nil, listError(name, "more than %d rows: split the list", MaxListRows)
		}
		cells = append(cells, listCells{row: n, cells: rec, excel: true})
	}
	if err := rows.Error(); err != nil {
		return nil, listError(name, "after row %d: the sheet cannot be read (truncated or corrupt?): %v", n, err)
	}
	return cells, nil
}

func blankCells(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// listRows finds the list's column and reads its values.
func listRows(name string, rows []listCells) ([]ListRow, error) {
	if len(rows) == 0 {
		return nil, listError(name, "no identifier or number in the file")
	}
	col, header := -1, false
	for i, c := range rows[0].cells {
		if knownHeader(c) {
			col, header = i, true
			break
		}
	}
	if !header && isHeader(rows[0]) {
		header = true
	}
	data := rows
	if header {
		data = rows[1:]
	}
	if col < 0 {
		// No header names the column: it is the only one with values.
		for _, r := range data {
			for i, c := range r.cells {
				if strings.TrimSpace(c) == "" || i == col {
					continue
				}
				if col >= 0 {
					return nil, listError(name, "row %d: values in columns %s and %s: want one column of identifiers or numbers, or a header naming it (纳税人识别号 or 手机号码)",
						r.row, columnName(col), columnName(i))
				}
				col = i
			}
		}
	}
	var out []ListRow
	var bad []string
	nbad := 0
	for _, r := range data {
		v := ""
		if col < len(r.cells) {
			v = strings.TrimSpace(r.cells[col])
		}
		if v == "" {
			continue // another column's row, or a blank cell
		}
		lr, err := parseListValue(v, r.excel)
		if err != nil {
			if nbad++; len(bad) < maxListErrors {
				bad = append(bad, fmt.Sprintf("row %d, column %s: %s", r.row, columnName(col), taxsms.ErrorMessage(err)))
			}
			continue
		}
		lr.Row = r.row
		out = append(out, lr)
	}
	if nbad > 0 {
		msg := strings.Join(bad, "; ")
		if nbad > len(bad) {
			msg += fmt.Sprintf("; and %d more bad rows", nbad-len(bad))
		}
		return nil, listError(name, "%s", msg)
	}
	if len(out) == 0 {
		return nil, listError(name, "no identifier or number in the file")
	}
	return out, nil
}

func knownHeader(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, h := range listHeaders {
		if s == h {
			return true
		}
	}
	return false
}

// isHeader reports whether a first row is a header: no cell of it is an
// identifier or a number, and it holds no digit.
func isHeader(r listCells) bool {
	for _, c := range r.cells {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if _, err := parseListValue(c, r.excel); err == nil {
			return false
		}
		if strings.ContainsAny(c, "0123456789０１２３４５６７８９") {
			return false
		}
	}
	return true
}

// columnName returns a spreadsheet's name for column i (from 0): A, B, … AA.
func columnName(i int) string {
	if n, err := excelize.ColumnNumberToName(i + 1); err == nil {
		return n
	}
	return strconv.Itoa(i + 1)
}

// parseListValue reads one cell: a mobile number, else an identifier. The
// error is that of the form the value looks like.
func parseListValue(v string, excel bool) (ListRow, error) {
	if excel {
		if n, lost := excelNumber(v); lost {
			return ListRow{}, taxsms.Invalid("identifier", "%q is stored as a number and has lost its last digits: format the column as text and enter it again", v)
		} else {
			v = n
		}
	}
	m, merr := taxsms.NormalizeMobile(v)
	if merr == nil {
		return ListRow{Mobile: m}, nil
	}
	id := taxsms.NormalizeIdentifier(v)
	if _, err := taxsms.ValidateIdentifier("", id); err == nil {
		return ListRow{Identifier: id}, nil
	} else if !looksLikeMobile(v) {
		return ListRow{}, err
	}
	return ListRow{}, merr
}

// looksLikeMobile reports whether v is meant as a number: digits with a
// number's punctuation, 11 of them or a country code before them.
func looksLikeMobile(v string) bool {
	d := 0
	plus := false
	for _, r := range v {
		switch {
		case r >= '0' && r <= '9', r >= '０' && r <= '９':
			d++
		case r == '+' || r == '＋':
			plus = true
		case r == ' ' || r == '-' || r == '－' || r == '(' || r == ')' || r == '.' || r == '\u3000':
		default:
			return false
		}
	}
	return plus || (d >= 7 && d <= 13)
}

// excelNumber undoes the scientific notation a spreadsheet may store a
// long number in ("1.3812345678E10" is "13812345678"). lost reports a
// number too long to have kept its digits (an 18-digit id typed into a
// number cell).
func excelNumber(s string) (n string, lost bool) {
	if !strings.ContainsAny(s, "eE") || strings.ContainsAny(s, " \t") {
		return s, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != float64(int64(f)) || f < 0 {
		return s, false
	}
	if f >= 1e15 {
		return s, true
	}
	return strconv.FormatInt(int64(f), 10), false
}

// ListOf returns the rows of a list given as values (the REST API's
// JSON): identifiers and numbers, normalised and checked. A bad value is
// an EINVALID error naming it ("identifiers[3]", "numbers[0]").
func ListOf(identifiers, numbers []string) ([]ListRow, error) {
	if len(identifiers)+len(numbers) > MaxListRows {
		return nil, taxsms.Invalid("identifiers", "more than %d values: split the list", MaxListRows)
	}
	out := make([]ListRow, 0, len(identifiers)+len(numbers))
	for i, v := range identifiers {
		id := taxsms.NormalizeIdentifier(v)
		if _, err := taxsms.ValidateIdentifier("", id); err != nil {
			return nil, taxsms.Invalid(fmt.Sprintf("identifiers[%d]", i), "%s", strings.TrimPrefix(taxsms.ErrorMessage(err), "identifier: "))
		}
		out = append(out, ListRow{Row: len(out) + 1, Identifier: id})
	}
	for i, v := range numbers {
		m, err := taxsms.NormalizeMobile(v)
		if err != nil {
			return nil, taxsms.Invalid(fmt.Sprintf("numbers[%d]", i), "%s", strings.TrimPrefix(taxsms.ErrorMessage(err), "mobile: "))
		}
		out = append(out, ListRow{Row: len(out) + 1, Mobile: m})
	}
	if len(out) == 0 {
		return nil, taxsms.Invalid("identifiers", "the list has no identifier or number")
	}
	return out, nil
}

// CreateList stores a recipient list for campaigns of the office
// l.OfficeID (store.CreateRecipientList; the actor needs write scope on
// the office, else EFORBIDDEN), setting l's ID, author and counts. Each
// identifier is resolved to a taxpayer in the actor's read scope; one
// that names none is an EINVALID error (field "file") naming up to ten
// such rows, and nothing is stored. A row with neither an identifier nor
// a number, or both, is EINVALID too.
func (s *Service) CreateList(ctx context.Context, l *taxsms.RecipientList, rows []ListRow) error {
	if err := taxsms.CheckListName(l.Name); err != nil {
		return err
	}
	if len(rows) == 0 {
		return taxsms.Invalid("file", "the list has no identifier or number")
	}
	if len(rows) > MaxListRows {
		return taxsms.Invalid("file", "more than %d rows: split the list", MaxListRows)
	}
	entries := make([]store.ListEntry, len(rows))
	ids := make(map[string]int64)
	var bad []string
	nbad := 0
	for i, r := range rows {
		row := r.Row
		if row == 0 {
			row = i + 1
		}
		switch {
		case (r.Identifier == "") == (r.Mobile == ""):
			return taxsms.Invalid("file", "row %d: want an identifier or a number", row)
		case r.Mobile != "":
			entries[i].Mobile = r.Mobile
			continue
		}
		id, ok := ids[r.Identifier]
		if !ok {
			t, err := s.DB.FindTaxpayerByIdentifier(ctx, r.Identifier)
			switch taxsms.ErrorCode(err) {
			case "":
				id = t.ID
			case taxsms.ENOTFOUND:
			default:
				return err
			}
			ids[r.Identifier] = id
		}
		if id == 0 {
			if nbad++; len(bad) < maxListErrors {
				bad = append(bad, fmt.Sprintf("row %d: no taxpayer %s in your scope", row, r.Identifier))
			}
			continue
		}
		entries[i].TaxpayerID = id
	}
	if nbad > 0 {
		msg := strings.Join(bad, "; ")
		if nbad > len(bad) {
			msg += fmt.Sprintf("; and %d more rows with unknown taxpayers", nbad-len(bad))
		}
		return taxsms.Invalid("file", "%s", msg)
	}
	return s.DB.CreateRecipientList(ctx, l, entries)
}
