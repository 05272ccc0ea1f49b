package report

import (
	"fmt"
	"html"
	"math"
	"strings"
	"time"
)

// The charts are drawn by this small SVG writer: a line chart, a bar chart
// (horizontal, stacked or not) and a histogram, each one <svg> element with
// a viewBox so that it scales to the width of a phone. No library fits
// better: gonum/plot draws SVG too, but pulls in fonts and an image stack
// for three chart kinds that are a few hundred lines here, and its output
// has a fixed size in points, not a scalable viewBox.

// Point is one point of a line.
type Point struct{ X, Y float64 }

// Series is one line of a line chart.
type Series struct {
	Name   string
	Points []Point
	Dashed bool
}

// Mark is a vertical line across a chart at X, with a label.
type Mark struct {
	X     float64
	Label string
}

// LineChart draws lines over a numeric or time X axis.
type LineChart struct {
	ID             string // the data-chart attribute
	Title          string
	XLabel, YLabel string
	XTime          bool // X values are Unix seconds
	Series         []Series
	Marks          []Mark
}

// BarChart draws one horizontal bar per label; with several Stacks, each
// bar is split into them (Values[i][k] is label i, stack k).
type BarChart struct {
	ID     string
	Title  string
	Unit   string // after the value labels, e.g. "gen/h"
	Labels []string
	Stacks []string
	Values [][]float64
}

// Histogram draws counts over numeric bins [Edges[i], Edges[i+1]).
type Histogram struct {
	ID     string
	Title  string
	XLabel string
	Edges  []float64
	Counts []int
	Marks  []Mark
}

// palette is colour-blind safe (Okabe-Ito).
var palette = [...]string{"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"}

const (
	chartW  = 640.0
	padL    = 56.0
	padR    = 16.0
	padT    = 34.0
	padB    = 40.0
	plotH   = 220.0
	barH    = 18.0
	barGap  = 8.0
	labelW  = 150.0
	fontCSS = `font-family="system-ui,sans-serif"`
)

type svgBuf struct{ strings.Builder }

func (b *svgBuf) f(format string, args ...any) { fmt.Fprintf(&b.Builder, format, args...) }

func esc(s string) string { return html.EscapeString(s) }

func (b *svgBuf) open(id, title string, h float64) {
	b.f(`<svg class="chart" data-chart="%s" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" width="100%%" role="img" aria-label="%s" %s font-size="12">`,
		esc(id), chartW, h, esc(title), fontCSS)
	b.f(`<title>%s</title>`, esc(title))
	b.f(`<text x="4" y="18" font-size="14" font-weight="600">%s</text>`, esc(title))
}

func (b *svgBuf) close() { b.f(`</svg>`) }

// niceTicks returns about n round tick values covering [lo, hi].
func niceTicks(lo, hi float64, n int) []float64 {
	if !(hi > lo) {
		hi = lo + 1
	}
	raw := (hi - lo) / float64(max(n, 1))
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var ticks []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		ticks = append(ticks, v)
	}
	return ticks
}

// num formats a value for an axis or a label: 1234567 -> 1.23M.
func num(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e9:
		return trimZeros(fmt.Sprintf("%.2f", v/1e9)) + "G"
	case a >= 1e6:
		return trimZeros(fmt.Sprintf("%.2f", v/1e6)) + "M"
	case a >= 1e4:
		return trimZeros(fmt.Sprintf("%.1f", v/1e3)) + "k"
	case a >= 100 || v == math.Trunc(v):
		return fmt.Sprintf("%.0f", v)
	default:
		return trimZeros(fmt.Sprintf("%.2f", v))
	}
}

func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func (b *svgBuf) empty(h float64) {
	b.f(`<text x="%.0f" y="%.0f" text-anchor="middle" fill="#666" class="empty">no data yet</text>`, chartW/2, h/2+10)
}

