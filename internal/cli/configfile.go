package cli

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	yaml "go.yaml.in/yaml/v3"

	"github.com/hamsasim/hamsasim/internal/report"
	"github.com/hamsasim/hamsasim/internal/yamlfile"
)

// ConfigFileName is the config file searched for, from the working
// directory up to the repository's root, when neither --config nor
// HAMSASIM_CONFIG names one.
const ConfigFileName = "hamsasim.yaml"

// EnvPrefix starts the environment variable of every flag: HAMSASIM_TARGET
// sets --target, HAMSASIM_SECRET_ENV sets --secret-env.
const EnvPrefix = "HAMSASIM_"

// configFlag is the persistent flag that names the config file.
const configFlag = "config"

// ErrConfig marks a problem in the config file or in a HAMSASIM_*
// variable, for errors.Is.
var ErrConfig = errors.New("invalid configuration")

// Where a flag's value came from, for `hamsasim config` and for messages.
const (
	fromFlag = "flag"
	fromEnv  = "env"
	fromFile = "file"
)

// notConfigurable are flags no config file or variable may set: they
// choose what runs (help, version), where the configuration is (config), or
// turn off a safeguard that must be asked for each time on the command line
// (yes: a heavy load on another machine; no-redact: personal data kept).
var notConfigurable = []string{"help", "version", configFlag, "yes", "no-redact"}

// secretLike matches keys that would hold a secret's value. The config
// file is committed and printed; secrets stay in the environment.
var secretLike = regexp.MustCompile(`(?i)secret|token|authori[sz]ation|password|passwd|api[-_]?key|bearer|credential`)

// secretValue matches values that are themselves a secret: an
// Authorization value or a Standard Webhooks signing secret.
var secretValue = regexp.MustCompile(`(?i)^\s*(bearer\s|whsec_)`)

// passwordURL matches a DSN that holds a password (user:pw@host). A
// target URL may hold one (it is shown redacted); a database's may not.
var passwordURL = regexp.MustCompile(`^\s*[A-Za-z][A-Za-z0-9+.-]*://[^/@\s]*:[^/@\s]+@`)

// dsnSecretHint says where a database password goes instead.
const dsnSecretHint = "this DSN holds a password, and the config file and HAMSASIM_* variables never hold one: leave it out here and set PGPASSWORD (PostgreSQL) or MYSQL_PWD (MySQL), or give --effects-db on the command line"

// envName is a valid environment variable name, as --secret-env takes.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// configError is the problems found in the environment and the config
// file; errors.Is(err, ErrConfig) holds.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }
func (e *configError) Unwrap() error { return ErrConfig }

// configValue is one flag's value in the config file.
type configValue struct {
	line   int
	values []string
	list   bool
}

// configFile is a parsed config file: flag values by section, "" being the
// top level and a command path ("simulate", "report merge") a section.
type configFile struct {
	path     string
	sections map[string]map[string]configValue
}

// flagOrigin is a flag that does not have its default, and why.
type flagOrigin struct {
	flag   *pflag.Flag
	source string // fromFlag, fromEnv or fromFile
	env    string // the variable, for fromEnv
	file   string // the config file, for fromFile
	line   int    // its line, for fromFile
}

// from says where the value came from: "flag", "env HAMSASIM_TARGET",
// "hamsasim.yaml:4".
func (o flagOrigin) from() string {
	switch o.source {
	case fromEnv:
		return "env " + o.env
	case fromFile:
		return fmt.Sprintf("%s:%d", o.file, o.line)
	}
	return fromFlag
}

// How the config file was chosen.
const (
	howFlag  = "--config"
	howHere  = "the working directory"
	howAbove = "a folder above the working directory"
)

// effectiveConfig is what one command runs with beyond its defaults.
type effectiveConfig struct {
	file    string // the config file read, "" for none
	how     string // how it was chosen: howFlag, HAMSASIM_CONFIG, howHere or howAbove
	origins []flagOrigin
}

