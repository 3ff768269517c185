package steps

import (
	"testing"

	messages "github.com/cucumber/messages/go/v21"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/override"
)

func TestNormalizeTags(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"":                       "",
		"@a":                     "@a",
		"~@a":                    "~@a",
		"not @wip":               "~@wip",
		"@a and not @b":          "@a&&~@b",
		"@a or @b":               "@a,@b",
		"@a && ~@b":              "@a&&~@b",
		"@smoke,@auth && ~@slow": "@smoke,@auth&&~@slow",
	}
	for in, want := range cases {
		got, err := NormalizeTags(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"@a,", "a", "@a && ", "(@a)", "@a @b", "not"} {
		_, err := NormalizeTags(bad)
		assert.ErrorIs(t, err, ErrFeatures, bad)
	}
}

func TestMatchTags(t *testing.T) {
	t.Parallel()
	tags := []*messages.PickleTag{{Name: "@auth"}, {Name: "@slow"}}
	cases := map[string]bool{
		"": true, "@auth": true, "@nope": false, "~@auth": false, "~@nope": true,
		"@auth&&@slow": true, "@auth&&~@slow": false, "@nope,@slow": true, "@nope,~@auth": false,
	}
	for expr, want := range cases {
		assert.Equal(t, want, matchTags(expr, tags), expr)
	}
}

func TestEveryExampleMatchesItsStep(t *testing.T) {
	t.Parallel()
	for _, d := range Defs() {
		first := stripKeyword(firstLine(d.Example))
		assert.Regexp(t, d.Pattern, first, "the example of %s", d.Pattern)
		n := 0
		for _, o := range Defs() {
			if o.re.MatchString(first) {
				n++
			}
		}
		assert.Equal(t, 1, n, "%q must match exactly one step (ambiguous otherwise)", first)
	}
}

func firstLine(s string) string {
	for i, c := range s {
		if c == '\n' {
			return s[:i]
		}
	}
	return s
}

func TestNearest(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "Then every event is acknowledged", Nearest("every event is acknowledgd", 1)[0])
	assert.Equal(t, `When the platform delivers the "call.ended" event 3 times`, Nearest(`the platform delivers "call.started" event 2 times`, 1)[0])
	assert.Empty(t, Nearest("completely unrelated words here about nothing", 3))
}

func TestJSONPath(t *testing.T) {
	t.Parallel()
	body := []byte(`{"a":{"b":[{"c":1},{"c":2}]},"s":"x"}`)
	v, ok, err := lookup(body, "a.b[1].c")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.True(t, sameJSON(v, 2))
	_, ok, err = lookup(body, "a.z")
	require.NoError(t, err)
	assert.False(t, ok)
	_, _, err = lookup(body, "a..b")
	assert.Error(t, err)

	out, err := applyEdit(body, edit{path: "a.b[0].c", value: "new"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":{"b":[{"c":"new"},{"c":2}]},"s":"x"}`, string(out))
	out, err = applyEdit(body, edit{path: "s", remove: true})
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":{"b":[{"c":1},{"c":2}]}}`, string(out))
	out, err = applyEdit(body, edit{path: "n.m", value: parseValue("null")})
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":{"b":[{"c":1},{"c":2}]},"s":"x","n":{"m":null}}`, string(out))
	_, err = applyEdit(body, edit{path: "a.b[5].c", value: 1})
	assert.ErrorIs(t, err, override.ErrNoField)
	assert.Equal(t, "field a.b[5].c: a.b is a list of 2; valid indexes are 0 to 1", err.Error())
	out, err = applyEdit(body, edit{path: "x.y.z", remove: true})
	require.NoError(t, err, "removing what is not there changes nothing")
	assert.JSONEq(t, string(body), string(out))
	_, err = applyEdit(body, edit{path: "a.b[0]", remove: true})
	assert.ErrorIs(t, err, override.ErrSyntax)
	_, _, err = lookup(body, " ")
	assert.ErrorIs(t, err, override.ErrSyntax, "a blank path is refused, as --set refuses it")
	out, err = applyEdit([]byte(`{"z":1,"a":2}`), edit{path: "a", value: 3})
	require.NoError(t, err)
	assert.Equal(t, `{"z":1,"a":3}`, string(out), "the body keeps its field order")

	assert.Equal(t, "text", parseValue("text"))
	assert.True(t, sameJSON(parseValue(`"text"`), "text"))
	assert.True(t, sameJSON(parseValue("true"), true))
	assert.Equal(t, "3 apples", parseValue("3 apples"), "a literal followed by more is text, as for --set")
	assert.True(t, sameJSON(parseValue(`{"b":1,"a":[2]}`), map[string]any{"a": []any{2}, "b": 1}), "field order does not matter")
	assert.False(t, sameJSON(parseValue(`{"a":1}`), map[string]any{"a": 2}))
	out, err = applyEdit([]byte(`{"x":1}`), edit{path: "o", value: parseValue(`{"z":1,"y":2}`)})
	require.NoError(t, err)
	assert.Equal(t, `{"x":1,"o":{"z":1,"y":2}}`, string(out), "an object value is sent as written")
}
