// Package importer loads offices, staff, taxpayers and contacts, the
// knowledge base of tax questions (kind faq), the tax data of the core
// systems (filing obligations, filings, payments and treasury deduction
// results) and the invoice registry, in bulk from the files a tax bureau keeps: CSV (UTF-8 with or without a byte order
// mark, or GB18030/GBK, detected from the first 64 KiB) and Excel .xlsx
// (the first sheet, streamed).
//
// Headers may be Chinese or English (see the columns of each Kind). Every
// bad row is reported with its file, row, column, value and reason, and a
// file with any bad row imports nothing, unless Options.SkipInvalid is set:
// then the good rows are imported and the bad ones written to a rejects
// file beside the input, which can be corrected and imported as it is.
// Rows are upserted by their natural key (office code, user login, taxpayer
// identifier, taxpayer and contact role; taxpayer, tax type and period for
// obligations, filings and payments; the bank's reference for deductions;
// the code and number, or the 数电 number, for invoices),
// so importing a file twice changes nothing the second time. Knowledge base
// entries (kind faq) are upserted by their question. Tax data names
// its taxpayer by identifier: an identifier the store does not know makes a
// bad row.
//
// Rows stream: a million rows need little memory. An import that takes all
// rows or none reads the file once, checking each row as the good ones
// stream into one store call that owns one transaction; the first bad row
// aborts that transaction, and reading goes on only to report every error.
// With SkipInvalid (and for offices, whose rows name earlier rows) the file
// is read twice: the first pass validates, the second streams the good rows.
// Memory grows with the number of keys (about 70 bytes a taxpayer, 20 a
// contact) and with the number of bad rows.
//
// Known limits: the store's maps of existing codes, logins and identifiers
// are read once, at the start; a file changed between the two passes makes
// the import fail (and roll back) rather than import something unvalidated.
// A CSV row number is the line on which the row starts, which differs from
// what a spreadsheet shows only after a cell that holds line breaks. An
// .xlsx file's dates may be text or date cells; other cells are read as
// text, so an identifier typed as a number has already lost its last digits
// to the spreadsheet and is reported as invalid. A contact whose service
// status cell is empty is imported as active; the store never lets an import
// change the status of a contact who opted out (see store.UpsertContacts).
// Amounts are yuan with at most two decimals ("1234.56", "1,234.56"),
// converted to fen exactly; an .xlsx number cell is rounded to the fen.
// Periods are read by taxsms.ParsePeriod (2026-11, 2026Q3, 2025, 2026年第3季度,
// ...). Deduction times without a zone are in Options.Location (China
// Standard Time by default).
package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"taxsms"
	"taxsms/invoice"
	"taxsms/kb"
	"taxsms/store"
)

// Kind is what a file holds.
type Kind int

// Kinds of file, in the order a new city imports them.
const (
	Offices Kind = iota
	Users
	Taxpayers
	Contacts
	Obligations // filing obligations: taxpayer, tax type, period, deadlines
	Filings     // returns received: date and amount due
	Payments    // payments received: date and total paid
	Deductions  // treasury deduction results
	FAQ         // the knowledge base of tax questions (kb.Entry)
	Invoices    // the invoice registry that answers SMS invoice checks
)

var kindNames = [...]string{Offices: "offices", Users: "users", Taxpayers: "taxpayers", Contacts: "contacts",
	Obligations: "obligations", Filings: "filings", Payments: "payments", Deductions: "deductions",
	FAQ: "faq", Invoices: "invoices"}

// String returns the kind's English name: offices, users, taxpayers,
// contacts, obligations, filings, payments, deductions, faq or invoices.
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "Kind(" + strconv.Itoa(int(k)) + ")"
	}
	return kindNames[k]
}

// ParseKind returns the Kind named s (offices, users or staff, taxpayers,
// contacts, obligations, filings, payments, deductions, invoices, singular or plural;
// faq or kb; in any case), or an EINVALID error.
func ParseKind(s string) (Kind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "offices", "office":
		return Offices, nil
	case "users", "user", "staff":
		return Users, nil
	case "taxpayers", "taxpayer":
		return Taxpayers, nil
	case "contacts", "contact":
		return Contacts, nil
	case "obligations", "obligation":
		return Obligations, nil
	case "filings", "filing":
		return Filings, nil
	case "payments", "payment":
		return Payments, nil
	case "deductions", "deduction":
		return Deductions, nil
	case "faq", "kb":
		return FAQ, nil
	case "invoices", "invoice":
		return Invoices, nil
	}
	return 0, taxsms.Errorf(taxsms.EINVALID, "kind %q: want offices, users, taxpayers, contacts, obligations, filings, payments, deductions, faq or invoices", s)
}

// Columns returns the headers a file of kind k, one of the Kinds, may have: for each column,
// its English name followed by the other accepted headers, Chinese first.
// Headers match after trimming spaces, a byte order mark and '*', in any
// case.
func (k Kind) Columns() [][]string {
	var out [][]string
	for _, c := range columns[k] {
		out = append(out, append([]string{c.name}, c.aliases...))
	}
	return out
}

