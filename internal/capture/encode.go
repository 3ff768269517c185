package capture

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/fixture"
)

// encode renders a fixture in the format of fixtures/README.md, with the
// header comment lines first.
func encode(f *fixture.Fixture, header []string) ([]byte, error) {
	root := mapping()
	add(root, "name", str(f.Name))
	if f.Description != "" {
		add(root, "description", str(f.Description))
	}
	add(root, "project", str(f.Project))
	agent := mapping()
	add(agent, "id", str(f.Agent.ID))
	add(agent, "name", str(f.Agent.Name))
	add(root, "agent", agent)

	call := mapping()
	add(call, "direction", str(f.Call.Direction))
	add(call, "from", str(f.Call.From))
	add(call, "to", str(f.Call.To))
	if f.Call.Answered {
		add(call, "ring", dur(f.Call.Ring))
	} else {
		add(call, "answered", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "false"})
	}
	add(root, "call", call)

	if len(f.Params) > 0 {
		n, err := valueMap(f.Params)
		if err != nil {
			return nil, err
		}
		add(root, "params", n)
	}
	if len(f.Turns) > 0 {
		seq, err := turnsNode(f.Turns)
		if err != nil {
			return nil, err
		}
		add(root, "turns", seq)
	}
	if len(f.Tools) > 0 {
		seq, err := toolsNode(f.Tools)
		if err != nil {
			return nil, err
		}
		add(root, "tools", seq)
	}
	if len(f.Outcome) > 0 {
		n, err := valueMap(f.Outcome)
		if err != nil {
			return nil, err
		}
		add(root, "outcome", n)
	}
	end := mapping()
	add(end, "at", dur(f.End.At))
	if f.End.Recording != "" {
		add(end, "recording", str(f.End.Recording))
	}
	add(root, "end", end)

	var buf bytes.Buffer
	for _, h := range header {
		for _, line := range strings.Split(h, "\n") {
			buf.WriteString(strings.TrimRight("# "+line, " ") + "\n")
		}
	}
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("encoding fixture %s: %w", f.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// turnsNode is the turns list; a confidence is written only when it is
// not the speaker's default.
func turnsNode(turns []fixture.Turn) (*yaml.Node, error) {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for _, t := range turns {
		m := mapping()
		add(m, "at", dur(t.At))
		add(m, t.Speaker, str(t.Text))
		def := 0.92
		if t.Speaker == event.SpeakerAgent {
			def = 1
		}
		if t.Confidence != def {
			n, err := valueNode(t.Confidence)
			if err != nil {
				return nil, err
			}
			add(m, "confidence", n)
		}
		seq.Content = append(seq.Content, m)
	}
	return seq, nil
}

// toolsNode is the tools list.
func toolsNode(tools []fixture.Tool) (*yaml.Node, error) {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for _, t := range tools {
		m := mapping()
		add(m, "at", dur(t.At))
		add(m, "name", str(t.Name))
		for _, kv := range []struct {
			k string
			v any
		}{{"input", t.Input}, {"output", t.Output}} {
			n, err := valueNode(kv.v)
			if err != nil {
				return nil, err
			}
			add(m, kv.k, n)
		}
		add(m, "duration", dur(t.Duration))
		seq.Content = append(seq.Content, m)
	}
	return seq, nil
}

func mapping() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode} }

func add(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

// str is a string scalar; the encoder quotes it when YAML would read it as
// something else (a number, a boolean, a date).
func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

// dur renders a duration as the format reads it back exactly (4.2s, 1m30.5s).
func dur(d time.Duration) *yaml.Node { return str(d.String()) }

func valueNode(v any) (*yaml.Node, error) {
	n := &yaml.Node{}
	if err := n.Encode(v); err != nil {
		return nil, err
	}
	return n, nil
}

// valueMap renders a map with its keys sorted, so that files are stable.
func valueMap(m map[string]any) (*yaml.Node, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := mapping()
	for _, k := range keys {
		n, err := valueNode(m[k])
		if err != nil {
			return nil, err
		}
		add(out, k, n)
	}
	return out, nil
}
