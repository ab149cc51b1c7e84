package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"taxsms"
	"taxsms/audit"
	"taxsms/auth"
	"taxsms/pii"
)

// A campaign's recipients are one SQL query, so that counting and
// expanding read the same rows: each row a contact (of the taxpayers
// chosen), a member of staff, or a row of an uploaded list, with its status
// ('active' when it may receive), whether its office is suspended, its
// number's hash, mask and sealed form, and what the text's variables need.
// The row's key (rid) orders the expansion: the contact's, the user's or
// the list row's id.

// recipientRow is the row a recipients query yields, by column.
const recipientCols = "rid, rk, st, susp, h, mask, enc, tid, cid, uid, oid, nm, ident, aid"

// recipients returns the recipients query of c in the scope of ctx's
// actor, rows with rid in (lo, hi] when hi > 0.
func (db *DB) recipients(ctx context.Context, q querier, c *taxsms.Campaign, lo, hi int64) (string, []any, error) {
	susp, err := db.suspendedOffices(ctx, q)
	if err != nil {
		return "", nil, err
	}
	inSusp := func(col string) string {
		if len(susp) == 0 {
			return "0"
		}
		return "CASE WHEN " + col + " IN (" + susp + ") THEN 1 ELSE 0 END"
	}
	a := &c.Audience
	subtree := a.Subtree
	if subtree == 0 {
		subtree = c.OfficeID
	}
	prefix, err := db.subtreePrefixIn(ctx, q, subtree)
	if err != nil {
		return "", nil, err
	}
	rng := func(col string) (string, []any) {
		if hi <= 0 {
			return "", nil
		}
		return " AND " + col + " > ? AND " + col + " <= ?", []any{lo, hi}
	}
	switch a.Type {
	case taxsms.AudienceStaff:
		scope, sargs := scopeCond(auth.AccessFrom(ctx, auth.DataOffices).Read, "u.office_id", nil)
		where := []string{"u.mobile_hash IS NOT NULL", "u.office_id IN (SELECT id FROM offices WHERE path LIKE ?)", scope}
		args := append([]any{prefix + "%"}, sargs...)
		if len(a.StaffRoles) > 0 {
			where = append(where, "u.role IN ("+placeholders(len(a.StaffRoles))+")")
			for _, r := range a.StaffRoles {
				args = append(args, string(r))
			}
		}
		if a.Group != "" {
			where, args = append(where, "u.id IN (SELECT user_id FROM user_groups WHERE name = ?)"), append(args, a.Group)
		}
		r, rargs := rng("u.id")
		return "SELECT u.id AS rid, 'u' || u.id AS rk, CASE WHEN u.status = 'active' THEN 'active' ELSE 'suspended' END AS st, " +
			inSusp("u.office_id") + " AS susp, u.mobile_hash AS h, u.mobile_mask AS mask, u.mobile_enc AS enc, " +
			"CAST(NULL AS BIGINT) AS tid, CAST(NULL AS BIGINT) AS cid, u.id AS uid, u.office_id AS oid, u.name AS nm, '' AS ident, CAST(NULL AS BIGINT) AS aid " +
			"FROM users u WHERE " + strings.Join(where, " AND ") + r, append(args, rargs...), nil
	case taxsms.AudienceTaxpayers:
		where, args := db.taxpayerFilter(ctx, a)
		var outside int
		if err := q.QueryRowContext(ctx, db.rebind("SELECT COUNT(*) FROM offices WHERE path NOT LIKE ?"), prefix+"%").Scan(&outside); err != nil {
			return "", nil, err
		}
		if outside > 0 { // else every office: no condition to check on each row
			where, args = append(where, "t.office_id IN (SELECT id FROM offices WHERE path LIKE ?)"), append(args, prefix+"%")
		}
		r, rargs := rng("c.id")
		from := "contacts c JOIN taxpayers t ON t.id = c.taxpayer_id"
		if hi > 0 {
			// A chunk of an expansion reads a range of contacts: SQLite is
			// made to start from it (CROSS JOIN keeps the order of the
			// tables), not from every taxpayer of the subtree.
			from, where = "contacts c CROSS JOIN taxpayers t", append(where, "t.id = c.taxpayer_id")
		}
		return "SELECT c.id AS rid, 'c' || c.id AS rk, c.status AS st, " + inSusp("t.office_id") + " AS susp, c.mobile_hash AS h, " +
			"c.mobile_mask AS mask, c.mobile_enc AS enc, t.id AS tid, c.id AS cid, CAST(NULL AS BIGINT) AS uid, t.office_id AS oid, " +
			"t.name AS nm, t.identifier AS ident, t.admin_id AS aid " +
			"FROM " + from + " WHERE " + strings.Join(where, " AND ") + r, append(args, rargs...), nil
	case taxsms.AudienceList:
		l, err := db.findRecipientList(ctx, q, a.ListID)
		if err != nil {
			return "", nil, err
		}
		where, args := db.taxpayerFilter(ctx, a)
		where, args = append(where, "e.list_id = ?"), append(args, l.ID)
		r, rargs := rng("e.seq")
		args = append(args, rargs...)
		// Numbers of the list: sent on behalf of the list's office, unless
		// a contact of that number opted out.
		numbers := "SELECT e.seq AS rid, 'n' || e.seq AS rk, CASE WHEN EXISTS (SELECT 1 FROM contacts x WHERE x.mobile_hash = e.mobile_hash " +
			"AND x.status = 'opted_out') THEN 'opted_out' ELSE 'active' END AS st, " + inSusp("l.office_id") + " AS susp, " +
			"e.mobile_hash AS h, e.mobile_mask AS mask, e.mobile_enc AS enc, CAST(NULL AS BIGINT) AS tid, CAST(NULL AS BIGINT) AS cid, " +
			"CAST(NULL AS BIGINT) AS uid, l.office_id AS oid, '' AS nm, '' AS ident, CAST(NULL AS BIGINT) AS aid " +
			"FROM recipient_list_entries e JOIN recipient_lists l ON l.id = e.list_id WHERE e.list_id = ? AND e.mobile_hash IS NOT NULL" + r
		args = append(args, l.ID)
		args = append(args, rargs...)
		return "SELECT e.seq AS rid, 'c' || c.id AS rk, c.status AS st, " + inSusp("t.office_id") + " AS susp, c.mobile_hash AS h, " +
			"c.mobile_mask AS mask, c.mobile_enc AS enc, t.id AS tid, c.id AS cid, CAST(NULL AS BIGINT) AS uid, t.office_id AS oid, " +
			"t.name AS nm, t.identifier AS ident, t.admin_id AS aid " +
			"FROM recipient_list_entries e JOIN contacts c ON c.taxpayer_id = e.taxpayer_id JOIN taxpayers t ON t.id = c.taxpayer_id " +
			"WHERE " + strings.Join(where, " AND ") + r + " UNION ALL " + numbers, args, nil
	}
	return "", nil, taxsms.Invalid("audience.type", "unknown audience %q", a.Type)
}

