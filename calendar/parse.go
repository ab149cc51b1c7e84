package calendar

import (
	"bufio"
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"taxsms"
)

// The data file holds one entry a line, its fields separated by spaces or
// tabs:
//
//	# date     kind     name  source                   [provisional]
//	2026-02-15 holiday  春节  国办发明电〔2025〕7号
//	2026-02-14 workday  春节  国办发明电〔2025〕7号
//	2027-06-09 holiday  端午节 lunar-go-v1.4.7        provisional
//
// date is YYYY-MM-DD; kind is holiday or workday; name and source are single
// words (no spaces); the optional fifth field is the word provisional. Blank
// lines and lines starting with # are ignored; a UTF-8 byte order mark and
// CRLF line ends are accepted. Lines are at most maxLine bytes.

const maxLine = 1024

const fileHeader = `# taxsms working-day calendar: one entry a line.
# date       kind     name  source  [provisional]
# kind: holiday = statutory day off (any weekday); workday = make-up working day (Saturday or Sunday).
`

//go:embed holidays.txt
var holidaysTxt []byte

// Default returns a new calendar of the embedded data: the State Council's
// arrangements for 2025 (国办发明电〔2024〕12号) and 2026 (国办发明电〔2025〕7号)
// and a provisional 2027 list. Each call returns a calendar of its own.
func Default() *Calendar {
	es, err := Parse(bytes.NewReader(holidaysTxt))
	if err != nil {
		panic("calendar: embedded holidays.txt: " + err.Error()) // tested; cannot happen at run time
	}
	c, err := New(es)
	if err != nil {
		panic("calendar: embedded holidays.txt: " + err.Error())
	}
	return c
}

// Load replaces all entries with those of the data file read from r. On
// error nothing changes; the error is as Parse's.
func (c *Calendar) Load(r io.Reader) error {
	es, err := Parse(r)
	if err != nil {
		return err
	}
	return c.Replace(es)
}

// Parse reads a data file. It checks every entry as Entry.Validate does and
// rejects two entries on one date; an error is an EINVALID *taxsms.Error
// whose message starts with the line number and names the field, e.g.
// `line 7: kind: "holyday": must be holiday or workday`, and whose Field is
// the field. A read error is returned wrapped, as is.
func Parse(r io.Reader) ([]Entry, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256), maxLine)
	var es []Entry
	seen := map[taxsms.Date]int{}
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if n == 1 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		e, err := parseLine(line)
		if err != nil {
			return nil, prefixed(fmt.Sprintf("line %d: ", n), err)
		}
		if prev, ok := seen[e.Date]; ok {
			return nil, lineError(n, "date", "%s is already on line %d", e.Date, prev)
		}
		seen[e.Date] = n
		if len(es) == MaxEntries {
			return nil, lineError(n, "date", "more than %d entries", MaxEntries)
		}
		es = append(es, e)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, lineError(n+1, "line", "longer than %d bytes", maxLine)
		}
		return nil, fmt.Errorf("read calendar: %w", err)
	}
	return es, nil
}

func parseLine(line string) (Entry, error) {
	f := strings.Fields(line)
	if len(f) < 4 || len(f) > 5 {
		return Entry{}, taxsms.Invalid("line", "want 4 or 5 fields (date kind name source [provisional]), got %d", len(f))
	}
	var e Entry
	t, err := time.Parse(taxsms.DateLayout, f[0])
	if err != nil {
		return Entry{}, taxsms.Invalid("date", "%q is not a date (want YYYY-MM-DD)", f[0])
	}
	e.Date = taxsms.DateOf(t)
	switch f[1] {
	case "holiday":
		e.Kind = Holiday
	case "workday":
		e.Kind = Workday
	default:
		return Entry{}, taxsms.Invalid("kind", "%q: must be holiday or workday", f[1])
	}
	e.Name, e.Source = f[2], f[3]
	if len(f) == 5 {
		if f[4] != "provisional" {
			return Entry{}, taxsms.Invalid("flag", "%q: the fifth field may only be provisional", f[4])
		}
		e.Provisional = true
	}
	return e, e.Validate()
}

// line returns e as a line of the data file, without the line end.
func (e Entry) line() string {
	s := e.Date.String() + " " + e.Kind.String() + " " + e.Name + " " + e.Source
	if e.Provisional {
		s += " provisional"
	}
	return s
}

// lineError returns an EINVALID error about field on line n.
func lineError(n int, field, format string, args ...any) error {
	return &taxsms.Error{Code: taxsms.EINVALID, Field: field,
		Message: fmt.Sprintf("line %d: %s: ", n, field) + fmt.Sprintf(format, args...)}
}

// prefixed returns err with prefix in front of its message, keeping its code
// and field if it is a *taxsms.Error.
func prefixed(prefix string, err error) error {
	var e *taxsms.Error
	if errors.As(err, &e) {
		return &taxsms.Error{Code: e.Code, Field: e.Field, Message: prefix + e.Message}
	}
	return fmt.Errorf("%s%w", prefix, err)
}