// SVG renders the line chart.
func (c LineChart) SVG() string {
	h := padT + plotH + padB
	var b svgBuf
	b.open(c.ID, c.Title, h)
	defer b.close()
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), 0.0, math.Inf(-1)
	n := 0
	for _, s := range c.Series {
		for _, p := range s.Points {
			xlo, xhi = math.Min(xlo, p.X), math.Max(xhi, p.X)
			yhi = math.Max(yhi, p.Y)
			n++
		}
	}
	for _, m := range c.Marks {
		xlo, xhi = math.Min(xlo, m.X), math.Max(xhi, m.X)
	}
	if n == 0 {
		b.empty(h)
		return b.String()
	}
	if xhi <= xlo {
		xhi = xlo + 1
	}
	if yhi <= ylo {
		yhi = ylo + 1
	}
	yt := niceTicks(ylo, yhi, 4)
	yhi = math.Max(yhi, yt[len(yt)-1])
	pw := chartW - padL - padR
	sx := func(x float64) float64 { return padL + (x-xlo)/(xhi-xlo)*pw }
	sy := func(y float64) float64 { return padT + plotH - (y-ylo)/(yhi-ylo)*plotH }
	for _, t := range yt {
		b.f(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#ddd"/>`, padL, chartW-padR, sy(t), sy(t))
		b.f(`<text x="%.1f" y="%.1f" text-anchor="end" fill="#444">%s</text>`, padL-4, sy(t)+4, num(t))
	}
	for i, t := range c.xTicks(xlo, xhi) {
		anchor := "middle"
		if i == 0 {
			anchor = "start"
		}
		b.f(`<text x="%.1f" y="%.1f" text-anchor="%s" fill="#444">%s</text>`, sx(t.v), padT+plotH+16, anchor, esc(t.label))
	}
	b.f(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#444"/>`, padL, chartW-padR, sy(ylo), sy(ylo))
	if c.XLabel != "" {
		b.f(`<text x="%.1f" y="%.1f" text-anchor="middle" fill="#444">%s</text>`, padL+pw/2, h-4, esc(c.XLabel))
	}
	if c.YLabel != "" {
		b.f(`<text x="%.1f" y="%.1f" fill="#444">%s</text>`, padL, padT-4, esc(c.YLabel))
	}
	for _, m := range c.Marks {
		x := sx(m.X)
		b.f(`<line class="mark" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#D55E00" stroke-dasharray="4 3"/>`, x, x, padT, padT+plotH)
		anchor := "end"
		if x < chartW/2 {
			anchor = "start"
		}
		b.f(`<text x="%.1f" y="%.1f" text-anchor="%s" fill="#D55E00">%s</text>`, x-2, padT+12, anchor, esc(m.Label))
	}
	lx := padL + 8
	for i, s := range c.Series {
		col := palette[i%len(palette)]
		var d strings.Builder
		for j, p := range s.Points {
			cmd := "L"
			if j == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%.1f %.1f", cmd, sx(p.X), sy(p.Y))
		}
		dash := ""
		if s.Dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		b.f(`<path class="line" d="%s" fill="none" stroke="%s" stroke-width="2"%s/>`, d.String(), col, dash)
		if len(s.Points) == 1 {
			p := s.Points[0]
			b.f(`<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`, sx(p.X), sy(p.Y), col)
		}
		if len(c.Series) > 1 && s.Name != "" {
			b.f(`<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s"/><text x="%.1f" y="%.1f">%s</text>`, lx, padT+4, col, lx+14, padT+13, esc(s.Name))
			lx += 24 + 7*float64(len(s.Name))
		}
	}
	return b.String()
}

type tick struct {
	v     float64
	label string
}

func (c LineChart) xTicks(lo, hi float64) []tick {
	var out []tick
	if !c.XTime {
		for _, v := range niceTicks(lo, hi, 5) {
			out = append(out, tick{v, num(v)})
		}
		return out
	}
	span := hi - lo
	layout := "15:04"
	if span > 2*86400 {
		layout = "Jan 2"
	} else if span > 86400/2 {
		layout = "Jan 2 15:04"
	}
	for i := 0; i <= 3; i++ {
		v := lo + span*float64(i)/3
		if i == 3 {
			continue // the last label would run off the edge
		}
		out = append(out, tick{v, time.Unix(int64(v), 0).UTC().Format(layout)})
	}
	return out
}

// SVG renders the bar chart.
func (c BarChart) SVG() string {
	h := padT + float64(max(len(c.Labels), 1))*(barH+barGap) + 24
	if len(c.Stacks) > 1 {
		h += 20
	}
	var b svgBuf
	b.open(c.ID, c.Title, h)
	defer b.close()
	total := func(i int) float64 {
		s := 0.0
		for _, v := range c.Values[i] {
			s += v
		}
		return s
	}
	hi := 0.0
	for i := range c.Labels {
		hi = math.Max(hi, total(i))
	}
	if len(c.Labels) == 0 || hi <= 0 {
		b.empty(h)
		return b.String()
	}
	valW := 70.0
	pw := chartW - labelW - valW - padR
	y := padT
	if len(c.Stacks) > 1 {
		lx := labelW
		for k, s := range c.Stacks {
			b.f(`<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s"/><text x="%.1f" y="%.1f">%s</text>`, lx, y, palette[k%len(palette)], lx+14, y+9, esc(s))
			lx += 24 + 7*float64(len(s))
		}
		y += 20
	}
	for i, l := range c.Labels {
		lab := l
		if len(lab) > 22 {
			lab = lab[:21] + "…"
		}
		b.f(`<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`, labelW-6, y+barH-5, esc(lab))
		x := labelW
		for k, v := range c.Values[i] {
			if v <= 0 {
				continue
			}
			w := v / hi * pw
			name := l
			if len(c.Stacks) > k && c.Stacks[k] != "" {
				name += " · " + c.Stacks[k]
			}
			b.f(`<rect class="bar" x="%.1f" y="%.1f" width="%.2f" height="%.0f" fill="%s"><title>%s: %s</title></rect>`,
				x, y, math.Max(w, 1), barH, palette[k%len(palette)], esc(name), esc(num(v)))
			x += w
		}
		b.f(`<text x="%.1f" y="%.1f" fill="#444">%s</text>`, x+4, y+barH-5, esc(strings.TrimSpace(num(total(i))+" "+c.Unit)))
		y += barH + barGap
	}
	return b.String()
}

// SVG renders the histogram.
func (c Histogram) SVG() string {
	h := padT + plotH + padB
	var b svgBuf
	b.open(c.ID, c.Title, h)
	defer b.close()
	maxN := 0
	for _, n := range c.Counts {
		maxN = max(maxN, n)
	}
	if len(c.Edges) < 2 || maxN == 0 {
		b.empty(h)
		return b.String()
	}
	xlo, xhi := c.Edges[0], c.Edges[len(c.Edges)-1]
	for _, m := range c.Marks {
		xhi = math.Max(xhi, m.X)
	}
	pw := chartW - padL - padR
	sx := func(x float64) float64 { return padL + (x-xlo)/(xhi-xlo)*pw }
	yt := niceTicks(0, float64(maxN), 4)
	yhi := math.Max(float64(maxN), yt[len(yt)-1])
	sy := func(y float64) float64 { return padT + plotH - y/yhi*plotH }
	for _, t := range yt {
		b.f(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#ddd"/>`, padL, chartW-padR, sy(t), sy(t))
		b.f(`<text x="%.1f" y="%.1f" text-anchor="end" fill="#444">%s</text>`, padL-4, sy(t)+4, num(t))
	}
	for i, n := range c.Counts {
		if n == 0 {
			continue
		}
		x0, x1 := sx(c.Edges[i]), sx(c.Edges[i+1])
		b.f(`<rect class="bar" x="%.1f" y="%.1f" width="%.2f" height="%.1f" fill="%s"><title>%s–%s: %d</title></rect>`,
			x0, sy(float64(n)), math.Max(x1-x0-1, 1), sy(0)-sy(float64(n)), palette[0], num(c.Edges[i]), num(c.Edges[i+1]), n)
	}
	b.f(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#444"/>`, padL, chartW-padR, sy(0), sy(0))
	for _, t := range niceTicks(xlo, xhi, 5) {
		b.f(`<text x="%.1f" y="%.1f" text-anchor="middle" fill="#444">%s</text>`, sx(t), padT+plotH+16, num(t))
	}
	if c.XLabel != "" {
		b.f(`<text x="%.1f" y="%.1f" text-anchor="middle" fill="#444">%s</text>`, padL+pw/2, h-4, esc(c.XLabel))
	}
	for _, m := range c.Marks {
		x := sx(m.X)
		b.f(`<line class="mark" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#D55E00" stroke-width="2" stroke-dasharray="4 3"/>`, x, x, padT, padT+plotH)
		b.f(`<text x="%.1f" y="%.1f" text-anchor="end" fill="#D55E00">%s</text>`, x-4, padT+12, esc(m.Label))
	}
	return b.String()
}
