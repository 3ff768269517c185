package cli

import (
	"time"

	"github.com/hamsasim/hamsasim/internal/scenario"
	"github.com/hamsasim/hamsasim/internal/yamlfile"
)

// minStage is the shortest judged window of a capacity stage: three
// timeline buckets, for the latency trend.
const minStage = 3 * time.Second

// checkCapacityFlags checks the flags of --find-capacity, when it is given.
func (l *loadCmd) checkCapacityFlags() error {
	if !l.findCapacity {
		return nil
	}
	if l.stage < minStage || l.stage > time.Hour {
		return usageError("--stage %s: use %s to 1h (the latency trend is read over three whole seconds at least)", yamlfile.ShortDuration(l.stage), minStage)
	}
	if l.warmup < 0 || l.warmup > time.Hour {
		return usageError("--warmup %s: use 0 (the mix's longest call) up to 1h", yamlfile.ShortDuration(l.warmup))
	}
	if l.maxStages < 1 || l.maxStages > 50 {
		return usageError("--max-stages %d: use 1 to 50", l.maxStages)
	}
	if l.startRate < 0 || l.startRate > scenario.MaxRate {
		return usageError("--start-rate %v: use 0 (the scenario's peak) up to %g calls/s", l.startRate, scenario.MaxRate)
	}
	if l.shard != "" {
		return usageError("--find-capacity and --shard cannot be combined: a capacity search decides each stage from the whole load")
	}
	return nil
}
