package load

import (
	"io/fs"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim"
	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/fixture"
)

// A spliced body is byte for byte what a full expansion gives, for every
// shipped fixture, whatever the call's ids and start.
func TestTemplateSplicesLikeExpand(t *testing.T) {
	t.Parallel()
	names, err := fs.Glob(hamsasim.Fixtures(), "fixtures/calls/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, names)
	for _, name := range names {
		data, err := fs.ReadFile(hamsasim.Fixtures(), name)
		require.NoError(t, err)
		f, err := fixture.Parse(data, name)
		require.NoError(t, err)
		tpl, err := newTemplate(f)
		require.NoError(t, err)
		assert.True(t, tpl.spliced, name)
		for _, inst := range []int{0, 3, 9999} {
			start := time.Date(2026, 11, 22, 10, 0, 0, int(inst)*1_000_000, time.UTC)
			want, err := f.Expand(fixture.Options{Seed: 42, Instance: inst, Start: start})
			require.NoError(t, err)
			ids := fixture.NewIDs(42, f.Name, inst)
			require.Len(t, tpl.events, len(want))
			for i, ev := range want {
				et := &tpl.events[i]
				ts := event.FormatTime(start.Add(et.offset))
				assert.Equal(t, ev.Timestamp, ts)
				assert.Equal(t, string(ev.Body), string(et.render(nil, ids, ts)), "%s event %d", name, i)
				assert.Equal(t, ev.Type, et.typ)
			}
		}
	}
}

// A fixture whose own text contains a value the template marks cannot be
// spliced safely; it falls back to full expansion.
func TestTemplateFallsBackWhenTextCollides(t *testing.T) {
	t.Parallel()
	ids := fixture.NewIDs(1, "collide", 0)
	src := `name: collide
agent: {id: agent-1, name: Ava}
project: proj-1
call: {direction: inbound, from: "+15550001", to: "+15550002", answered: true, ring: 2s}
params: {note: "` + ids.CallID + `"}
turns:
  - {at: 3s, agent: "Hello"}
end: {at: 10s, recording: "https://rec.example.com/a.mp3"}
`
	f, err := fixture.Parse([]byte(src), "collide.yaml")
	require.NoError(t, err)
	tpl, err := newTemplate(f)
	require.NoError(t, err)
	assert.False(t, tpl.spliced)
}
