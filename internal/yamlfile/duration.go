package yamlfile

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// durationSyntax matches what time.ParseDuration accepts, so a duration it
// rejects for overflow can be told from a typo.
var durationSyntax = regexp.MustCompile(`^[-+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+$`)

// Duration reads a duration, the one rule of every YAML input:
//   - a string is a Go duration: one or more numbers each with a unit of
//     ns, us (or µs), ms, s, m or h, such as 250ms, 9.5s or 1m30s;
//   - a YAML number (int or float, with _ separators as YAML allows) is a
//     number of seconds, such as 2 or 0.25;
//   - 0 is valid; a negative duration, NaN, infinity or anything above max
//     is not.
//
// On a problem it records an error naming the node's line and path, and
// returns (0, false).
func (r *Reader) Duration(n *yaml.Node, path string, max time.Duration) (time.Duration, bool) {
	n = Deref(n)
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float" && n.Tag != "!!str") {
		r.Errf(n, path, "must be a duration like 2.5s or 1m30s, not %s", KindName(n))
		return 0, false
	}
	var d time.Duration
	if n.Tag == "!!str" {
		var err error
		d, err = time.ParseDuration(n.Value)
		if err != nil && durationSyntax.MatchString(n.Value) && !strings.HasPrefix(n.Value, "-") {
			r.Errf(n, path, "%s is longer than the maximum %s", n.Value, ShortDuration(max))
			return 0, false
		}
		if err != nil && !durationSyntax.MatchString(n.Value) {
			r.Errf(n, path, "%q is not a duration (use 250ms, 9.5s, 1m30s, or a number of seconds)", n.Value)
			return 0, false
		}
		if err != nil {
			d = -1 // a negative duration too long for time.Duration
		}
	} else {
		secs, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err != nil || math.IsNaN(secs) || math.IsInf(secs, 0) {
			r.Errf(n, path, "%s is not a finite number of seconds", n.Value)
			return 0, false
		}
		if secs > max.Seconds() {
			r.Errf(n, path, "%s seconds is longer than the maximum %s", n.Value, ShortDuration(max))
			return 0, false
		}
		d = time.Duration(secs * float64(time.Second))
		if secs < 0 {
			d = -1
		}
	}
	if d < 0 {
		r.Errf(n, path, "%s is negative; a duration is 0 or longer", n.Value)
		return 0, false
	}
	if d > max {
		r.Errf(n, path, "%s is longer than the maximum %s", n.Value, ShortDuration(max))
		return 0, false
	}
	return d, true
}

// ShortDuration writes d as time.Duration does, without the zero minutes
// and seconds it would end with: 24h rather than 24h0m0s, 1m rather than
// 1m0s.
func ShortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
