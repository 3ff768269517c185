package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/probe"
	"github.com/hamsasim/hamsasim/internal/receiver"
)

// valueList is what a flag's values complete to: each entry is
// "value\tdescription"; a list completes item by item after a comma.
type valueList struct {
	values func() []string
	list   bool
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
}

// yamlFlags complete to YAML files and folders.
var yamlFlags = []string{"config", "spec", "fixtures"}

// ownFlagCompletions are flags whose values depend on other flags or on
// both names and files.
var ownFlagCompletions = map[string]cobra.CompletionFunc{
	"scenario": completeScenario,
	"fixture":  completeFixtureName,
}

// argCompletions complete the positional arguments of a command, by its
// path below the root.
var argCompletions = map[string]cobra.CompletionFunc{
	"trigger":           completeTriggerEvent,
	"fixtures validate": completeFileExt(false, "yaml", "yml"),
	"features":          completeFileExt(false, "feature"),
	"redeliver":         completeFileExt(true, "jsonl"),
	"report merge":      completeFileExt(false, "json"),
}

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
			register(name, completeFileExt(false, "yaml", "yml"))
		}
		for name, fn := range ownFlagCompletions {
			register(name, fn)
		}
		if fn, ok := argCompletions[commandPath(c)]; ok && c.ValidArgsFunction == nil {
			c.ValidArgsFunction = fn
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
		if vl.list {
			return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeFileExt completes files with one of the extensions, and folders;
// with one set, only the first argument.
func completeFileExt(one bool, exts ...string) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if one && len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return exts, cobra.ShellCompDirectiveFilterFileExt
	}
}

// completeTriggerEvent completes trigger's EVENT: the event types.
func completeTriggerEvent(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, t := range event.Types {
		if strings.HasPrefix(t, toComplete) {
			out = append(out, t)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeFixtureName completes --fixture: the names of the fixtures in
// --fixtures (or the shipped ones) that produce trigger's EVENT, if given.
func completeFixtureName(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	paths, _ := cmd.Flags().GetStringSlice("fixtures")
	fixtures, err := loadFixtures(paths)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, f := range fixtures {
		if !strings.HasPrefix(f.Name, toComplete) || len(args) > 0 && !produces(f, args[0]) {
			continue
		}
		out = append(out, cobra.CompletionWithDesc(f.Name, f.Description))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// produces reports whether the fixture's lifecycle has an event of type typ.
func produces(f *fixture.Fixture, typ string) bool {
	evs, err := f.Expand(fixture.Options{})
	if err != nil {
		return false
	}
	return slices.ContainsFunc(evs, func(ev event.Event) bool { return ev.Type == typ })
}

// completeScenario completes --scenario: a shipped scenario's name, or a
// YAML file (and the folders on the way to one).
func completeScenario(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []cobra.Completion
	for _, name := range shippedScenarioNames() {
		if strings.HasPrefix(name, toComplete) {
			out = append(out, cobra.CompletionWithDesc(name, "shipped scenario"))
		}
	}
	dir, base := filepath.Split(toComplete)
	entries, _ := os.ReadDir(orDefault(dir, "."))
	folders := 0
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, base) || strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".") {
			continue
		}
		ext := strings.ToLower(filepath.Ext(name))
		switch {
		case e.IsDir():
			out = append(out, dir+name+"/")
			folders++
		case ext == ".yaml" || ext == ".yml":
			out = append(out, dir+name)
		}
	}
	if len(out) == 1 && folders == 1 {
		// Go on into the folder: no space after it.
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
