package steps

// Then steps that run a check of the catalog.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hamsasim/hamsasim/internal/check"
	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/probe"
	"github.com/hamsasim/hamsasim/internal/report"
	"github.com/hamsasim/hamsasim/internal/simulate"
)

// checkGroups maps each check to the probe groups that exercise it.
var checkGroups = map[string][]string{
	check.Status2xx: {}, check.Latency5s: {}, check.ResponseSchema: {},
	check.AuthMissing: {probe.GroupAuth}, check.AuthWrong: {probe.GroupAuth}, check.AuthStale: {probe.GroupAuth},
	check.PayloadMalformed: {probe.GroupPayload}, check.PayloadInvalid: {probe.GroupPayload},
	check.EventUnknown: {probe.GroupUnknown}, check.PayloadLarge: {probe.GroupLarge},
	check.DuplicateAck: {probe.GroupDuplicate}, check.DuplicateFlag: {probe.GroupDuplicate}, check.DuplicateEffect: {probe.GroupDuplicate},
	check.OrderTolerant: {probe.GroupOrder}, check.DuplicateFirst: {}, check.EventLost: {},
	check.DuplicateRace: {probe.GroupRace}, check.PayloadEquivalent: {probe.GroupBytes},
	check.ServerError: {probe.GroupAuth, probe.GroupPayload, probe.GroupUnknown, probe.GroupLarge, probe.GroupOrder, probe.GroupDuplicate},
	check.ErrorLeak:   {probe.GroupAuth, probe.GroupPayload, probe.GroupUnknown, probe.GroupLarge, probe.GroupOrder},
	check.URLHTTPS:    {probe.GroupURL}, check.URLPublic: {probe.GroupURL}, check.TLSValid: {probe.GroupURL},
	check.TargetUnreachable: {},
}

func checkPasses(ctx context.Context, id string) error {
	w := get(ctx)
	groups, ok := checkGroups[id]
	if !ok {
		var ids []string
		for _, c := range check.All() {
			ids = append(ids, c.ID)
		}
		return fmt.Errorf("no check %q in the catalog (known: %s)", id, strings.Join(ids, ", "))
	}
	f, err := w.theCall()
	if err != nil {
		return err
	}
	sel := map[string]bool{probe.GroupLifecycle: true}
	for _, g := range groups {
		sel[g] = true
	}
	d, err := w.s.Client.New(w.signer)
	if err != nil {
		return err
	}
	r, err := simulate.Run(ctx, simulate.Config{
		Target: w.targetURL(), Shown: report.RedactURL(w.targetURL()), Fixtures: []*fixture.Fixture{f}, Contract: w.s.Contract, Deliverer: d,
		Seed: w.s.Seed + uint64(w.instance)<<20, Start: time.Now().UTC(), Concurrency: 1,
		Groups: sel, ProbeAuth: w.probeAuth, Records: w.s.Records,
	})
	if err != nil {
		return err
	}
	var hits []string
	for _, fd := range append(r.Findings, r.Notes...) {
		if fd.Check == id && fd.Severity != check.SeverityNote {
			hits = append(hits, fd.Message)
		}
	}
	if len(hits) > 0 {
		return fmt.Errorf("%s fired: %s", id, strings.Join(hits, "; "))
	}
	return nil
}
