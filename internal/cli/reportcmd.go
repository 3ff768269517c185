package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/hamsasim/hamsasim/internal/loadreport"
)

func newReportCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Work with load reports: merge the shards of one run",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return usageError("report: name a subcommand: merge (see 'hamsasim report --help')")
		},
	}
	cmd.AddCommand(newReportMergeCmd(e))
	return cmd
}

type reportMergeCmd struct {
	e        *env
	out      string
	junitOut string
	jsonOut  string
	partial  bool
	quiet    bool
}

func newReportMergeCmd(e *env) *cobra.Command {
	m := &reportMergeCmd{e: e}
	cmd := &cobra.Command{
		Use:   "merge --out DIR SHARD...",
		Short: "Merge the reports of a sharded load run into one report",
		Long: `Merges the summaries of the shards of one 'hamsasim load --shard i/n' run
(each SHARD is a report folder or its summary.json) into one report in --out:
summary.json, report.html and results.bin. Counts add up; percentiles come
from the merged HDR histograms, so they are exact for the union of all
attempts. Thresholds are judged again on the merged figures.

The shards must share scenario, seed, duration and shard count; each index
once, and all of them unless --partial.

Exit codes: 0 every threshold held, 1 a threshold failed, a shard was
interrupted, or shards are missing (--partial), 2 bad input, including
shards that do not belong together.`,
		Example: `  hamsasim report merge --out reports/run1/merged reports/run1/shard-0 reports/run1/shard-1`,
		Args:    cobra.MinimumNArgs(1),
		RunE:    m.run,
	}
	f := cmd.Flags()
	f.StringVar(&m.out, "out", "", "folder for the merged report (required)")
	f.StringVar(&m.junitOut, "junit", "", "also write the threshold verdicts as JUnit XML (- for standard output; the summary then goes to stderr)")
	f.StringVar(&m.jsonOut, "json", "", "also write the merged summary.json to this file (- for standard output; the summary then goes to stderr)")
	f.BoolVar(&m.partial, "partial", false, "merge even when some shards are missing (the report says which)")
	f.BoolVarP(&m.quiet, "quiet", "q", false, "print only the verdict line")
	return cmd
}

func (m *reportMergeCmd) run(_ *cobra.Command, args []string) error {
	if m.out == "" {
		return usageError("report merge: --out is required")
	}
	if err := checkFolder("--out", m.out, "--json - writes the merged summary there"); err != nil {
		return err
	}
	var parts []*loadreport.Summary
	var resultFiles, deadFiles []string
	files := reportFiles(m.out)
	outAbs, _ := filepath.Abs(files.dir)
	for _, a := range args {
		path, dir := a, filepath.Dir(a)
		if info, err := os.Stat(a); err == nil && info.IsDir() {
			path, dir = filepath.Join(a, "summary.json"), a
		}
		// The merged report would be written over the shard's own files
		// (results.bin is emptied before it is read).
		if abs, _ := filepath.Abs(dir); abs == outAbs {
			return usageError("report merge: --out %s is the folder of shard %s; write the merged report to another folder", m.out, a)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return usageError("report merge: %s: cannot read: %s", path, ioWords(err))
		}
		s, err := loadreport.ReadSummary(data, path)
		if err != nil {
			return usageError("report merge: %s", err)
		}
		parts = append(parts, s)
		if r := filepath.Join(dir, "results.bin"); fileExists(r) {
			resultFiles = append(resultFiles, r)
		}
		if d := filepath.Join(dir, "dead-letters.jsonl"); fileExists(d) {
			deadFiles = append(deadFiles, d)
		}
	}
	s, err := loadreport.Merge(parts, m.partial)
	if err != nil {
		if errors.Is(err, loadreport.ErrMerge) {
			return usageError("report merge: %s", err)
		}
		return err
	}
	if err := prepareOutputs([][2]string{{"--out", files.summary}, {"--out", files.html}, {"--out", files.results}, {"--json", m.jsonOut}, {"--junit", m.junitOut}}); err != nil {
		return err
	}
	if len(resultFiles) == len(parts) {
		if err := concatResults(files.results, resultFiles); err != nil {
			return usageError("report merge: %s", err)
		}
	} else {
		os.Remove(files.results)
		s.Notes = append(s.Notes, "results.bin was not merged: not every shard folder has one")
	}
	if len(deadFiles) > 0 {
		if err := concatFiles(files.dead, deadFiles); err != nil {
			return usageError("report merge: %s", err)
		}
	}
	if err := writeLoadReports(m.e, s, files, m.jsonOut, m.junitOut, m.quiet); err != nil {
		return err
	}
	if !s.Passed {
		return errFindings
	}
	return nil
}

func fileExists(p string) bool {
	info, err := os.Stat(p)
	return err == nil && !info.IsDir()
}

// concatResults writes the shards' vegeta results one after the other into
// one results file, decoding and encoding again (gob streams cannot simply
// be appended).
func concatResults(out string, ins []string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 256<<10)
	enc := vegeta.NewEncoder(w)
	for _, in := range ins {
		if err := copyResults(enc, in); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func copyResults(enc vegeta.Encoder, in string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := vegeta.NewDecoder(bufio.NewReader(f))
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("%s: damaged results: %v", in, err)
		}
		if err := enc.Encode(&r); err != nil {
			return err
		}
	}
}

// concatFiles writes the files one after the other into out (JSON lines
// simply append).
func concatFiles(out string, ins []string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, in := range ins {
		src, err := os.Open(in)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, src)
		src.Close()
		if err != nil {
			return err
		}
	}
	return f.Close()
}
