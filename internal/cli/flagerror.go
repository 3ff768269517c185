package cli

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hamsasim/hamsasim/internal/suggest"
)

// flagError is the usage error for a command line cobra could not parse,
// naming the command and, for an unknown flag, the flag meant.
func flagError(c *cobra.Command, err error) error {
	return usageError("%s", flagErrorText(c, err))
}

func flagErrorText(c *cobra.Command, err error) string {
	path := commandPath(c)
	msg := err.Error()
	var ne *pflag.NotExistError
	if errors.As(err, &ne) {
		msg += flagHint(c, ne)
	}
	if path == "" {
		return fmt.Sprintf("%s (see 'hamsasim --help')", msg)
	}
	return fmt.Sprintf("%s: %s (see 'hamsasim %s --help')", path, msg, path)
}

// flagHint says which flag an unknown one probably meant: the nearest of
// the command's flags, a long flag written with one dash, a flag of
// another command, or -o json for --json.
func flagHint(c *cobra.Command, ne *pflag.NotExistError) string {
	var names []string
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	sort.Strings(names)
	given := ne.GetSpecifiedName()
	if short := ne.GetSpecifiedShortnames(); short != "" {
		// -duration is read as -d -u -r ...: a long flag with one dash.
		if len(short) > 1 && c.Flags().Lookup(short) != nil {
			return fmt.Sprintf("; did you mean --%s (two dashes)?", short)
		}
		return ""
	}
	if given == "json" && c.Flags().Lookup("output") != nil {
		return "; this command prints JSON with -o json"
	}
	maxEdits := 2
	if len(given) < 5 {
		maxEdits = 1
	}
	if near := suggest.Name(given, names, maxEdits); near != "" {
		return fmt.Sprintf("; did you mean --%s?", near)
	}
	var prefixed []string
	for _, n := range names {
		if len(given) >= 3 && strings.HasPrefix(n, given) {
			prefixed = append(prefixed, n)
		}
	}
	if len(prefixed) == 1 {
		return fmt.Sprintf("; did you mean --%s?", prefixed[0])
	}
	if others := subtreeFlags(c.Root())[given]; len(others) > 0 {
		return fmt.Sprintf("; it is a flag of hamsasim %s", strings.Join(others, ", hamsasim "))
	}
	return ""
}
