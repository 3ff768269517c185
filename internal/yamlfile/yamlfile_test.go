package yamlfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	yaml "go.yaml.in/yaml/v3"

	"github.com/hamsasim/hamsasim/internal/yamlfile"
)

var errTest = errors.New("test input invalid")

// valueOf parses "v: <text>" and returns the value node.
func valueOf(t *testing.T, text string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte("a: &x 1\nv: "+text+"\n"), &doc))
	return doc.Content[0].Content[3]
}

func TestDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		max  time.Duration
		want time.Duration
		err  string // the whole message, when refused
	}{
		{name: "milliseconds", text: "250ms", max: time.Hour, want: 250 * time.Millisecond},
		{name: "fraction", text: "9.5s", max: time.Hour, want: 9500 * time.Millisecond},
		{name: "compound", text: "1m30s", max: time.Hour, want: 90 * time.Second},
		{name: "micro sign", text: "5µs", max: time.Hour, want: 5 * time.Microsecond},
		{name: "quoted", text: `"2s"`, max: time.Hour, want: 2 * time.Second},
		{name: "bare integer is seconds", text: "2", max: time.Hour, want: 2 * time.Second},
		{name: "bare float is seconds", text: "0.25", max: time.Hour, want: 250 * time.Millisecond},
		{name: "underscores", text: "1_000", max: time.Hour, want: 1000 * time.Second},
		{name: "zero", text: "0", max: time.Hour, want: 0},
		{name: "zero with a unit", text: "0s", max: time.Hour, want: 0},
		{name: "exactly the maximum", text: "1h", max: time.Hour, want: time.Hour},
		{name: "an alias", text: "*x", max: time.Hour, want: time.Second},
		{name: "no unit in a string", text: `"5"`, max: time.Hour,
			err: `f.yaml:2: v: "5" is not a duration (use 250ms, 9.5s, 1m30s, or a number of seconds)`},
		{name: "words", text: "10 minutes", max: time.Hour,
			err: `f.yaml:2: v: "10 minutes" is not a duration (use 250ms, 9.5s, 1m30s, or a number of seconds)`},
		{name: "days are not a unit", text: "2d", max: time.Hour,
			err: `f.yaml:2: v: "2d" is not a duration (use 250ms, 9.5s, 1m30s, or a number of seconds)`},
		{name: "negative string", text: "-5m", max: time.Hour, err: "f.yaml:2: v: -5m is negative; a duration is 0 or longer"},
		{name: "negative number", text: "-1", max: time.Hour, err: "f.yaml:2: v: -1 is negative; a duration is 0 or longer"},
		{name: "negative overflow", text: "-100000000000h", max: time.Hour, err: "f.yaml:2: v: -100000000000h is negative; a duration is 0 or longer"},
		{name: "over the maximum", text: "61m", max: time.Hour, err: "f.yaml:2: v: 61m is longer than the maximum 1h"},
		{name: "overflow", text: "100000000000h", max: 24 * time.Hour, err: "f.yaml:2: v: 100000000000h is longer than the maximum 24h"},
		{name: "seconds over the maximum", text: "1e300", max: time.Minute, err: "f.yaml:2: v: 1e300 seconds is longer than the maximum 1m"},
		{name: "not a number", text: ".nan", max: time.Hour, err: "f.yaml:2: v: .nan is not a finite number of seconds"},
		{name: "infinity", text: ".inf", max: time.Hour, err: "f.yaml:2: v: .inf is not a finite number of seconds"},
		{name: "a boolean", text: "true", max: time.Hour, err: "f.yaml:2: v: must be a duration like 2.5s or 1m30s, not a boolean"},
		{name: "a list", text: "[1s]", max: time.Hour, err: "f.yaml:2: v: must be a duration like 2.5s or 1m30s, not a list"},
		{name: "null", text: "~", max: time.Hour, err: "f.yaml:2: v: must be a duration like 2.5s or 1m30s, not empty (null)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := &yamlfile.Reader{File: "f.yaml", Kind: errTest}
			got, ok := r.Duration(valueOf(t, tt.text), "v", tt.max)
			err := r.Err()
			if tt.err != "" {
				assert.False(t, ok)
				require.Error(t, err)
				assert.True(t, errors.Is(err, errTest))
				assert.Equal(t, tt.err, err.Error())
				assert.Zero(t, got)
				return
			}
			require.NoError(t, err)
			assert.True(t, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestShortDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   time.Duration
		want string
	}{
		{24 * time.Hour, "24h"},
		{time.Minute, "1m"},
		{90 * time.Second, "1m30s"},
		{time.Hour + time.Minute, "1h1m"},
		{1500 * time.Millisecond, "1.5s"},
		{0, "0s"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, yamlfile.ShortDuration(tt.in))
		})
	}
}

