package loadreport

import (
	"encoding/base64"
	"math"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// The histograms summary.json carries: microseconds from 1 µs to 1 h.
// Totals keep 3 significant digits; timeline buckets 2, which is plenty
// for a chart. Merging shards adds these histograms, so every summary of
// one version must use the same ranges.
const (
	histLowest   = 1
	histHighest  = int64(time.Hour / time.Microsecond)
	histDigits   = 3
	bucketDigits = 2
)

func newHist(digits int) *hdr.Histogram { return hdr.New(histLowest, histHighest, digits) }

// NewHistogram is an empty latency histogram for totals (Summary.Histograms,
// Stats.Latency): 3 significant digits.
func NewHistogram() *hdr.Histogram { return newHist(histDigits) }

// NewBucketHistogram is an empty latency histogram for one timeline bucket
// (Bucket.Histogram): 2 significant digits.
func NewBucketHistogram() *hdr.Histogram { return newHist(bucketDigits) }

// Record adds latency d to h, clamped to the histograms' range (1 µs to
// 1 h), so it never fails.
func Record(h *hdr.Histogram, d time.Duration) {
	us := int64(d / time.Microsecond)
	if us < histLowest {
		us = histLowest
	}
	if us > histHighest {
		us = histHighest
	}
	_ = h.RecordValue(us) // in range by construction
}

// EncodeHistogram is h as summary.json holds it: V2 compressed, base64;
// "" if it cannot be encoded.
func EncodeHistogram(h *hdr.Histogram) string {
	b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(b)
}

func decodeHist(s string) (*hdr.Histogram, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	return hdr.Decode(b)
}

// mergeHist adds the encoded histogram src into *dst (creating it with
// digits significant digits).
func mergeHist(dst **hdr.Histogram, src string, digits int) error {
	if src == "" {
		return nil
	}
	h, err := decodeHist(src)
	if err != nil {
		return err
	}
	if *dst == nil {
		*dst = newHist(digits)
	}
	(*dst).Merge(h)
	return nil
}

func usToMs(us int64) float64 { return float64(us) / 1000 }

// Latencies reads the percentiles, in milliseconds, from a histogram of
// microseconds; the zero Latency when h is empty.
func Latencies(h *hdr.Histogram) Latency {
	n := h.TotalCount()
	if n == 0 {
		return Latency{}
	}
	l := Latency{
		Count: n,
		Min:   usToMs(h.Min()),
		Mean:  round3(h.Mean() / 1000),
		P50:   usToMs(h.ValueAtPercentile(50)),
		P90:   usToMs(h.ValueAtPercentile(90)),
		P95:   usToMs(h.ValueAtPercentile(95)),
		P99:   usToMs(h.ValueAtPercentile(99)),
		P999:  usToMs(h.ValueAtPercentile(99.9)),
		Max:   usToMs(h.Max()),
	}
	for _, p := range DistributionPercentiles {
		v := h.Max()
		if p < 100 {
			v = h.ValueAtPercentile(p)
		}
		l.Distribution = append(l.Distribution, usToMs(v))
	}
	return l
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// Finish fills the fields of s derived from its counters and from h, the
// histogram of its attempts' latencies, over elapsed: Latency, SuccessPct
// and the rates.
func (s *Stats) Finish(h *hdr.Histogram, elapsed time.Duration) {
	s.Latency = Latencies(h)
	s.SuccessPct = 100
	if s.Deliveries > 0 {
		s.SuccessPct = round3(100 * float64(s.Acked) / float64(s.Deliveries))
	}
	if sec := elapsed.Seconds(); sec > 0 {
		s.AttemptsPerSec = round3(float64(s.Attempts) / sec)
		s.AckedPerSec = round3(float64(s.Acked) / sec)
	}
}

// SetLatencies fills the bucket's percentiles and histogram from h, the
// latencies of the attempts that finished in it; an empty h leaves them
// zero.
func (b *Bucket) SetLatencies(h *hdr.Histogram) {
	if h == nil || h.TotalCount() == 0 {
		return
	}
	b.P50 = usToMs(h.ValueAtPercentile(50))
	b.P99 = usToMs(h.ValueAtPercentile(99))
	b.Max = usToMs(h.Max())
	b.Histogram = EncodeHistogram(h)
}

// SetLatencies fills the type's percentiles and histogram from h, as
// Bucket.SetLatencies does.
func (b *BucketType) SetLatencies(h *hdr.Histogram) {
	if h == nil || h.TotalCount() == 0 {
		return
	}
	b.P50 = usToMs(h.ValueAtPercentile(50))
	b.P99 = usToMs(h.ValueAtPercentile(99))
	b.Histogram = EncodeHistogram(h)
}
