package report

import (
	"net/url"
	"strings"

	"github.com/hamsasim/hamsasim/internal/check"
)

// RedactURL returns raw safe to show: user info and the whole query (any
// part of which may be a token) replaced by REDACTED.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(a URL that does not parse)"
	}
	c := *u
	if c.User != nil {
		c.User = url.User("REDACTED")
	}
	if c.RawQuery != "" || c.ForceQuery {
		c.RawQuery, c.ForceQuery = "REDACTED", false
	}
	c.Fragment, c.RawFragment = "", ""
	return c.String()
}

// Scrubber removes secret values from text: a receiver that echoes the
// Authorization header in its answer must not put the secret in a report.
type Scrubber struct{ secrets []string }

// NewScrubber scrubs each value (and nothing shorter than 8 bytes, which
// would mangle ordinary words).
func NewScrubber(values ...string) Scrubber {
	var s Scrubber
	for _, v := range values {
		if len(v) >= 8 {
			s.secrets = append(s.secrets, v)
		}
	}
	return s
}

// Clean returns text with every secret replaced by [REDACTED].
func (s Scrubber) Clean(text string) string {
	for _, v := range s.secrets {
		if strings.Contains(text, v) {
			text = strings.ReplaceAll(text, v, "[REDACTED]")
		}
	}
	return text
}

// Scrub cleans every text of the run that came from the target.
func (r *Run) Scrub(s Scrubber) {
	if len(s.secrets) == 0 {
		return
	}
	for _, list := range [][]string{r.Hints} {
		for i := range list {
			list[i] = s.Clean(list[i])
		}
	}
	for _, fs := range [][]check.Finding{r.Findings, r.Notes} {
		for i := range fs {
			f := &fs[i]
			f.Message, f.Excerpt, f.Request, f.Curl = s.Clean(f.Message), s.Clean(f.Excerpt), s.Clean(f.Request), s.Clean(f.Curl)
		}
	}
}