// Store is what an import needs of the database; *store.DB satisfies it.
// It is larger than the house's one-to-three methods because File serves
// every kind; each kind uses one key map or two and one Upsert method.
// Each Upsert method must write all its rows in one transaction, or none
// of them if it fails or the sequence yields an error.
type Store interface {
	OfficeCodes(ctx context.Context) (map[string]int64, error)
	UserLogins(ctx context.Context) (map[string]int64, error)
	TaxpayerIdentifiers(ctx context.Context) (map[string]int64, error)

	UpsertOffices(ctx context.Context, rows []store.OfficeRow) (store.Upserted, error)
	UpsertUsers(ctx context.Context, users iter.Seq2[*taxsms.User, error]) (store.Upserted, error)
	UpsertTaxpayers(ctx context.Context, tps iter.Seq2[*taxsms.Taxpayer, error]) (store.Upserted, error)
	UpsertContacts(ctx context.Context, cs iter.Seq2[*taxsms.Contact, error]) (store.Upserted, error)

	UpsertObligations(ctx context.Context, obs iter.Seq2[*taxsms.Obligation, error]) (store.Upserted, error)
	UpsertFilings(ctx context.Context, fs iter.Seq2[*taxsms.Filing, error]) (store.Upserted, error)
	UpsertPayments(ctx context.Context, ps iter.Seq2[*taxsms.Payment, error]) (store.Upserted, error)
	UpsertDeductions(ctx context.Context, ds iter.Seq2[*taxsms.Deduction, error]) (store.Upserted, error)

	UpsertKBEntries(ctx context.Context, es iter.Seq2[*kb.Entry, error]) (store.Upserted, error)
	UpsertInvoices(ctx context.Context, rs iter.Seq2[*invoice.Record, error]) (store.Upserted, error)
}

// Options changes how File treats bad rows.
type Options struct {
	// SkipInvalid imports the good rows of a file that has bad ones, and
	// writes the bad ones to a rejects file. Errors in the header, or a
	// file that cannot be read to its end, still import nothing.
	SkipInvalid bool
	// RejectsPath is where the rejects file goes; by default it is beside
	// the input, named like taxpayers.rejects.csv for taxpayers.xlsx.
	RejectsPath string
	// Location is the zone of deduction times written without one; nil
	// means China Standard Time (UTC+8, which has had no daylight saving
	// time since 1991).
	Location *time.Location
}

// RowError is one problem with one row, or with the whole file when Row is
// 0.
type RowError struct {
	File   string // base name of the file
	Row    int    // 1 is the first row (usually the header)
	Column string // the header as written in the file; "" for the whole row
	Field  string // the column's English name
	Value  string // the cell's value, trimmed
	Reason string
}

