package steps

// Given steps: the target, the credentials and the call under test.

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/override"
	"github.com/hamsasim/hamsasim/internal/probe"
	"github.com/hamsasim/hamsasim/internal/report"
	"github.com/hamsasim/hamsasim/internal/sign"
)

func webhookURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return fmt.Errorf("%s is not an http:// or https:// URL", report.RedactURL(raw))
	}
	get(ctx).target = raw
	return nil
}

func bearerFromEnv(ctx context.Context, name string) error {
	v := get(ctx).s.Getenv(name)
	if v == "" {
		return fmt.Errorf("%s is not set: export it with the whole Authorization value, e.g. 'Bearer <token>'", name)
	}
	w := get(ctx)
	w.signer, w.probeAuth = deliver.Bearer{Value: v, Env: name}, probe.Auth{Mode: probe.AuthBearer, Env: name}
	return nil
}

func bearerLiteral(ctx context.Context, value string) error {
	w := get(ctx)
	w.signer, w.probeAuth = deliver.Literal{Header: "Authorization", Value: value}, probe.Auth{Mode: probe.AuthBearer}
	return nil
}

func noCredentials(ctx context.Context) error {
	w := get(ctx)
	w.signer = deliver.NoAuth{}
	return nil
}

func wrongBearer(ctx context.Context) error {
	get(ctx).signer = deliver.Literal{Header: "Authorization", Value: "Bearer hamsasim-wrong-token"}
	return nil
}

func hmacFromEnv(ctx context.Context, name string) error {
	w := get(ctx)
	key, err := sign.ParseSecret(w.s.Getenv(name))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	w.signer, w.probeAuth = deliver.HMAC{Key: key, Env: name}, probe.Auth{Mode: probe.AuthHMAC, Key: key, Env: name}
	return nil
}

func hmacWrong(ctx context.Context) error {
	get(ctx).signer = deliver.HMAC{Key: []byte("hamsasim-wrong-key-0123456789abcdef"), Env: "WRONG_KEY"}
	return nil
}

func hmacStale(ctx context.Context) error {
	w := get(ctx)
	h, ok := w.signer.(deliver.HMAC)
	if !ok {
		return fmt.Errorf(`a stale signature needs signing first: add Given the platform signs with the secret from "WEBHOOK_SIGNING_SECRET"`)
	}
	h.Skew = -10 * time.Minute
	w.signer = h
	return nil
}

// --- the call

func theCall(ctx context.Context, name string) error {
	w := get(ctx)
	f, ok := w.s.Fixtures[name]
	if !ok {
		return fmt.Errorf("no fixture named %q (known: %s)", name, strings.Join(fixtureNames(w.s), ", "))
	}
	cp := *f
	cp.Params = copyMap(f.Params)
	cp.Outcome = copyMap(f.Outcome)
	w.call, w.events = &cp, nil
	return nil
}

func setParam(ctx context.Context, name, value string) error {
	w := get(ctx)
	f, err := w.theCall()
	if err != nil {
		return err
	}
	delete(f.Outcome, name) // the param wins: it is what the customer sent
	f.Params[name], w.events = value, nil
	return nil
}

func setParams(ctx context.Context, table *godog.Table) error {
	rows, err := tableRows(table, "param", "value")
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := setParam(ctx, r[0], r[1]); err != nil {
			return err
		}
	}
	return nil
}

func setField(ctx context.Context, path, eventType, raw string) error {
	w := get(ctx)
	if _, err := override.ParsePath(path); err != nil {
		return err
	}
	w.edits[eventType] = append(w.edits[eventType], edit{path: path, value: parseValue(raw)})
	w.events = nil
	return nil
}

func removeField(ctx context.Context, path, eventType string) error {
	w := get(ctx)
	if _, err := override.ParsePath(path); err != nil {
		return err
	}
	w.edits[eventType] = append(w.edits[eventType], edit{path: path, remove: true})
	w.events = nil
	return nil
}
