package cli

import (
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hamsasim/hamsasim/internal/yamlfile"
)

// writtenDuration is a duration flag's value that keeps the text it was
// given, so that hamsasim echoes 90s as 90s, not as 1m30s. The flag's
// variable is set as by pflag's own duration.
type writtenDuration struct {
	pflag.Value
	text string
}

func (d *writtenDuration) Set(s string) error {
	if err := d.Value.Set(s); err != nil {
		return err
	}
	d.text = strings.TrimSpace(s)
	return nil
}

func (d *writtenDuration) String() string {
	if d.text != "" {
		return d.text
	}
	if v, err := time.ParseDuration(d.Value.String()); err == nil {
		return yamlfile.ShortDuration(v)
	}
	return d.Value.String()
}

// durationsAsWritten makes every duration flag below root show its value
// as written, and its default in --help as a person writes it: 10m, not
// 10m0s. A negative default is a sentinel ("the scenario's drain") that the
// flag's usage puts in words, so --help shows none; nor for 0.
func durationsAsWritten(root *cobra.Command) {
	wrap := func(f *pflag.Flag) {
		if f.Value.Type() != "duration" {
			return
		}
		if _, done := f.Value.(*writtenDuration); done {
			return
		}
		switch d, err := time.ParseDuration(f.DefValue); {
		case err != nil:
		case d <= 0:
			f.DefValue = ""
		default:
			f.DefValue = yamlfile.ShortDuration(d)
		}
		f.Value = &writtenDuration{Value: f.Value}
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(wrap)
		c.PersistentFlags().VisitAll(wrap)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