// flagEnv is the variable that sets a flag: HAMSASIM_SECRET_ENV for secret-env.
func flagEnv(name string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// configurable reports whether a command may have a section in the config
// file: every command but cobra's own and `config` itself.
func configurable(c *cobra.Command) bool {
	switch n := c.Name(); {
	case n == "help", n == "completion", n == "config", strings.HasPrefix(n, "__"):
		return false
	}
	return true
}

// commandPath is a command's names below the root: "report merge".
func commandPath(c *cobra.Command) string {
	var names []string
	for ; c != nil && c.HasParent(); c = c.Parent() {
		names = append([]string{c.Name()}, names...)
	}
	return strings.Join(names, " ")
}

// subtreeFlags maps every configurable flag name of c and the commands
// below it to the commands that have it.
func subtreeFlags(c *cobra.Command) map[string][]string {
	out := map[string][]string{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		add := func(f *pflag.Flag) {
			if !slices.Contains(notConfigurable, f.Name) && !slices.Contains(out[f.Name], commandPath(c)) {
				out[f.Name] = append(out[f.Name], commandPath(c))
			}
		}
		c.Flags().VisitAll(add)
		c.PersistentFlags().VisitAll(add)
		for _, sub := range c.Commands() {
			if configurable(sub) {
				walk(sub)
			}
		}
	}
	walk(c)
	return out
}

// locateConfig chooses the config file: --config (which must exist; an
// empty value reads none), else $HAMSASIM_CONFIG (which must exist), else
// the nearest hamsasim.yaml in dir or a folder above it, up to the
// repository's root (the folder holding .git, a folder or a worktree's
// file) or the filesystem's root. A file found above dir is named
// relative to dir when dir is relative.
func locateConfig(flagValue string, flagGiven bool, getenv func(string) string, dir string) (path, how string) {
	switch {
	case flagGiven:
		return flagValue, howFlag
	case getenv(flagEnv(configFlag)) != "":
		return getenv(flagEnv(configFlag)), flagEnv(configFlag)
	}
	start, err := filepath.Abs(dir)
	if err != nil {
		start = dir
	}
	for d := start; ; {
		p := filepath.Join(d, ConfigFileName)
		if info, err := os.Stat(p); err == nil && !info.IsDir() {
			how = howHere
			if d != start {
				how = howAbove
			}
			if !filepath.IsAbs(dir) {
				if rel, err := filepath.Rel(start, p); err == nil {
					p = filepath.Join(dir, rel)
				}
			}
			return p, how
		}
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return "", "" // the repository's root: a file above it is another project's
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", ""
		}
		d = parent
	}
}

// pathFlags take file or folder paths. In a config file found above the
// working directory their relative paths are relative to the file's
// folder, so that a command runs the same from any folder of the
// repository.
var pathFlags = []string{"fixtures", "spec", "scenario", "report-dir", "json", "junit", "out", "cpu-profile", "ready-file", "db", "format"}

// resolvePaths makes the relative paths in a path flag's values relative
// to base, the config file's folder. A scenario may be a shipped one's
// name, and --format holds FILE after a formatter's name.
func resolvePaths(flag string, values []string, base string) []string {
	join := func(p string) string {
		if p == "" || p == stdoutPath || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(base, p)
	}
	out := make([]string, len(values))
	for i, v := range values {
		switch flag {
		case "scenario":
			if ext := strings.ToLower(filepath.Ext(v)); strings.ContainsAny(v, "/"+string(filepath.Separator)) || ext == ".yaml" || ext == ".yml" {
				v = join(v)
			}
		case "format":
			parts := strings.Split(v, ",")
			for j, part := range parts {
				if name, file, ok := strings.Cut(part, ":"); ok {
					parts[j] = name + ":" + join(strings.TrimSpace(file))
				}
			}
			v = strings.Join(parts, ",")
		default:
			v = join(v)
		}
		out[i] = v
	}
	return out
}

// readConfigFile reads and checks a config file against the command tree
// under root: every key a flag of some command or a command's section.
func readConfigFile(path, how string, root *cobra.Command) (*configFile, error) {
	data, err := yamlfile.ReadFile(path, ErrConfig)
	if err != nil {
		return nil, fmt.Errorf("%w (the config file from %s)", err, how)
	}
	cf := &configFile{path: path, sections: map[string]map[string]configValue{}}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) == nil && (doc.Kind == 0 || len(doc.Content) == 0) {
		return cf, nil // only comments: nothing set
	}
	p := &configParser{r: yamlfile.Reader{File: path, Kind: ErrConfig}, cf: cf}
	if n := p.r.Root(data, ""); n != nil {
		p.section(n, root, "")
	}
	if err := p.r.Err(); err != nil {
		return nil, err
	}
	return cf, nil
}

type configParser struct {
	r  yamlfile.Reader
	cf *configFile
}

