package cli

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hamsasim/hamsasim/internal/suggest"
)

// defaultConfigCommand is the command `hamsasim config` describes when
// none is named.
const defaultConfigCommand = "simulate"

type configCmd struct {
	e *env
}

func newConfigCmd(e *env) *cobra.Command {
	c := &configCmd{e: e}
	return &cobra.Command{
		Use:   "config [COMMAND] [FLAGS]",
		Short: "Print the effective configuration of a command: flags, HAMSASIM_* variables and hamsasim.yaml",
		Long: `Prints what a command would run with: every flag that does not have its
default, its value and where it came from (flag, env HAMSASIM_X, or
hamsasim.yaml:LINE), and the config file read. The command is simulate
unless named; flags after it are taken as that command's, but for -o json
(--output json), config's own: the same as one JSON document.

Where values come from, first match wins:
  1. the flag on the command line
  2. the variable HAMSASIM_<FLAG> (upper case, dashes as _): HAMSASIM_TARGET,
     HAMSASIM_SECRET_ENV, HAMSASIM_EVENTS=call.started,call.ended (a
     repeatable flag such as --threshold takes one value per line)
  3. the config file: --config FILE, else $HAMSASIM_CONFIG, else the nearest
     hamsasim.yaml in the working directory or a folder above it, up to the
     repository's root (the folder with .git); --config '' reads none
  4. the flag's default

The config file's keys are flag names (one spelling: secret-env, not
secretEnv). Top-level keys apply to every command that has the flag; a
section named after a command (simulate:, load:, features:, report: merge:)
applies to that command and wins over the top level. Values are scalars, or
lists for flags that take several. Paths in a file found above the working
directory are relative to that file's folder, so a command runs the same
from any folder of the repository; in a file named by --config or
$HAMSASIM_CONFIG (or found in the working directory) they are relative to the
working directory, as on the command line.

  target: https://staging.example.com/webhooks/hamsa
  secret-env: STAGING_WEBHOOK_SECRET
  load:
    scenario: steady
    events: [call.started, call.ended]

Secrets never go in the file or a HAMSASIM_* variable: secret-env names the
variable that holds the secret, and this command only says whether it is set.
URLs are shown without user info or query.`,
		Example: `  hamsasim config
  hamsasim config load --scenario steady
  hamsasim config load -o json
  HAMSASIM_TARGET=https://staging.example.com/hooks hamsasim config features`,
		DisableFlagParsing: true,
		ValidArgsFunction:  c.complete,
		RunE:               c.run,
	}
}

func (c *configCmd) run(cmd *cobra.Command, args []string) error {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "--help" {
			return cmd.Help()
		}
	}
	var output outputFlag
	args, output.format = takeOutputFlag(args)
	asJSON, err := output.json()
	if err != nil {
		return usageError("config: %w", err)
	}
	root := cmd.Root()
	target, rest, err := root.Find(args)
	if err != nil || !configurable(target) || target.Parent() != nil && !configurable(target.Parent()) {
		return usageError("config: %s", c.unknownCommand(root, args))
	}
	if target == root {
		target, _, _ = root.Find([]string{defaultConfigCommand})
	}
	if err := target.ParseFlags(rest); err != nil {
		return usageError("config %s", flagErrorText(target, err))
	}
	eff, err := applyConfig(target, c.e.getenv, ".")
	if err != nil {
		return usageError("%w", err)
	}
	if asJSON {
		return writeJSON(c.e.stdout, describeConfig(target, eff, c.e.getenv))
	}
	c.print(target, eff)
	return nil
}

// takeOutputFlag removes config's own -o/--output from args (up to "--";
// every other flag is the described command's) and returns its value,
// text when not given.
func takeOutputFlag(args []string) ([]string, string) {
	format := outputText
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(rest, args[i:]...), format
		case a == "-o" || a == "--output":
			format = "" // no value: refused as such
			if i+1 < len(args) {
				format = args[i+1]
				i++
			}
		case strings.HasPrefix(a, "--output="):
			format = strings.TrimPrefix(a, "--output=")
		case strings.HasPrefix(a, "-o") && !strings.HasPrefix(a, "--") && len(a) > 2:
			format = strings.TrimPrefix(strings.TrimPrefix(a, "-o"), "=")
		default:
			rest = append(rest, a)
		}
	}
	return rest, format
}

// configJSON is what `hamsasim config -o json` prints.
type configJSON struct {
	Command    string            `json:"command"`
	ConfigFile *configFileJSON   `json:"configFile"` // null when none was read
	Flags      []configFlagJSON  `json:"flags"`
	Secret     *configSecretJSON `json:"secret,omitempty"` // for commands that send with a secret
}

type configFileJSON struct {
	Path string `json:"path"`
	From string `json:"from"` // "--config", "HAMSASIM_CONFIG" or "search"
}

