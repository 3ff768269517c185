package capture

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/fixture"
)

// write builds, checks and writes the fixture of one call. A call made only
// of event types the format does not know is not written (nil, nil).
func (c *Capturer) write(oc *openCall, reason string) (*Written, error) {
	known := false
	for _, e := range oc.events {
		known = known || event.Known(e.typ)
	}
	if !known {
		return nil, nil
	}
	incomplete := reason != ""
	f, notes := build(oc.events, incomplete, incompleteEnd)
	var summary string
	if c.cfg.Redact {
		summary = "Redacted: " + newRedactor().apply(f) + " (--no-redact keeps them)."
	} else {
		summary = "Not redacted (--no-redact): phone numbers, e-mail addresses and names are as received."
	}
	scrub(f, c.cfg.Scrub)
	first := oc.events[0].at
	for _, e := range oc.events {
		if e.at.Before(first) {
			first = e.at
		}
	}
	f.Description = fmt.Sprintf("Captured %s call to agent %s.", f.Call.Direction, f.Agent.Name)
	if incomplete {
		f.Description = "Incomplete: " + f.Description
	}
	header := []string{
		fmt.Sprintf("Captured by hamsasim capture at %s from %d event(s) of call %s (first event %s).",
			event.FormatTime(c.cfg.Now()), len(oc.events), c.cfg.Scrub(oc.id), event.FormatTime(first)),
		summary,
	}
	if incomplete {
		header = append(header, fmt.Sprintf("INCOMPLETE: %s; the replay hangs up %s after the last event received.", reason, incompleteEnd))
	}
	header = append(header, "callId and conversationId are generated on replay (from --seed and the fixture's name).")
	for _, n := range notes {
		header = append(header, "Note: "+n)
	}
	w := &Written{CallID: oc.id, Events: len(oc.events), Incomplete: incomplete, Reason: reason, Notes: notes}
	base := fixtureName(f.Agent.Name, oc.id)
	for i := 1; i <= maxNameTries; i++ {
		f.Name = base
		if i > 1 {
			f.Name = fmt.Sprintf("%s-%d", base, i)
		}
		data, err := encode(f, header)
		if err != nil {
			return nil, fmt.Errorf("call %s: %w", oc.id, err)
		}
		path := filepath.Join(c.cfg.Out, f.Name+".yaml")
		if _, err := fixture.Parse(data, path); err != nil {
			return nil, fmt.Errorf("call %s: the fixture made from it does not parse (%v); nothing written", oc.id, err)
		}
		if _, err := os.Stat(filepath.Join(c.cfg.Out, f.Name+".yml")); err == nil {
			continue
		}
		fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("call %s: %w", oc.id, err)
		}
		_, err = fh.Write(data)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			return nil, fmt.Errorf("call %s: writing %s: %w", oc.id, path, err)
		}
		w.Path, w.Name = path, f.Name
		return w, nil
	}
	return nil, fmt.Errorf("call %s: no free file name for %s in %s after %d tries", oc.id, base, c.cfg.Out, maxNameTries)
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// fixtureName derives a valid fixture name from the agent's name and the
// call id: recruiter-3f2a9b1c.
func fixtureName(agent, callID string) string {
	slug := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(agent), "-"), "-")
	if len(slug) > 40 {
		slug = strings.Trim(slug[:40], "-")
	}
	if slug == "" || slug[0] < 'a' || slug[0] > 'z' {
		slug = "call-" + slug
		slug = strings.TrimRight(slug, "-")
	}
	id := nonSlug.ReplaceAllString(strings.ToLower(callID), "")
	if len(id) > 8 {
		id = id[:8]
	}
	if id == "" {
		return slug
	}
	return slug + "-" + id
}

// scrub applies the secret scrubber to every string of the fixture.
func scrub(f *fixture.Fixture, s func(string) string) {
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case string:
			return s(x)
		case map[string]any:
			for k, c := range x {
				x[k] = walk(c)
			}
		case []any:
			for i, c := range x {
				x[i] = walk(c)
			}
		}
		return v
	}
	f.Project, f.Agent.ID, f.Agent.Name = s(f.Project), s(f.Agent.ID), s(f.Agent.Name)
	walk(f.Params)
	walk(f.Outcome)
	for i := range f.Turns {
		f.Turns[i].Text = s(f.Turns[i].Text)
	}
	for i := range f.Tools {
		f.Tools[i].Name = s(f.Tools[i].Name)
		f.Tools[i].Input, f.Tools[i].Output = walk(f.Tools[i].Input), walk(f.Tools[i].Output)
	}
}
