package web

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// Charts are drawn on the server as inline SVG: no script, styled by the
// console's stylesheet (classes chart-*), each with a title and
// description for screen readers. Every text in them is escaped here.

// bar is one bar of a bar chart.
type bar struct {
	Label string // translated
	N     int
}

// barChart draws horizontal bars with their labels and values. title is
// the chart's accessible name.
func barChart(title string, bars []bar) template.HTML {
	const (
		width, labelW, valueW = 460, 120, 64
		rowH, barH, pad       = 24, 16, 4
	)
	max := 0
	for _, b := range bars {
		max = maxInt(max, b.N)
	}
	h := len(bars)*rowH + 2*pad
	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="chart chart-bars" viewBox="0 0 %d %d" role="img" aria-labelledby="%s"><title id="%[3]s">%s</title>`,
		width, h, chartID(title), esc(title))
	span := float64(width - labelW - valueW)
	for i, b := range bars {
		y := pad + i*rowH
		w := 0.0
		if max > 0 {
			w = span * float64(b.N) / float64(max)
		}
		if b.N > 0 && w < 1 {
			w = 1
		}
		fmt.Fprintf(&s, `<text class="chart-label" x="%d" y="%d" text-anchor="end">%s</text>`, labelW-8, y+barH-4, esc(b.Label))
		fmt.Fprintf(&s, `<rect class="chart-bar" x="%d" y="%d" width="%.1f" height="%d" rx="2"/>`, labelW, y, w, barH)
		fmt.Fprintf(&s, `<text class="chart-value" x="%.1f" y="%d">%s</text>`, float64(labelW)+w+6, y+barH-4, formatInt(b.N))
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}

// series is one line of a time chart: a value per day.
type series struct {
	Label  string // translated
	Class  string // CSS class: chart-area, chart-line
	Values []int
}

// timeChart draws the first series as a filled area and the others as
// lines over the days labelled by days (one label per value), with a
// y axis from 0 to the highest value rounded up. title is the chart's
// accessible name.
func timeChart(title string, days []string, ss []series) template.HTML {
	const (
		width, height       = 1000, 240
		left, right, top, b = 56, 16, 12, 28
	)
	max := 0
	for _, sr := range ss {
		for _, v := range sr.Values {
			max = maxInt(max, v)
		}
	}
	top0 := niceCeil(max)
	n := len(days)
	plotW, plotH := float64(width-left-right), float64(height-top-b)
	x := func(i int) float64 {
		if n <= 1 {
			return float64(left)
		}
		return float64(left) + plotW*float64(i)/float64(n-1)
	}
	y := func(v int) float64 { return float64(top) + plotH - plotH*float64(v)/float64(top0) }
	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="chart chart-time" viewBox="0 0 %d %d" role="img" aria-labelledby="%s"><title id="%[3]s">%s</title>`,
		width, height, chartID(title), esc(title))
	for _, v := range []int{0, top0 / 2, top0} {
		fmt.Fprintf(&s, `<line class="chart-grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, left, width-right, y(v), y(v))
		fmt.Fprintf(&s, `<text class="chart-tick" x="%d" y="%.1f" text-anchor="end">%s</text>`, left-6, y(v)+4, formatInt(v))
	}
	step := maxInt(1, n/7)
	for i := 0; i < n; i += step {
		if i != n-1 && n-1-i < step/2 {
			continue // too close to the last day's label
		}
		fmt.Fprintf(&s, `<text class="chart-tick" x="%.1f" y="%d" text-anchor="middle">%s</text>`, x(i), height-8, esc(days[i]))
	}
	if n > 1 && (n-1)%step != 0 {
		fmt.Fprintf(&s, `<text class="chart-tick" x="%.1f" y="%d" text-anchor="end">%s</text>`, x(n-1), height-8, esc(days[n-1]))
	}
	for k, sr := range ss {
		if len(sr.Values) == 0 {
			continue
		}
		var d strings.Builder
		for i, v := range sr.Values {
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%.1f %.1f", cmd, x(i), y(v))
		}
		if k == 0 {
			fmt.Fprintf(&s, `<path class="%s" d="%sL%.1f %.1fL%.1f %.1fZ"><title>%s</title></path>`,
				esc(sr.Class), d.String(), x(len(sr.Values)-1), y(0), x(0), y(0), esc(sr.Label))
		} else {
			fmt.Fprintf(&s, `<path class="%s" fill="none" d="%s"><title>%s</title></path>`, esc(sr.Class), d.String(), esc(sr.Label))
		}
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}

// niceCeil rounds n up to 1, 2, 4, 5, 6 or 8 times a power of ten (at
// least 1), for an axis' top.
func niceCeil(n int) int {
	if n <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(float64(n))))
	for _, m := range []float64{1, 2, 4, 5, 6, 8, 10} {
		if v := int(m * p); v >= n {
			return v
		}
	}
	return int(10 * p)
}

func esc(s string) string { return template.HTMLEscapeString(s) }

// chartID makes an element id of a chart's title.
func chartID(title string) string {
	h := uint32(2166136261)
	for i := 0; i < len(title); i++ {
		h = (h ^ uint32(title[i])) * 16777619
	}
	return fmt.Sprintf("chart-%x", h)
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}