// taxpayerFilter returns the conditions on contacts c and taxpayers t of a
// taxpayer audience, the actor's read scope included.
func (db *DB) taxpayerFilter(ctx context.Context, a *taxsms.Audience) ([]string, []any) {
	scope, args := taxpayerScope(ctx, false)
	where := []string{scope}
	if len(a.TaxTypes) > 0 {
		var or []string
		for _, tt := range a.TaxTypes {
			or, args = append(or, "(',' || t.tax_types || ',') LIKE ? ESCAPE '\\'"), append(args, "%,"+likeEscaper.Replace(tt)+",%")
		}
		where = append(where, "("+strings.Join(or, " OR ")+")")
	}
	if a.Industry != "" {
		where, args = append(where, "t.industry = ?"), append(args, a.Industry)
	}
	if len(a.RegStatus) > 0 {
		where = append(where, "t.reg_status IN ("+placeholders(len(a.RegStatus))+")")
		for _, s := range a.RegStatus {
			args = append(args, string(s))
		}
	}
	switch a.RemoteFiler {
	case "yes":
		where = append(where, "t.remote_filer = 1")
	case "no":
		where = append(where, "t.remote_filer = 0")
	}
	if a.AdminID != 0 {
		where, args = append(where, "t.admin_id = ?"), append(args, a.AdminID)
	}
	if len(a.Roles) > 0 {
		where = append(where, "c.role IN ("+placeholders(len(a.Roles))+")")
		for _, r := range a.Roles {
			args = append(args, string(r))
		}
	}
	return where, args
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// suspendedOffices returns the ids of the offices suspended (or below one
// that is), comma-separated, "" if none.
func (db *DB) suspendedOffices(ctx context.Context, q querier) (string, error) {
	rows, err := q.QueryContext(ctx, db.q("SelectSuspendedOffices"))
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return "", err
		}
		ids = append(ids, strconv.FormatInt(id, 10))
	}
	return strings.Join(ids, ","), rows.Err()
}

// Render is how a campaign's text is made for each recipient: Head (the
// signature) and Tail (the opt-out line) around the template, whose
// variables take the recipient's values. Segments, if not zero, is the
// count of every text (a template without variables); otherwise each
// text's is counted as UCS-2 (70 characters in one segment, 67 a segment
// beyond).
type Render struct {
	Head, Tail string
	Segments   int
}

// body returns the SQL expression of a recipient's text (over the
// recipients r) and its arguments. The office and the administrator are
// looked up only for a template that names them, or for a value with a
// brace, which the variables after it could match.
func (db *DB) body(c *taxsms.Campaign, rd Render) (string, []any) {
	t := c.Template
	if !strings.Contains(t, "{") {
		return "CAST(? AS TEXT)", []any{rd.Head + t + rd.Tail}
	}
	inner := "REPLACE(REPLACE(CAST(? AS TEXT), '{name}', SUBSTR(r.nm, 1, 40)), '{identifier}', r.ident)"
	full := "REPLACE(REPLACE(" + inner + ", '{office}', COALESCE((SELECT SUBSTR(o.name, 1, 40) FROM offices o WHERE o.id = r.oid), '')), " +
		"'{admin}', COALESCE((SELECT SUBSTR(a.name, 1, 40) FROM users a WHERE a.id = r.aid), ''))"
	if strings.Contains(t, "{office}") || strings.Contains(t, "{admin}") || strings.Count(t, "{") != strings.Count(t, "{name}")+strings.Count(t, "{identifier}") {
		return "CAST(? AS TEXT) || " + full + " || CAST(? AS TEXT)", []any{rd.Head, t, rd.Tail}
	}
	return "CAST(? AS TEXT) || CASE WHEN " + db.d.position + "(r.nm, '{') > 0 OR " + db.d.position + "(r.ident, '{') > 0 THEN " + full + " ELSE " + inner + " END || CAST(? AS TEXT)",
		[]any{rd.Head, t, t, rd.Tail}
}