func TestRoot(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		data     string
		wantLine int // of the error, 0 when it has none
		err      string
	}{
		{name: "a mapping", data: "name: x\n"},
		{name: "tab indent", data: "a:\n\tb: 1\n", wantLine: 2, err: "f.yaml:2: indented with a tab; YAML indentation must use spaces"},
		{name: "syntax", data: "a: 1\n  b: 2\n", wantLine: 2, err: "f.yaml:2: not valid YAML: mapping values are not allowed in this context"},
		{name: "empty", data: "", err: "f.yaml: empty file: needs a name"},
		{name: "only a comment", data: "# nothing\n", err: "f.yaml: empty file: needs a name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := &yamlfile.Reader{File: "f.yaml", Kind: errTest}
			n := r.Root([]byte(tt.data), "needs a name")
			if tt.err == "" {
				require.NoError(t, r.Err())
				assert.Equal(t, yaml.MappingNode, n.Kind)
				return
			}
			assert.Nil(t, n)
			var e *yamlfile.Error
			require.True(t, errors.As(r.Err(), &e))
			assert.Equal(t, tt.wantLine, e.Line)
			assert.Equal(t, tt.err, r.Err().Error())
		})
	}
}

func TestMappingAndRequired(t *testing.T) {
	t.Parallel()
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte("call:\n  ring: 1s\n  rnig: 2s\n  ring: 3s\n  to: x\n"), &doc))
	r := &yamlfile.Reader{File: "f.yaml", Kind: errTest}
	call := r.Mapping(doc.Content[0], "", "call")["call"]
	fields := r.Mapping(call, "call", "ring", "to", "from")
	assert.Equal(t, "1s", fields["ring"].Value, "the first of a key given twice is kept")
	assert.Nil(t, r.Required(call, fields, "call", "from"))
	assert.Equal(t, "x", r.Required(call, fields, "call", "to").Value)
	r.Mapping(fields["to"], "call.to")
	err := r.Err()
	require.Error(t, err)
	assert.Equal(t, "f.yaml:2: call.from: missing (required)\n"+
		"f.yaml:3: call.rnig: unknown field; did you mean ring? (known fields: ring, to, from)\n"+
		"f.yaml:4: call.ring: given twice\n"+
		"f.yaml:5: call.to: must be a mapping (key: value lines), not a string", err.Error(), "sorted by line")
	var list yamlfile.ErrorList
	require.True(t, errors.As(err, &list))
	assert.Len(t, list, 4)
	assert.True(t, errors.Is(err, errTest))
}

func TestReadFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "f.yaml")
	require.NoError(t, os.WriteFile(path, []byte("a: 1\n"), 0o644))
	got, err := yamlfile.ReadFile(path, errTest)
	require.NoError(t, err)
	assert.Equal(t, "a: 1\n", string(got))
	_, err = yamlfile.ReadFile(filepath.Join(dir, "nope.yaml"), errTest)
	assert.True(t, errors.Is(err, errTest))
	assert.Equal(t, filepath.Join(dir, "nope.yaml")+": cannot read: no such file", err.Error())
}

func TestHelpers(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "a.b", yamlfile.Join("a", "b"))
	assert.Equal(t, "b", yamlfile.Join("", "b"))
	assert.Equal(t, "; did you mean ring?", yamlfile.DidYouMean("rign", []string{"ring", "to"}))
	assert.Equal(t, "", yamlfile.DidYouMean("completely", []string{"ring", "to"}))
	kinds := map[string]string{"1": "a number", "1.5": "a number", "x": "a string", "true": "a boolean", "~": "empty (null)", "[1]": "a list", "{a: 1}": "a mapping"}
	for text, want := range kinds {
		assert.Equal(t, want, yamlfile.KindName(valueOf(t, text)), text)
	}
	e := &yamlfile.Error{File: "f.yaml", Msg: "bad"}
	assert.Equal(t, "f.yaml: bad", e.Error(), "no line, no field")
}
