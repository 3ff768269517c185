package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hamsasim/hamsasim"
	"github.com/hamsasim/hamsasim/internal/fixture"
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
	v := &validateCmd{e: e}
	validate := &cobra.Command{
		Use:   "validate [PATH...]",
		Short: "Check fixtures: their format, and every event they produce against the contract",
		Long: `Parses each fixture (files or folders; default: the shipped ones), expands it
into its events and validates every event against the contract.
Exit 0 when all are valid, 2 otherwise, with file:line and field for each problem
(with -o json, in the document's problems too).`,
		RunE: v.run,
	}
	validate.Flags().StringVar(&v.spec, "spec", "", "OpenAPI contract (default: the shipped one)")
	v.output.add(validate.Flags())
	cmd.AddCommand(validate, newFixturesNewCmd(e))
	return cmd
}

type validateCmd struct {
	e      *env
	spec   string
	output outputFlag
}

// validation is what `fixtures validate -o json` prints.
type validation struct {
	Valid    bool            `json:"valid"`
	Contract *validationSpec `json:"contract"` // null when it could not be read
	Fixtures []validFixture  `json:"fixtures"`
	Problems []inputProblem  `json:"problems"`
}

type validationSpec struct {
	Source  string `json:"source"`
	Version string `json:"version"`
}

type validFixture struct {
	File   string `json:"file"`
	Name   string `json:"name"`
	Events int    `json:"events"`
	Turns  int    `json:"turns"`
	Tools  int    `json:"tools"`
}

func (v *validateCmd) run(_ *cobra.Command, args []string) error {
	asJSON, err := v.output.json()
	if err != nil {
		return err
	}
	res, err := v.validate(args)
	if asJSON {
		if werr := writeJSON(v.e.stdout, res); werr != nil {
			return werr
		}
		return err
	}
	if err != nil {
		return err
	}
	for _, f := range res.Fixtures {
		fmt.Fprintf(v.e.stdout, "ok  %s  %s: %d events (%d turns, %d tools)\n", f.File, f.Name, f.Events, f.Turns, f.Tools)
	}
	fmt.Fprintf(v.e.stdout, "%d fixture(s) valid against %s %s\n", len(res.Fixtures), res.Contract.Source, res.Contract.Version)
	return nil
}

// validate checks every fixture, each on its own so that one fixture's
// problem does not hide another's; the error is every problem found.
func (v *validateCmd) validate(paths []string) (*validation, error) {
	res := &validation{Fixtures: []validFixture{}, Problems: []inputProblem{}}
	spec := v.spec
	if spec == "" {
		spec = hamsasim.ContractPath
	}
	c, err := loadContract(v.spec)
	if err != nil {
		res.Problems = problemsOf(err, spec)
		return res, err
	}
	res.Contract = &validationSpec{Source: c.Source, Version: c.Version}
	fixtures, err := loadFixturesAs("fixture path", paths)
	if err != nil {
		res.Problems = problemsOf(err, "")
		return res, err
	}
	var errs []error
	for _, f := range fixtures {
		calls, err := simulate.Calls(simulate.Config{Fixtures: []*fixture.Fixture{f}, Contract: c})
		if err != nil {
			errs = append(errs, err)
			// The message starts with the file, which the problem names apart.
			res.Problems = append(res.Problems, inputProblem{File: f.Source, Message: strings.TrimPrefix(err.Error(), f.Source+": ")})
			continue
		}
		res.Fixtures = append(res.Fixtures, validFixture{File: f.Source, Name: f.Name, Events: len(calls[0]), Turns: f.TurnCount(), Tools: len(f.Tools)})
	}
	if len(errs) > 0 {
		return res, usageError("%w", errors.Join(errs...))
	}
	res.Valid = true
	return res, nil
}
