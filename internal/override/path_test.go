package override_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/override"
)

func TestParsePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		path     string
		wantList bool   // the path ends at a list element
		err      string // the whole message, when the path is refused
	}{
		{name: "dotted names", path: "data.data.outcomeResult.application_id"},
		{name: "indexes", path: "data.data.transcription[0].Agent"},
		{name: "ends at an element", path: "a.b[2][3]", wantList: true},
		{name: "unicode and spaces in a name", path: "data.été x", wantList: false},
		{name: "empty", path: "", err: "field: an empty field path (use a path like " + example + ")"},
		{name: "blank", path: "  ", err: "field: an empty field path (use a path like " + example + ")"},
		{name: "empty segment", path: "a..b", err: "field a..b: not a field path like " + example},
		{name: "trailing dot", path: "a.", err: "field a.: not a field path like " + example},
		{name: "index alone", path: "[0]", err: "field [0]: not a field path like " + example},
		{name: "negative index", path: "a[-1]", err: "field a[-1]: not a field path like " + example},
		{name: "index too large", path: "a[99999999999999999999]", err: "field a[99999999999999999999]: index 99999999999999999999 is too large"},
		{name: "too deep", path: strings.Repeat("a.", 64) + "a", err: "field " + strings.Repeat("a.", 64) + "a: at most 64 levels deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := override.ParsePath(tt.path)
			if tt.err != "" {
				require.Error(t, err)
				assert.True(t, errors.Is(err, override.ErrSyntax))
				assert.Equal(t, tt.err, err.Error())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.path, got.String())
			assert.Equal(t, tt.wantList, got.ListElement())
		})
	}
}

const example = "data.data.outcomeResult.application_id or data.data.transcription[0].Agent"

func TestDocEdit(t *testing.T) {
	t.Parallel()
	const doc = `{"b":1,"a":{"l":[{"c":1},{"c":2}],"s":"x","n":null}}`
	tests := []struct {
		name    string
		path    string
		value   string // JSON; empty for an unset
		missing override.Missing
		want    string // the whole body after the edit
		err     string
		kind    error
	}{
		{name: "set keeps order", path: "a.s", value: `"y"`, missing: override.Refuse, want: `{"b":1,"a":{"l":[{"c":1},{"c":2}],"s":"y","n":null}}`},
		{name: "set a new last field", path: "a.t", value: `true`, missing: override.Refuse, want: `{"b":1,"a":{"l":[{"c":1},{"c":2}],"s":"x","n":null,"t":true}}`},
		{name: "set a list element", path: "a.l[1]", value: `0`, missing: override.Create, want: `{"b":1,"a":{"l":[{"c":1},0],"s":"x","n":null}}`},
		{name: "refuse a missing parent", path: "z.y", value: `1`, missing: override.Refuse,
			err: `field z.y: the event has no field "z" (fields there: a, b)`, kind: override.ErrNoField},
		{name: "create a missing parent", path: "z.y.x", value: `1`, missing: override.Create, want: `{"b":1,"a":{"l":[{"c":1},{"c":2}],"s":"x","n":null},"z":{"y":{"x":1}}}`},
		{name: "create does not replace null", path: "a.n.x", value: `1`, missing: override.Create,
			err: "field a.n.x: a.n is null, which has no fields", kind: override.ErrNoField},
		{name: "create does not extend a list", path: "a.l[2].c", value: `1`, missing: override.Create,
			err: "field a.l[2].c: a.l is a list of 2; valid indexes are 0 to 1", kind: override.ErrNoField},
		{name: "index into an object", path: "a[0]", value: `1`, missing: override.Create,
			err: "field a[0]: a is an object, not a list (fields there: l, n, s)", kind: override.ErrNoField},
		{name: "unset", path: "a.s", missing: override.Refuse, want: `{"b":1,"a":{"l":[{"c":1},{"c":2}],"n":null}}`},
		{name: "refuse unset of a missing field", path: "a.q", missing: override.Refuse,
			err: `field a.q: a has no field "q" (fields there: l, n, s)`, kind: override.ErrNoField},
		{name: "lenient unset of a missing field", path: "a.q", missing: override.Create, want: doc},
		{name: "lenient unset of a missing parent", path: "q.r.s", missing: override.Create, want: doc},
		{name: "unset of a list element", path: "a.l[0]", missing: override.Create,
			err: "field a.l[0]: a list element cannot be removed, only replaced", kind: override.ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := override.ParsePath(tt.path)
			require.NoError(t, err)
			d, err := override.Decode([]byte(doc))
			require.NoError(t, err)
			if tt.value == "" {
				err = d.Unset(p, tt.missing)
			} else {
				err = d.Set(p, override.ParseValue(tt.value), tt.missing)
			}
			if tt.err != "" {
				require.Error(t, err)
				assert.True(t, errors.Is(err, tt.kind))
				assert.Equal(t, tt.err, err.Error())
				return
			}
			require.NoError(t, err)
			got, err := d.Marshal()
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
}

func TestDocGet(t *testing.T) {
	t.Parallel()
	d, err := override.Decode([]byte(`{"a":{"l":[{"c":1.50}],"o":{"y":2,"x":1}},"s":"x"}`))
	require.NoError(t, err)
	tests := []struct {
		path   string
		want   string // JSON of the value
		wantOK bool
	}{
		{"a.l[0].c", `1.50`, true},
		{"a.o", `{"x":1,"y":2}`, true}, // a map: compared as plain JSON
		{"s", `"x"`, true},
		{"a.z", ``, false},
		{"a.l[1]", ``, false},
		{"s.x", ``, false},
		{"a[0]", ``, false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			p, err := override.ParsePath(tt.path)
			require.NoError(t, err)
			got, ok := d.Get(p)
			assert.Equal(t, tt.wantOK, ok)
			if tt.wantOK {
				b, err := json.Marshal(got)
				require.NoError(t, err)
				assert.Equal(t, tt.want, string(b))
			}
		})
	}
}

func TestDecodeRefusesNonJSON(t *testing.T) {
	t.Parallel()
	for _, body := range []string{``, `{`, `{"a":1} {"b":2}`, `nope`} {
		_, err := override.Decode([]byte(body))
		assert.True(t, errors.Is(err, override.ErrBody), "%q", body)
	}
	d, err := override.Decode([]byte(`[1]`))
	require.NoError(t, err, "any JSON value decodes")
	p, _ := override.ParsePath("a")
	_, ok := d.Get(p)
	assert.False(t, ok)
}

// An envelope field set to "" or to a non-string keeps the key the event
// had, as a receiver would not take either as a key.
func TestEventKeepsKeyOfInvalidEnvelope(t *testing.T) {
	t.Parallel()
	ev := event.Event{Type: "call.ended", CallID: "c-1", Timestamp: "2025-03-01T09:00:00.000Z", Body: []byte(body)}
	tests := []struct {
		name       string
		set, unset []string
		want       string
	}{
		{name: "empty callId", set: []string{`callId=""`}, want: ev.Key()},
		{name: "numeric timestamp", set: []string{"timestamp=7"}, want: ev.Key()},
		{name: "eventType removed", unset: []string{"eventType"}, want: ev.Key()},
		{name: "blank callId is a key", set: []string{`callId=" "`}, want: event.DuplicateKey(" ", "call.ended", "2025-03-01T09:00:00.000Z")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := override.Event(ev, mustOps(t, tt.set, tt.unset))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.Key())
		})
	}
}
