// Package yamlfile is what hamsasim's YAML inputs (fixtures, load
// scenarios) share: reading a file into nodes with line numbers, the
// checks every mapping gets (unknown keys with a "did you mean", keys given
// twice, required keys), and errors that name the file, the line and the
// field. Each input's own rules stay in its package.
package yamlfile

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/hamsasim/hamsasim/internal/suggest"
)

// Error is one problem in an input file, with where it is.
type Error struct {
	File  string
	Line  int
	Field string // dotted path, e.g. turns[3].at
	Msg   string
	Kind  error // the input's sentinel (fixture.ErrInvalid, ...), for errors.Is
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap makes errors.Is(err, Kind) hold.
func (e *Error) Unwrap() error { return e.Kind }

// ErrorList is every problem found in one file, in line order.
type ErrorList []*Error

func (l ErrorList) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Unwrap makes errors.Is hold for the list.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// ReadFile reads path, or returns an Error of the given kind saying why not.
func ReadFile(path string, kind error) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		msg := err.Error()
		switch {
		case os.IsNotExist(err):
			msg = "no such file"
		case os.IsPermission(err):
			msg = "permission denied"
		}
		return nil, &Error{File: path, Msg: "cannot read: " + msg, Kind: kind}
	}
	return data, nil
}

// Reader collects the problems of one file.
type Reader struct {
	File string
	Kind error
	Errs ErrorList
}

// Errf records a problem at n (its line) in field.
func (r *Reader) Errf(n *yaml.Node, field, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	r.Errs = append(r.Errs, &Error{File: r.File, Line: line, Field: field, Msg: fmt.Sprintf(format, args...), Kind: r.Kind})
}

// Err returns the problems sorted by line, or nil.
func (r *Reader) Err() error {
	if len(r.Errs) == 0 {
		return nil
	}
	sort.SliceStable(r.Errs, func(i, j int) bool { return r.Errs[i].Line < r.Errs[j].Line })
	return r.Errs
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Root parses data and returns the document's top node, or nil after
// recording why not. needs says what an empty file lacks.
func (r *Reader) Root(data []byte, needs string) *yaml.Node {
	// YAML's own message for a tab ("found character that cannot start any
	// token") does not say what is wrong.
	for i, line := range strings.Split(string(data), "\n") {
		indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		if strings.Contains(indent, "\t") {
			r.Errs = append(r.Errs, &Error{File: r.File, Line: i + 1, Msg: "indented with a tab; YAML indentation must use spaces", Kind: r.Kind})
			return nil
		}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			r.Errs = append(r.Errs, &Error{File: r.File, Line: line, Msg: "not valid YAML: " + m[2], Kind: r.Kind})
		} else {
			r.Errs = append(r.Errs, &Error{File: r.File, Msg: "not valid YAML: " + strings.TrimPrefix(msg, "yaml: "), Kind: r.Kind})
		}
		return nil
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		r.Errs = append(r.Errs, &Error{File: r.File, Msg: "empty file: " + needs, Kind: r.Kind})
		return nil
	}
	return doc.Content[0]
}

// Mapping checks n is a mapping with only known keys, each given once, and
// returns its values by key (nil if n is not a mapping).
func (r *Reader) Mapping(n *yaml.Node, path string, known ...string) map[string]*yaml.Node {
	n = Deref(n)
	if n.Kind != yaml.MappingNode {
		r.Errf(n, path, "must be a mapping (key: value lines), not %s", KindName(n))
		return nil
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		if !slices.Contains(known, key) {
			r.Errf(k, Join(path, key), "unknown field%s (known fields: %s)", DidYouMean(key, known), strings.Join(known, ", "))
			continue
		}
		if _, dup := out[key]; dup {
			r.Errf(k, Join(path, key), "given twice")
			continue
		}
		out[key] = v
	}
	return out
}

// Required returns fields[key], recording a problem at parent if missing.
func (r *Reader) Required(parent *yaml.Node, fields map[string]*yaml.Node, path, key string) *yaml.Node {
	n, ok := fields[key]
	if !ok {
		r.Errf(parent, Join(path, key), "missing (required)")
		return nil
	}
	return n
}

// DidYouMean is "; did you mean X?" for the one known name nearest s, or ""
// when none is within two edits or two are equally near.
func DidYouMean(s string, known []string) string {
	if near := suggest.Name(s, known, 2); near != "" {
		return "; did you mean " + near + "?"
	}
	return ""
}

// Deref follows aliases to the node they stand for.
func Deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// KindName names what a node is, for messages: "a list", "a number", ...
func KindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "empty (null)"
		case "!!int", "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		case "!!str":
			return "a string"
		}
		return "a " + strings.TrimPrefix(n.Tag, "!!")
	}
	return "empty"
}

// Join appends key to a dotted path.
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
