package kb

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
)

// defaultFAQ is the default knowledge base, in the form `taxsms import faq`
// reads: a CSV file with the columns 问题, 答案, 关键词, 分类.
//
//go:embed faq.csv
var defaultFAQ []byte

// DefaultCSV returns the embedded default knowledge base as a CSV file
// that `taxsms import faq` reads.
func DefaultCSV() []byte { return bytes.Clone(defaultFAQ) }

// Default returns the entries of the default knowledge base: common
// questions of the 12366 service (individual income tax, invoices, filing
// deadlines, social insurance fees, refunds, registration, the electronic
// tax bureau, tax credit, small-scale VAT, stamp duty ...), enabled, with
// ids 1, 2, ... in file order. Each call returns new entries.
func Default() []Entry {
	rows, err := csv.NewReader(bytes.NewReader(defaultFAQ)).ReadAll()
	if err != nil {
		panic("kb: default FAQ: " + err.Error()) // the tests read it
	}
	var out []Entry
	for i, r := range rows[1:] {
		e := Entry{ID: int64(i + 1), Question: r[0], Answer: r[1], Keywords: ParseKeywords(r[2]), Category: r[3], Enabled: true}
		if err := e.Validate(); err != nil {
			panic(fmt.Sprintf("kb: default FAQ row %d: %v", i+2, err))
		}
		out = append(out, e)
	}
	return out
}