// section reads the mapping n for command c (the root for the top level).
// field is n's dotted path in the file, for messages.
func (p *configParser) section(n *yaml.Node, c *cobra.Command, field string) {
	n = yamlfile.Deref(n)
	if n.Kind != yaml.MappingNode {
		what := "the config file"
		if field != "" {
			what = "a command's section"
		}
		p.r.Errf(n, field, "%s must be a mapping of flag names to values (target: https://..., fixtures: [...]), not %s", what, yamlfile.KindName(n))
		return
	}
	flags := subtreeFlags(c)
	subs := map[string]*cobra.Command{}
	for _, s := range c.Commands() {
		if configurable(s) {
			subs[s.Name()] = s
		}
	}
	values := map[string]configValue{}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], yamlfile.Deref(n.Content[i+1])
		key, at := k.Value, yamlfile.Join(field, k.Value)
		if seen[key] {
			p.r.Errf(k, at, "given twice")
			continue
		}
		seen[key] = true
		if sub, ok := subs[key]; ok && (v.Kind == yaml.MappingNode || flags[key] == nil) {
			p.section(v, sub, at)
			continue
		}
		if flags[key] == nil {
			p.unknown(k, v, key, at, c, flags, subs)
			continue
		}
		if cv, ok := p.value(k, v, at); ok {
			values[key] = cv
		}
	}
	p.cf.sections[commandPath(c)] = values
}

// unknown reports a key that is no flag of c's commands and no section.
func (p *configParser) unknown(k, v *yaml.Node, key, at string, c *cobra.Command, flags map[string][]string, subs map[string]*cobra.Command) {
	scope := "hamsasim " + commandPath(c)
	if !c.HasParent() {
		scope = "any command"
	}
	if key == configFlag {
		p.r.Errf(k, at, "a config file cannot name another one; use --config FILE or %s", flagEnv(configFlag))
		return
	}
	if kebab := kebabCase(key); kebab != key && flags[kebab] != nil {
		p.r.Errf(k, at, "write it as the flag is spelled, %s (keys are flag names, with one spelling)", kebab)
		return
	}
	if key == "yes" || key == "no-redact" {
		p.r.Errf(k, at, "--%s turns off a safeguard and must be given on the command line each time, not in a config file", key)
		return
	}
	if secretLike.MatchString(key) {
		p.r.Errf(k, at, "the config file never holds a secret: put it in an environment variable (in CI, the secret store) and name that variable with secret-env, e.g. secret-env: %s", DefaultSecretEnv)
		return
	}
	if v.Kind == yaml.MappingNode && len(subs) == 0 {
		p.r.Errf(k, at, "not a flag of %s; %s has no sections, and a flag takes a value or a list, not a mapping", scope, scope)
		return
	}
	if v.Kind == yaml.MappingNode {
		names := make([]string, 0, len(subs))
		for s := range subs {
			names = append(names, s)
		}
		sort.Strings(names)
		p.r.Errf(k, at, "not a command%s (a section is named after a command: %s)", yamlfile.DidYouMean(key, names), strings.Join(names, ", "))
		return
	}
	if elsewhere := subtreeFlags(c.Root())[key]; len(elsewhere) > 0 {
		p.r.Errf(k, at, "not a flag of %s; it is a flag of hamsasim %s: put it in that command's section", scope, strings.Join(elsewhere, ", "))
		return
	}
	known := make([]string, 0, len(flags)+len(subs))
	for f := range flags {
		known = append(known, f)
	}
	for s := range subs {
		known = append(known, s)
	}
	sort.Strings(known)
	p.r.Errf(k, at, "not a flag of %s%s (keys are flag names, as 'hamsasim COMMAND --help' lists them, or a command's section such as simulate:)", scope, yamlfile.DidYouMean(key, known))
}

// value reads a flag's value: a scalar, or a list of scalars for a flag
// that takes several.
func (p *configParser) value(k, v *yaml.Node, at string) (configValue, bool) {
	cv := configValue{line: k.Line}
	secret := func(n *yaml.Node) bool {
		if secretValue.MatchString(n.Value) {
			p.r.Errf(n, at, "this value looks like a secret; the config file never holds one: put it in an environment variable and name that variable with secret-env")
			return true
		}
		if k.Value == "effects-db" && passwordURL.MatchString(n.Value) {
			p.r.Errf(n, at, "%s", dsnSecretHint)
			return true
		}
		return false
	}
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			p.r.Errf(k, at, "has no value; give one, or remove the key to keep the default")
			return cv, false
		}
		if secret(v) {
			return cv, false
		}
		cv.values = []string{v.Value}
	case yaml.SequenceNode:
		if len(v.Content) == 0 {
			p.r.Errf(k, at, "an empty list; give at least one value, or remove the key to keep the default")
			return cv, false
		}
		cv.list = true
		for i, item := range v.Content {
			item = yamlfile.Deref(item)
			if item.Kind != yaml.ScalarNode || item.Tag == "!!null" {
				p.r.Errf(item, fmt.Sprintf("%s[%d]", at, i), "must be a plain value, not %s", yamlfile.KindName(item))
				return cv, false
			}
			if secret(item) {
				return cv, false
			}
			cv.values = append(cv.values, item.Value)
		}
	default:
		p.r.Errf(k, at, "must be a value or a list of values, not %s", yamlfile.KindName(v))
		return cv, false
	}
	return cv, true
}

