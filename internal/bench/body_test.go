package bench

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	hamsasim "github.com/hamsasim/hamsasim"
	"github.com/hamsasim/hamsasim/internal/contract"
	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/scenario"
)

func loadContract(t *testing.T) *contract.Contract {
	t.Helper()
	c, err := contract.Load(hamsasim.Contract(), hamsasim.ContractPath)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func benchScenario(t *testing.T) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.ReadFile(DefaultScenario[len("internal/bench/"):])
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func shipped(t *testing.T) map[string]*fixture.Fixture {
	t.Helper()
	fx, err := ShippedFixtures()
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

// The bench scenario must keep hamsasim at max rate on the sink and give
// it nothing to fail on: no retries, duplicates, shuffles, faults or
// thresholds, and only short shipped fixtures.
func TestBenchScenario(t *testing.T) {
	t.Parallel()
	sc := benchScenario(t)
	fx := shipped(t)
	if sc.Delivery.Retries != 0 || sc.Duplicates != 0 || sc.OutOfOrder != 0 {
		t.Errorf("retries %d, duplicates %v, outOfOrder %v; want all 0", sc.Delivery.Retries, sc.Duplicates, sc.OutOfOrder)
	}
	if len(sc.Thresholds) != 0 || len(sc.Faults) != 0 {
		t.Errorf("thresholds %v, faults %v; want none", sc.Thresholds, sc.Faults)
	}
	if sc.Arrival.Kind != scenario.ArrivalConstant || sc.Arrival.Constant*DefaultDuration.Seconds() < 2*MaxInFlight {
		t.Errorf("arrival %+v: want a constant rate that plans at least %d calls in %s", sc.Arrival, 2*MaxInFlight, DefaultDuration)
	}
	if sc.TimeScale > 0.001 {
		t.Errorf("timeScale %v: want 0.001 or less, so events are due faster than they can be sent", sc.TimeScale)
	}
	if sc.Drain.Seconds() != 30 {
		t.Errorf("drain %s, want 30s", sc.Drain)
	}
	for _, m := range sc.Mix {
		f, ok := fx[m.Fixture]
		if !ok {
			t.Errorf("mix names %q, which is not shipped", m.Fixture)
			continue
		}
		if f.End.At.Minutes() > 3 {
			t.Errorf("fixture %s lasts %s; the bench mixes short calls only", f.Name, f.End.At)
		}
	}
}

func TestBenchBody(t *testing.T) {
	t.Parallel()
	sc := benchScenario(t)
	b, err := BenchBody(sc, shipped(t))
	if err != nil {
		t.Fatal(err)
	}
	if want := int(math.Round(b.MeanEventSize)); b.Size != want || len(b.Bytes) != want {
		t.Errorf("size %d (len %d), want the rounded mean %d", b.Size, len(b.Bytes), want)
	}
	if b.MeanEventSize < 200 || b.MeanEventSize > 5000 || b.EventsPerCall < 4 {
		t.Errorf("mean %v bytes, %v events per call: not what the short fixtures send", b.MeanEventSize, b.EventsPerCall)
	}
	var env struct {
		EventType string `json:"eventType"`
	}
	if err := json.Unmarshal(b.Bytes, &env); err != nil || env.EventType != event.TranscriptionUpdate {
		t.Fatalf("body is not a transcription.update (%v): %s", err, b.Bytes)
	}
	if v := loadContract(t).ValidateEvent(event.TranscriptionUpdate, b.Bytes); len(v) != 0 {
		t.Errorf("the resized body breaks the contract: %v", v)
	}
	if !strings.HasPrefix(b.From, "transcription.update #") {
		t.Errorf("From = %q", b.From)
	}
}

// The mean is weighted by the mix: doubling one fixture's weight moves it.
func TestBenchBodyWeights(t *testing.T) {
	t.Parallel()
	fx := shipped(t)
	one := func(name string) Body {
		sc := &scenario.Scenario{Source: "x.yaml", Mix: []scenario.MixEntry{{Fixture: name, Weight: 1}}}
		b, err := BenchBody(sc, fx)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, c := one("ends-early"), one("support-resolved")
	mixed, err := BenchBody(&scenario.Scenario{Source: "x.yaml", Mix: []scenario.MixEntry{
		{Fixture: "ends-early", Weight: 3}, {Fixture: "support-resolved", Weight: 1},
	}}, fx)
	if err != nil {
		t.Fatal(err)
	}
	ea, ec := 3*a.EventsPerCall, c.EventsPerCall
	want := (a.MeanEventSize*ea + c.MeanEventSize*ec) / (ea + ec)
	if math.Abs(mixed.MeanEventSize-want) > 1e-9 {
		t.Errorf("mixed mean %v, want %v", mixed.MeanEventSize, want)
	}
	if wantEv := (ea + ec) / 4; math.Abs(mixed.EventsPerCall-wantEv) > 1e-9 {
		t.Errorf("events per call %v, want %v", mixed.EventsPerCall, wantEv)
	}
}

func TestBenchBodyUnknownFixture(t *testing.T) {
	t.Parallel()
	sc := &scenario.Scenario{Source: "mine.yaml", Mix: []scenario.MixEntry{{Fixture: "nope", Weight: 1}}}
	_, err := BenchBody(sc, shipped(t))
	if err == nil || err.Error() != `mine.yaml: mix names fixture "nope", which is not shipped with hamsasim` {
		t.Errorf("err = %v", err)
	}
}

func TestResizeTranscription(t *testing.T) {
	t.Parallel()
	base := []byte(`{"eventType":"transcription.update","callId":"c","timestamp":"2026-01-05T09:00:00.000Z","projectId":"p","agentId":"a","agentName":"A","data":{"data":{"speaker":"user","text":"Ça va? \"Oui\" <b>","confidence":0.9}}}`)
	empty := len(strings.Replace(string(base), `Ça va? \"Oui\" <b>`, "", 1))
	tests := []struct {
		name string
		size int
		want int
	}{
		{"grow", 900, 900},
		{"shrink", empty + 3, empty + 3},
		{"smaller than an empty text", 10, empty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := resizeTranscription(base, tt.size)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Errorf("len = %d, want %d: %s", len(got), tt.want, got)
			}
			var env struct {
				Data struct {
					Data struct {
						Speaker    string  `json:"speaker"`
						Confidence float64 `json:"confidence"`
					} `json:"data"`
				} `json:"data"`
			}
			if err := json.Unmarshal(got, &env); err != nil || env.Data.Data.Speaker != "user" || env.Data.Data.Confidence != 0.9 {
				t.Errorf("resized body lost its shape (%v): %s", err, got)
			}
		})
	}
}
