package cli

import (
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docCommand is one hamsasim command line found in a document's code block.
type docCommand struct {
	where string // file:line
	args  []string
}

// docConfig is a hamsasim.yaml shown in a document.
type docConfig struct {
	where, content string
}

// scanDoc returns the hamsasim command lines in path's fenced code blocks,
// and the code blocks that are a hamsasim.yaml (first line "# hamsasim.yaml").
func scanDoc(t *testing.T, file string) ([]docCommand, []docConfig) {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var cmds []docCommand
	var configs []docConfig
	lines := strings.Split(string(data), "\n")
	name := filepath.Base(file)
	inBlock, blockStart := false, 0
	var block []string
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			if inBlock && len(block) > 0 && strings.TrimSpace(block[0]) == "# hamsasim.yaml" {
				configs = append(configs, docConfig{where: name + ":" + strconv.Itoa(blockStart), content: strings.Join(block, "\n") + "\n"})
			}
			inBlock, blockStart, block = !inBlock, i+2, nil
			continue
		}
		if !inBlock {
			continue
		}
		block = append(block, line)
		start := i
		for strings.HasSuffix(line, "\\") && i+1 < len(lines) {
			i++
			block = append(block, lines[i])
			line = strings.TrimSuffix(line, "\\") + " " + strings.TrimSpace(lines[i])
		}
		for _, words := range shellCommands(line) {
			if len(words) > 0 && path.Base(words[0]) == "hamsasim" {
				cmds = append(cmds, docCommand{where: name + ":" + strconv.Itoa(start+1), args: words[1:]})
			}
		}
	}
	return cmds, configs
}

// shellCommands splits a line of shell (or a YAML `run:` or list item
// holding one) into simple commands, each as its words with quotes
// removed, leading VAR=value assignments and keywords dropped, and
// comments cut.
func shellCommands(line string) [][]string {
	s := strings.TrimSpace(line)
	for _, p := range []string{"- ", "run: ", "$ "} {
		s = strings.TrimSpace(strings.TrimPrefix(s, p))
	}
	var cmds [][]string
	var cur []string
	var word strings.Builder
	inWord := false
	flushWord := func() {
		if inWord {
			cur = append(cur, word.String())
		}
		word.Reset()
		inWord = false
	}
	flushCmd := func() {
		flushWord()
		for len(cur) > 0 && (isAssignment(cur[0]) || cur[0] == "if" || cur[0] == "then" || cur[0] == "!" || cur[0] == "time" || cur[0] == "exec" || cur[0] == "nohup") {
			cur = cur[1:]
		}
		if len(cur) > 0 {
			cmds = append(cmds, cur)
		}
		cur = nil
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'' || c == '"':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				end = len(s) - i - 1
			}
			word.WriteString(s[i+1 : i+1+end])
			inWord, i = true, i+1+end
		case c == '\\' && i+1 < len(s):
			word.WriteByte(s[i+1])
			inWord, i = true, i+1
		case c == '#' && !inWord:
			flushCmd()
			return cmds
		case c == ' ' || c == '\t':
			flushWord()
		case c == ';' || c == '|' || c == '&':
			flushCmd()
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	flushCmd()
	return cmds
}

func isAssignment(w string) bool {
	name, _, ok := strings.Cut(w, "=")
	return ok && name != "" && envName.MatchString(name)
}

// checkDocCommand parses args with the real command tree, without running
// anything: the command must exist and every flag must be one of its own,
// with a value of the flag's type.
func checkDocCommand(root *cobra.Command, args []string) error {
	cmd, rest, err := root.Find(args)
	if err != nil {
		return err
	}
	cmd.InitDefaultHelpFlag()
	if cmd.Name() == "config" {
		if len(rest) == 0 || strings.HasPrefix(rest[0], "-") {
			rest = append([]string{defaultConfigCommand}, rest...)
		}
		return checkDocCommand(root, rest)
	}
	return cmd.ParseFlags(rest)
}

func docRoot() *cobra.Command {
	root := newRoot(&env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }})
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	return root
}

// TestDocsCommandsExist keeps README.md and docs/ci.md from naming a
// command or a flag that does not exist.
func TestDocsCommandsExist(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file        string
		minCommands int
		minConfigs  int
	}{
		{file: filepath.Join("..", "..", "README.md"), minCommands: 8, minConfigs: 1},
		{file: filepath.Join("..", "..", "docs", "ci.md"), minCommands: 12, minConfigs: 1},
	}
	for _, tc := range cases {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			t.Parallel()
			cmds, configs := scanDoc(t, tc.file)
			assert.GreaterOrEqual(t, len(cmds), tc.minCommands, "hamsasim command lines found")
			assert.GreaterOrEqual(t, len(configs), tc.minConfigs, "hamsasim.yaml blocks found")
			for _, c := range cmds {
				// A fresh tree each time: parsing sets flags.
				assert.NoError(t, checkDocCommand(docRoot(), c.args), "%s: hamsasim %s", c.where, strings.Join(c.args, " "))
			}
			for _, c := range configs {
				p := filepath.Join(t.TempDir(), ConfigFileName)
				require.NoError(t, os.WriteFile(p, []byte(c.content), 0o644))
				_, err := readConfigFile(p, "a test", docRoot())
				assert.NoError(t, err, "the hamsasim.yaml at %s", c.where)
			}
		})
	}
}

func TestDocCheckerCatchesMistakes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		line    string
		wantErr string // "" for a valid line
	}{
		{line: `WEBHOOK_SECRET='Bearer x' hamsasim simulate --target "$TARGET" --junit r.xml   # comment --nope`},
		{line: `- run: hamsasim config load --scenario steady`},
		{line: `hamsasim receiver --listen 127.0.0.1:8080 --quiet &`},
		{line: `hamsasim completion bash --help`},
		{line: `hamsasim simulate --targte http://x`, wantErr: "unknown flag: --targte"},
		{line: `hamsasim simulat --target http://x`, wantErr: "unknown command"},
		{line: `hamsasim load --duration soon`, wantErr: "invalid argument"},
		{line: `hamsasim config simulate --scenario steady`, wantErr: "unknown flag: --scenario"},
		{line: `x=1 || hamsasim features --tgas @auth`, wantErr: "unknown flag: --tgas"},
	}
	for _, tc := range cases {
		t.Run(tc.line, func(t *testing.T) {
			t.Parallel()
			var found [][]string
			for _, words := range shellCommands(tc.line) {
				if path.Base(words[0]) == "hamsasim" {
					found = append(found, words[1:])
				}
			}
			require.Len(t, found, 1)
			err := checkDocCommand(docRoot(), found[0])
			if tc.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}