// kebabCase turns probeUrl or probe_url into probe-url.
func kebabCase(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '_':
			b.WriteByte('-')
		case r >= 'A' && r <= 'Z':
			if i > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r - 'A' + 'a')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// valuesFor merges the file's values that apply to c: the top level, then
// each enclosing command's section, then c's own; the deepest wins. Keys
// that are not flags of c are left out.
func (cf *configFile) valuesFor(c *cobra.Command) map[string]configValue {
	out := map[string]configValue{}
	var names []string
	if p := commandPath(c); p != "" {
		names = strings.Fields(p)
	}
	for i := 0; i <= len(names); i++ {
		for k, v := range cf.sections[strings.Join(names[:i], " ")] {
			if c.Flags().Lookup(k) != nil {
				out[k] = v
			}
		}
	}
	return out
}

// applyConfig sets every flag of c not given on the command line from its
// HAMSASIM_* variable, else from the config file, through the flag's own
// Set so that types and checks are the flag's. c's flags must be parsed.
func applyConfig(c *cobra.Command, getenv func(string) string, dir string) (*effectiveConfig, error) {
	fs := c.Flags()
	eff := &effectiveConfig{}
	cfgValue, cfgGiven := "", false
	if f := fs.Lookup(configFlag); f != nil {
		cfgValue, cfgGiven = f.Value.String(), f.Changed
	}
	eff.file, eff.how = locateConfig(cfgValue, cfgGiven, getenv, dir)
	values := map[string]configValue{}
	if eff.file != "" {
		cf, err := readConfigFile(eff.file, eff.how, c.Root())
		if err != nil {
			return nil, err
		}
		values = cf.valuesFor(c)
	}
	var problems []string
	fs.VisitAll(func(f *pflag.Flag) {
		if slices.Contains(notConfigurable, f.Name) {
			if (f.Name == "yes" || f.Name == "no-redact") && getenv(flagEnv(f.Name)) != "" {
				problems = append(problems, fmt.Sprintf("%s: --%s turns off a safeguard and must be given on the command line each time, not in a variable", flagEnv(f.Name), f.Name))
			}
			return
		}
		if f.Changed {
			eff.origins = append(eff.origins, flagOrigin{flag: f, source: fromFlag})
			return
		}
		if v := getenv(flagEnv(f.Name)); v != "" {
			name := flagEnv(f.Name)
			if secretValue.MatchString(v) {
				problems = append(problems, fmt.Sprintf("%s: this value looks like a secret; a HAMSASIM_* variable never holds one: put the secret in a variable of its own (such as %s) and name that variable with --secret-env or %s", name, DefaultSecretEnv, flagEnv("secret-env")))
				return
			}
			if f.Name == "effects-db" && passwordURL.MatchString(v) {
				problems = append(problems, fmt.Sprintf("%s: %s", name, dsnSecretHint))
				return
			}
			vs, list := []string{v}, false
			if f.Value.Type() == "stringArray" {
				// A repeatable flag takes one value per line: its values may hold commas.
				vs, list = strings.Split(strings.TrimRight(v, "\n"), "\n"), true
			}
			if err := setFlag(fs, f, vs, list); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %q %s (it sets --%s)", name, v, err, f.Name))
				return
			}
			eff.origins = append(eff.origins, flagOrigin{flag: f, source: fromEnv, env: name})
			return
		}
		if cv, ok := values[f.Name]; ok {
			where := fmt.Sprintf("%s:%d", eff.file, cv.line)
			if eff.how == howAbove && slices.Contains(pathFlags, f.Name) {
				cv.values = resolvePaths(f.Name, cv.values, filepath.Dir(eff.file))
			}
			if err := setFlag(fs, f, cv.values, cv.list); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %s: %s %s", where, f.Name, quoteValues(cv.values), err))
				return
			}
			eff.origins = append(eff.origins, flagOrigin{flag: f, source: fromFile, file: eff.file, line: cv.line})
		}
	})
	if len(problems) > 0 {
		return nil, &configError{strings.Join(problems, "\n")}
	}
	for _, o := range eff.origins {
		if o.flag.Name == "secret-env" && !envName.MatchString(o.flag.Value.String()) {
			where := "--secret-env"
			switch o.source {
			case fromEnv:
				where = o.env
			case fromFile:
				where = o.from() + ": secret-env"
			}
			return nil, &configError{fmt.Sprintf("%s takes the name of the environment variable that holds the secret (letters, digits and _, such as %s), not the secret itself", where, DefaultSecretEnv)}
		}
	}
	return eff, nil
}