// segmentsExpr returns the SQL expression of the segments of a
// recipient's text (over the recipients r), and its arguments.
func (db *DB) segmentsExpr(c *taxsms.Campaign, rd Render) (string, []any) {
	if rd.Segments > 0 {
		return strconv.Itoa(rd.Segments), nil
	}
	if !strings.Contains(c.Template, "{") {
		return strconv.Itoa(textSegments(rd, utf8.RuneCountInString(rd.Head+c.Template+rd.Tail))), nil
	}
	l, args := db.textLength(c, rd)
	return "CASE WHEN " + l + " <= 70 THEN 1 ELSE (" + l + " + 66) / 67 END", append(args, args...)
}

// CountAudience counts the recipients of campaign id as they stand now, in
// its author's scope: distinct numbers that may receive, duplicates
// removed, and the contacts excluded by reason; and the segments of their
// texts rendered with rd. It returns ENOTFOUND outside the actor's read
// scope.
func (db *DB) CountAudience(ctx context.Context, id int64, rd Render) (*taxsms.AudienceCount, error) {
	c, err := db.FindCampaign(ctx, id)
	if err != nil {
		return nil, err
	}
	actx, err := db.authorContext(ctx, c)
	if err != nil {
		return nil, err
	}
	return db.countAudience(actx, c, rd)
}

// CountAudienceOf counts the recipients of a campaign not stored (being
// composed), in the scope of ctx's actor, as CountAudience does.
func (db *DB) CountAudienceOf(ctx context.Context, c *taxsms.Campaign, rd Render) (*taxsms.AudienceCount, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return db.countAudience(ctx, c, rd)
}

func (db *DB) countAudience(ctx context.Context, c *taxsms.Campaign, rd Render) (*taxsms.AudienceCount, error) {
	parts := []int64{0, 0} // (lo, hi] of rid; hi 0: all
	wide, err := db.cityWide(ctx, c)
	if err != nil {
		return nil, err
	}
	var top int64
	if wide {
		if top, err = db.audienceTop(ctx, c); err != nil {
			return nil, err
		}
	}
	if wide && top >= countParts*expandChunk {
		// A city: its contacts read in parts, side by side.
		parts = []int64{0}
		for i := 1; i <= countParts; i++ {
			parts = append(parts, top*int64(i)/countParts)
		}
	}
	// The parts and the numbers that could be shared are read side by
	// side (the last tally holds those numbers), each query as the
	// database stands when it starts: a count made while contacts change
	// may be off by the rows changed meanwhile.
	tallies := make([]*tally, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i := range len(parts) - 1 {
		wg.Go(func() { tallies[i], errs[i] = db.tallyAudience(ctx, c, rd, parts[i], parts[i+1]) })
	}
	wg.Go(func() { tallies[len(parts)-1], errs[len(parts)-1] = db.tallyShared(ctx, c, rd) })
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	t := tallies[0]
	for _, u := range tallies[1:] {
		t.merge(u)
	}
	return t.count(), nil
}

// countParts is how many queries, side by side, count a city-wide
// audience.
const countParts = 2

// cityWide reports whether c's audience is the taxpayers of a whole city,
// without a filter by administrator: read by a scan of every contact
// rather than through the taxpayers of each office.
func (db *DB) cityWide(ctx context.Context, c *taxsms.Campaign) (bool, error) {
	if c.Audience.Type != taxsms.AudienceTaxpayers || c.Audience.AdminID != 0 {
		return false, nil
	}
	subtree := c.Audience.Subtree
	if subtree == 0 {
		subtree = c.OfficeID
	}
	prefix, err := db.subtreePrefixIn(ctx, db.db, subtree)
	return strings.Count(prefix, "/") == 2, err
}

// audienceTop returns the highest rid of c's audience's table.
func (db *DB) audienceTop(ctx context.Context, c *taxsms.Campaign) (int64, error) {
	var q string
	switch c.Audience.Type {
	case taxsms.AudienceStaff:
		q = "SELECT COALESCE(MAX(id), 0) FROM users"
	case taxsms.AudienceList:
		q = "SELECT COALESCE(MAX(seq), 0) FROM recipient_list_entries WHERE list_id = " + strconv.FormatInt(c.Audience.ListID, 10)
	default:
		q = "SELECT COALESCE(MAX(id), 0) FROM contacts"
	}
	var top int64
	err := db.db.QueryRowContext(ctx, q).Scan(&top)
	return top, err
}

// A tally is a count of an audience's rows in the making: the rows by
// status, suspension and prefix, each counted as if its number were
// distinct; and the rows that receive of the numbers that could be
// shared, by number.
type tally struct {
	groups  map[string]*tallyGroup
	numbers map[string]*tallyNumber
}

type tallyGroup struct {
	st, prefix  string
	susp        bool
	n, segments int
}

// A tallyNumber is a number reached by n rows: the first (by rid, then
// rk) gives its text.
type tallyNumber struct {
	rid            int64
	rk, prefix     string
	n, first, segs int
}

func (n *tallyNumber) before(rid int64, rk string) bool {
	return rid < n.rid || rid == n.rid && rk < n.rk
}

// tallyAudience reads the rows of c's audience with rid in (lo, hi] (all
// when hi is 0) by status, suspension and prefix. SQLite groups by
// sorting, which over a city's contacts costs more than reading them: the
// rows are summed here.
func (db *DB) tallyAudience(ctx context.Context, c *taxsms.Campaign, rd Render, lo, hi int64) (*tally, error) {
	rq, args, err := db.recipients(ctx, db.db, c, lo, hi)
	if err != nil {
		return nil, err
	}
	length, largs := db.textLength(c, rd)
	// Most rows are active: NULL costs less to read than a text.
	q := "SELECT NULLIF(r.st, 'active'), r.susp, r.mask, " + length + " FROM (" + rq + ") r"
	rows, err := db.db.QueryContext(ctx, db.rebind(q), append(largs, args...)...)
	if err != nil {
		return nil, fmt.Errorf("count audience: %w", err)
	}
	defer rows.Close()
	t := &tally{groups: make(map[string]*tallyGroup)}
	var key []byte
	active := sql.RawBytes(taxsms.ServiceActive)
	for rows.Next() {
		var st, prefix sql.RawBytes
		var susp, chars int64 // as the driver gives them: into an int, database/sql would format and parse them
		if err := rows.Scan(&st, &susp, &prefix, &chars); err != nil {
			return nil, err
		}
		if st == nil {
			st = active
		}
		prefix = prefix[:min(len(prefix), 3)] // of a mask: ASCII
		key = append(append(append(key[:0], st...), 0, byte('0'+min(susp, 1)), 0), prefix...)
		g := t.groups[string(key)]
		if g == nil {
			g = &tallyGroup{st: string(st), prefix: string(prefix), susp: susp != 0}
			t.groups[string(key)] = g
		}
		g.n++
		g.segments += textSegments(rd, int(chars))
	}
	return t, rows.Err()
}

// tallyShared reads the rows of c's audience that receive and whose
// number could be shared: stored more than once among contacts (kept in
// shared_numbers) or staff; for a list, which may name a taxpayer twice,
// every row.
func (db *DB) tallyShared(ctx context.Context, c *taxsms.Campaign, rd Render) (*tally, error) {
	rq, args, err := db.recipients(ctx, db.db, c, 0, 0)
	if err != nil {
		return nil, err
	}
	length, largs := db.textLength(c, rd)
	shared := ""
	switch c.Audience.Type {
	case taxsms.AudienceTaxpayers:
		shared = " AND r.h IN (SELECT mobile_hash FROM shared_numbers)"
	case taxsms.AudienceStaff:
		shared = " AND r.h IN (SELECT mobile_hash FROM users WHERE mobile_hash IS NOT NULL GROUP BY mobile_hash HAVING COUNT(*) > 1)"
	}
	q := "SELECT r.rid, r.rk, r.h, SUBSTR(r.mask, 1, 3), " + length + " FROM (" + rq + ") r WHERE r.st = 'active' AND r.susp = 0" + shared
	rows, err := db.db.QueryContext(ctx, db.rebind(q), append(largs, args...)...)
	if err != nil {
		return nil, fmt.Errorf("count audience: duplicates: %w", err)
	}
	defer rows.Close()
	t := &tally{numbers: make(map[string]*tallyNumber)}
	for rows.Next() {
		var rid int64
		var rk, prefix string
		var h sql.RawBytes
		var chars int
		if err := rows.Scan(&rid, &rk, &h, &prefix, &chars); err != nil {
			return nil, err
		}
		segs := textSegments(rd, chars)
		if x := t.numbers[string(h)]; x == nil {
			t.numbers[string(h)] = &tallyNumber{rid: rid, rk: rk, prefix: prefix, n: 1, first: segs, segs: segs}
		} else {
			x.n++
			x.segs += segs
			if x.before(rid, rk) {
				x.rid, x.rk, x.first = rid, rk, segs
			}
		}
	}
	return t, rows.Err()
}

// merge adds u to t.
func (t *tally) merge(u *tally) {
	if t.groups == nil {
		t.groups = make(map[string]*tallyGroup)
	}
	if t.numbers == nil {
		t.numbers = make(map[string]*tallyNumber)
	}
	for k, g := range u.groups {
		if x := t.groups[k]; x == nil {
			t.groups[k] = g
		} else {
			x.n += g.n
			x.segments += g.segments
		}
	}
	for h, y := range u.numbers {
		x := t.numbers[h]
		if x == nil {
			t.numbers[h] = y
			continue
		}
		x.n += y.n
		x.segs += y.segs
		if x.before(y.rid, y.rk) {
			x.rid, x.rk, x.first = y.rid, y.rk, y.first
		}
	}
}

// count returns the count t makes: a number reached more than once gets
// one message, with the text of its first row, so its other rows count
// neither as recipients nor by their segments.
func (t *tally) count() *taxsms.AudienceCount {
	out := &taxsms.AudienceCount{Excluded: make(map[string]int), ByCarrier: make(map[taxsms.Carrier]int),
		SegmentsByCarrier: make(map[taxsms.Carrier]int)}
	for _, g := range t.groups {
		switch {
		case g.st == string(taxsms.ServiceActive) && !g.susp:
			out.Recipients += g.n
			out.Segments += g.segments
			cr, _ := taxsms.DefaultPrefixes.Carrier(g.prefix)
			out.ByCarrier[cr] += g.n
			out.SegmentsByCarrier[cr] += g.segments
		case g.st == string(taxsms.ServiceActive) || g.st == "suspended":
			out.Excluded["suspended"] += g.n
		default:
			out.Excluded[g.st] += g.n
		}
	}
	for _, x := range t.numbers {
		if x.n == 1 {
			continue
		}
		cr, _ := taxsms.DefaultPrefixes.Carrier(x.prefix)
		out.Recipients -= x.n - 1
		out.Duplicates += x.n - 1
		out.ByCarrier[cr] -= x.n - 1
		out.Segments -= x.segs - x.first
		out.SegmentsByCarrier[cr] -= x.segs - x.first
	}
	return out
}

// textSegments returns the segments of a text of chars characters (UCS-2:
// 70 in one, 67 a segment beyond), or rd.Segments for a text the same for
// all.
func textSegments(rd Render, chars int) int {
	switch {
	case rd.Segments > 0:
		return rd.Segments
	case chars <= 70:
		return 1
	default:
		return (chars + 66) / 67
	}
}

// textLength returns the SQL expression of the length in characters of a
// recipient's text (over the recipients r), and its arguments: the
// lengths of the values added to that of the rest, so that no text is
// made to count it. A value with a brace (which the variables after it
// could match) has its text made as the expansion makes it.
func (db *DB) textLength(c *taxsms.Campaign, rd Render) (string, []any) {
	if rd.Segments > 0 || !strings.Contains(c.Template, "{") {
		return "0", nil
	}
	office := "COALESCE((SELECT SUBSTR(o.name, 1, 40) FROM offices o WHERE o.id = r.oid), '')"
	admin := "COALESCE((SELECT SUBSTR(a.name, 1, 40) FROM users a WHERE a.id = r.aid), '')"
	vars := []struct{ token, value, length string }{
		{"{name}", "r.nm", db.d.least + "(LENGTH(r.nm), 40)"},
		{"{identifier}", "r.ident", "LENGTH(r.ident)"},
		{"{office}", office, "LENGTH(" + office + ")"},
		{"{admin}", admin, "LENGTH(" + admin + ")"},
	}
	t := c.Template
	rest, tokens := t, 0
	var sum, odd []string
	for i, v := range vars {
		k := strings.Count(rest, v.token)
		if k == 0 {
			continue
		}
		rest, tokens = strings.ReplaceAll(rest, v.token, ""), tokens+k
		sum = append(sum, strconv.Itoa(k)+" * "+v.length)
		if i < len(vars)-1 {
			odd = append(odd, db.d.position+"("+v.value+", '{') > 0")
		}
	}
	full := "LENGTH(CAST(? AS TEXT) || REPLACE(REPLACE(REPLACE(REPLACE(CAST(? AS TEXT), '{name}', SUBSTR(r.nm, 1, 40)), '{identifier}', r.ident), " +
		"'{office}', " + office + "), '{admin}', " + admin + ") || CAST(? AS TEXT))"
	fargs := []any{rd.Head, t, rd.Tail}
	if strings.Count(t, "{") != tokens {
		// A brace of the template's own: each text made whole.
		return full, fargs
	}
	base := utf8.RuneCountInString(rd.Head) + utf8.RuneCountInString(rest) + utf8.RuneCountInString(rd.Tail)
	fast := strconv.Itoa(base) + " + " + strings.Join(sum, " + ")
	if len(odd) == 0 {
		return fast, nil
	}
	return "CASE WHEN " + strings.Join(odd, " OR ") + " THEN " + full + " ELSE " + fast + " END", fargs
}

// authorContext returns ctx acting as c's author (the platform for a
// campaign without one), whose scope limits the audience.
func (db *DB) authorContext(ctx context.Context, c *taxsms.Campaign) (context.Context, error) {
	if c.AuthorID == 0 {
		return auth.NewContext(ctx, nil), nil
	}
	a, err := db.UserActor(ctx, c.AuthorID)
	if err != nil {
		return nil, fmt.Errorf("campaign %d author: %w", c.ID, err)
	}
	return auth.NewContext(ctx, a), nil
}

// expandChunk is how many ids of the audience's table one transaction of
// an expansion covers.
const expandChunk = 50_000

// expandSkips is the most rows of a chunk left out as numbers already
// queued that one statement names; a chunk with more is split.
const expandSkips = 10_000

// ExpandCampaign queues the messages of a sending campaign, a chunk of its
// audience per transaction, each message keyed campaign/ID/c<contact>
// (u<user>, n<list row>) and each number once. It resumes after the last
// chunk committed, so a stop half-way never queues anyone twice. The
// messages are queued, or held while the campaign is held outside its
// working hours. It stops without error when the campaign leaves the
// sending state (paused, cancelled), and returns how many it queued; when
// the whole audience is queued it sets the campaign's recipient and
// segment counts. It runs as the platform; the audience is the author's.
func (db *DB) ExpandCampaign(ctx context.Context, id int64, rd Render) (queued int, done bool, err error) {
	c, cur, err := db.campaignWithCursor(ctx, id)
	if err != nil {
		return 0, false, err
	}
	if cur.expanded {
		return 0, true, nil
	}
	actx, err := db.authorContext(ctx, c)
	if err != nil {
		return 0, false, err
	}
	top, err := db.audienceTop(ctx, c)
	if err != nil {
		return 0, false, err
	}
	x := &expansion{c: c, rd: rd}
	for lo, size := cur.upto, int64(expandChunk); ; {
		if err := ctx.Err(); err != nil {
			return queued, false, err
		}
		hi := lo + size
		last := hi >= top
		n, ok, err := db.expandChunk(actx, x, lo, hi, last)
		if errors.Is(err, errManySkips) && size > 1 {
			size /= 2
			continue
		}
		queued += n
		if err != nil || !ok {
			return queued, false, err
		}
		if last {
			return queued, true, nil
		}
		lo, size = hi, expandChunk
	}
}

// errManySkips is a chunk with more than expandSkips rows left out.
var errManySkips = errors.New("too many numbers already queued in one chunk")

// An expansion is one call of ExpandCampaign: the numbers its campaign
// has queued, as of the audience expanded up to upto (-1: to be read).
type expansion struct {
	c       *taxsms.Campaign
	rd      Render
	upto    int64
	numbers map[numberHash]struct{}
}

// A numberHash is a number's look-up hash (pii.HashSize bytes).
type numberHash [pii.HashSize]byte

func (db *DB) campaignWithCursor(ctx context.Context, id int64) (*taxsms.Campaign, campaignCursor, error) {
	c, cur, err := scanCampaignCursor(db.db.QueryRowContext(ctx, db.rebind(campaignSelect()+" WHERE c.id = ?"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, cur, taxsms.Errorf(taxsms.ENOTFOUND, "campaign %d not found", id)
	}
	return c, cur, err
}

// expandChunk queues the recipients with rid in (lo, hi] in one
// transaction, if the campaign is still sending and expanded up to lo;
// ok is false otherwise. last marks the final chunk. A number is queued
// for the first of its rows (by rid, then rk) unless x has it already.
func (db *DB) expandChunk(actx context.Context, x *expansion, lo, hi int64, last bool) (n int, ok bool, err error) {
	c, rd := x.c, x.rd
	ctx := auth.NewContext(actx, nil) // the transaction's writes are the platform's
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		var state string
		var upto int64
		var held int
		if err := tx.QueryRowContext(ctx, db.rebind("SELECT state, expanded_upto, held FROM campaigns WHERE id = ?"+db.forUpdate()), c.ID).
			Scan(&state, &upto, &held); err != nil {
			return err
		}
		if state != string(taxsms.CampaignSending) || upto != lo {
			return nil
		}
		ok = true
		if x.numbers == nil || x.upto != lo {
			if err := db.queuedNumbers(ctx, tx, x); err != nil {
				return err
			}
		}
		x.upto = -1 // until this chunk is in
		rq, rargs, err := db.recipients(actx, tx, c, lo, hi)
		if err != nil {
			return err
		}
		skip, want, err := db.firstRows(ctx, tx, x, rq, rargs)
		if err != nil {
			return err
		}
		text, targs := db.body(c, rd)
		segs, sargs := db.segmentsExpr(c, rd)
		status := taxsms.StatusQueued
		if held != 0 {
			status = taxsms.StatusHeld
		}
		now := ms(db.Now())
		q := "INSERT INTO messages (direction, kind, priority, mobile_enc, mobile_hash, mobile_mask, taxpayer_id, contact_id, user_id, " +
			"office_id, author_id, campaign_id, body, coding, segments, status, idempotency_key, not_before, expires_at, created_at, updated_at) " +
			"SELECT 'mt', ?, ?, r.enc, r.h, r.mask, r.tid, r.cid, r.uid, r.oid, ?, ?, " + text + ", '', " + segs +
			", ?, ? || r.rk, 0, 0, ?, ? FROM (" + rq + ") r WHERE r.st = 'active' AND r.susp = 0"
		args := []any{string(c.Kind), int(c.Kind.DefaultPriority()), nullID(c.AuthorID), c.ID}
		args = append(append(append(args, targs...), sargs...), string(status), fmt.Sprintf("campaign/%d/", c.ID), now, now)
		args = append(args, rargs...)
		if len(skip) > 0 {
			if c.Audience.Type == taxsms.AudienceList {
				q += " AND CAST(r.rid AS TEXT) || ':' || r.rk NOT IN (" + placeholders(len(skip)) + ")"
			} else {
				q += " AND r.rid NOT IN (" + placeholders(len(skip)) + ")"
			}
			args = append(args, skip...)
		}
		q += " ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING"
		if want > 0 {
			res, err := tx.ExecContext(ctx, db.rebind(q), args...)
			if err != nil {
				return fmt.Errorf("expand campaign %d: %w", c.ID, err)
			}
			k, _ := res.RowsAffected()
			n = int(k)
		}
		if _, err := tx.ExecContext(ctx, db.rebind("UPDATE campaigns SET expanded_upto = ?, updated_at = ? WHERE id = ?"), hi, now, c.ID); err != nil {
			return err
		}
		if n > 0 {
			if err := db.appendAudit(ctx, tx, db.entry(ctx, audit.MessageSent, campaignObject(c.ID), nil, nil,
				fmt.Sprintf("campaign %d: %d messages %s", c.ID, n, status))); err != nil {
				return err
			}
		}
		if n == want {
			// Every number taken is queued: x stands for the campaign up to hi.
			x.upto = hi
		}
		if last {
			var msgs, segs int
			if err := tx.QueryRowContext(ctx, db.rebind("SELECT COUNT(*), COALESCE(SUM(segments), 0) FROM messages WHERE campaign_id = ?"), c.ID).
				Scan(&msgs, &segs); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, db.rebind("UPDATE campaigns SET expanded = 1, recipients = ?, segments = ? WHERE id = ?"), msgs, segs, c.ID)
			return err
		}
		return nil
	})
	if err != nil {
		x.upto = -1
	}
	return n, ok, err
}

// queuedNumbers reads into x the numbers x's campaign has queued.
func (db *DB) queuedNumbers(ctx context.Context, tx *sql.Tx, x *expansion) error {
	rows, err := tx.QueryContext(ctx, db.rebind("SELECT mobile_hash FROM messages WHERE campaign_id = ?"), x.c.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	x.numbers = make(map[numberHash]struct{})
	for rows.Next() {
		var h sql.RawBytes
		if err := rows.Scan(&h); err != nil {
			return err
		}
		if len(h) != pii.HashSize {
			return fmt.Errorf("campaign %d: a message's number hash of %d bytes", x.c.ID, len(h))
		}
		x.numbers[numberHash(h)] = struct{}{}
	}
	return rows.Err()
}

// firstRows reads the rows of a chunk (the recipients query rq) that
// receive, in order of rid then rk, and takes each number for its first
// row unless x has it already; it returns the other rows and how many it
// took. A row is named by its rid where that is the row's alone (a
// contact, a member of staff), else as "rid:rk" (a list's row, which
// gives each contact of a taxpayer listed). It returns errManySkips past
// expandSkips.
func (db *DB) firstRows(ctx context.Context, tx *sql.Tx, x *expansion, rq string, args []any) (skip []any, took int, err error) {
	list := x.c.Audience.Type == taxsms.AudienceList
	rk := "NULL"
	if list {
		rk = "r.rk"
	}
	rows, err := tx.QueryContext(ctx, db.rebind("SELECT r.rid, "+rk+", r.h FROM ("+rq+") r WHERE r.st = 'active' AND r.susp = 0"), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("expand campaign %d: %w", x.c.ID, err)
	}
	defer rows.Close()
	type row struct {
		rid int64
		rk  string
		h   numberHash
	}
	var all []row
	sorted := true
	for rows.Next() {
		var r row
		var rk, h sql.RawBytes
		if err := rows.Scan(&r.rid, &rk, &h); err != nil {
			return nil, 0, err
		}
		if len(h) != pii.HashSize {
			return nil, 0, fmt.Errorf("campaign %d: recipient %d: a number hash of %d bytes", x.c.ID, r.rid, len(h))
		}
		r.rk, r.h = string(rk), numberHash(h)
		if k := len(all); k > 0 && (r.rid < all[k-1].rid || r.rid == all[k-1].rid && r.rk < all[k-1].rk) {
			sorted = false
		}
		all = append(all, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if !sorted {
		slices.SortFunc(all, func(a, b row) int {
			if c := cmp.Compare(a.rid, b.rid); c != 0 {
				return c
			}
			return strings.Compare(a.rk, b.rk)
		})
	}
	for _, r := range all {
		if _, ok := x.numbers[r.h]; !ok {
			x.numbers[r.h] = struct{}{}
			took++
		} else if list {
			skip = append(skip, strconv.FormatInt(r.rid, 10)+":"+r.rk)
		} else {
			skip = append(skip, r.rid)
		}
	}
	if len(skip) > expandSkips {
		return nil, 0, errManySkips
	}
	return skip, took, nil
}

// forUpdate locks the row read on PostgreSQL ("" on SQLite, whose
// transactions are serial).
func (db *DB) forUpdate() string {
	if db.d == postgresDialect {
		return " FOR UPDATE"
	}
	return ""
}

// HoldCampaign holds (hold) or releases the waiting messages of a sending
// campaign, as its office's working window closes or opens, and marks it
// so that messages it still queues are held too. It returns how many
// messages changed; a campaign in another state is left alone.
func (db *DB) HoldCampaign(ctx context.Context, id int64, hold bool) (int, error) {
	to, detail := taxsms.StatusQueued, "working hours open"
	if hold {
		to, detail = taxsms.StatusHeld, "outside working hours"
	}
	n := 0
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.rebind("UPDATE campaigns SET held = ?, updated_at = ? WHERE id = ? AND held <> ? AND state = 'sending'"),
			boolInt(hold), ms(db.Now()), id, boolInt(hold))
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return nil
		}
		if n, err = db.changeWaiting(ctx, tx, Selector{CampaignID: id}, to, detail); err != nil {
			return err
		}
		if err := db.campaignEvent(ctx, tx, id, db.Now(), taxsms.CampaignSending, fmt.Sprintf("%s: %d messages %s", detail, n, to)); err != nil {
			return err
		}
		action := audit.MessageReleased
		if hold {
			action = audit.MessageHeld
		}
		return db.appendAudit(ctx, tx, db.entry(ctx, action, campaignObject(id), nil, nil, fmt.Sprintf("%s; %d messages", detail, n)))
	})
	return n, err
}

// CampaignWaiting returns how many of a campaign's messages still wait
// (scheduled, queued, held or being sent).
func (db *DB) CampaignWaiting(ctx context.Context, id int64) (int, error) {
	var n int
	err := db.db.QueryRowContext(ctx, db.q("CountCampaignWaiting"), id).Scan(&n)
	return n, err
}

// CampaignHeld reports whether a sending campaign's messages are held
// outside working hours, and whether its whole audience is queued.
func (db *DB) CampaignHeld(ctx context.Context, id int64) (held, expanded bool, err error) {
	_, cur, err := db.campaignWithCursor(ctx, id)
	return cur.held, cur.expanded, err
}

// ListEntry is one row of an uploaded recipient list: a taxpayer (by id)
// or a number.
type ListEntry struct {
	TaxpayerID int64
	Mobile     string // normalised
}

// CreateRecipientList stores an uploaded list for campaigns of the office
// l.OfficeID and sets its ID and counts. Each entry names a taxpayer in the
// actor's read scope (else EINVALID naming the row) or a number. It needs
// write scope on the office (EFORBIDDEN).
func (db *DB) CreateRecipientList(ctx context.Context, l *taxsms.RecipientList, entries []ListEntry) error {
	if err := taxsms.CheckListName(l.Name); err != nil {
		return err
	}
	if len(entries) == 0 {
		return taxsms.Invalid("entries", "the list is empty")
	}
	if a, ok := auth.FromContext(ctx); ok && a.UserID != 0 {
		l.AuthorID = a.UserID
	}
	now := db.Now().UTC().Truncate(time.Millisecond)
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := db.checkWrite(ctx, tx, auth.DataMessages, "recipient list", l.OfficeID, l.AuthorID); err != nil {
			return err
		}
		l.Taxpayers, l.Numbers = 0, 0
		for _, e := range entries {
			if e.TaxpayerID != 0 {
				l.Taxpayers++
			} else {
				l.Numbers++
			}
		}
		if err := tx.QueryRowContext(ctx, db.q("InsertRecipientList"), l.OfficeID, nullID(l.AuthorID), l.Name, l.Taxpayers, l.Numbers, ms(now)).Scan(&l.ID); err != nil {
			return db.d.mapError(err)
		}
		l.CreatedAt = now
		scope, sargs := taxpayerScope(ctx, false)
		ins := &batcher{ctx: ctx, db: db, tx: tx, name: "InsertRecipientListEntry"}
		defer ins.close()
		for i, e := range entries {
			if e.TaxpayerID != 0 {
				var one int
				err := tx.QueryRowContext(ctx, db.rebind("SELECT 1 FROM taxpayers t WHERE t.id = ? AND "+scope), append([]any{e.TaxpayerID}, sargs...)...).Scan(&one)
				if errors.Is(err, sql.ErrNoRows) {
					return taxsms.Invalid("entries", "row %d: taxpayer %d not found", i+1, e.TaxpayerID)
				} else if err != nil {
					return err
				}
				if err := ins.add(l.ID, i+1, e.TaxpayerID, nil, nil, ""); err != nil {
					return err
				}
				continue
			}
			m, err := taxsms.NormalizeMobile(e.Mobile)
			if err != nil {
				return taxsms.Invalid("entries", "row %d: %s", i+1, taxsms.ErrorMessage(err))
			}
			enc, hash, mask := db.sealMobile(m)
			if err := ins.add(l.ID, i+1, nil, enc, hash, mask); err != nil {
				return err
			}
		}
		if err := ins.flush(); err != nil {
			return db.d.mapError(err)
		}
		return db.appendAudit(ctx, tx, db.entry(ctx, audit.Imported, audit.Object{Type: "recipient_list", ID: strconv.FormatInt(l.ID, 10)},
			nil, nil, fmt.Sprintf("recipient list %q: %d taxpayers, %d numbers", l.Name, l.Taxpayers, l.Numbers)))
	})
}

// FindRecipientList returns an uploaded list in the actor's read scope, or
// ENOTFOUND.
func (db *DB) FindRecipientList(ctx context.Context, id int64) (*taxsms.RecipientList, error) {
	return db.findRecipientList(ctx, db.db, id)
}

func (db *DB) findRecipientList(ctx context.Context, q querier, id int64) (*taxsms.RecipientList, error) {
	var l taxsms.RecipientList
	var created int64
	err := q.QueryRowContext(ctx, db.q("SelectRecipientList"), id).Scan(&l.ID, &l.OfficeID, &l.AuthorID, &l.Name, &l.Taxpayers, &l.Numbers, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, taxsms.Errorf(taxsms.ENOTFOUND, "recipient list %d not found", id)
	} else if err != nil {
		return nil, err
	}
	l.CreatedAt = fromMS(created)
	s := auth.AccessFrom(ctx, auth.DataMessages).Read
	if s.Level != auth.LevelAll {
		o, err := db.findOffice(ctx, q, db.q("SelectOffice"), l.OfficeID)
		if err != nil {
			return nil, err
		}
		if !s.Contains(o.Path, l.AuthorID) {
			return nil, taxsms.Errorf(taxsms.ENOTFOUND, "recipient list %d not found", id)
		}
	}
	return &l, nil
}
