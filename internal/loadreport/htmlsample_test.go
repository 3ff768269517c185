package loadreport

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	samplesDir = flag.String("samples", "", "write the sample report pages to this folder, to open in a browser")
	chromium   = flag.String("chromium", "", "a headless Chromium (e.g. chromium) to load the sample pages in: TestHTMLInChromium")
)

// samplePages are the pages to look at in a browser: a run, an outage and
// a capacity search as current runs record them, summaries written before
// the report drew offered load, causes and stages, and an empty one.
var samplePages = map[string]func() *Summary{
	"run":            sampleRun,
	"outage":         sampleOutage,
	"capacity":       sampleCapacity,
	"older-run":      func() *Summary { return asOlder(goldenPassed()) },
	"older-capacity": func() *Summary { return asOlder(goldenCapacity()) },
	"empty":          func() *Summary { return &Summary{} },
}

// writeSamples writes the sample pages into dir and returns their paths
// by name.
func writeSamples(t *testing.T, dir string) map[string]string {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	paths := map[string]string{}
	for name, build := range samplePages {
		paths[name] = filepath.Join(dir, name+".html")
		require.NoError(t, os.WriteFile(paths[name], []byte(renderHTML(t, build())), 0o644))
	}
	return paths
}

// TestWriteHTMLSamples writes the sample pages, into -samples when it is
// given (go test ./internal/loadreport -run Samples -samples /tmp/pages),
// else into a temporary folder.
func TestWriteHTMLSamples(t *testing.T) {
	t.Parallel()
	dir := *samplesDir
	if dir == "" {
		dir = t.TempDir()
	}
	for name, path := range writeSamples(t, dir) {
		info, err := os.Stat(path)
		require.NoError(t, err, name)
		assert.Positive(t, info.Size(), name)
	}
}

var (
	chromiumUplot   = regexp.MustCompile(`<div class="uplot\b`)
	chromiumError   = regexp.MustCompile(`data-error="[^"]*"`)
	chromiumConsole = regexp.MustCompile(`(?m)^.*:CONSOLE[^\]]*\] .*$`)
)

// TestHTMLInChromium loads each sample page in headless Chromium, when
// -chromium names one (go test ./internal/loadreport -run Chromium
// -chromium chromium): the script logs nothing to the console (no error),
// and uPlot drew every chart of the page's data, none marked as failed.
func TestHTMLInChromium(t *testing.T) {
	if *chromium == "" {
		t.Skip("no -chromium given")
	}
	for name, path := range writeSamples(t, t.TempDir()) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			// --no-sandbox: Chromium refuses to run as root without it.
			cmd := exec.CommandContext(ctx, *chromium, "--headless", "--no-sandbox", "--disable-gpu",
				"--enable-logging=stderr", "--v=0", "--virtual-time-budget=3000", "--window-size=1400,3000",
				"--dump-dom", "file://"+path)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			dom, err := cmd.Output()
			require.NoError(t, err, stderr.String())
			page, err := os.ReadFile(path)
			require.NoError(t, err)
			want := len(parseHTML(t, string(page)).data(t).Charts)
			assert.Equal(t, want, len(chromiumUplot.FindAll(dom, -1)), "charts drawn")
			assert.Empty(t, chromiumError.FindAllString(string(dom), -1), "charts that failed")
			assert.Empty(t, chromiumConsole.FindAllString(stderr.String(), -1), "console messages")
		})
	}
}
