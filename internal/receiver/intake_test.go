package receiver

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/hamsasim/hamsasim/internal/intake"
)

// The faults that concern the intake change what it accepts, and nothing
// else: the probe API keeps its own check.
func TestIntakeConfigFaults(t *testing.T) {
	t.Parallel()
	key := []byte("0123456789abcdef")
	tests := []struct {
		name string
		cfg  Config
		want intake.Config
	}{
		{name: "correct receiver", cfg: Config{Authorization: testAuth, MaxBodyBytes: 1 << 20},
			want: intake.Config{Authorization: testAuth, MaxBodyBytes: 1 << 20}},
		{name: "auth-off", cfg: Config{Authorization: testAuth, SigningKey: key, MaxBodyBytes: 1 << 20, Faults: Faults{FaultAuthOff: true}},
			want: intake.Config{MaxBodyBytes: 1 << 20}},
		{name: "body-limit-100k", cfg: Config{Authorization: testAuth, MaxBodyBytes: 1 << 20, Faults: Faults{FaultBodyLimit: true}},
			want: intake.Config{Authorization: testAuth, MaxBodyBytes: FrameworkBodyLimit}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, intakeConfig(tt.cfg))
			h := newHarness(t, Config{Authorization: testAuth, Faults: tt.cfg.Faults})
			h.auth = "Bearer wrong"
			status, _ := h.probe(t, "c1")
			assert.Equal(t, 401, status, "the probe API is not turned off by a fault")
		})
	}
}
