package web

import (
	"fmt"
	"html/template"
	"strings"

	"taxsms/report"
)

// The reports' charts, drawn like the others of console_chart.go: inline
// SVG, classes chart-*, a title for screen readers, every text escaped.

// rateBar is one bar of a rate chart.
type rateBar struct {
	Label string // translated
	Rate  report.Rate
}

// rateChart draws horizontal bars from 0 to 100% with each rate and its
// count ("95.2% · 952/1,000"); a bar without a denominator shows "—".
// title is the chart's accessible name.
func rateChart(title string, bars []rateBar) template.HTML {
	const (
		barW, valueW    = 230, 150
		rowH, barH, pad = 24, 16, 4
	)
	labelW := 120
	for _, b := range bars {
		labelW = max(labelW, textWidth(b.Label)+16)
	}
	labelW = min(labelW, 320)
	width := labelW + barW + valueW
	h := max(len(bars), 1)*rowH + 2*pad
	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="chart chart-bars chart-rates" viewBox="0 0 %d %d" role="img" aria-labelledby="%s"><title id="%[3]s">%s</title>`,
		width, h, chartID(title), esc(title))
	span := float64(width - labelW - valueW)
	fmt.Fprintf(&s, `<line class="chart-grid" x1="%.1f" x2="%.1f" y1="0" y2="%d"/>`, float64(labelW)+span, float64(labelW)+span, h)
	for i, b := range bars {
		y := pad + i*rowH
		v, ok := b.Rate.Value()
		w := span * v
		if ok && b.Rate.N > 0 && w < 1 {
			w = 1
		}
		value := "—"
		if ok {
			value = b.Rate.String() + " · " + formatInt(b.Rate.N) + "/" + formatInt(b.Rate.Of)
		}
		fmt.Fprintf(&s, `<text class="chart-label" x="%d" y="%d" text-anchor="end">%s</text>`, labelW-8, y+barH-4, esc(clip(b.Label, labelW-16)))
		fmt.Fprintf(&s, `<rect class="chart-bar" x="%d" y="%d" width="%.1f" height="%d" rx="2"><title>%s</title></rect>`, labelW, y, w, barH, esc(b.Label+": "+value))
		fmt.Fprintf(&s, `<text class="chart-value" x="%.1f" y="%d">%s</text>`, float64(labelW)+w+6, y+barH-4, esc(value))
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}

// textWidth estimates the width of s at the charts' 13px: wide (CJK)
// characters 13, others 7.5.
func textWidth(s string) int {
	w := 0.0
	for _, r := range s {
		if r >= 0x1100 {
			w += 13
		} else {
			w += 7.5
		}
	}
	return int(w + .5)
}

// clip shortens s to at most width (textWidth), ending it with "…".
func clip(s string, width int) string {
	if textWidth(s) <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && textWidth(string(r))+13 > width {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

// dayRate is one point of a rate-by-day chart.
type dayRate struct {
	Day  string // its label, "12-01"
	Rate report.Rate
}

// rateDaysChart draws rates over days as a line from 0 to 100%, a dot on
// each day that has a rate; days without one (nothing settled) break the
// line. title is the chart's accessible name.
func rateDaysChart(title string, days []dayRate) template.HTML {
	const (
		width, height       = 1000, 220
		left, right, top, b = 56, 16, 12, 28
	)
	n := len(days)
	plotW, plotH := float64(width-left-right), float64(height-top-b)
	x := func(i int) float64 {
		if n <= 1 {
			return float64(left) + plotW/2
		}
		return float64(left) + plotW*float64(i)/float64(n-1)
	}
	y := func(v float64) float64 { return float64(top) + plotH - plotH*v }
	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="chart chart-time chart-rate-days" viewBox="0 0 %d %d" role="img" aria-labelledby="%s"><title id="%[3]s">%s</title>`,
		width, height, chartID(title), esc(title))
	for _, v := range []float64{0, .5, 1} {
		fmt.Fprintf(&s, `<line class="chart-grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, left, width-right, y(v), y(v))
		fmt.Fprintf(&s, `<text class="chart-tick" x="%d" y="%.1f" text-anchor="end">%d%%</text>`, left-6, y(v)+4, int(v*100))
	}
	step := max(1, n/7)
	for i := 0; i < n-1; i += step {
		if n-1-i < step/2 {
			break // too close to the last day's label
		}
		fmt.Fprintf(&s, `<text class="chart-tick" x="%.1f" y="%d" text-anchor="middle">%s</text>`, x(i), height-8, esc(days[i].Day))
	}
	if n > 0 {
		anchor := "end" // the last day's label ends at the right edge
		if n == 1 {
			anchor = "middle"
		}
		fmt.Fprintf(&s, `<text class="chart-tick" x="%.1f" y="%d" text-anchor="%s">%s</text>`, x(n-1), height-8, anchor, esc(days[n-1].Day))
	}
	var d strings.Builder
	pen := "M"
	for i, p := range days {
		v, ok := p.Rate.Value()
		if !ok {
			pen = "M"
			continue
		}
		fmt.Fprintf(&d, "%s%.1f %.1f", pen, x(i), y(v))
		pen = "L"
	}
	if d.Len() > 0 {
		fmt.Fprintf(&s, `<path class="chart-rate" fill="none" d="%s"/>`, d.String())
	}
	for i, p := range days {
		if v, ok := p.Rate.Value(); ok {
			fmt.Fprintf(&s, `<circle class="chart-dot" cx="%.1f" cy="%.1f" r="3"><title>%s</title></circle>`, x(i), y(v),
				esc(p.Day+": "+p.Rate.String()+" ("+formatInt(p.Rate.N)+"/"+formatInt(p.Rate.Of)+")"))
		}
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}
