package calendar

import (
	"time"

	"taxsms"
)

// A day number counts days from 1970-01-01 (day 0), so that the calendar can
// index, compare and step through days with integer arithmetic and no
// allocation. The conversions follow H. Hinnant's days_from_civil and
// civil_from_days, exact for the proleptic Gregorian calendar.

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// dayNumber returns the day number of d. Out-of-range days and months are
// normalised as time.Date does (February 30 is March 2).
func dayNumber(d taxsms.Date) int {
	y, m := d.Year, int(d.Month)
	if m < 1 || m > 12 {
		y += floorDiv(m-1, 12)
		m = m - 1 - floorDiv(m-1, 12)*12 + 1
	}
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d.Day - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// dateOf returns the date of day number n.
func dateOf(n int) taxsms.Date {
	z := n + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return taxsms.Date{Year: y, Month: time.Month(m), Day: d}
}

// weekday returns the day of the week of day number n (1970-01-01 was a Thursday).
func weekday(n int) time.Weekday {
	return time.Weekday((n%7 + 7 + 4) % 7)
}

func isWeekend(n int) bool {
	w := weekday(n)
	return w == time.Saturday || w == time.Sunday
}

// weekdaysBefore returns the number of Mondays to Fridays in [0, n), negative
// for n < 0, so that weekdaysBefore(b) - weekdaysBefore(a) counts [a, b).
func weekdaysBefore(n int) int {
	// Day 0 is a Thursday: Thu Fri Sat Sun Mon Tue Wed.
	partial := [8]int{0, 1, 2, 2, 2, 3, 4, 5}
	q := floorDiv(n, 7)
	return 5*q + partial[n-7*q]
}
