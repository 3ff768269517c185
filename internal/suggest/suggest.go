// Package suggest finds the nearest known name for a "did you mean"
// message: a fixture field for a typo, a step of the library for an
// undefined Gherkin step.
package suggest

import "strings"

// Distance is the edit distance (insertions, deletions, substitutions)
// between two sequences, with eq deciding which elements are equal.
func Distance[T any](a, b []T, eq func(x, y T) bool) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if eq(a[i-1], b[j-1]) {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Name returns the one candidate within maxEdits character edits of s
// (ignoring case), or "" if none is that close or two are equally close.
func Name(s string, candidates []string, maxEdits int) string {
	best, bestD, tie := "", maxEdits+1, false
	eq := func(x, y rune) bool { return x == y }
	target := []rune(strings.ToLower(s))
	for _, c := range candidates {
		switch d := Distance(target, []rune(strings.ToLower(c)), eq); {
		case d < bestD:
			best, bestD, tie = c, d, false
		case d == bestD:
			tie = true
		}
	}
	if tie {
		return ""
	}
	return best
}
