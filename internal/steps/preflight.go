package steps

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	gherkin "github.com/cucumber/gherkin/go/v26"
	messages "github.com/cucumber/messages/go/v21"

	"github.com/hamsasim/hamsasim/internal/suggest"
)

// ErrFeatures matches (errors.Is) every error in feature files and tag
// expressions; their messages do not repeat its words.
var ErrFeatures = errors.New("invalid features")

// featuresError is an error in feature files or tags: its message is the
// problem alone, and it matches ErrFeatures.
type featuresError struct{ msg string }

func (e *featuresError) Error() string        { return e.msg }
func (e *featuresError) Is(target error) bool { return target == ErrFeatures }

func featuresErrorf(format string, args ...any) error {
	return &featuresError{msg: fmt.Sprintf(format, args...)}
}

// Plan is what a run would do, known before it starts.
type Plan struct {
	Files     []string
	Scenarios int // in the files
	Selected  int // selected by the tags
	Undefined []Undefined
}

// Undefined is a step no definition matches, with the nearest known ones.
type Undefined struct {
	File, Text  string
	Line        int
	Suggestions []string
}

func (u Undefined) String() string {
	s := fmt.Sprintf("%s:%d: undefined step %q", u.File, u.Line, u.Text)
	if len(u.Suggestions) > 0 {
		s += "; did you mean:\n      " + strings.Join(u.Suggestions, "\n      ")
	}
	return s
}

// NormalizeTags turns a tag expression into godog's syntax, accepting the
// newer words too ("not @wip and @smoke" becomes "~@wip&&@smoke"), and
// rejects what godog would silently mis-read or panic on.
func NormalizeTags(expr string) (string, error) {
	e := strings.TrimSpace(expr)
	if e == "" {
		return "", nil
	}
	if strings.ContainsAny(e, "()") {
		return "", featuresErrorf("--tags %q: parentheses are not supported; combine with && (and), ',' (or) and ~ (not), e.g. @auth && ~@slow", expr)
	}
	e = regexp.MustCompile(`(?i)\bnot\s+`).ReplaceAllString(e, "~")
	e = regexp.MustCompile(`(?i)\s+and\s+`).ReplaceAllString(e, "&&")
	e = regexp.MustCompile(`(?i)\s+or\s+`).ReplaceAllString(e, ",")
	valid := regexp.MustCompile(`^~?@[^\s,&~@]+$`)
	var ands []string
	for _, and := range strings.Split(e, "&&") {
		var ors []string
		for _, t := range strings.Split(and, ",") {
			t = strings.TrimSpace(t)
			if !valid.MatchString(t) {
				return "", featuresErrorf("--tags %q: %q is not a tag; write tags as @name, ~@name (not), joined by && (and) or ',' (or)", expr, t)
			}
			ors = append(ors, t)
		}
		ands = append(ands, strings.Join(ors, ","))
	}
	return strings.Join(ands, "&&"), nil
}

// matchTags applies godog's semantics: && of groups, each group a ',' of
// tags, each tag optionally negated with ~.
func matchTags(expr string, tags []*messages.PickleTag) bool {
	if expr == "" {
		return true
	}
	has := func(name string) bool {
		for _, t := range tags {
			if strings.TrimPrefix(t.Name, "@") == name {
				return true
			}
		}
		return false
	}
	for _, and := range strings.Split(expr, "&&") {
		ok := false
		for _, t := range strings.Split(and, ",") {
			t = strings.TrimSpace(t)
			neg := strings.HasPrefix(t, "~")
			name := strings.TrimPrefix(strings.TrimPrefix(t, "~"), "@")
			ok = ok || has(name) != neg
		}
		if !ok {
			return false
		}
	}
	return true
}