// String returns the error in the form
//
//	taxpayers.csv: row 7, column 纳税人识别号 (identifier), value "91110000600037341M": check character is M, want L
func (e RowError) String() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Row > 0 {
		b.WriteString(": row ")
		b.WriteString(strconv.Itoa(e.Row))
	}
	if e.Column != "" {
		b.WriteString(", ")
		b.WriteString(e.where())
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// where names the column and value: `column 名称 (name), value "x"`.
func (e RowError) where() string {
	s := "column " + e.Column
	if e.Field != "" && headerKey(e.Column) != e.Field {
		s += " (" + e.Field + ")"
	}
	if e.Value != "" {
		s += ", value " + strconv.Quote(e.Value)
	}
	return s
}

// Report tells what an import did.
type Report struct {
	File      string // base name of the file
	Kind      Kind
	Rows      int // data rows read, not counting the header and blank rows
	Inserted  int
	Updated   int
	Unchanged int
	Rejected  int        // bad rows: none were imported
	Errors    []RowError // every problem found, ordered by row
	// RejectsPath is the rejects file written, or "".
	RejectsPath string
}

// String returns a summary line followed by one line for each error.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d rows: %d inserted, %d updated, %d unchanged, %d rejected",
		r.File, r.Rows, r.Inserted, r.Updated, r.Unchanged, r.Rejected)
	if r.RejectsPath != "" {
		fmt.Fprintf(&b, " (written to %s)", filepath.Base(r.RejectsPath))
	}
	b.WriteByte('\n')
	for _, e := range r.Errors {
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// maxMessageLines is how many errors the message of File's error lists.
const maxMessageLines = 20

// File imports one file of the given kind into st. It always returns a
// Report, counting what was done and listing every bad row.
//
// If the file has bad rows and opt.SkipInvalid is false, or its header is
// wrong, or it cannot be read to its end, nothing is imported and the error
// is an EINVALID *taxsms.Error whose message lists the first errors (the
// Report has them all). A missing file is ENOTFOUND. Any other error comes
// from the store or the file system, and nothing was imported then either.
func File(ctx context.Context, st Store, kind Kind, path string, opt Options) (*Report, error) {
	if kind < Offices || int(kind) >= len(kindNames) {
		return &Report{File: filepath.Base(path), Kind: kind}, fmt.Errorf("importer: unknown kind %d", kind)
	}
	r := &run{
		ctx:  ctx,
		kind: kind,
		cols: columns[kind],
		path: path,
		rep:  &Report{File: filepath.Base(path), Kind: kind},
		loc:  opt.Location,
	}
	if r.loc == nil {
		r.loc = chinaTime
	}
	if err := r.load(st); err != nil {
		return r.rep, err
	}
	if !opt.SkipInvalid && kind != Offices {
		err := r.onePass(st)
		if err != nil {
			r.rep.Inserted, r.rep.Updated, r.rep.Unchanged = 0, 0, 0
		}
		return r.rep, err
	}
	if err := r.pass1(); err != nil {
		return r.rep, err
	}
	if len(r.rep.Errors) > 0 && (!opt.SkipInvalid || r.fatal) {
		return r.rep, r.invalid()
	}
	if r.rep.Rejected > 0 {
		r.rejectsPath = opt.RejectsPath
		if r.rejectsPath == "" {
			r.rejectsPath = RejectsPath(path)
		}
	}
	err := r.pass2(st)
	if r.rej != nil {
		if e := r.rej.close(); err == nil {
			err = e
		}
		r.rep.RejectsPath = r.rejectsPath
	}
	if err != nil {
		r.rep.Inserted, r.rep.Updated, r.rep.Unchanged = 0, 0, 0
		return r.rep, err
	}
	return r.rep, nil
}

// RejectsPath returns where File writes the rejects of path by default:
// beside it, with ".rejects.csv" in place of its extension.
func RejectsPath(path string) string {
	return strings.TrimSuffix(path, filepath.Ext(path)) + ".rejects.csv"
}

// run is the state of one import.
type run struct {
	ctx  context.Context
	kind Kind
	cols []column
	path string
	rep  *Report
	loc  *time.Location

	// Existing keys, from the store, and in pass 1 the good office codes
	// of the file (with id 0) so that later rows may name them as parent.
	offices, users, taxpayers map[string]int64

	header []string // as written, trimmed
	pos    []int    // file column of each of cols, -1 if absent
	unused []int    // file columns that must stay empty (no header)

	seen     map[string]int // string key -> first row with it
	seenID   map[int64]int  // contacts: taxpayer id and role -> first row
	bad      map[int]bool   // rows rejected
	fatal    bool           // errors that make the whole file unusable
	rowsRead int

	rejectsPath string
	rej         *rejects
	reasons     map[int]string // bad row -> its errors, for the rejects file
}

// load reads the existing keys the kind needs.
func (r *run) load(st Store) error {
	var err error
	switch r.kind {
	case Offices:
		r.offices, err = st.OfficeCodes(r.ctx)
	case Users:
		r.offices, err = st.OfficeCodes(r.ctx)
	case Taxpayers:
		if r.offices, err = st.OfficeCodes(r.ctx); err == nil {
			r.users, err = st.UserLogins(r.ctx)
		}
	case Contacts, Obligations, Filings, Payments, Deductions:
		r.taxpayers, err = st.TaxpayerIdentifiers(r.ctx)
	}
	if err != nil {
		return fmt.Errorf("import %s: %w", r.rep.File, err)
	}
	return nil
}

// invalid returns the EINVALID error for a file with bad rows.
func (r *run) invalid() error {
	var b strings.Builder
	if r.fatal {
		fmt.Fprintf(&b, "%s: the file cannot be imported; nothing was imported", r.rep.File)
	} else {
		fmt.Fprintf(&b, "%s: %d of %d rows are bad; nothing was imported", r.rep.File, r.rep.Rejected, r.rep.Rows)
	}
	for i, e := range r.rep.Errors {
		if i == maxMessageLines {
			fmt.Fprintf(&b, "\n… and %d more", len(r.rep.Errors)-i)
			break
		}
		b.WriteString("\n")
		b.WriteString(e.String())
	}
	return &taxsms.Error{Code: taxsms.EINVALID, Message: b.String()}
}

// readHeader reads and maps the header row. It reports false if the
// header is wrong; the errors are in the report.
func (r *run) readHeader(src source) (bool, error) {
	row, cells, err := src.next()
	if err == io.EOF {
		r.fileError(0, "the file is empty: want a header row")
		return false, nil
	}
	if err != nil {
		return false, err
	}
	r.header = make([]string, len(cells))
	r.pos = make([]int, len(r.cols))
	for i := range r.pos {
		r.pos[i] = -1
	}
	r.unused = r.unused[:0]
	ok := true
	for i, h := range cells {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		r.header[i] = h
		k := headerKey(h)
		if k == "" {
			r.unused = append(r.unused, i)
			continue
		}
		if isErrorHeader(h) {
			continue
		}
		c := r.column(k)
		if c < 0 {
			r.addError(RowError{File: r.rep.File, Row: row, Column: h, Reason: "unknown column; " + r.known()})
			ok = false
			continue
		}
		if p := r.pos[c]; p >= 0 {
			r.addError(RowError{File: r.rep.File, Row: row, Column: h, Field: r.cols[c].name,
				Reason: fmt.Sprintf("the same column as %s (column %d)", r.header[p], p+1)})
			ok = false
			continue
		}
		r.pos[c] = i
	}
	for c, col := range r.cols {
		if col.required && r.pos[c] < 0 {
			r.addError(RowError{File: r.rep.File, Row: row, Reason: "missing column " + col.aliases[0] + " (" + col.name + ")"})
			ok = false
		}
	}
	return ok, nil
}

// column returns the index in r.cols of the column with header key k, or -1.
func (r *run) column(k string) int {
	for i, c := range r.cols {
		if k == c.name {
			return i
		}
		for _, a := range c.aliases {
			if k == strings.ToLower(a) {
				return i
			}
		}
	}
	return -1
}

// known lists the columns of the kind for an unknown-column message.
func (r *run) known() string {
	var names []string
	for _, c := range r.cols {
		names = append(names, c.aliases[0]+" ("+c.name+")")
	}
	return r.kind.String() + " columns are " + strings.Join(names, ", ")
}

func (r *run) fileError(row int, reason string) {
	r.fatal = true
	r.addError(RowError{File: r.rep.File, Row: row, Reason: reason})
}

func (r *run) addError(e RowError) {
	r.rep.Errors = append(r.rep.Errors, e)
	if e.Row > 0 && !r.bad[e.Row] && !r.fatal {
		r.bad[e.Row] = true
		r.rep.Rejected++
	}
}

// openChecked opens the file and reads its header; the error, for a file
// that cannot be read or has a bad header, is the one File returns.
func (r *run) openChecked() (source, error) {
	src, err := open(r.path)
	if err != nil {
		if taxsms.ErrorCode(err) == taxsms.EINVALID {
			r.fileError(0, strings.TrimPrefix(taxsms.ErrorMessage(err), r.rep.File+": "))
			return nil, r.invalid()
		}
		return nil, err
	}
	r.bad = make(map[int]bool)
	ok, err := r.readHeader(src)
	if err != nil {
		src.close()
		return nil, r.sourceError(err)
	}
	if !ok {
		src.close()
		r.fatal = true
		r.rep.Rejected = 0
		return nil, r.invalid()
	}
	if r.kind == Contacts {
		r.seenID = make(map[int64]int)
	} else {
		r.seen = make(map[string]int)
	}
	return src, nil
}

// pass1 validates every row, collecting errors and keys.
func (r *run) pass1() error {
	src, err := r.openChecked()
	if err != nil {
		return err
	}
	defer src.close()
	c := &rowCtx{r: r, src: src}
	for {
		row, cells, err := src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return r.sourceError(err)
		}
		if r.rep.Rows++; r.rep.Rows%4096 == 0 {
			if err := r.ctx.Err(); err != nil {
				return err
			}
		}
		c.reset(row, cells)
		if !c.shape() {
			r.flush(c)
			continue
		}
		switch r.kind {
		case Offices:
			o := r.parseOffice(c)
			if r.dup(c, o.Office.Code) {
				r.offices[strings.Clone(o.Office.Code)] = 0
			}
		case Users:
			r.checkUser(c, r.parseUser(c))
		case Taxpayers:
			r.checkTaxpayer(c, r.parseTaxpayer(c))
		case Contacts:
			r.checkContact(c, r.parseContact(c))
		case Obligations:
			r.checkObligation(c, r.parseObligation(c))
		case Filings:
			r.checkFiling(c, r.parseFiling(c))
		case Payments:
			r.checkPayment(c, r.parsePayment(c))
		case Deductions:
			r.checkDeduction(c, r.parseDeduction(c))
		case FAQ:
			r.checkFAQ(c, r.parseFAQ(c))
		case Invoices:
			r.checkInvoice(c, r.parseInvoice(c))
		}
		r.flush(c)
	}
	r.rowsRead = r.rep.Rows
	slices.SortStableFunc(r.rep.Errors, func(a, b RowError) int { return a.Row - b.Row })
	return nil
}

func (r *run) checkUser(c *rowCtx, u *taxsms.User)         { r.dup(c, u.Login) }
func (r *run) checkTaxpayer(c *rowCtx, t *taxsms.Taxpayer) { r.dup(c, t.Identifier) }
func (r *run) checkContact(c *rowCtx, ct *taxsms.Contact) {
	if len(c.errs) == 0 {
		r.dupID(c, ct.TaxpayerID*int64(len(taxsms.ContactRoles))+int64(slices.Index(taxsms.ContactRoles, ct.Role)))
	}
}

// onePass validates and imports in one read of the file, for an import that
// takes all rows or none: the rows stream into the store's transaction while
// later rows are still being checked, and the first bad row aborts that
// transaction. Reading goes on to the end so that every error is reported.
// Offices, whose rows refer to earlier rows, always take two passes.
func (r *run) onePass(st Store) error {
	src, err := r.openChecked()
	if err != nil {
		return err
	}
	defer src.close()
	var u store.Upserted
	switch r.kind {
	case Users:
		u, err = st.UpsertUsers(r.ctx, checkedRows(r, src, r.parseUser, r.checkUser))
	case Taxpayers:
		u, err = st.UpsertTaxpayers(r.ctx, checkedRows(r, src, r.parseTaxpayer, r.checkTaxpayer))
	case Contacts:
		u, err = st.UpsertContacts(r.ctx, checkedRows(r, src, r.parseContact, r.checkContact))
	case Obligations:
		u, err = st.UpsertObligations(r.ctx, checkedRows(r, src, r.parseObligation, r.checkObligation))
	case Filings:
		u, err = st.UpsertFilings(r.ctx, checkedRows(r, src, r.parseFiling, r.checkFiling))
	case Payments:
		u, err = st.UpsertPayments(r.ctx, checkedRows(r, src, r.parsePayment, r.checkPayment))
	case Deductions:
		u, err = st.UpsertDeductions(r.ctx, checkedRows(r, src, r.parseDeduction, r.checkDeduction))
	case FAQ:
		u, err = st.UpsertKBEntries(r.ctx, checkedRows(r, src, r.parseFAQ, r.checkFAQ))
	case Invoices:
		u, err = st.UpsertInvoices(r.ctx, checkedRows(r, src, r.parseInvoice, r.checkInvoice))
	}
	slices.SortStableFunc(r.rep.Errors, func(a, b RowError) int { return a.Row - b.Row })
	if len(r.rep.Errors) > 0 {
		return r.invalid()
	}
	if err != nil {
		return fmt.Errorf("import %s: %w", r.rep.File, err)
	}
	r.rep.Inserted, r.rep.Updated, r.rep.Unchanged = u.Inserted, u.Updated, u.Unchanged
	return nil
}

// errBadRow aborts the store's transaction once onePass finds a bad row.
var errBadRow = errors.New("the file has bad rows")

// checkedRows yields the rows of src, parsed and checked, until the first
// bad row, when it yields errBadRow and stops; then, or when the store
// stops early, it reads the rest of the file to report every error. A read
// error is yielded (or, after a bad row, recorded). Parsing runs in a
// goroutine a batch ahead of the store, and has ended when the sequence
// returns.
func checkedRows[T any](r *run, src source, parse func(*rowCtx) T, check func(*rowCtx, T)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		batches := make(chan rowBatch[T], 4)
		stop := make(chan struct{}) // closed when the store wants no more rows
		go produceChecked(r, src, parse, check, batches, stop)
		defer func() {
			close(stop)
			for range batches { // wait for produceChecked to end
			}
		}()
		yieldBatches(batches, yield)
	}
}

// produceChecked is checkedRows' reader; it closes out when it ends.
func produceChecked[T any](r *run, src source, parse func(*rowCtx) T, check func(*rowCtx, T), out chan<- rowBatch[T], stop <-chan struct{}) {
	defer close(out)
	sending := true
	b := rowBatch[T]{items: make([]T, 0, batchSize)}
	send := func() {
		if sending {
			select {
			case out <- b:
			case <-stop:
				sending = false
			}
		}
		b = rowBatch[T]{items: make([]T, 0, batchSize)}
	}
	c := &rowCtx{r: r, src: src}
	for {
		row, cells, err := src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			err = r.sourceError(err)
			if taxsms.ErrorCode(err) != taxsms.EINVALID {
				b.err = err
				send()
				return
			}
			break // a fatal file error, now in the report
		}
		if r.rep.Rows++; r.rep.Rows%4096 == 0 {
			if err := r.ctx.Err(); err != nil {
				b.err = err
				send()
				return
			}
		}
		c.reset(row, cells)
		var v T
		if c.shape() {
			v = parse(c)
			check(c, v)
		}
		if len(c.errs) > 0 {
			r.flush(c)
			if b.err == nil {
				b.err = errBadRow
				send()
				sending = false
			}
			continue
		}
		if sending {
			b.items = append(b.items, v)
			if len(b.items) == batchSize {
				send()
			}
		}
	}
	if len(r.rep.Errors) > 0 {
		b.err = errBadRow // also for a fatal file error, which ends the loop
	}
	if len(b.items) > 0 || b.err != nil {
		send()
	}
}

// sourceError records a fatal read error in the report and returns it.
func (r *run) sourceError(err error) error {
	if taxsms.ErrorCode(err) != taxsms.EINVALID {
		return err
	}
	r.fatal = true
	r.rep.Errors = append(r.rep.Errors, RowError{File: r.rep.File, Reason: strings.TrimPrefix(taxsms.ErrorMessage(err), r.rep.File+": ")})
	r.rep.Rejected = 0
	return r.invalid()
}

// dup records key for a row that parsed cleanly, and reports whether the
// row is still good: a key seen before makes both rows bad.
func (r *run) dup(c *rowCtx, key string) bool { return r.dupShown(c, key, key) }

// dupShown is dup for a key that errors show as shown.
func (r *run) dupShown(c *rowCtx, key, shown string) bool {
	if len(c.errs) > 0 {
		return false
	}
	if first, ok := r.seen[key]; ok {
		r.duplicate(c, first, shown)
		return false
	}
	r.seen[strings.Clone(key)] = c.row
	return true
}

func (r *run) dupID(c *rowCtx, key int64) {
	if first, ok := r.seenID[key]; ok {
		r.duplicate(c, first, "")
		return
	}
	r.seenID[key] = c.row
}

// duplicate reports rows first and c.row as having the same key, shown as
// the first row's value if not "".
func (r *run) duplicate(c *rowCtx, first int, key string) {
	col, what := 0, ""
	switch r.kind {
	case Contacts:
		col, what = cRole, " (the same taxpayer and role)"
	case Obligations, Filings, Payments:
		col, what = xPeriod, " (the same taxpayer, tax type and period)"
	case Deductions:
		col = dReference
	case Invoices:
		col, what = iNumber, " (the same code and number)"
	}
	c.fail(col, fmt.Sprintf("duplicate of row %d%s", first, what))
	if !r.bad[first] {
		r.addError(RowError{File: r.rep.File, Row: first, Column: r.header[r.pos[col]], Field: r.cols[col].name,
			Value: strings.Clone(key), Reason: fmt.Sprintf("duplicated by row %d%s", c.row, what)})
	}
}

// flush moves the errors of the current row into the report.
func (r *run) flush(c *rowCtx) {
	for _, e := range c.errs {
		r.addError(e)
	}
}

