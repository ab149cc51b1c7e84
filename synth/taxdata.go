package synth

import (
	"fmt"
	"math/rand/v2"
	"time"

	"taxsms"
)

// taxWriter writes the tax data of one period, from a random source of its
// own so that the other files are the same with or without it.
type taxWriter struct {
	rng       *rand.Rand
	period    taxsms.Period
	types     map[string]bool // the tax types filed by the period's kind
	filingDue taxsms.Date
	first     int64 // Unix day after the period ends
	due       int64 // Unix day of the deadline
	files     [4]*csvFile
	rec       []string
	ref       int
}

// periodTaxes are the tax types filed by each kind of period.
var periodTaxes = map[taxsms.PeriodKind][]string{
	taxsms.Monthly:   {"增值税", "个人所得税", "城市维护建设税", "教育费附加", "地方教育附加"},
	taxsms.Quarterly: {"企业所得税", "印花税", "房产税", "城镇土地使用税"},
	taxsms.Annual:    {"企业所得税", "个人所得税"},
}

var failReasons = []string{"账户余额不足", "账户余额不足", "账户余额不足", "账户已冻结", "账户已销户", "三方协议已失效"}

func newTaxWriter(cfg Config) *taxWriter {
	w := &taxWriter{rng: rand.New(rand.NewPCG(cfg.Seed, 0x7a8d474)), period: cfg.Period, types: make(map[string]bool)}
	for _, t := range periodTaxes[cfg.Period.Kind()] {
		w.types[t] = true
	}
	w.filingDue = cfg.FilingDue
	if w.filingDue.IsZero() {
		end := cfg.Period.End().Time(time.UTC)
		if cfg.Period.Kind() == taxsms.Annual {
			w.filingDue = taxsms.Date{Year: end.Year() + 1, Month: time.May, Day: 31}
		} else {
			next := end.AddDate(0, 0, 1)
			w.filingDue = taxsms.Date{Year: next.Year(), Month: next.Month(), Day: 15}
		}
	}
	w.first = cfg.Period.End().Time(time.UTC).Unix()/86400 + 1
	w.due = w.filingDue.Time(time.UTC).Unix() / 86400
	if w.due < w.first {
		w.first = w.due
	}
	return w
}

func (w *taxWriter) day(from, to int64) string {
	if to < from {
		to = from
	}
	return taxsms.DateOf(unixDay(from + w.rng.Int64N(to-from+1))).String()
}

// amount returns an amount due in fen for a tax type: most are small.
func (w *taxWriter) amount(tt string) int64 {
	base := int64(200_000) // 2,000 yuan
	switch tt {
	case "增值税", "企业所得税":
		base = 3_000_000
	case "城市维护建设税", "教育费附加", "地方教育附加", "印花税":
		base = 50_000
	}
	// Roughly log-uniform between base/100 and base·10.
	f := base / 100
	for k := w.rng.IntN(4); k > 0; k-- {
		f *= 10
	}
	return f + w.rng.Int64N(f*9+1)
}

// taxpayer writes the obligations of one taxpayer and what settled them.
func (w *taxWriter) taxpayer(id string, types []string) error {
	for _, tt := range types {
		if !w.types[tt] {
			continue
		}
		due := w.filingDue.String()
		w.write(0, id, tt, string(w.period), due, due)
		if w.rng.IntN(100) >= 80 {
			continue // not filed
		}
		filed := w.day(w.first, w.due)
		var amount int64
		if w.rng.IntN(5) > 0 {
			amount = w.amount(tt)
		}
		w.write(1, id, tt, string(w.period), filed, taxsms.FormatYuan(amount))
		if amount == 0 {
			continue
		}
		paid := amount
		switch r := w.rng.IntN(100); {
		case r < 7:
			paid = 0
		case r < 10:
			paid = amount / 2
		}
		deduct := w.rng.IntN(20) == 0
		if deduct && w.rng.IntN(5) == 0 { // the deduction failed: nothing paid
			w.ref++
			at := w.filingDue.Time(time.UTC).Add(9*time.Hour + time.Duration(w.rng.IntN(8*3600))*time.Second)
			w.write(3, id, tt, string(w.period), taxsms.FormatYuan(amount), "失败", failReasons[w.rng.IntN(len(failReasons))],
				fmt.Sprintf("BK%s%08d", w.filingDue.Time(time.UTC).Format("20060102"), w.ref), at.Format("2006-01-02 15:04:05"))
			continue
		}
		if paid == 0 {
			continue
		}
		on := w.day(w.first, w.due)
		if filed > on {
			on = filed
		}
		w.write(2, id, tt, string(w.period), on, taxsms.FormatYuan(paid))
		if deduct {
			w.ref++
			w.write(3, id, tt, string(w.period), taxsms.FormatYuan(paid), "成功", "",
				fmt.Sprintf("BK%s%08d", w.filingDue.Time(time.UTC).Format("20060102"), w.ref), on+" 09:00:00")
		}
	}
	return w.files[0].w.Error()
}

func (w *taxWriter) write(file int, cells ...string) {
	w.files[file].w.Write(cells)
}

// close flushes and closes the files; later calls return nil.
func (w *taxWriter) close() error {
	var err error
	for _, f := range w.files {
		if f == nil {
			continue
		}
		if e := f.close(); err == nil {
			err = e
		}
	}
	return err
}
