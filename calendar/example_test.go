package calendar_test

import (
	"fmt"
	"strings"
	"time"

	"taxsms"
	"taxsms/calendar"
)

func Example() {
	cal := calendar.Default()
	deadlines := calendar.Deadlines{Calendar: cal, Tables: calendar.Published()}

	// The deadline for September's VAT falls in October 2026.
	due, source, err := deadlines.PeriodDeadline(2026, time.September)
	if err != nil {
		panic(err)
	}
	fmt.Println("deadline:", due, source)
	fmt.Println("remind on:", cal.AddWorkdays(due, -3), "and", cal.AddWorkdays(due, -1))
	fmt.Println("non-filers on:", cal.NextWorkday(due))
	// Output:
	// deadline: 2026-10-26 table
	// remind on: 2026-10-21 and 2026-10-23
	// non-filers on: 2026-10-27
}

func ExampleCalendar_IsWorkday() {
	cal := calendar.Default()
	for _, d := range []taxsms.Date{
		{Year: 2025, Month: time.January, Day: 29},   // 春节
		{Year: 2025, Month: time.February, Day: 8},   // a make-up Saturday
		{Year: 2026, Month: time.October, Day: 3},    // 国庆
		{Year: 2026, Month: time.December, Day: 3},   // a Thursday
		{Year: 2026, Month: time.December, Day: 5},   // a Saturday
		{Year: 2027, Month: time.September, Day: 15}, // 中秋, provisional
	} {
		e, _ := cal.Lookup(d)
		fmt.Println(d, cal.IsWorkday(d), e.Name, cal.Provisional(d.Year))
	}
	// Output:
	// 2025-01-29 false 春节 false
	// 2025-02-08 true 春节 false
	// 2026-10-03 false 国庆节 false
	// 2026-12-03 true  false
	// 2026-12-05 false  false
	// 2027-09-15 false 中秋节 true
}

func ExampleCalendar_Load() {
	cal := calendar.Default()
	err := cal.Load(strings.NewReader(`# one line per day
2026-10-01 holiday 国庆节 国办发明电〔2025〕7号
2026-10-10 workday 国庆节 国办发明电〔2025〕7号
2026-10-11 workday 国庆节 国办发明电〔2025〕7号
`))
	fmt.Println(err)
	err = cal.Load(strings.NewReader("2026-10-12 workday 国庆节 x\n"))
	fmt.Println(err)
	for _, e := range cal.Entries() { // unchanged by the failed load
		fmt.Println(e.Date, e.Kind, e.Name)
	}
	// Output:
	// <nil>
	// line 1: kind: 2026-10-12 is a Monday, already a working day; a make-up working day must be a Saturday or Sunday
	// 2026-10-01 holiday 国庆节
	// 2026-10-10 workday 国庆节
	// 2026-10-11 workday 国庆节
}

func ExampleHours_NextOpen() {
	h := calendar.DefaultHours(calendar.Default())
	// A broadcast approved on the evening before 国庆 waits for the first
	// working morning after it.
	approved := time.Date(2026, time.September, 30, 19, 5, 0, 0, calendar.Shanghai)
	fmt.Println(h, h.Contains(approved), h.NextOpen(approved).Format(time.DateTime))
	// Output: 08:30-12:00,13:30-17:30 false 2026-10-08 08:30:00
}

func ExampleDeadlines_MonthlyDeadline() {
	overrides, err := calendar.ParseTable(strings.NewReader("2026-11 2026-11-18 青岛市税务局通告\n"))
	if err != nil {
		panic(err)
	}
	d := calendar.Deadlines{Calendar: calendar.Default(), Tables: calendar.Published(), Overrides: overrides}
	for _, m := range []time.Month{time.October, time.November} {
		due, source, _ := d.MonthlyDeadline(2026, m)
		fmt.Println(due, source)
	}
	due, source, _ := d.MonthlyDeadline(2027, time.February)
	fmt.Println(due, source, "provisional:", d.Calendar.Provisional(2027))
	w, source, _ := d.AnnualDeadline(calendar.EIT, 2024)
	fmt.Println("eit:2024", w.Opens, w.Closes, source)
	// Output:
	// 2026-10-26 table
	// 2026-11-18 override
	// 2027-02-26 computed provisional: true
	// eit:2024 2025-01-01 2025-06-03 computed
}
