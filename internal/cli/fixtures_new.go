package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"text/template"

	"github.com/spf13/cobra"

	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/simulate"
)

// schemaPath is the fixture JSON Schema's path in a checkout.
const schemaPath = "spec/fixture.schema.json"

type fixturesNewCmd struct {
	e     *env
	out   string
	force bool
}

func newFixturesNewCmd(e *env) *cobra.Command {
	n := &fixturesNewCmd{e: e}
	cmd := &cobra.Command{
		Use:   "new NAME",
		Short: "Write a commented fixture to start from, NAME.yaml",
		Long: `Writes DIR/NAME.yaml (--out, default the current folder): a short, valid call
lifecycle with every field of the format commented, ready to edit, to check with
'hamsasim fixtures validate' and to replay with 'hamsasim simulate --fixtures'.
NAME is the fixture's name: lowercase letters, digits and dashes, starting with
a letter. An existing file is kept unless --force.`,
		Example: `  hamsasim fixtures new refund-request --out fixtures/calls`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("fixtures new needs one NAME (lowercase letters, digits and dashes, starting with a letter)")
			}
			return nil
		},
		RunE: n.run,
	}
	cmd.Flags().StringVar(&n.out, "out", ".", "folder to write NAME.yaml in (created if missing)")
	cmd.Flags().BoolVar(&n.force, "force", false, "overwrite NAME.yaml if it exists")
	return cmd
}

func (n *fixturesNewCmd) run(_ *cobra.Command, args []string) error {
	name := args[0]
	path := filepath.Join(n.out, name+".yaml")
	data, err := scaffold(name, schemaModeline(n.out))
	if err != nil {
		return err
	}
	// The fixture's own rules judge the name and the scaffold: the parser
	// is the one definition of the format.
	f, err := fixture.Parse(data, path)
	if err != nil {
		var list fixture.ErrorList
		if errors.As(err, &list) && len(list) > 0 && list[0].Field == "name" {
			return usageError("fixtures new %s: %s", strconv.Quote(name), list[0].Msg)
		}
		return err
	}
	if _, err := simulate.Calls(simulate.Config{Fixtures: []*fixture.Fixture{f}}); err != nil {
		return err
	}
	if err := os.MkdirAll(n.out, 0o755); err != nil {
		return usageError("--out %s: cannot create the folder: %s", n.out, ioWords(err))
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if n.force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	file, err := os.OpenFile(path, flags, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return usageError("%s already exists; choose another NAME or --out, or overwrite it with --force", path)
	}
	if err != nil {
		return usageError("%s: cannot write: %s", path, ioWords(err))
	}
	if _, err := file.Write(data); err != nil {
		file.Close()
		return usageError("%s: cannot write: %s", path, ioWords(err))
	}
	if err := file.Close(); err != nil {
		return usageError("%s: cannot write: %s", path, ioWords(err))
	}
	fmt.Fprintf(n.e.stdout, "wrote %s: %s, %d events\ncheck it:  hamsasim fixtures validate %s\nreplay it: hamsasim simulate --fixtures %s\n",
		path, f.Name, f.EventCount(), path, path)
	return nil
}

// schemaModeline is the yaml-language-server line that points editors at
// the fixture schema, when dir is inside a checkout that has it (looked for
// in dir and up to 8 folders above); "" otherwise.
func schemaModeline(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for i, d := 0, abs; i < 9; i++ {
		if _, err := os.Stat(filepath.Join(d, schemaPath)); err == nil {
			rel, err := filepath.Rel(abs, filepath.Join(d, schemaPath))
			if err != nil {
				return ""
			}
			return "# yaml-language-server: $schema=" + filepath.ToSlash(rel) + "\n"
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	return ""
}

var scaffoldTemplate = template.Must(template.New("fixture").Parse(`{{.Modeline}}# A call lifecycle for hamsasim: the format is in fixtures/README.md.
# Check it with 'hamsasim fixtures validate FILE'; replay it with
# 'hamsasim simulate --fixtures FILE'.
name: {{.Name}}             # lowercase letters, digits and dashes; unique in a run
description: Describe the call in one line.
project: proj_example         # the envelope's projectId
agent:
  id: agent_example           # agentId
  name: Example Agent         # agentName
call:
  direction: inbound          # inbound | outbound
  from: "+14155550101"        # E.164; quote numbers, or YAML reads them as numbers
  to: "+14155550199"
  ring: 3s                    # start to answer; with answered: false, remove it
  # answered: false           # a call never answered: no call.answered, turns or tools
params:                       # your params: echoed unchanged in call.ended's outcomeResult
  customer_id: "cus_123"      # strings, numbers, booleans or null only;
  tags: '["new","web"]'       # arrays and objects travel as JSON strings
turns:                        # one transcription.update each, in time order, after ring
  - at: 4s
    agent: Hello, thanks for calling. How can I help?
  - at: 7.5s
    user: Hi, I would like to check my order.
    confidence: 0.9           # optional, 0..1
tools:                        # one tool.executed each, in time order
  - at: 10s
    name: lookup_order
    input: {customer_id: "cus_123"}
    output: {status: shipped}
    duration: 300ms           # sent in milliseconds
outcome:                      # what the agent collected; null = asked but not given
  intent: order_status
  resolved: true
end:
  at: 20s                     # after every other event
  recording: https://recordings.example.com/{{.Name}}.mp3   # .mp3 or .wav; omit for none
`))

// scaffold renders the fixture for name. The name is written as a quoted
// YAML string, so that whatever was typed reaches the parser's name rule.
func scaffold(name, modeline string) ([]byte, error) {
	var b bytes.Buffer
	quoted := strconv.Quote(name)
	if quoted == `"`+name+`"` && validLookingName(name) {
		quoted = name
	}
	err := scaffoldTemplate.Execute(&b, struct{ Name, Modeline string }{quoted, modeline})
	return b.Bytes(), err
}

// validLookingName reports whether name can be written bare in YAML; the
// parser decides whether it is a valid fixture name.
func validLookingName(name string) bool {
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return name != "" && name[0] >= 'a' && name[0] <= 'z'
}
