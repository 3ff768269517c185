package bench

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"time"

	hamsasim "github.com/hamsasim/hamsasim"
	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/scenario"
)

// Body is the one request body vegeta and k6 send: a real
// transcription.update event whose text is padded (or trimmed) so the body
// has the mean size of the events the bench scenario sends. hamsasim sends
// the scenario's real events, so all three tools move the same bytes.
type Body struct {
	Bytes []byte `json:"-"`
	Size  int    `json:"size"` // len(Bytes)
	// MeanEventSize is the mean body size, in bytes, of the events of the
	// scenario's mix, weighted as the mix weighs the fixtures.
	MeanEventSize float64 `json:"meanEventSize"`
	// EventsPerCall is the mean number of events one call of the mix sends.
	EventsPerCall float64 `json:"eventsPerCall"`
	// From names the event the body was built from.
	From string `json:"from"`
}

// expandStart fixes the timestamps in measured bodies; every timestamp has
// the same length, so the date only matters for reproducibility.
var expandStart = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// ShippedFixtures parses the fixtures embedded in hamsasim, keyed by name.
func ShippedFixtures() (map[string]*fixture.Fixture, error) {
	fsys := hamsasim.Fixtures()
	names, err := fs.Glob(fsys, "fixtures/calls/*.yaml")
	if err != nil {
		return nil, err
	}
	out := make(map[string]*fixture.Fixture, len(names))
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		f, err := fixture.Parse(data, n)
		if err != nil {
			return nil, err
		}
		out[f.Name] = f
	}
	return out, nil
}

// BenchBody measures the events of sc's mix and builds the body of their
// mean size from the first transcription.update of the mix's first fixture
// that has one. Every fixture the mix names must be in fixtures.
func BenchBody(sc *scenario.Scenario, fixtures map[string]*fixture.Fixture) (Body, error) {
	var weightedBytes, weightedEvents, weights float64
	var base *event.Event
	for _, m := range sc.Mix {
		f, ok := fixtures[m.Fixture]
		if !ok {
			return Body{}, fmt.Errorf("%s: mix names fixture %q, which is not shipped with hamsasim", sc.Source, m.Fixture)
		}
		events, err := f.Expand(fixture.Options{Seed: 1, Start: expandStart})
		if err != nil {
			return Body{}, err
		}
		var total int
		for i, e := range events {
			total += len(e.Body)
			if base == nil && e.Type == event.TranscriptionUpdate {
				base = &events[i]
			}
		}
		weightedBytes += m.Weight * float64(total)
		weightedEvents += m.Weight * float64(len(events))
		weights += m.Weight
	}
	if base == nil {
		return Body{}, fmt.Errorf("%s: no fixture of the mix sends a transcription.update to build the body from", sc.Source)
	}
	mean := weightedBytes / weightedEvents
	body, err := resizeTranscription(base.Body, int(mean+0.5))
	if err != nil {
		return Body{}, fmt.Errorf("resizing a transcription.update of %s: %w", base.Fixture, err)
	}
	return Body{
		Bytes:         body,
		Size:          len(body),
		MeanEventSize: mean,
		EventsPerCall: weightedEvents / weights,
		From:          fmt.Sprintf("transcription.update #%d of %s", base.Seq, base.Fixture),
	}, nil
}

// resizeTranscription returns body (a transcription.update) with its text
// replaced so the whole body is size bytes long. The filler repeats the
// original text's plain ASCII characters, which JSON encodes one byte each,
// so the size is exact. When even an empty text is longer than size, the
// body with an empty text is returned.
func resizeTranscription(body []byte, size int) ([]byte, error) {
	var data event.TranscriptionData
	env := event.Envelope{Data: &data}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, err
	}
	original := data.Data.Text
	data.Data.Text = ""
	empty, err := event.Marshal(env)
	if err != nil {
		return nil, err
	}
	n := size - len(empty)
	if n <= 0 {
		return empty, nil
	}
	data.Data.Text = filler(original, n)
	return event.Marshal(env)
}

// filler is n bytes of text made of s's letters, digits, spaces and plain
// punctuation, repeated: characters JSON writes as one byte each.
func filler(s string, n int) string {
	plain := strings.Map(func(r rune) rune {
		if r >= ' ' && r <= '~' && r != '"' && r != '\\' && r != '<' && r != '>' && r != '&' {
			return r
		}
		return -1
	}, s)
	if strings.TrimSpace(plain) == "" {
		plain = "and so the call goes on"
	}
	var b strings.Builder
	b.Grow(n)
	for b.Len() < n {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(plain)
	}
	return b.String()[:n]
}
