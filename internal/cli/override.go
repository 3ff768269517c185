package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/override"
	"github.com/hamsasim/hamsasim/internal/suggest"
)

// valueHelp says how --set, --param and step values are read.
const valueHelp = "the value is JSON when it parses as a JSON literal (3, true, null, \"text\", {...}, [...]), otherwise the text as a string"

// overrideFlags are --set and --unset, kept in command-line order: a
// --unset after a --set of the same field removes it, and the other way
// round.
type overrideFlags struct {
	args []overrideArg
}

type overrideArg struct {
	unset bool
	raw   string
}

// add registers --set and --unset on fs. what says what they apply to.
func (o *overrideFlags) add(fs *pflag.FlagSet, what string) {
	fs.Var(&overrideValue{o, false}, "set", "set a field of "+what+", path=value, e.g. data.data.outcomeResult.application_id=A-1 (repeatable); "+valueHelp)
	fs.Var(&overrideValue{o, true}, "unset", "remove a field of "+what+", e.g. data.data.outcomeResult.intent (repeatable)")
}

// ops parses the flags' arguments, in order.
func (o *overrideFlags) ops() ([]override.Op, error) {
	out := make([]override.Op, 0, len(o.args))
	for _, a := range o.args {
		var op override.Op
		var err error
		if a.unset {
			op, err = override.ParseUnset("--unset", a.raw)
		} else {
			op, err = override.ParseSet("--set", a.raw)
		}
		if err != nil {
			return nil, usageError("%s", err)
		}
		out = append(out, op)
	}
	return out, nil
}

// overrideValue is one of the two flags; both append to the same list.
type overrideValue struct {
	o     *overrideFlags
	unset bool
}

func (v *overrideValue) Set(s string) error {
	v.o.args = append(v.o.args, overrideArg{v.unset, s})
	return nil
}

func (v *overrideValue) Type() string {
	if v.unset {
		return "path"
	}
	return "path=value"
}

func (v *overrideValue) String() string {
	var parts []string
	for _, a := range v.o.args {
		if a.unset == v.unset {
			parts = append(parts, a.raw)
		}
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// parseParams reads --param key=value arguments; a key given twice keeps
// the last value.
func parseParams(args []string) (map[string]any, error) {
	if len(args) == 0 {
		return nil, nil
	}
	out := make(map[string]any, len(args))
	for _, a := range args {
		k, v, err := override.Param("--param", a)
		if err != nil {
			return nil, usageError("%s", err)
		}
		out[k] = v
	}
	return out, nil
}

// checkEventType is the error for a word that should name an event type.
func checkEventType(label, t string) error {
	if event.Known(t) {
		return nil
	}
	hint := ""
	if s := suggest.Name(t, event.Types, 3); s != "" {
		hint = fmt.Sprintf("; did you mean %s?", s)
	}
	return usageError("%s: %q is not an event type%s (valid: %s)", label, t, hint, strings.Join(event.Types, ", "))
}

// parseEvents reads --events: the subscribed event types, nil for all.
func parseEvents(list []string) (map[string]bool, error) {
	if len(list) == 0 {
		return nil, nil
	}
	out := make(map[string]bool, len(list))
	for _, t := range list {
		t = strings.TrimSpace(t)
		if err := checkEventType("--events", t); err != nil {
			return nil, err
		}
		out[t] = true
	}
	return out, nil
}
