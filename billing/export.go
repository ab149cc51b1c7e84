package billing

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Columns are the header of an exported statement.
var Columns = []string{"month", "office_code", "office_name", "carrier", "kind", "adjustment",
	"messages", "billable_segments", "amount_yuan", "unpriced_segments"}

// records returns the rows of an export: a line per statement line, then
// the total (office_code "TOTAL"). Amounts are yuan with three decimals.
func (r *Report) records() [][]string {
	month := r.Statement.Month.String()
	out := make([][]string, 0, len(r.Lines)+1)
	for _, l := range r.Lines {
		code, name := strconv.FormatInt(l.OfficeID, 10), ""
		if l.Office != nil {
			code, name = l.Office.Code, l.Office.Name
		}
		adj := "no"
		if l.Adjustment {
			adj = "yes"
		}
		out = append(out, []string{month, code, name, string(l.Carrier), string(l.Kind), adj,
			strconv.FormatInt(l.Messages, 10), strconv.FormatInt(l.Segments, 10), l.Amount.String(), strconv.FormatInt(l.Unpriced, 10)})
	}
	t := r.Total
	top := ""
	if r.Office != nil {
		top = r.Office.Name
	}
	return append(out, []string{month, "TOTAL", top, "", "", "",
		strconv.FormatInt(t.Messages, 10), strconv.FormatInt(t.Segments, 10), t.Amount.String(), strconv.FormatInt(t.Unpriced, 10)})
}

// WriteCSV writes r as CSV for a spreadsheet: UTF-8 with a byte order
// mark, the Columns header, a row per line, then the total, which is the
// sum of the lines above it. Text cells (office code and name) that a
// spreadsheet would take for a formula are quoted with a leading
// apostrophe.
func (r *Report) WriteCSV(w io.Writer) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Write(Columns)
	for _, rec := range r.records() {
		rec[1], rec[2] = cellSafe(rec[1]), cellSafe(rec[2])
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}

// cellSafe keeps a spreadsheet from reading text as a formula.
func cellSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteXLSX writes r as an Excel workbook of one sheet, named for the
// month: the Columns header, a row per line, then the total (the sum of
// the lines), numbers as numbers (amounts in yuan, shown with three
// decimals).
func (r *Report) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := r.Statement.Month.String()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	money, err := f.NewStyle(&excelize.Style{CustomNumFmt: ptr("0.000")})
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	header := make([]any, len(Columns))
	for i, c := range Columns {
		header[i] = excelize.Cell{StyleID: bold, Value: c}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	recs := r.records()
	for i, rec := range recs {
		row := make([]any, len(rec))
		for j, v := range rec {
			row[j] = v
		}
		for _, j := range []int{6, 7, 9} {
			n, _ := strconv.ParseInt(rec[j], 10, 64)
			row[j] = n
		}
		amount := r.Total.Amount
		if i < len(r.Lines) {
			amount = r.Lines[i].Amount
		}
		row[8] = excelize.Cell{StyleID: money, Value: float64(amount) / 1000}
		cell, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return err
		}
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("write workbook: %w", err)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }
