package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
	"taxsms/calendar"
)

// The service reports measure, per office, what the seed asks of the
// service (Art. 9-14): coverage and its deadlines, reception,
// what staff sent (Art. 9-10) and what the reminders achieved. Each reads
// within the actor's scope like every other read: taxpayers and contacts
// by auth.DataTaxpayers, messages by auth.DataMessages; subtree (an office
// id, 0 for all) narrows it further. Reports group by the office a
// taxpayer (or a message) belongs to; rolling offices up into their
// branches is the reader's.

// maxReportRows bounds the lists of a report (late registrations, changes
// not reflected); More tells that some were left out.
const maxReportRows = 10000

// ReportSettings are the city's settings of the service reports.
type ReportSettings struct {
	// DriveStart is the first day of the activation drive: taxpayers
	// registered before it and still without service are to be activated
	// within a quarter of it (Art. 12).
	DriveStart taxsms.Date
	// FailRun is how many messages in a row must fail for a number to be
	// put on its office's worklist.
	FailRun int
	// FailDays puts a number on the worklist too when nothing sent to it
	// was delivered for that many days while its messages failed.
	FailDays int
	// PaidWithin is how many days after a deadline or a notice filing or
	// paying still counts as the effect of a reminder (overdue filing,
	// unpaid tax, failed deduction).
	PaidWithin int
	UpdatedAt  time.Time // zero: never stored, the defaults
}

// DefaultReportSettings returns the settings in force until the city
// stores its own: the drive began on the first day of today's quarter, 3
// failures in a row or 30 days without a delivery, 7 days to pay.
func DefaultReportSettings(today taxsms.Date) ReportSettings {
	q := (int(today.Month)-1)/3*3 + 1
	return ReportSettings{DriveStart: taxsms.Date{Year: today.Year, Month: time.Month(q), Day: 1},
		FailRun: 3, FailDays: 30, PaidWithin: 7}
}

// DriveDeadline is when the activation drive must be done: a quarter after
// it began.
func (s ReportSettings) DriveDeadline() taxsms.Date {
	return taxsms.DateOf(s.DriveStart.Time(time.UTC).AddDate(0, 3, 0))
}

// Validate returns an EINVALID error naming the first bad field.
func (s ReportSettings) Validate() error {
	switch {
	case s.DriveStart.IsZero():
		return taxsms.Invalid("drive_start", "required")
	case s.FailRun < 1 || s.FailRun > 100:
		return taxsms.Invalid("fail_run", "%d is not between 1 and 100 messages", s.FailRun)
	case s.FailDays < 1 || s.FailDays > 365:
		return taxsms.Invalid("fail_days", "%d is not between 1 and 365 days", s.FailDays)
	case s.PaidWithin < 0 || s.PaidWithin > 90:
		return taxsms.Invalid("paid_within", "%d is not between 0 and 90 days", s.PaidWithin)
	}
	return nil
}

func (s ReportSettings) record() map[string]any {
	return map[string]any{"drive_start": s.DriveStart.String(), "fail_run": s.FailRun, "fail_days": s.FailDays, "paid_within": s.PaidWithin}
}

// ReportSettings returns the stored settings, or DefaultReportSettings of
// today (in loc) if none were stored. Every signed-in actor may read them.
func (db *DB) ReportSettings(ctx context.Context, loc *time.Location) (ReportSettings, error) {
	return db.reportSettings(ctx, db.db, loc)
}

func (db *DB) reportSettings(ctx context.Context, q querier, loc *time.Location) (ReportSettings, error) {
	var s ReportSettings
	var start string
	var updated int64
	err := q.QueryRowContext(ctx, db.q("SelectReportSettings")).Scan(&start, &s.FailRun, &s.FailDays, &s.PaidWithin, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultReportSettings(taxsms.DateOf(db.Now().In(loc))), nil
	} else if err != nil {
		return s, err
	}
	if s.DriveStart, err = taxsms.ParseDate(start); err != nil {
		return s, err
	}
	s.UpdatedAt = fromMS(updated)
	return s, nil
}

// SetReportSettings stores s and records audit.ConfigChanged (object
// config/reports) with the settings before and after; storing them
// unchanged records nothing. They are the city's: the actor must hold
// auth.PermManageSettings and write every office (EFORBIDDEN). A bad value
// is EINVALID naming its field.
func (db *DB) SetReportSettings(ctx context.Context, s ReportSettings) error {
	a, _ := auth.FromContext(ctx)
	if err := a.Require(auth.PermManageSettings); err != nil {
		return err
	}
	if err := db.requireAll(ctx, auth.DataOffices, "report settings"); err != nil {
		return err
	}
	if err := s.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		old, err := db.reportSettings(ctx, tx, time.UTC)
		if err != nil {
			return err
		}
		var before map[string]any
		if !old.UpdatedAt.IsZero() {
			before = old.record()
		}
		if _, err := tx.ExecContext(ctx, db.q("UpsertReportSettings"), s.DriveStart.String(), s.FailRun, s.FailDays,
			s.PaidWithin, ms(db.Now())); err != nil {
			return err
		}
		return db.appendChange(ctx, tx, audit.ConfigChanged, audit.Object{Type: "config", ID: "reports"}, before, s.record(), "")
	})
}

// reportQuery returns the named report query with the scope and the
// subtree filter written in, and their arguments (in that order, for each
// place they appear). A subtree the actor may not read as an office (or
// none at all) is ENOTFOUND naming "office".
func (db *DB) reportQuery(ctx context.Context, name string, d auth.Data, subtree int64) (string, []any, error) {
	var scope string
	var sargs []any
	office := "t.office_id"
	if d == auth.DataMessages {
		scope, sargs = messageScope(ctx)
		office = "m.office_id"
	} else {
		scope, sargs = taxpayerScope(ctx, false)
	}
	sub, subArgs := "1 = 1", []any(nil)
	if subtree != 0 {
		o, err := db.FindOffice(ctx, subtree)
		if taxsms.ErrorCode(err) == taxsms.ENOTFOUND {
			return "", nil, &taxsms.Error{Code: taxsms.ENOTFOUND, Field: "office", Message: fmt.Sprintf("office %d not found", subtree)}
		} else if err != nil {
			return "", nil, err
		}
		sub, subArgs = office+" IN (SELECT id FROM offices WHERE path LIKE ?)", []any{o.Path + "%"}
	}
	q := strings.ReplaceAll(strings.ReplaceAll(rawQueries[name], "{{SCOPE}}", scope), "{{SUBTREE}}", sub)
	return db.rebind(q), append(append([]any(nil), sargs...), subArgs...), nil
}

// CoverageRow is the service coverage of one office (Art. 12): its
// taxpayers whose registration stands, and how many of them have at least
// one active contact.
type CoverageRow struct {
	OfficeID  int64
	Taxpayers int
	Covered   int
}

