package cli

import (
	"regexp"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBuildOf(t *testing.T) {
	t.Parallel()
	const rev = "8455dc427fb582622240ffb36cdac84cb544a1aa"
	info := func(mainVersion string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/hamsasim/hamsasim", Version: mainVersion}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	clean := []string{"vcs", "git", "vcs.revision", rev, "vcs.time", "2026-12-03T04:45:02Z", "vcs.modified", "false"}
	dirty := []string{"vcs", "git", "vcs.revision", rev, "vcs.time", "2026-12-03T04:45:02Z", "vcs.modified", "true"}
	tests := []struct {
		name                  string
		version, commit, date string
		bi                    *debug.BuildInfo
		want                  Build
	}{
		{
			name:    "stamped by make wins over the build info",
			version: "v1.2.0-3-g8455dc4-dirty", commit: rev, date: "2026-12-03T05:00:00Z",
			bi:   info("v0.0.0-20261203044502-8455dc427fb5+dirty", dirty...),
			want: Build{Version: "v1.2.0-3-g8455dc4-dirty", Commit: rev, Date: "2026-12-03T05:00:00Z"},
		},
		{
			name:    "stamped with no tag: the bare commit, as git describe --always",
			version: "8455dc4", commit: rev, date: "2026-12-03T05:00:00Z",
			bi:   nil,
			want: Build{Version: "8455dc4", Commit: rev, Date: "2026-12-03T05:00:00Z"},
		},
		{
			name: "go install from a clone with no tag: the short commit, not the pseudo-version",
			bi:   info("v0.0.0-20261203044502-8455dc427fb5", clean...),
			want: Build{Version: "8455dc4", Commit: rev, Date: "unknown", CommitDate: "2026-12-03T04:45:02Z"},
		},
		{
			name: "go install from a dirty clone",
			bi:   info("v0.0.0-20261203044502-8455dc427fb5+dirty", dirty...),
			want: Build{Version: "8455dc4-dirty", Commit: rev, Date: "unknown", CommitDate: "2026-12-03T04:45:02Z"},
		},
		{
			name: "go install past a tag: the short commit",
			bi:   info("v1.2.1-0.20261203044502-8455dc427fb5", clean...),
			want: Build{Version: "8455dc4", Commit: rev, Date: "unknown", CommitDate: "2026-12-03T04:45:02Z"},
		},
		{
			name: "go install at a tag: the tag",
			bi:   info("v1.2.0", clean...),
			want: Build{Version: "v1.2.0", Commit: rev, Date: "unknown", CommitDate: "2026-12-03T04:45:02Z"},
		},
		{
			name: "go install at a pre-release tag in a dirty tree: -dirty as git writes it",
			bi:   info("v1.2.0-rc.1+dirty", dirty...),
			want: Build{Version: "v1.2.0-rc.1-dirty", Commit: rev, Date: "unknown", CommitDate: "2026-12-03T04:45:02Z"},
		},
		{
			name: "installed as a module, no VCS data",
			bi:   info("v1.2.0"),
			want: Build{Version: "v1.2.0", Commit: "unknown", Date: "unknown"},
		},
		{
			name: "nothing known (a Docker build without build args)",
			bi:   info("(devel)"),
			want: Build{Version: "dev", Commit: "unknown", Date: "unknown"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := buildOf(tt.version, tt.commit, tt.date, tt.bi)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestVersionCommandLines(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "version")
	assert.Equal(t, 0, r.code, r.stderr)
	// The test binary is not stamped, so the values vary; the labels and
	// their order do not.
	want := regexp.MustCompile(`^hamsasim \S+\ncommit   \S+\nbuilt    \S+.*\ngo       go\S+ \w+/\w+\ncontract .+\n$`)
	assert.Regexp(t, want, r.stdout)
}
