package chart

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Formatting for people: thousands separators, three significant digits,
// units; never NaN or Inf. A table beside a chart uses these too, so its
// numbers read as the chart's labels do.

// Int shows n with thousands separators: "1,234".
func Int(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// sig3 shows v with three significant digits (more for big numbers, which
// get thousands separators), trailing zeros trimmed.
func sig3(v float64) string {
	a := math.Abs(v)
	var s string
	switch {
	case a >= 999.5:
		return Int(int64(math.Round(v)))
	case a >= 99.95:
		s = strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 9.995:
		s = strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 0.9995:
		s = strconv.FormatFloat(v, 'f', 2, 64)
	default:
		s = strconv.FormatFloat(v, 'f', 3, 64)
	}
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// Num shows v with three significant digits: "0.125", "12.3", "12,346";
// "n/a" when v is not finite. It is the default tick label.
func Num(v float64) string {
	if !Finite(v) {
		return "n/a"
	}
	return sig3(v)
}

// Ms shows a latency in ms: "0.42 ms", "12.3 ms", "412 ms", "1.2 s"; "n/a"
// when v is not finite.
func Ms(v float64) string {
	switch {
	case !Finite(v):
		return "n/a"
	case math.Abs(v) >= 999.5:
		return sig3(v/1000) + " s"
	}
	return sig3(v) + " ms"
}

// Pct shows a percentage with two decimals, or more when two would round a
// shortfall up to 100 %: "99.95 %", "99.999 %"; "n/a" when v is not finite.
func Pct(v float64) string {
	if !Finite(v) {
		return "n/a"
	}
	s := strconv.FormatFloat(v, 'f', 2, 64)
	for d := 3; v < 100 && strings.HasPrefix(s, "100") && d <= 6; d++ {
		s = strconv.FormatFloat(v, 'f', d, 64)
	}
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s + " %"
}

// Secs shows a time given in seconds, as on a time axis: "0.5s", "30s",
// "1m30s", "2m", "1h"; "n/a" when v is not finite.
func Secs(v float64) string {
	if !Finite(v) {
		return "n/a"
	}
	if math.Abs(v) < 60 || v != math.Round(v) {
		return sig3(v) + "s"
	}
	return shortDuration(time.Duration(v) * time.Second)
}

// shortDuration is Duration.String without the zero units at its end.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Finite reports whether v is a number a chart can place: not NaN, not
// ±Inf. Series points that are not are gaps.
func Finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
