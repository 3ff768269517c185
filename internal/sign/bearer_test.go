package sign_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/hamsasim/hamsasim/internal/sign"
)

func TestBearer(t *testing.T) {
	t.Parallel()
	b := sign.NewBearer("Bearer sk_test_123")
	tests := []struct {
		name string
		got  string
		want bool
	}{
		{"the whole value", "Bearer sk_test_123", true},
		{"the token alone", "sk_test_123", false},
		{"another scheme word", "bearer sk_test_123", false},
		{"a prefix", "Bearer sk_test_12", false},
		{"longer", "Bearer sk_test_1234", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, b.OK(tt.got))
		})
	}
	assert.True(t, sign.NewBearer("").OK("anything"), "no secret: the noAuth mode accepts all")
	assert.True(t, sign.Bearer{}.OK(""), "the zero value accepts all")
}