// pass2 streams the good rows into the store, and the bad ones into the
// rejects file.
func (r *run) pass2(st Store) error {
	if r.rejectsPath != "" {
		r.reasons = make(map[int]string)
		for _, e := range r.rep.Errors {
			msg := e.Reason
			if e.Column != "" {
				msg = e.where() + ": " + e.Reason
			}
			if prev, ok := r.reasons[e.Row]; ok {
				msg = prev + "; " + msg
			}
			r.reasons[e.Row] = msg
		}
	}
	var (
		u   store.Upserted
		err error
	)
	switch r.kind {
	case Offices:
		var rows []store.OfficeRow
		for o, e := range goodRows(r, r.parseOffice) {
			if e != nil {
				return e
			}
			rows = append(rows, o)
		}
		u, err = st.UpsertOffices(r.ctx, rows)
	case Users:
		u, err = st.UpsertUsers(r.ctx, goodRows(r, r.parseUser))
	case Taxpayers:
		u, err = st.UpsertTaxpayers(r.ctx, goodRows(r, r.parseTaxpayer))
	case Contacts:
		u, err = st.UpsertContacts(r.ctx, goodRows(r, r.parseContact))
	case Obligations:
		u, err = st.UpsertObligations(r.ctx, goodRows(r, r.parseObligation))
	case Filings:
		u, err = st.UpsertFilings(r.ctx, goodRows(r, r.parseFiling))
	case Payments:
		u, err = st.UpsertPayments(r.ctx, goodRows(r, r.parsePayment))
	case Deductions:
		u, err = st.UpsertDeductions(r.ctx, goodRows(r, r.parseDeduction))
	case FAQ:
		u, err = st.UpsertKBEntries(r.ctx, goodRows(r, r.parseFAQ))
	case Invoices:
		u, err = st.UpsertInvoices(r.ctx, goodRows(r, r.parseInvoice))
	}
	if err != nil {
		return fmt.Errorf("import %s: %w", r.rep.File, err)
	}
	r.rep.Inserted, r.rep.Updated, r.rep.Unchanged = u.Inserted, u.Updated, u.Unchanged
	return nil
}

// errChanged is yielded when pass 2 does not read what pass 1 validated.
func (r *run) errChanged(row int) error {
	return taxsms.Errorf(taxsms.EINVALID, "%s: row %d: the file changed during the import; nothing was imported", r.rep.File, row)
}

// goodRows reads the file again and yields each good row parsed, writing
// the bad ones to the rejects file. It yields an error, and stops, if the
// file cannot be read or no longer matches what pass 1 saw.
//
// Reading and parsing run in a goroutine of their own, a batch of rows
// ahead of the store, so that they use the second core while the store
// writes. The goroutine ends before the sequence returns.
func goodRows[T any](r *run, parse func(*rowCtx) T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		ctx, cancel := context.WithCancel(r.ctx)
		batches := make(chan rowBatch[T], 4)
		go produceRows(ctx, r, parse, batches)
		defer func() {
			cancel()
			for range batches { // wait for produceRows to end
			}
		}()
		yieldBatches(batches, yield)
	}
}

// yieldBatches yields the rows of batches in order, then the error that
// ended them, and returns when yield wants no more or batches is closed.
func yieldBatches[T any](batches <-chan rowBatch[T], yield func(T, error) bool) {
	var zero T
	for b := range batches {
		for _, v := range b.items {
			if !yield(v, nil) {
				return
			}
		}
		if b.err != nil {
			yield(zero, b.err)
			return
		}
	}
}

// rowBatch is a run of good rows and, last, an error that ends the file.
type rowBatch[T any] struct {
	items []T
	err   error
}

// batchSize is how many parsed rows produceRows hands over at once.
const batchSize = 256

// produceRows is pass 2's reader: it sends the good rows of the file in
// batches to out, writes the bad ones to the rejects file, and closes out
// when the file ends, on the first error (sent last), or when ctx is done.
func produceRows[T any](ctx context.Context, r *run, parse func(*rowCtx) T, out chan<- rowBatch[T]) {
	defer close(out)
	b := rowBatch[T]{items: make([]T, 0, batchSize)}
	send := func() bool {
		select {
		case out <- b:
			b = rowBatch[T]{items: make([]T, 0, batchSize)}
			return true
		case <-ctx.Done():
			return false
		}
	}
	fail := func(err error) {
		b.err = err
		send()
	}
	src, err := open(r.path)
	if err != nil {
		fail(err)
		return
	}
	defer src.close()
	if _, _, err := src.next(); err != nil { // the header, checked in pass 1
		fail(err)
		return
	}
	c := &rowCtx{r: r, src: src}
	n := 0
	for {
		row, cells, err := src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fail(err)
			return
		}
		n++
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				fail(err)
				return
			}
		}
		if r.bad[row] {
			if err := r.reject(row, cells); err != nil {
				fail(err)
				return
			}
			continue
		}
		c.reset(row, cells)
		if !c.shape() {
			fail(r.errChanged(row))
			return
		}
		v := parse(c)
		if len(c.errs) > 0 {
			fail(r.errChanged(row))
			return
		}
		b.items = append(b.items, v)
		if len(b.items) == batchSize && !send() {
			return
		}
	}
	if n != r.rowsRead {
		b.err = r.errChanged(n + 1)
	}
	if len(b.items) > 0 || b.err != nil {
		send()
	}
}

