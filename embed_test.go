package hamsasim_test

import (
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim"
	"github.com/hamsasim/hamsasim/internal/contract"
	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/scenario"
)

// TestEmbeddedFilesParse: what an installed binary carries is valid.
func TestEmbeddedFilesParse(t *testing.T) {
	t.Parallel()
	_, err := contract.Load(hamsasim.Contract(), hamsasim.ContractPath)
	require.NoError(t, err)
	check := func(fsys fs.FS, pattern string, parse func([]byte, string) error) int {
		names, err := fs.Glob(fsys, pattern)
		require.NoError(t, err)
		for _, n := range names {
			data, err := fs.ReadFile(fsys, n)
			require.NoError(t, err)
			assert.NoError(t, parse(data, n), n)
		}
		return len(names)
	}
	assert.Equal(t, 8, check(hamsasim.Fixtures(), "fixtures/calls/*.yaml", func(b []byte, n string) error { _, err := fixture.Parse(b, n); return err }))
	assert.Equal(t, 6, check(hamsasim.Scenarios(), "scenarios/*.yaml", func(b []byte, n string) error { _, err := scenario.Parse(b, n); return err }))
	assert.Equal(t, 7, check(hamsasim.Features(), "features/*.feature", func([]byte, string) error { return nil }))
}
