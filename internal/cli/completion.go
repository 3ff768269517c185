package cli

import (
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hamsasim/hamsasim"
	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/probe"
	"github.com/hamsasim/hamsasim/internal/receiver"
)

// valueList is what a flag's values complete to: each entry is
// "value\tdescription"; a list completes item by item after a comma; with
// files, file names complete too (when no value matches).
type valueList struct {
	values      func() []string
	list, files bool
}

// flagCompletions are the values a flag name completes to, wherever a
// command has a flag of that name.
var flagCompletions = map[string]valueList{
	"auth": {values: func() []string {
		return []string{
			"bearer\tAuthorization is the secret variable's whole value",
			"hmac\tStandard Webhooks signatures keyed with the signing secret",
			"none\tno credentials (the platform's noAuth mode)",
		}
	}},
	"events":     {values: func() []string { return event.Types }, list: true},
	"probes":     {values: func() []string { return probe.Groups }, list: true},
	"durability": {values: func() []string { return []string{"normal", "full"} }},
	"output": {values: func() []string {
		return []string{outputText + "\tfor people", outputJSON + "\tone JSON document on standard output"}
	}},
	"fault": {values: func() []string {
		var out []string
		for _, name := range receiver.FaultNames() {
			out = append(out, name+"\t"+receiver.FaultInfo[receiver.Fault(name)])
		}
		return out
	}, list: true},
	"scenario": {values: func() []string {
		paths, _ := fs.Glob(hamsasim.Scenarios(), "scenarios/*.yaml")
		var out []string
		for _, p := range paths {
			out = append(out, strings.TrimSuffix(path.Base(p), ".yaml")+"\tshipped scenario")
		}
		return out
	}, files: true},
}

// yamlFlags complete to YAML files and folders.
var yamlFlags = []string{"config", "spec", "fixtures"}

// registerCompletions walks the command tree and registers value
// completion for every flag whose values are a known list, so no command
// needs its own completion code. A completion a command registered itself
// is kept.
func registerCompletions(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		register := func(name string, fn cobra.CompletionFunc) {
			if c.Flags().Lookup(name) == nil && c.PersistentFlags().Lookup(name) == nil {
				return
			}
			if _, ok := c.GetFlagCompletionFunc(name); ok {
				return
			}
			_ = c.RegisterFlagCompletionFunc(name, fn) // only fails for a flag already registered, checked above
		}
		for name, values := range flagCompletions {
			register(name, completeValues(values))
		}
		for _, name := range yamlFlags {
			register(name, func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
				return []cobra.Completion{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
			})
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// completeValues completes one of values, or for a list the item after the
// last comma, leaving out items already given.
func completeValues(vl valueList) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		prefix, partial := "", toComplete
		if vl.list {
			if i := strings.LastIndex(toComplete, ","); i >= 0 {
				prefix, partial = toComplete[:i+1], toComplete[i+1:]
			}
		}
		given := strings.Split(strings.TrimSuffix(prefix, ","), ",")
		var out []cobra.Completion
		for _, v := range vl.values() {
			name, _, _ := strings.Cut(v, "\t")
			if strings.HasPrefix(name, partial) && !slices.Contains(given, name) {
				out = append(out, prefix+v)
			}
		}
		switch {
		case vl.files:
			return out, cobra.ShellCompDirectiveDefault
		case vl.list:
			return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