type configFlagJSON struct {
	Name     string   `json:"name"`
	Value    string   `json:"value"`            // as the text shows it
	Values   []string `json:"values,omitempty"` // for a flag that takes several
	Source   string   `json:"source"`           // "flag", "env" or "file"
	Variable string   `json:"variable,omitempty"`
	File     string   `json:"file,omitempty"`
	Line     int      `json:"line,omitempty"`
}

type configSecretJSON struct {
	Variable string `json:"variable"`
	Set      bool   `json:"set"`
}

// describeConfig is the effective configuration of target as JSON.
func describeConfig(target *cobra.Command, eff *effectiveConfig, getenv func(string) string) configJSON {
	out := configJSON{Command: commandPath(target), Flags: []configFlagJSON{}}
	if eff.file != "" {
		from := eff.how
		if from == howHere || from == howAbove {
			from = "search"
		}
		out.ConfigFile = &configFileJSON{Path: eff.file, From: from}
	}
	origins := slices.Clone(eff.origins)
	sort.Slice(origins, func(i, j int) bool { return origins[i].flag.Name < origins[j].flag.Name })
	for _, o := range origins {
		fj := configFlagJSON{Name: o.flag.Name, Value: displayValue(o.flag), Source: o.source, Variable: o.env, File: o.file, Line: o.line}
		if items, ok := displayItems(o.flag); ok {
			fj.Values = items
		}
		out.Flags = append(out.Flags, fj)
	}
	if name := secretVariable(target); name != "" {
		out.Secret = &configSecretJSON{Variable: name, Set: getenv(name) != ""}
	}
	return out
}

// unknownCommand says which word of args is not a command, and what is.
func (c *configCmd) unknownCommand(root *cobra.Command, args []string) string {
	var names []string
	for _, s := range root.Commands() {
		if configurable(s) && !s.Hidden {
			names = append(names, s.Name())
		}
	}
	sort.Strings(names)
	word := ""
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			word = a
			break
		}
	}
	hint := ""
	if near := suggest.Name(word, names, 2); near != "" {
		hint = "; did you mean " + near + "?"
	}
	return fmt.Sprintf("%q is not a command it can describe%s (commands: %s)", word, hint, strings.Join(names, ", "))
}

func (c *configCmd) print(target *cobra.Command, eff *effectiveConfig) {
	out := c.e.stdout
	path := "hamsasim " + commandPath(target)
	switch {
	case eff.how == howAbove:
		fmt.Fprintf(out, "config file: %s (from %s; paths in it are relative to its folder)\n", eff.file, eff.how)
	case eff.file != "":
		fmt.Fprintf(out, "config file: %s (from %s)\n", eff.file, eff.how)
	case eff.how == howFlag:
		fmt.Fprintf(out, "config file: none (--config '')\n")
	default:
		fmt.Fprintf(out, "config file: none (no %s in the working directory or above it, up to the repository's root; --config FILE or %s names one)\n", ConfigFileName, flagEnv(configFlag))
	}
	fmt.Fprintf(out, "command:     %s\n\n", path)
	origins := slices.Clone(eff.origins)
	sort.Slice(origins, func(i, j int) bool { return origins[i].flag.Name < origins[j].flag.Name })
	if len(origins) == 0 {
		fmt.Fprintf(out, "every flag has its default ('%s --help' lists them)\n", path)
	} else {
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "flag\tvalue\tfrom")
		for _, o := range origins {
			fmt.Fprintf(tw, "--%s\t%s\t%s\n", o.flag.Name, displayValue(o.flag), o.from())
		}
		tw.Flush()
		fmt.Fprintf(out, "\nevery other flag has its default ('%s --help' lists them)\n", path)
	}
	if name := secretVariable(target); name != "" {
		state := "not set"
		if c.e.getenv(name) != "" {
			state = "set"
		}
		fmt.Fprintf(out, "\nsecret (the value is never shown):\n  %s: %s\n", name, state)
	}
}

// secretVariable is the variable the command reads its secret from, or ""
// for a command that takes none: --secret-env, else the auth mode's default.
func secretVariable(c *cobra.Command) string {
	f := c.Flags().Lookup("secret-env")
	if f == nil {
		return ""
	}
	if v := f.Value.String(); v != "" {
		return v
	}
	if a := c.Flags().Lookup("auth"); a != nil && a.Value.String() == "hmac" {
		return DefaultSigningSecretEnv
	}
	return DefaultSecretEnv
}

// complete offers the commands config can describe, then their flags.
func (c *configCmd) complete(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, s := range cmd.Root().Commands() {
		if configurable(s) && !s.Hidden && strings.HasPrefix(s.Name(), toComplete) {
			out = append(out, cobra.CompletionWithDesc(s.Name(), s.Short))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
