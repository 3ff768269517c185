package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hamsasim/hamsasim/internal/simulate"
)

func newFixturesCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fixtures",
		Short: "Work with call-lifecycle fixtures",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// A typo must not pass a CI step: no subcommand is an error.
			if len(args) > 0 {
				return usageError("unknown command %q for \"hamsasim fixtures\" (valid: new, validate)", args[0])
			}
			return usageError("hamsasim fixtures needs a subcommand: new or validate")
		},
	}
	var spec string
	validate := &cobra.Command{
		Use:   "validate [PATH...]",
		Short: "Check fixtures: their format, and every event they produce against the contract",
		Long: `Parses each fixture (files or folders; default: the shipped ones), expands it
into its events and validates every event against the contract.
Exit 0 when all are valid, 2 otherwise, with file:line and field for each problem.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := loadContract(spec)
			if err != nil {
				return err
			}
			fixtures, err := loadFixturesAs("fixture path", args)
			if err != nil {
				return err
			}
			calls, err := simulate.Calls(simulate.Config{Fixtures: fixtures, Contract: c})
			if err != nil {
				return usageError("%s", err)
			}
			for i, f := range fixtures {
				fmt.Fprintf(e.stdout, "ok  %s  %s: %d events (%d turns, %d tools)\n", f.Source, f.Name, len(calls[i]), f.TurnCount(), len(f.Tools))
			}
			fmt.Fprintf(e.stdout, "%d fixture(s) valid against %s %s\n", len(fixtures), c.Source, c.Version)
			return nil
		},
	}
	validate.Flags().StringVar(&spec, "spec", "", "OpenAPI contract (default: the shipped one)")
	cmd.AddCommand(validate, newFixturesNewCmd(e))
	return cmd
}
