package calendar

import (
	"time"

	lunar "github.com/6tail/lunar-go/calendar"

	"taxsms"
)

// Festival is a traditional festival the bureau greets taxpayers and staff
// on, dated by the lunar calendar.
type Festival struct {
	Name    string // 春节
	English string // Spring Festival
	Date    taxsms.Date
}

// festivals are the festivals greeted, by lunar month and day.
var festivals = []struct {
	name, english string
	month, day    int
}{
	{"春节", "Spring Festival", 1, 1},
	{"元宵节", "Lantern Festival", 1, 15},
	{"端午节", "Dragon Boat Festival", 5, 5},
	{"中秋节", "Mid-Autumn Festival", 8, 15},
}

// Festivals returns the festivals that fall in the Gregorian year, in date
// order: 春节, 元宵节, 端午节 and 中秋节 of the lunar year that starts in it.
func Festivals(year int) []Festival {
	out := make([]Festival, 0, len(festivals))
	for _, f := range festivals {
		s := lunar.NewLunarFromYmd(year, f.month, f.day).GetSolar()
		out = append(out, Festival{Name: f.name, English: f.english,
			Date: taxsms.Date{Year: s.GetYear(), Month: time.Month(s.GetMonth()), Day: s.GetDay()}})
	}
	return out
}

// Upcoming returns the festivals from day (included) to within days after
// it, in date order: those whose greetings should be prepared now.
func Upcoming(day taxsms.Date, days int) []Festival {
	end := dateOf(dayNumber(day) + days)
	var out []Festival
	for _, y := range []int{day.Year, day.Year + 1} {
		for _, f := range Festivals(y) {
			if !f.Date.Before(day) && !end.Before(f.Date) {
				out = append(out, f)
			}
		}
	}
	return out
}
