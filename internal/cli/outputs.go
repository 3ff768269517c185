package cli

import (
	"encoding/json"
	"io"

	"github.com/spf13/pflag"

	"github.com/hamsasim/hamsasim/internal/report"
)

// stdoutPath is the report path that means standard output, as for curl,
// tar and most tools: `--json -` prints the JSON report.
const stdoutPath = "-"

// writeReport writes one report to path, or to standard output for "-".
// flag names the path's flag in errors.
func writeReport(e *env, flag, path string, write func(io.Writer) error) error {
	if path == stdoutPath {
		return write(e.stdout)
	}
	if err := report.WriteFile(path, write); err != nil {
		return usageError("%s: %s", flag, err)
	}
	return nil
}

// summaryOut is where a run's human summary goes: standard output, unless
// a report goes there, so that standard output holds one clean document.
func summaryOut(e *env, reportPaths ...string) io.Writer {
	for _, p := range reportPaths {
		if p == stdoutPath {
			return e.stderr
		}
	}
	return e.stdout
}

// checkFolder refuses "-" for a flag that names a folder: a folder of
// reports cannot be standard output. instead says what can.
func checkFolder(flag, path, instead string) error {
	if path == stdoutPath {
		return usageError("%s -: %s takes a folder, not standard output; %s", flag, flag, instead)
	}
	return nil
}

// The formats of -o/--output: what a command that describes something
// (trigger, checks, fixtures validate, config) prints on standard output.
// Commands that write report files take --json FILE instead.
const (
	outputText = "text"
	outputJSON = "json"
)

// outputFlag is a command's -o/--output flag.
type outputFlag struct{ format string }

func (o *outputFlag) add(f *pflag.FlagSet) {
	f.StringVarP(&o.format, "output", "o", outputText, "what to print: text, or json (one JSON document on standard output; see the README for its fields)")
}

// json reports whether JSON was asked for, or says what is valid.
func (o *outputFlag) json() (bool, error) {
	switch o.format {
	case outputText:
		return false, nil
	case outputJSON:
		return true, nil
	}
	return false, usageError("--output %q: use text or json", o.format)
}

// writeJSON prints v as one indented JSON document, with <, > and & as
// they are (the Go default escapes them, which no reader needs).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
