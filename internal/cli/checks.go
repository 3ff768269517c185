package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hamsasim/hamsasim/internal/check"
)

// checkJSON is one check in `checks -o json`.
type checkJSON struct {
	ID          string `json:"id"`
	Severity    string `json:"severity"`
	Title       string `json:"title"`
	Explanation string `json:"explanation"`
	Fix         string `json:"fix"`
}

func newChecksCmd(e *env) *cobra.Command {
	var verbose bool
	var output outputFlag
	cmd := &cobra.Command{
		Use:   "checks",
		Short: "List the checks simulate runs, with why each matters and how to fix it",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			asJSON, err := output.json()
			if err != nil {
				return err
			}
			if asJSON {
				list := []checkJSON{}
				for _, c := range check.All() {
					list = append(list, checkJSON{c.ID, string(c.Severity), c.Title, c.Explanation, c.Fix})
				}
				return writeJSON(e.stdout, struct {
					Checks []checkJSON `json:"checks"`
				}{list})
			}
			for _, c := range check.All() {
				fmt.Fprintf(e.stdout, "%-19s %-8s %s\n", c.ID, c.Severity, c.Title)
				if verbose {
					fmt.Fprintf(e.stdout, "%s\n%s\n\n", wrap("why: "+c.Explanation, 28), wrap("fix: "+c.Fix, 28))
				}
			}
			if !verbose {
				fmt.Fprintf(e.stdout, "\n'hamsasim checks -v' explains each check, its usual cause and the fix.\n")
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "explain each check")
	output.add(cmd.Flags())
	return cmd
}

// wrap indents text by indent spaces and folds it at about 100 columns.
func wrap(text string, indent int) string {
	var b strings.Builder
	pad := strings.Repeat(" ", indent)
	line := pad
	for _, w := range strings.Fields(text) {
		if len(line)+len(w)+1 > 100 && strings.TrimSpace(line) != "" {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
			line = pad
		}
		line += w + " "
	}
	b.WriteString(strings.TrimRight(line, " "))
	return b.String()
}
