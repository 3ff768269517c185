package cli

import (
	"io"

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