// Prepare reads the feature files under roots in fsys (files, or folders
// searched for *.feature), counts the scenarios the tags select and finds
// undefined steps. tags must already be normalized.
func Prepare(fsys fs.FS, roots []string, tags string) (*Plan, error) {
	p := &Plan{}
	for _, root := range roots {
		info, err := fs.Stat(fsys, root)
		if err != nil {
			return nil, featuresErrorf("%s: no such file or folder", root)
		}
		if !info.IsDir() {
			p.Files = append(p.Files, root)
			continue
		}
		err = fs.WalkDir(fsys, root, func(name string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && path.Ext(name) == ".feature" {
				p.Files = append(p.Files, name)
			}
			return err
		})
		if err != nil {
			return nil, featuresErrorf("%s: %v", root, err)
		}
	}
	if len(p.Files) == 0 {
		return nil, featuresErrorf("no .feature files in %s", strings.Join(roots, ", "))
	}
	sort.Strings(p.Files)
	n := 0
	newID := func() string { n++; return strconv.Itoa(n) }
	for _, file := range p.Files {
		data, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, featuresErrorf("%s: %v", file, err)
		}
		doc, err := gherkin.ParseGherkinDocument(bytes.NewReader(data), newID)
		if err != nil {
			return nil, featuresErrorf("%s", gherkinError(file, err))
		}
		lines := stepLines(doc)
		for _, pk := range gherkin.Pickles(*doc, file, newID) {
			p.Scenarios++
			if !matchTags(tags, pk.Tags) {
				continue
			}
			p.Selected++
			for _, st := range pk.Steps {
				if Matches(st.Text) {
					continue
				}
				line := 0
				if len(st.AstNodeIds) > 0 {
					line = lines[st.AstNodeIds[0]]
				}
				p.Undefined = append(p.Undefined, Undefined{File: file, Line: line, Text: st.Text, Suggestions: Nearest(st.Text, 3)})
			}
		}
	}
	return p, nil
}

func gherkinError(file string, err error) string {
	msg := strings.ReplaceAll(err.Error(), "\n", "; ")
	// Parser errors read "Parser errors:\n(3:1): expected: ..."; name the file and line.
	if m := regexp.MustCompile(`\((\d+):\d+\): (.*)`).FindStringSubmatch(err.Error()); m != nil {
		return fmt.Sprintf("%s:%s: %s", file, m[1], m[2])
	}
	return file + ": " + msg
}

func stepLines(doc *messages.GherkinDocument) map[string]int {
	lines := map[string]int{}
	add := func(steps []*messages.Step) {
		for _, s := range steps {
			lines[s.Id] = int(s.Location.Line)
		}
	}
	if doc.Feature == nil {
		return lines
	}
	var visit func(children []*messages.FeatureChild)
	visit = func(children []*messages.FeatureChild) {
		for _, c := range children {
			if c.Background != nil {
				add(c.Background.Steps)
			}
			if c.Scenario != nil {
				add(c.Scenario.Steps)
			}
			if c.Rule != nil {
				for _, rc := range c.Rule.Children {
					if rc.Background != nil {
						add(rc.Background.Steps)
					}
					if rc.Scenario != nil {
						add(rc.Scenario.Steps)
					}
				}
			}
		}
	}
	visit(doc.Feature.Children)
	return lines
}

// Nearest returns up to k examples of the library closest to text.
func Nearest(text string, k int) []string {
	type scored struct {
		ex string
		d  float64
	}
	words := strings.Fields(strings.ToLower(text))
	var all []scored
	for _, d := range defs {
		ex := strings.SplitN(d.Example, "\n", 2)[0]
		exWords := strings.Fields(strings.ToLower(stripKeyword(ex)))
		dist := float64(wordDistance(words, exWords)) / float64(max(len(words), len(exWords)))
		all = append(all, scored{ex, dist})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].d < all[j].d })
	var out []string
	for i := 0; i < len(all) && i < k; i++ {
		if all[i].d <= 0.6 {
			out = append(out, all[i].ex)
		}
	}
	return out
}

func stripKeyword(s string) string {
	for _, k := range []string{"Given ", "When ", "Then ", "And ", "But "} {
		if strings.HasPrefix(s, k) {
			return strings.TrimPrefix(s, k)
		}
	}
	return s
}

// wordDistance is the edit distance between two word lists, quoted
// arguments counting as equal to any other quoted argument.
func wordDistance(a, b []string) int {
	return suggest.Distance(a, b, func(x, y string) bool {
		if strings.HasPrefix(x, `"`) && strings.HasPrefix(y, `"`) {
			return true
		}
		return x == y
	})
}
