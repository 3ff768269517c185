package cli

import (
	"cmp"
	"fmt"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
)

// Build is what a binary knows of how it was built.
type Build struct {
	// Version is the output of `git describe --tags --always --dirty` for
	// the tree the binary was built from: a tag (v1.2.0), a tag and the
	// commits since it (v1.2.0-3-g1a2b3c4), or with no tag the short commit
	// (1a2b3c4); "-dirty" when the tree had uncommitted changes; "dev" when
	// nothing is known.
	Version string
	Commit  string // the full commit hash, or "unknown"
	Date    string // the UTC build time, RFC 3339, or "unknown"
	// CommitDate is the commit's time from the build info, set when the
	// build date was not stamped.
	CommitDate string
}

// String is what 'hamsasim version' prints of the build, one line each
// for the version, the commit, the date and the Go toolchain.
func (b Build) String() string {
	built := b.Date
	if b.CommitDate != "" {
		built += " (not stamped); committed " + b.CommitDate
	}
	return fmt.Sprintf("hamsasim %s\ncommit   %s\nbuilt    %s\ngo       %s %s/%s\n",
		b.Version, b.Commit, built, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// shortCommit is how many hex digits git describe --always shows of a
// commit in a repository of this size (core.abbrev's minimum).
const shortCommit = 7

func buildOf(version, commit, date string, bi *debug.BuildInfo) Build {
	vcs := map[string]string{}
	mainVersion := ""
	if bi != nil {
		for _, s := range bi.Settings {
			vcs[s.Key] = s.Value
		}
		if v := bi.Main.Version; v != "(devel)" {
			mainVersion = v
		}
	}
	b := Build{Version: version, Commit: commit, Date: date}
	rev, dirty := vcs["vcs.revision"], vcs["vcs.modified"] == "true"
	if b.Version == "" {
		switch {
		case rev != "" && isTag(mainVersion):
			// Built at a tag: Go records it as git describe prints it,
			// but marks a dirty tree "+dirty" where git says "-dirty".
			b.Version = strings.TrimSuffix(mainVersion, "+dirty")
			if dirty {
				b.Version += "-dirty"
			}
		case rev != "":
			// Go records a pseudo-version (v0.0.0-20261203053200-8455dc4ab123)
			// that git describe never prints. With no tag in reach git
			// describe prints the short commit; with one it prints the tag
			// and the count of commits since, which the build info lacks:
			// the short commit is the part both share. (Go counts untracked
			// files as changes too, so -dirty can show where git has none.)
			b.Version = rev[:min(shortCommit, len(rev))]
			if dirty {
				b.Version += "-dirty"
			}
		case mainVersion != "":
			b.Version = mainVersion // installed as a module, with no VCS data
		default:
			b.Version = "dev"
		}
	}
	if b.Commit == "" {
		b.Commit = cmp.Or(rev, "unknown")
	}
	if b.Date == "" {
		b.Date, b.CommitDate = "unknown", vcs["vcs.time"]
	}
	return b
}

// pseudoVersion matches the tail Go gives a version that is not a tag:
// a 14-digit UTC time and a 12-digit commit prefix.
var pseudoVersion = regexp.MustCompile(`[-.]\d{14}-[0-9a-f]{12}(\+dirty)?$`)

// isTag reports whether a module version from the build info names a tag
// (v1.2.0, v1.2.0-rc.1, possibly "+dirty") rather than a pseudo-version.
func isTag(v string) bool {
	return strings.HasPrefix(v, "v") && !pseudoVersion.MatchString(v)
}
