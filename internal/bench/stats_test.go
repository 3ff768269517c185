package bench

import (
	"testing"
)

func TestMedian(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"empty", nil, 0},
		{"one", []float64{7}, 7},
		{"odd, unsorted", []float64{30, 10, 20}, 20},
		{"even: mean of the middle two", []float64{4, 1, 3, 2}, 2.5},
		{"repeated values", []float64{5, 5, 1, 5, 9}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := append([]float64(nil), tt.in...)
			if got := Median(in); got != tt.want {
				t.Errorf("Median(%v) = %v, want %v", tt.in, got, tt.want)
			}
			for i := range in {
				if in[i] != tt.in[i] {
					t.Fatalf("Median reordered its input: %v, was %v", in, tt.in)
				}
			}
		})
	}
}

func TestMinMax(t *testing.T) {
	t.Parallel()
	if lo, hi := MinMax([]float64{3, -1, 8, 2}); lo != -1 || hi != 8 {
		t.Errorf("MinMax = %v, %v; want -1, 8", lo, hi)
	}
	if lo, hi := MinMax(nil); lo != 0 || hi != 0 {
		t.Errorf("MinMax(nil) = %v, %v; want 0, 0", lo, hi)
	}
}

func TestNewRatio(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		hamsasim, peer float64
		target         float64
		wantValue      float64
		wantMet        bool
	}{
		{"above", 27000, 30000, 0.9, 0.9, true},
		{"just below, prints 0.89", 26700, 30000, 0.9, 0.89, false},
		{"rounds to the target: met", 26990, 30000, 0.9, 26990.0 / 30000, true},
		{"k6 target met", 24000, 16000, 1.5, 1.5, true},
		{"k6 target missed", 23000, 16000, 1.5, 1.4375, false},
		{"peer measured nothing", 23000, 0, 1.5, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := NewRatio("peer", tt.hamsasim, tt.peer, tt.target)
			if got.Value != tt.wantValue || got.Met != tt.wantMet || got.Target != tt.target || got.Peer != "peer" {
				t.Errorf("NewRatio(%v, %v, %v) = %+v, want value %v met %v", tt.hamsasim, tt.peer, tt.target, got, tt.wantValue, tt.wantMet)
			}
		})
	}
}

func TestNewMemory(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		peaks       []float64
		inFlight    []int64
		wantVerdict string
		wantMedian  float64
		wantMax     float64
		wantFlight  int64
	}{
		{"under the limit with 10,000 in flight", []float64{100, 120, 110}, []int64{10000, 10000, 9000}, Met, 110, 120, 10000},
		{"one run over the limit", []float64{100, 151, 110}, []int64{10000, 10000, 10000}, NotMet, 110, 151, 10000},
		{"exactly the limit is over", []float64{150}, []int64{10000}, NotMet, 150, 150, 10000},
		{"under, but 10,000 never in flight", []float64{60, 70}, []int64{4000, 6000}, NotShown, 65, 70, 6000},
		{"over and too few in flight: over wins", []float64{200}, []int64{10}, NotMet, 200, 200, 10},
		{"no runs", nil, nil, NotShown, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := NewMemory(tt.peaks, tt.inFlight, 150, 10000)
			if got.Verdict != tt.wantVerdict || got.MedianMB != tt.wantMedian || got.MaxMB != tt.wantMax || got.MaxInFlight != tt.wantFlight {
				t.Errorf("NewMemory(%v, %v) = %+v, want verdict %q median %v max %v in flight %d",
					tt.peaks, tt.inFlight, got, tt.wantVerdict, tt.wantMedian, tt.wantMax, tt.wantFlight)
			}
		})
	}
}

func TestCommas(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"}, {999.4, "999"}, {999.5, "1,000"}, {29812.7, "29,813"}, {1234567, "1,234,567"}, {-4500, "-4,500"},
	}
	for _, tt := range tests {
		if got := commas(tt.in); got != tt.want {
			t.Errorf("commas(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
