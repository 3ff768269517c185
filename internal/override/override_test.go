package override_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/override"
)

const body = `{"eventType":"call.ended","callId":"c-1","timestamp":"2025-03-01T09:00:00.000Z","data":{"data":{"outcomeResult":{"application_id":"12345","score":1.50},"transcription":[{"Agent":"Hi"},{"User":"Hello"}]}}}`

func TestParseValue(t *testing.T) {
	t.Parallel()
	cases := []struct {
		raw  string
		want string // the value encoded as JSON
	}{
		{"A-1", `"A-1"`},
		{`"quoted"`, `"quoted"`},
		{"3", `3`},
		{"12345678901234567890", `12345678901234567890`},
		{"-0.25", `-0.25`},
		{"true", `true`},
		{"null", `null`},
		{`{"a":[1,2]}`, `{"a":[1,2]}`},
		{"[1, 2]", `[1,2]`},
		{"3 apples", `"3 apples"`},
		{"", `""`},
		{"{not json", `"{not json"`},
	}
	for _, c := range cases {
		t.Run(c.raw, func(t *testing.T) {
			t.Parallel()
			got, err := event.Marshal(override.ParseValue(c.raw))
			require.NoError(t, err)
			assert.Equal(t, c.want, string(got))
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, arg string
		unset     bool
		want      string
	}{
		{"no equals", "data.data.x", false, `--set "data.data.x": use path=value, e.g. --set data.data.outcomeResult.application_id=A-1`},
		{"empty path", "=3", false, `--set: an empty field path (use a path like data.data.outcomeResult.application_id or data.data.transcription[0].Agent)`},
		{"empty segment", "data..x=3", false, `--set data..x: not a field path like data.data.outcomeResult.application_id or data.data.transcription[0].Agent`},
		{"unset with value", "data.x=3", true, `--unset "data.x=3": give only the field's path (to change a value, use --set path=value)`},
		{"unset list element", "data.list[0]", true, `--unset data.list[0]: a list element cannot be removed, only replaced with --set`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var err error
			if c.unset {
				_, err = override.ParseUnset("--unset", c.arg)
			} else {
				_, err = override.ParseSet("--set", c.arg)
			}
			require.Error(t, err)
			assert.True(t, errors.Is(err, override.ErrSyntax))
			assert.Equal(t, c.want, err.Error())
		})
	}
}

func mustOps(t *testing.T, set []string, unset []string) []override.Op {
	t.Helper()
	var ops []override.Op
	for _, s := range set {
		o, err := override.ParseSet("--set", s)
		require.NoError(t, err)
		ops = append(ops, o)
	}
	for _, s := range unset {
		o, err := override.ParseUnset("--unset", s)
		require.NoError(t, err)
		ops = append(ops, o)
	}
	return ops
}

func TestApply(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		set, unset []string
		want       string // a fragment of the new body
		err        string
	}{
		{name: "set a string", set: []string{"data.data.outcomeResult.application_id=A-1"}, want: `"application_id":"A-1"`},
		{name: "set a new field", set: []string{"data.data.outcomeResult.new=true"}, want: `"new":true`},
		{name: "numbers kept exactly", set: []string{"data.data.outcomeResult.big=12345678901234567890"}, want: `"score":1.50,"big":12345678901234567890`},
		{name: "set a list element", set: []string{"data.data.transcription[1].User=Bye"}, want: `{"User":"Bye"}`},
		{name: "unset", unset: []string{"data.data.outcomeResult.score"}, want: `"outcomeResult":{"application_id":"12345"}`},
		{name: "missing parent", set: []string{"data.data.outcome.x=1"},
			err: `--set data.data.outcome.x: data.data has no field "outcome" (fields there: outcomeResult, transcription)`},
		{name: "index out of range", set: []string{"data.data.transcription[5].User=x"},
			err: `--set data.data.transcription[5].User: data.data.transcription is a list of 2; valid indexes are 0 to 1`},
		{name: "index on an object", set: []string{"data.data[0]=x"},
			err: `--set data.data[0]: data.data is an object, not a list (fields there: outcomeResult, transcription)`},
		{name: "field of a scalar", set: []string{"callId.x=1"}, err: `--set callId.x: callId is a string, which has no fields`},
		{name: "unset missing", unset: []string{"data.data.outcomeResult.nope"},
			err: `--unset data.data.outcomeResult.nope: data.data.outcomeResult has no field "nope" (fields there: application_id, score)`},
		{name: "top level", unset: []string{"nope"}, err: `--unset nope: the event has no field "nope" (fields there: callId, data, eventType, timestamp)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := override.Apply([]byte(body), mustOps(t, c.set, c.unset))
			if c.err != "" {
				require.Error(t, err)
				assert.True(t, errors.Is(err, override.ErrNoField))
				assert.Equal(t, c.err, err.Error())
				return
			}
			require.NoError(t, err)
			assert.Contains(t, string(got), c.want)
		})
	}
}

func TestApplyKeepsFieldOrder(t *testing.T) {
	t.Parallel()
	got, err := override.Apply([]byte(body), mustOps(t, []string{"data.data.outcomeResult.application_id=A-1"}, nil))
	require.NoError(t, err)
	assert.Equal(t, strings.Replace(body, `"12345"`, `"A-1"`, 1), string(got), "only the changed field differs")
}

func TestApplyNoOpsKeepsBytes(t *testing.T) {
	t.Parallel()
	in := []byte(`{"b":1, "a":2}`)
	got, err := override.Apply(in, nil)
	require.NoError(t, err)
	assert.Equal(t, string(in), string(got))
}

func TestEventRefreshesKey(t *testing.T) {
	t.Parallel()
	ev := event.Event{Type: "call.ended", CallID: "c-1", Timestamp: "2025-03-01T09:00:00.000Z", Body: []byte(body)}
	got, err := override.Event(ev, mustOps(t, []string{"callId=c-2", "timestamp=2025-03-01T09:00:01.000Z"}, nil))
	require.NoError(t, err)
	assert.Equal(t, event.DuplicateKey("c-2", "call.ended", "2025-03-01T09:00:01.000Z"), got.Key())
	assert.Contains(t, string(got.Body), `"callId":"c-2"`)
}

func TestLifecycle(t *testing.T) {
	t.Parallel()
	mk := func(typ, data string) event.Event {
		return event.Event{Type: typ, CallID: "c", Timestamp: "t", Body: []byte(`{"eventType":"` + typ + `","callId":"c","timestamp":"t","data":` + data + `}`)}
	}
	calls := func() [][]event.Event {
		return [][]event.Event{{
			mk("call.started", `{"data":{"params":{"a":1}}}`),
			mk("transcription.update", `{"data":{"speaker":"user"}}`),
			mk("call.ended", `{"data":{"outcomeResult":{"a":1}}}`),
		}}
	}
	t.Run("applies where the parent exists", func(t *testing.T) {
		t.Parallel()
		cs := calls()
		before := string(cs[0][1].Body)
		require.NoError(t, override.Lifecycle(cs, mustOps(t, []string{"data.data.params.a=2", "data.data.outcomeResult.a=2"}, nil)))
		assert.Contains(t, string(cs[0][0].Body), `"params":{"a":2}`)
		assert.Equal(t, before, string(cs[0][1].Body), "an event without the path is sent unchanged")
		assert.Contains(t, string(cs[0][2].Body), `"outcomeResult":{"a":2}`)
	})
	t.Run("a set that fits nothing", func(t *testing.T) {
		t.Parallel()
		err := override.Lifecycle(calls(), mustOps(t, []string{"data.data.nope.x=1"}, nil))
		require.Error(t, err)
		assert.True(t, errors.Is(err, override.ErrNoField))
		assert.Equal(t, "--set data.data.nope.x: no event of the run has the field's parent object", err.Error())
	})
	t.Run("an unset that fits nothing", func(t *testing.T) {
		t.Parallel()
		err := override.Lifecycle(calls(), mustOps(t, nil, []string{"data.data.nope"}))
		assert.Equal(t, "--unset data.data.nope: no event of the run has the field", err.Error())
	})
}

func TestParam(t *testing.T) {
	t.Parallel()
	cases := []struct {
		arg  string
		key  string
		want any
		err  string
	}{
		{arg: "application_id=A-1", key: "application_id", want: "A-1"},
		{arg: "seats=25", key: "seats", want: int64(25)},
		{arg: "score=0.5", key: "score", want: 0.5},
		{arg: "vip=true", key: "vip", want: true},
		{arg: "referrer=null", key: "referrer", want: nil},
		{arg: `tags=["a","b"]`, key: "tags", want: `["a","b"]`},
		{arg: "id==x", key: "id", want: "=x"},
		{arg: "noequals", err: `--param "noequals": use key=value, e.g. --param application_id=A-1`},
		{arg: "=3", err: `--param "=3": use key=value, e.g. --param application_id=A-1`},
	}
	for _, c := range cases {
		t.Run(c.arg, func(t *testing.T) {
			t.Parallel()
			k, v, err := override.Param("--param", c.arg)
			if c.err != "" {
				require.Error(t, err)
				assert.Equal(t, c.err, err.Error())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.key, k)
			assert.Equal(t, c.want, v)
		})
	}
}
