package cli

import (
	"os"
	"runtime/debug"
	"runtime/pprof"

	"github.com/hamsasim/hamsasim/internal/load"
)

// A load run allocates per event and holds little: it trades some memory
// for less time in the garbage collector, within a soft limit, unless the
// user set GOGC or GOMEMLIMIT. The figures keep 10,000 calls in flight under
// 150 MB (make bench measures it).
const (
	loadGCPercent = 400
	// The soft memory limit: a base plus room for each call in flight, so
	// 10,000 calls stay near 115 MiB and 100,000 near 250 MiB.
	loadMemoryBase    = 100 << 20
	loadMemoryPerCall = 1536
)

func tuneGC(e *env, maxInFlight int) {
	if !e.process {
		return
	}
	if e.getenv("GOGC") == "" {
		debug.SetGCPercent(loadGCPercent)
	}
	if e.getenv("GOMEMLIMIT") == "" {
		if maxInFlight <= 0 {
			maxInFlight = load.DefaultMaxInFlight
		}
		debug.SetMemoryLimit(loadMemoryBase + int64(maxInFlight)*loadMemoryPerCall)
	}
}

// startCPUProfile starts the --cpu-profile profile, if asked for; the
// returned function stops it.
func startCPUProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	if path == stdoutPath {
		return nil, usageError("--cpu-profile -: a profile is binary; give it a file")
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, usageError("--cpu-profile %s: cannot write: %s", path, ioWords(err))
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, usageError("--cpu-profile %s: %s", path, err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