// reject writes one bad row to the rejects file, creating it first.
func (r *run) reject(row int, cells []string) error {
	if r.rej == nil {
		var err error
		if r.rej, err = createRejects(r.rejectsPath, r.header); err != nil {
			return err
		}
	}
	return r.rej.write(cells, r.reasons[row])
}

// rowCtx is the row being parsed, and its errors.
type rowCtx struct {
	r     *run
	src   source
	row   int
	cells []string
	errs  []RowError
}

func (c *rowCtx) reset(row int, cells []string) {
	c.row, c.cells, c.errs = row, cells, c.errs[:0]
}

// shape checks the number of fields against the header.
func (c *rowCtx) shape() bool {
	want := len(c.r.header)
	n := len(c.cells)
	if n < want && !c.src.padded() {
		c.failRow(fmt.Sprintf("too few fields: %d, want %d", n, want))
		return false
	}
	if n > want {
		for _, v := range c.cells[want:] {
			if strings.TrimSpace(v) != "" {
				c.failRow(fmt.Sprintf("too many fields: %d, want %d", n, want))
				return false
			}
		}
	}
	for _, i := range c.r.unused {
		if i < n && strings.TrimSpace(c.cells[i]) != "" {
			c.failRow(fmt.Sprintf("column %d has a value, %q, but no header", i+1, strings.TrimSpace(c.cells[i])))
			return false
		}
	}
	return true
}

// get returns the trimmed value of column col, "" if the file lacks it.
func (c *rowCtx) get(col int) string {
	i := c.r.pos[col]
	if i < 0 || i >= len(c.cells) {
		return ""
	}
	return strings.TrimSpace(c.cells[i])
}

// fail records a problem with the value in column col.
func (c *rowCtx) fail(col int, reason string) {
	i := c.r.pos[col]
	if i < 0 {
		c.failRow(c.r.cols[col].name + ": " + reason)
		return
	}
	c.errs = append(c.errs, RowError{File: c.r.rep.File, Row: c.row, Column: c.r.header[i], Field: c.r.cols[col].name,
		Value: c.get(col), Reason: reason})
}

func (c *rowCtx) failRow(reason string) {
	c.errs = append(c.errs, RowError{File: c.r.rep.File, Row: c.row, Reason: reason})
}

// failed reports whether column col already has an error.
func (c *rowCtx) failed(col int) bool {
	for _, e := range c.errs {
		if e.Field == c.r.cols[col].name {
			return true
		}
	}
	return false
}

// domain records an error from a domain Validate method against the column
// of the field it names.
func (c *rowCtx) domain(err error) {
	field := taxsms.ErrorField(err)
	msg := taxsms.ErrorMessage(err)
	if taxsms.ErrorCode(err) != taxsms.EINVALID {
		c.failRow(msg)
		return
	}
	for i, col := range c.r.cols {
		f := col.field
		if f == "" {
			f = col.name
		}
		if f != field || c.r.pos[i] < 0 {
			continue
		}
		if !c.failed(i) {
			c.fail(i, reason(msg, field))
		}
		return
	}
	c.failRow(msg)
}

// reason strips from a domain message the field name and the quoted value
// that RowError shows anyway.
func reason(msg, field string) string {
	msg = strings.TrimPrefix(msg, field+": ")
	if q, err := strconv.QuotedPrefix(msg); err == nil && strings.HasPrefix(msg[len(q):], ": ") {
		msg = msg[len(q)+2:]
	}
	return msg
}

// enum parses column col with e; an empty cell is def.
func (c *rowCtx) enum(col int, e enum, def string) string {
	v := c.get(col)
	if v == "" {
		return def
	}
	d, ok := e.parse(v)
	if !ok {
		c.fail(col, e.want)
	}
	return d
}

// required fails an empty cell in column col and reports whether it has a
// value.
func (c *rowCtx) required(col int) bool {
	if c.get(col) == "" {
		c.fail(col, "required")
		return false
	}
	return true
}

// date parses a date column; an empty cell is the zero Date.
func (c *rowCtx) date(col int) taxsms.Date {
	v := c.get(col)
	if c.src.isExcel() {
		if d, ok := excelDate(v); ok {
			return d
		}
	}
	d, err := taxsms.ParseDate(v)
	if err != nil {
		c.fail(col, "not a date (want YYYY-MM-DD)")
	}
	return d
}

// bool parses a yes/no column; an empty cell is false.
func (c *rowCtx) bool(col int) bool {
	return c.enum(col, booleans, "false") == "true"
}

// lookup returns the id of the value of column col in m. An empty or
// unknown value is an error (unless optional and empty), and the id
// returned is then 1, so that Validate goes on to check the other fields.
func (c *rowCtx) lookup(col int, m map[string]int64, optional bool, what string) int64 {
	v := c.get(col)
	if v == "" {
		if optional {
			return 0
		}
		c.fail(col, "required")
		return 1
	}
	id, ok := m[v]
	if !ok {
		c.fail(col, "unknown "+what)
		return 1
	}
	return id
}