// setFlag gives f the values through the flag's own parsing. A list
// replaces a multi-value flag's default whole, so an item may hold a comma.
func setFlag(fs *pflag.FlagSet, f *pflag.Flag, values []string, list bool) error {
	if list {
		sv, ok := f.Value.(pflag.SliceValue)
		if !ok {
			if len(values) != 1 {
				return errors.New("is a list, but the flag takes one value")
			}
		} else {
			if err := sv.Replace(values); err != nil {
				return typeWords(f, err)
			}
			f.Changed = true
			return nil
		}
	}
	if err := fs.Set(f.Name, values[0]); err != nil {
		return typeWords(f, err)
	}
	return nil
}

// typeWords says what a flag's type accepts, for a value it refused.
func typeWords(f *pflag.Flag, err error) error {
	switch t := f.Value.Type(); {
	case t == "bool":
		return errors.New("is not true or false")
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint"):
		return errors.New("is not a whole number")
	case strings.HasPrefix(t, "float"):
		return errors.New("is not a number")
	case t == "duration" || t == "durationSlice":
		return errors.New("is not a duration (such as 500ms, 30s, 2m or 1h30m)")
	}
	return fmt.Errorf("is not valid: %w", err)
}

func quoteValues(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

// displayValue is a flag's value safe to print: URLs lose their user info
// and query, lists are joined with commas.
func displayValue(f *pflag.Flag) string {
	if items, ok := displayItems(f); ok {
		return strings.Join(items, ",")
	}
	return redactValue(f.Value.String())
}

// displayItems is the values of a flag that takes several, each safe to
// print; ok is false for a flag that takes one.
func displayItems(f *pflag.Flag) (items []string, ok bool) {
	sv, ok := f.Value.(pflag.SliceValue)
	if !ok {
		return nil, false
	}
	items = sv.GetSlice()
	for i, it := range items {
		items[i] = redactValue(it)
	}
	return items, true
}

// redactValue removes the user info and query of a value that is a URL.
func redactValue(s string) string {
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Host != "" {
		return report.RedactURL(s)
	}
	return s
}

// annotate adds to a usage error about a flag set by a variable or the
// config file where that value came from, since the message names only
// the flag.
func annotate(err error, origins []flagOrigin) error {
	var xe *exitError
	if err == nil || !errors.As(err, &xe) || xe.code != ExitUsage || xe.err == nil {
		return err
	}
	msg := xe.err.Error()
	var notes []string
	for _, o := range origins {
		if o.source == fromFlag {
			continue
		}
		if mentionsFlag(msg, o.flag.Name) {
			notes = append(notes, fmt.Sprintf("--%s is from %s", o.flag.Name, o.from()))
		}
	}
	if len(notes) == 0 {
		return err
	}
	return &exitError{code: xe.code, err: fmt.Errorf("%w (%s)", xe.err, strings.Join(notes, "; "))}
}

// mentionsFlag reports whether msg names --name as a whole word.
func mentionsFlag(msg, name string) bool {
	needle := "--" + name
	for rest := msg; ; {
		i := strings.Index(rest, needle)
		if i < 0 {
			return false
		}
		end := i + len(needle)
		if end == len(rest) || !isFlagChar(rest[end]) {
			return true
		}
		rest = rest[end:]
	}
}

func isFlagChar(b byte) bool {
	return b == '-' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9'
}

// configHook is the root's PersistentPreRunE: it applies the environment
// and the config file to the command about to run.
func configHook(e *env) func(*cobra.Command, []string) error {
	return func(c *cobra.Command, _ []string) error {
		if !configurable(c) || (c.Parent() != nil && !configurable(c.Parent())) {
			return nil
		}
		eff, err := applyConfig(c, e.getenv, ".")
		if err != nil {
			return usageError("%w", err)
		}
		if run := c.RunE; run != nil {
			c.RunE = func(c *cobra.Command, args []string) error { return annotate(run(c, args), eff.origins) }
		}
		return nil
	}
}