// Coverage returns the coverage of every office with taxpayers in the
// actor's scope (and subtree), by office id, as it stands now.
func (db *DB) Coverage(ctx context.Context, subtree int64) ([]CoverageRow, error) {
	q, args, err := db.reportQuery(ctx, "ReportCoverage", auth.DataTaxpayers, subtree)
	if err != nil {
		return nil, err
	}
	// The scope and subtree appear once in each half of the UNION.
	rows, err := db.db.QueryContext(ctx, q, append(append([]any(nil), args...), args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CoverageRow
	for rows.Next() {
		var r CoverageRow
		if err := rows.Scan(&r.OfficeID, &r.Taxpayers, &r.Covered); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LateRow is one taxpayer whose service did not follow its registration
// in time.
type LateRow struct {
	TaxpayerID int64
	Identifier string
	Name       string
	OfficeID   int64
	What       string      // "registered", "changed", "cancelled" or "no_service"
	Day        taxsms.Date // of the registration, its change or cancellation
	Due        taxsms.Date // by when the service should have followed
	Done       taxsms.Date // when it did; zero if it has not yet
}

// OfficeLate counts, for one office, the cases a deadline applied to and
// those that missed it.
type OfficeLate struct {
	OfficeID int64
	Total    int
	Late     int
}

// LateReport is a deadline report: the late cases (at most 10,000, More
// set if there were others) and the counts by office.
type LateReport struct {
	Rows     []LateRow
	ByOffice []OfficeLate
	More     bool
}

func (r *LateReport) count(office int64, late bool) {
	n := len(r.ByOffice)
	if n == 0 || r.ByOffice[n-1].OfficeID != office {
		for i := range r.ByOffice {
			if r.ByOffice[i].OfficeID == office {
				r.ByOffice[i].Total++
				if late {
					r.ByOffice[i].Late++
				}
				return
			}
		}
		r.ByOffice = append(r.ByOffice, OfficeLate{OfficeID: office})
		n++
	}
	r.ByOffice[n-1].Total++
	if late {
		r.ByOffice[n-1].Late++
	}
}

func (r *LateReport) add(row LateRow) {
	if len(r.Rows) >= maxReportRows {
		r.More = true
		return
	}
	r.Rows = append(r.Rows, row)
}

// sortOffices orders ByOffice by office id.
func (r *LateReport) sortOffices() {
	bo := r.ByOffice
	for i := 1; i < len(bo); i++ {
		for j := i; j > 0 && bo[j].OfficeID < bo[j-1].OfficeID; j-- {
			bo[j], bo[j-1] = bo[j-1], bo[j]
		}
	}
}

// LateRegistrations returns the taxpayers registered from one day to
// another (both included) whose first number was not entered within one
// working day of registration (Art. 12): one registered on a Friday whose
// number came on the Monday is on time. Days are decided in loc and on cal.
// A registration whose deadline has not passed yet at now and has no
// number is not counted. Rows are by registration day.
func (db *DB) LateRegistrations(ctx context.Context, subtree int64, from, to taxsms.Date, cal *calendar.Calendar, loc *time.Location) (*LateReport, error) {
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return nil, taxsms.Invalid("to", "want a range of days, got %s to %s", from, to)
	}
	q, args, err := db.reportQuery(ctx, "ReportRegistrations", auth.DataTaxpayers, subtree)
	if err != nil {
		return nil, err
	}
	rows, err := db.db.QueryContext(ctx, q, append([]any{from.String(), to.String()}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	today := taxsms.DateOf(db.Now().In(loc))
	rep := &LateReport{}
	for rows.Next() {
		var r LateRow
		var reg string
		var first sql.NullInt64
		if err := rows.Scan(&r.TaxpayerID, &r.Identifier, &r.Name, &r.OfficeID, &reg, &first); err != nil {
			return nil, err
		}
		if r.Day, err = taxsms.ParseDate(reg); err != nil {
			return nil, err
		}
		r.What, r.Due = "registered", cal.AddWorkdays(r.Day, 1)
		if first.Valid {
			r.Done = taxsms.DateOf(fromMS(first.Int64).In(loc))
		}
		if r.Done.IsZero() && !r.Due.Before(today) {
			continue // still within its day
		}
		late := r.Done.IsZero() || r.Due.Before(r.Done)
		rep.count(r.OfficeID, late)
		if late {
			rep.add(r)
		}
	}
	rep.sortOffices()
	return rep, rows.Err()
}

// WithoutService returns the taxpayers registered before the activation
// drive began (since), not cancelled, that still have no active contact:
// Total by office and, as Rows, a page of at most limit (1 to 1000) of them
// with ids above after. Due is the drive's deadline, a quarter after since;
// Late counts them all once it has passed at now (in loc).
func (db *DB) WithoutService(ctx context.Context, subtree int64, since taxsms.Date, loc *time.Location, after int64, limit int) (*LateReport, error) {
	if since.IsZero() {
		return nil, taxsms.Invalid("drive_start", "required")
	}
	due := ReportSettings{DriveStart: since}.DriveDeadline()
	overdue := due.Before(taxsms.DateOf(db.Now().In(loc)))
	q, args, err := db.reportQuery(ctx, "ReportWithoutServiceCounts", auth.DataTaxpayers, subtree)
	if err != nil {
		return nil, err
	}
	rows, err := db.db.QueryContext(ctx, q, append([]any{since.String()}, args...)...)
	if err != nil {
		return nil, err
	}
	rep := &LateReport{}
	for rows.Next() {
		var o OfficeLate
		if err := rows.Scan(&o.OfficeID, &o.Total); err != nil {
			rows.Close()
			return nil, err
		}
		if overdue {
			o.Late = o.Total
		}
		rep.ByOffice = append(rep.ByOffice, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	q, args, err = db.reportQuery(ctx, "ReportWithoutService", auth.DataTaxpayers, subtree)
	if err != nil {
		return nil, err
	}
	n := limit
	if n < 1 || n > 1000 {
		n = 1000
	}
	args = append(append([]any{since.String(), after}, args...), n+1)
	rows, err = db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		r := LateRow{What: "no_service", Due: due}
		var reg string
		if err := rows.Scan(&r.TaxpayerID, &r.Identifier, &r.Name, &r.OfficeID, &reg); err != nil {
			return nil, err
		}
		r.Day, _ = taxsms.ParseDate(reg)
		if len(rep.Rows) == n {
			rep.More = true
			break
		}
		rep.Rows = append(rep.Rows, r)
	}
	return rep, rows.Err()
}

// UnreflectedChanges returns the changes and cancellations of tax
// registration from one day to another (both included) of taxpayers with
// contacts whose service did not follow the same day (Art. 12): after a
// change, no service event (a number entered or changed, a service begun
// or ended) on that day; after a cancellation, a contact still in service
// (Done zero) or ended only on a later day. Days are decided in loc. Rows
// are by day.
func (db *DB) UnreflectedChanges(ctx context.Context, subtree int64, from, to taxsms.Date, loc *time.Location) (*LateReport, error) {
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return nil, taxsms.Invalid("to", "want a range of days, got %s to %s", from, to)
	}
	q, args, err := db.reportQuery(ctx, "ReportRegistrationChanges", auth.DataTaxpayers, subtree)
	if err != nil {
		return nil, err
	}
	// The scope and subtree appear once in each half of the UNION.
	all := append(append([]any{from.String(), to.String()}, args...), from.String(), to.String())
	all = append(all, args...)
	rows, err := db.db.QueryContext(ctx, q, all...)
	if err != nil {
		return nil, err
	}
	var cases []LateRow
	for rows.Next() {
		var r LateRow
		var day string
		if err := rows.Scan(&r.TaxpayerID, &r.Identifier, &r.Name, &r.OfficeID, &r.What, &day); err != nil {
			rows.Close()
			return nil, err
		}
		if r.Day, err = taxsms.ParseDate(day); err != nil {
			rows.Close()
			return nil, err
		}
		r.Due = r.Day
		cases = append(cases, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rep := &LateReport{}
	for _, r := range cases {
		if r.Done, err = db.serviceFollowed(ctx, r.TaxpayerID, r.What, r.Day, loc); err != nil {
			return nil, err
		}
		late := r.Done.IsZero() || r.Day.Before(r.Done)
		rep.count(r.OfficeID, late)
		if late {
			rep.add(r)
		}
	}
	rep.sortOffices()
	return rep, nil
}

// serviceFollowed returns the day a taxpayer's service followed a change
// (what "changed") or cancellation of its registration on day: for a
// change, the first day of a service event on or after it; for a
// cancellation, the day its last contact left service, zero while one is
// still in service.
func (db *DB) serviceFollowed(ctx context.Context, taxpayer int64, what string, day taxsms.Date, loc *time.Location) (taxsms.Date, error) {
	rows, err := db.db.QueryContext(ctx, db.q("ReportServiceEvents"), taxpayer, taxpayer)
	if err != nil {
		return taxsms.Date{}, err
	}
	defer rows.Close()
	var done taxsms.Date
	ended := make(map[int64]taxsms.Date) // contact → the day it left service
	inService := make(map[int64]bool)
	for rows.Next() {
		var contact, at int64
		var status, now string
		if err := rows.Scan(&contact, &at, &status, &now); err != nil {
			return taxsms.Date{}, err
		}
		d := taxsms.DateOf(fromMS(at).In(loc))
		if what == "changed" {
			if done.IsZero() && !d.Before(day) {
				done = d
			}
			continue
		}
		inService[contact] = now == string(taxsms.ServiceActive) || now == string(taxsms.ServicePending)
		if status == string(taxsms.ServiceCancelled) || status == string(taxsms.ServiceOptedOut) {
			ended[contact] = d
		}
	}
	if err := rows.Err(); err != nil || what == "changed" {
		return done, err
	}
	for contact, in := range inService {
		if in {
			return taxsms.Date{}, nil
		}
		if d := ended[contact]; done.Before(d) {
			done = d
		}
	}
	if done.Before(day) && len(inService) > 0 {
		done = day // every contact had left service before
	}
	return done, nil
}

// ReceptionCount counts the MT messages of one office, kind, carrier ("" if
// never submitted) and status.
type ReceptionCount struct {
	OfficeID int64
	Kind     taxsms.Kind
	Carrier  taxsms.Carrier
	Status   taxsms.Status
	Messages int
	Segments int
}

// Reception returns the MT messages created from from (included) to to
// (excluded) in the actor's scope (and subtree), counted by office, kind,
// carrier and status, in no particular order. Like MessageStats it
// finds the first message of each end by a binary search over ids, so it
// reads only the messages of the range.
func (db *DB) Reception(ctx context.Context, subtree int64, from, to time.Time) ([]ReceptionCount, error) {
	lo, hi, err := db.idRange(ctx, from, to)
	if err != nil || lo == 0 {
		return nil, err
	}
	if db.d.sortsGroups {
		return db.receptionRows(ctx, subtree, lo, hi, from, to)
	}
	rows, err := db.rangeReport(ctx, "ReportReception", subtree, lo, hi, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ReceptionCount
	for rows.Next() {
		var r ReceptionCount
		var key string
		if err := rows.Scan(&key, &r.Messages, &r.Segments); err != nil {
			return nil, err
		}
		f := strings.SplitN(key, "|", 4)
		if len(f) != 4 {
			return nil, fmt.Errorf("reception: bad group %q", key)
		}
		if r.OfficeID, err = strconv.ParseInt(f[0], 10, 64); err != nil {
			return nil, fmt.Errorf("reception: bad group %q: %w", key, err)
		}
		r.Kind, r.Carrier, r.Status = taxsms.Kind(f[1]), taxsms.Carrier(f[2]), taxsms.Status(f[3])
		out = append(out, r)
	}
	return out, rows.Err()
}

// receptionRows is Reception where the database groups by sorting: the
// messages of the range are read and summed here.
func (db *DB) receptionRows(ctx context.Context, subtree, lo, hi int64, from, to time.Time) ([]ReceptionCount, error) {
	rows, err := db.rangeReport(ctx, "ReportReceptionRows", subtree, lo, hi, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	groups := make(map[string]*ReceptionCount) // by office, kind, carrier and status, 0-separated
	var key []byte
	for rows.Next() {
		var office sql.NullInt64 // NULL: no office
		var kind, carrier, status sql.RawBytes
		var segments int64
		if err := rows.Scan(&office, &kind, &carrier, &status, &segments); err != nil {
			return nil, err
		}
		key = append(append(append(append(append(append(strconv.AppendInt(key[:0], office.Int64, 10), 0), kind...), 0), carrier...), 0), status...)
		g := groups[string(key)]
		if g == nil {
			g = &ReceptionCount{OfficeID: office.Int64, Kind: taxsms.Kind(kind), Carrier: taxsms.Carrier(carrier), Status: taxsms.Status(status)}
			groups[string(key)] = g
		}
		g.Messages++
		g.Segments += int(segments)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]ReceptionCount, 0, len(groups))
	for _, g := range groups {
		out = append(out, *g)
	}
	return out, nil
}

// rangeReport runs the report query name over the messages with ids in
// [lo, hi) created from from to to, in the actor's scope and subtree.
func (db *DB) rangeReport(ctx context.Context, name string, subtree, lo, hi int64, from, to time.Time) (*sql.Rows, error) {
	q, args, err := db.reportQuery(ctx, name, auth.DataMessages, subtree)
	if err != nil {
		return nil, err
	}
	return db.db.QueryContext(ctx, q, append([]any{lo, hi, ms(from), ms(to)}, args...)...)
}

// DayDelivery counts the MT messages created on one day by outcome.
type DayDelivery struct {
	Day       taxsms.Date // in the zone ReceptionDays was given
	Messages  int
	Delivered int
	Failed    int // failed, rejected or expired
}

// ReceptionDays returns the MT messages created from from (included) to to
// (excluded) in the actor's scope (and subtree), counted by day in loc and
// outcome, by day; days without messages are left out. The day is decided
// with loc's offset at from, exact for zones without daylight saving time
// (Asia/Shanghai).
func (db *DB) ReceptionDays(ctx context.Context, subtree int64, from, to time.Time, loc *time.Location) ([]DayDelivery, error) {
	lo, hi, err := db.idRange(ctx, from, to)
	if err != nil || lo == 0 {
		return nil, err
	}
	q, args, err := db.reportQuery(ctx, "ReportReceptionDays", auth.DataMessages, subtree)
	if err != nil {
		return nil, err
	}
	_, off := from.In(loc).Zone()
	q = strings.Replace(q, "{offset}", strconv.FormatInt(int64(off)*1000, 10), 1)
	rows, err := db.db.QueryContext(ctx, q, append([]any{lo, hi, ms(from), ms(to)}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DayDelivery
	for rows.Next() {
		var day int64
		var d DayDelivery
		if err := rows.Scan(&day, &d.Messages, &d.Delivered, &d.Failed); err != nil {
			return nil, err
		}
		d.Day = taxsms.DateOf(time.Unix(day*86400, 0).UTC())
		out = append(out, d)
	}
	return out, rows.Err()
}

// idRange returns the ids of the messages created from from to to: the
// first at or after from, and the first at or after to (or one past the
// last); lo is 0 if there is none. It reads the first and last ids once,
// each by the primary key, then finds both ends by binary search over ids,
// each step one look-up by primary key.
func (db *DB) idRange(ctx context.Context, from, to time.Time) (lo, hi int64, err error) {
	if from.IsZero() || to.IsZero() || !from.Before(to) {
		return 0, 0, taxsms.Invalid("to", "want a range of time, got %s to %s", from, to)
	}
	var first, last int64
	if err := db.db.QueryRowContext(ctx, db.q("MessageIDBounds")).Scan(&first, &last); err != nil || last == 0 {
		return 0, 0, err
	}
	// search returns the id of the first message created at or after t, or
	// last+1 if there is none. Invariant: every message below lo was
	// created before t; the answer is at or below hi.
	search := func(t time.Time) (int64, error) {
		lo, hi := first, last+1
		for lo < hi {
			mid := lo + (hi-lo)/2
			var got, created int64
			if err := db.db.QueryRowContext(ctx, db.q("MessageFirstFrom"), mid).Scan(&got, &created); err != nil {
				return 0, err
			}
			if created >= ms(t) {
				hi = mid
			} else {
				lo = got + 1
			}
		}
		return lo, nil
	}
	if lo, err = search(from); err != nil || lo > last {
		return 0, 0, err
	}
	if hi, err = search(to); err != nil {
		return 0, 0, err
	}
	return lo, hi, nil
}

// FailRule is when a number goes on its office's worklist.
type FailRule struct {
	Run  int // this many messages in a row failed (0: never by this rule)
	Days int // or nothing delivered for this many days while they failed (0: never)
}

// FailingNumber is one contact on the worklist of failing numbers.
type FailingNumber struct {
	ContactID  int64
	TaxpayerID int64
	Identifier string
	Name       string // the taxpayer's
	OfficeID   int64
	Role       taxsms.ContactRole
	Contact    string // the contact's name
	Mobile     string // in full: mask it unless the viewer may reveal it
	Status     taxsms.ServiceStatus
	Run        int       // messages failed in a row, the last first
	Since      time.Time // when the first of them was sent
	Last       time.Time // when the last was sent
	Delivered  time.Time // the last delivery to the number; zero if none seen
	Reasons    []string  // the errors of the run, newest first, each once (at most 3)
}

// FailingNumbers returns the worklist of failing numbers of the actor's
// scope (and subtree), by contact id: contacts in service to whose current
// number rule.Run messages in a row failed, or to which nothing was
// delivered for rule.Days days (at now) while what was sent failed.
// Expired messages (never sent) neither add to a run nor end it. Only the
// messages sent to the contact's current number count, so that a corrected
// number leaves the list at once.
func (db *DB) FailingNumbers(ctx context.Context, subtree int64, rule FailRule, now time.Time) ([]FailingNumber, error) {
	if rule.Run < 0 || rule.Days < 0 || rule.Run == 0 && rule.Days == 0 {
		return nil, taxsms.Invalid("fail_run", "want failures in a row or days without a delivery")
	}
	q, args, err := db.reportQuery(ctx, "ReportFailingCandidates", auth.DataTaxpayers, subtree)
	if err != nil {
		return nil, err
	}
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	type candidate struct {
		FailingNumber
		enc, hash []byte
	}
	var cands []candidate
	for rows.Next() {
		var c candidate
		var role, status string
		if err := rows.Scan(&c.ContactID, &c.TaxpayerID, &role, &c.Contact, &c.enc, &c.hash, &status, &c.Identifier, &c.Name, &c.OfficeID); err != nil {
			rows.Close()
			return nil, err
		}
		c.Role, c.Status = taxsms.ContactRole(role), taxsms.ServiceStatus(status)
		cands = append(cands, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	cutoff := now.Add(-time.Duration(rule.Days) * 24 * time.Hour)
	var out []FailingNumber
	for _, c := range cands {
		if err := db.runOf(ctx, &c.FailingNumber, c.hash); err != nil {
			return nil, err
		}
		byRun := rule.Run > 0 && c.Run >= rule.Run
		byDays := rule.Days > 0 && c.Run > 0 && !c.Since.After(cutoff) && (c.Delivered.IsZero() || !c.Delivered.After(cutoff))
		if !byRun && !byDays {
			continue
		}
		if c.Mobile, err = db.openMobile(c.enc); err != nil {
			return nil, err
		}
		out = append(out, c.FailingNumber)
	}
	return out, nil
}

// runOf reads the last settled messages to f's contact at the number whose
// hash is hash and sets f's run of failures, its times and reasons.
func (db *DB) runOf(ctx context.Context, f *FailingNumber, hash []byte) error {
	rows, err := db.db.QueryContext(ctx, db.q("ReportContactOutcomes"), hash, f.ContactID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var status, msg string
		var created, done int64
		if err := rows.Scan(&status, &msg, &created, &done); err != nil {
			return err
		}
		switch taxsms.Status(status) {
		case taxsms.StatusDelivered:
			f.Delivered = fromMS(max(done, created))
			return nil
		case taxsms.StatusExpired:
			continue
		}
		f.Run++
		f.Since = fromMS(created)
		if f.Last.IsZero() {
			f.Last = f.Since
		}
		if msg != "" && len(f.Reasons) < 3 && !contains(f.Reasons, msg) {
			f.Reasons = append(f.Reasons, msg)
		}
	}
	return rows.Err()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