func (r *run) parseOffice(c *rowCtx) store.OfficeRow {
	o := store.OfficeRow{Office: taxsms.Office{
		Code:    c.get(oCode),
		Name:    c.get(oName),
		Phone:   excelNumber(c.get(oPhone)),
		Address: c.get(oAddress),
	}}
	if p := c.get(oParent); p != "" {
		if p == o.Office.Code {
			c.fail(oParent, "an office cannot be its own parent")
		} else if _, ok := r.offices[p]; !ok {
			c.fail(oParent, "unknown office code (a parent must exist or come earlier in the file)")
		}
		o.ParentCode = p
	}
	if err := o.Office.Validate(); err != nil {
		c.domain(err)
	}
	return o
}

func (r *run) parseUser(c *rowCtx) *taxsms.User {
	u := &taxsms.User{
		Login:    c.get(uLogin),
		Name:     c.get(uName),
		OfficeID: c.lookup(uOffice, r.offices, false, "office code"),
		Mobile:   excelNumber(c.get(uMobile)),
	}
	u.Role = taxsms.RoleOperator // until the cell is read; so that Validate goes on
	if c.required(uRole) {
		if v := c.enum(uRole, userRoles, ""); v != "" {
			u.Role = taxsms.Role(v)
		}
	}
	u.Status = taxsms.UserStatus(c.enum(uStatus, userStatuses, string(taxsms.UserActive)))
	if c.failed(uStatus) {
		u.Status = taxsms.UserActive
	}
	if err := u.Validate(); err != nil {
		c.domain(err)
	}
	return u
}

func (r *run) parseTaxpayer(c *rowCtx) *taxsms.Taxpayer {
	t := &taxsms.Taxpayer{
		Identifier:  c.get(tIdentifier),
		IDType:      taxsms.IDType(c.enum(tIDType, idTypes, "")),
		Name:        c.get(tName),
		OfficeID:    c.lookup(tOffice, r.offices, false, "office code"),
		AdminID:     c.lookup(tAdmin, r.users, true, "login"),
		RegStatus:   taxsms.RegStatus(c.enum(tRegStatus, regStatuses, string(taxsms.RegRegistered))),
		Registered:  c.date(tRegistered),
		Changed:     c.date(tChanged),
		Cancelled:   c.date(tCancelled),
		Industry:    c.get(tIndustry),
		TaxTypes:    taxTypes(c.get(tTaxTypes)),
		RemoteFiler: c.bool(tRemote),
	}
	if c.failed(tIDType) {
		t.IDType = ""
	}
	if c.failed(tRegStatus) {
		t.RegStatus = taxsms.RegRegistered
	}
	if err := t.Validate(); err != nil {
		if taxsms.ErrorField(err) == "identifier" && t.IDType == "" && len(t.Identifier) == 18 {
			// Say what is wrong with the type the identifier looks like,
			// rather than that it is neither type.
			if _, e := taxsms.ValidateIdentifier(guessType(t.Identifier), t.Identifier); e != nil {
				err = e
			}
		}
		c.domain(err)
	}
	return t
}

// guessType returns the type an 18-character identifier that fails both
// checks most likely was meant to be: a resident id if it has 17 digits with
// a birth date at positions 7-14, else a credit code.
func guessType(id string) taxsms.IDType {
	for i := 0; i < 17; i++ {
		if id[i] < '0' || id[i] > '9' {
			return taxsms.IDUSCC
		}
	}
	if y := id[6:8]; y != "19" && y != "20" {
		return taxsms.IDUSCC
	}
	if _, err := time.Parse("20060102", id[6:14]); err != nil {
		return taxsms.IDUSCC
	}
	return taxsms.IDResident
}

// taxTypes splits a cell of tax types separated by , ， ; ； or 、.
func taxTypes(s string) []string {
	if s == "" {
		return nil
	}
	f := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == '，' || r == ';' || r == '；' || r == '、'
	})
	out := f[:0]
	for _, v := range f {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// normalIdentifier is taxsms.NormalizeIdentifier, without its cost for an
// identifier already in normal form.
func normalIdentifier(s string) string {
	for i := 0; i < len(s); i++ {
		if b := s[i]; !(b >= '0' && b <= '9' || b >= 'A' && b <= 'Z') {
			return taxsms.NormalizeIdentifier(s)
		}
	}
	return s
}

func (r *run) parseContact(c *rowCtx) *taxsms.Contact {
	ct := &taxsms.Contact{
		Name:          c.get(cName),
		Mobile:        excelNumber(c.get(cMobile)),
		Status:        taxsms.ServiceStatus(c.enum(cStatus, serviceStatuses, string(taxsms.ServiceActive))),
		StatusChannel: taxsms.ChannelImport,
	}
	if id := normalIdentifier(c.get(cIdentifier)); id == "" {
		c.fail(cIdentifier, "required")
		ct.TaxpayerID = 1
	} else if tp, ok := r.taxpayers[id]; ok {
		ct.TaxpayerID = tp
	} else {
		c.fail(cIdentifier, "unknown taxpayer (import the taxpayers first)")
		ct.TaxpayerID = 1
	}
	ct.Role = taxsms.RoleLegalRep // until the cell is read; so that Validate goes on
	if c.required(cRole) {
		if v := c.enum(cRole, contactRoles, ""); v != "" {
			ct.Role = taxsms.ContactRole(v)
		}
	}
	if c.failed(cStatus) {
		ct.Status = taxsms.ServiceActive
	}
	if err := ct.Validate(); err != nil {
		c.domain(err)
	}
	return ct
}
