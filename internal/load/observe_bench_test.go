package load_test

import (
	"testing"

	"github.com/hamsasim/hamsasim/internal/live"
	"github.com/hamsasim/hamsasim/internal/load"
)

// BenchmarkObserver is the cost per event of what the engine's loop tells
// an Observer (the event falls due, one attempt, the delivery ends): with
// none, and with the Prometheus metrics of --metrics-listen.
func BenchmarkObserver(b *testing.B) {
	cases := []struct {
		name    string
		o       func() load.Observer
		failing bool
	}{
		{"nil", func() load.Observer { return nil }, false},
		{"prometheus/acked", func() load.Observer { return live.New() }, false},
		{"prometheus/503", func() load.Observer { return live.New() }, true},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			o := tc.o()
			b.ReportAllocs()
			b.ResetTimer()
			load.ObserveEvents(o, 2, b.N, tc.failing)
		})
	}
}
