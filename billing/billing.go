// Package billing arranges the platform's monthly carrier statements
// (MISSION R-16) for reading and export: a statement of an office subtree
// (taxsms.Statement, from the store) becomes a Report with the subtree's
// total, a row per office below it (for drilling down), per carrier and
// per kind, and is written as CSV or as an Excel workbook.
//
// Months are those of the bureau's zone, Asia/Shanghai. Amounts are
// taxsms.MilliYuan: exact, written in yuan with three decimals.
//
// Known limits: a report holds the whole statement in memory, which is a
// few thousand lines for a city (offices × carriers × kinds).
package billing

import (
	"cmp"
	"slices"
	"time"

	"taxsms"
	"taxsms/calendar"
)

// MonthAt returns the month of t in the bureau's zone.
func MonthAt(t time.Time) taxsms.Month {
	return taxsms.MonthOf(taxsms.DateOf(t.In(calendar.Shanghai)))
}

// Sum is what a set of statement lines adds up to.
type Sum struct {
	Messages int64
	Segments int64
	Amount   taxsms.MilliYuan
	Unpriced int64 // segments no tariff priced
}

func (s *Sum) add(l taxsms.StatementLine) {
	s.Messages += l.Messages
	s.Segments += l.Segments
	s.Amount += l.Amount
	s.Unpriced += l.Unpriced
}

// Row is one row of a breakdown: an office's subtree, a carrier or a kind.
type Row struct {
	Office  *taxsms.Office // the office whose subtree the row sums (by office)
	Carrier taxsms.Carrier // by carrier
	Kind    taxsms.Kind    // by kind
	Sum
}

// Line is a statement line with its office.
type Line struct {
	taxsms.StatementLine
	Office *taxsms.Office // nil if the office is unknown to the reader
}

// Report is a statement arranged for reading.
type Report struct {
	Statement *taxsms.Statement
	Office    *taxsms.Office // the subtree's top office
	Total     Sum
	Own       Sum   // the top office's own messages, not those of offices below it
	Offices   []Row // a row per office directly below the top office: its subtree's sum
	Carriers  []Row
	Kinds     []Row
	Lines     []Line
}

// Assemble arranges st for reading. offices are the offices of the
// subtree (at least its top office, st.OfficeID); a line of an office not
// among them still counts in the totals.
func Assemble(st *taxsms.Statement, offices []*taxsms.Office) *Report {
	r := &Report{Statement: st}
	byID := make(map[int64]*taxsms.Office, len(offices))
	for _, o := range offices {
		byID[o.ID] = o
	}
	r.Office = byID[st.OfficeID]
	children := make(map[int64]*Row) // by child office id
	for _, o := range offices {
		if r.Office != nil && o.ParentID == r.Office.ID {
			children[o.ID] = &Row{Office: o}
		}
	}
	// child returns the row of the office directly below the top one that
	// holds o, or nil (o is the top office, or unknown).
	child := func(o *taxsms.Office) *Row {
		for o != nil {
			if row, ok := children[o.ID]; ok {
				return row
			}
			o = byID[o.ParentID]
		}
		return nil
	}
	carriers := make(map[taxsms.Carrier]*Row)
	kinds := make(map[taxsms.Kind]*Row)
	for _, l := range st.Lines {
		o := byID[l.OfficeID]
		r.Lines = append(r.Lines, Line{StatementLine: l, Office: o})
		r.Total.add(l)
		if row := child(o); row != nil {
			row.add(l)
		} else if l.OfficeID == st.OfficeID {
			r.Own.add(l)
		}
		if carriers[l.Carrier] == nil {
			carriers[l.Carrier] = &Row{Carrier: l.Carrier}
		}
		carriers[l.Carrier].add(l)
		if kinds[l.Kind] == nil {
			kinds[l.Kind] = &Row{Kind: l.Kind}
		}
		kinds[l.Kind].add(l)
	}
	for _, row := range children {
		r.Offices = append(r.Offices, *row)
	}
	slices.SortFunc(r.Offices, func(a, b Row) int { return cmp.Compare(a.Office.Code, b.Office.Code) })
	for _, row := range carriers {
		r.Carriers = append(r.Carriers, *row)
	}
	slices.SortFunc(r.Carriers, func(a, b Row) int { return cmp.Compare(a.Carrier, b.Carrier) })
	for _, row := range kinds {
		r.Kinds = append(r.Kinds, *row)
	}
	slices.SortFunc(r.Kinds, func(a, b Row) int {
		return cmp.Compare(slices.Index(taxsms.Kinds, a.Kind), slices.Index(taxsms.Kinds, b.Kind))
	})
	return r
}
