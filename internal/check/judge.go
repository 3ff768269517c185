package check

import (
	"hash/maphash"
	"strconv"
	"sync"
	"time"

	"github.com/hamsasim/hamsasim/internal/contract"
	"github.com/hamsasim/hamsasim/internal/deliver"
)

// Slow reports whether an attempt missed limit: no complete answer in time,
// or an answer (late or not) that took limit or longer. Every "too slow"
// test (the latency.5s check, the probes, the Gherkin step "answered within
// N seconds") decides through it.
func Slow(a deliver.Attempt, limit time.Duration) bool {
	switch a.Class {
	case deliver.ClassTimeout:
		return true
	case deliver.ClassNone, deliver.ClassLate:
		return a.Latency >= limit
	}
	return false
}

// answerViolations validates an answer against the contract (its status
// among those declared, its content type and body): the one place an
// answer's shape is judged, for every command. An attempt with no answer
// in time has nothing to validate.
func answerViolations(c *contract.Contract, typ string, reqBody []byte, a deliver.Attempt) []contract.Violation {
	if c == nil || a.Class != deliver.ClassNone || a.Status == 0 {
		return nil
	}
	return c.ValidateAnswer(typ, reqBody, a.Status, a.Header, a.Body)
}

// Verdict is the judgement of one attempt's answer, as the load engine
// counts it.
type Verdict struct {
	Acked     bool   // deliver.Acknowledged: 2xx within the platform's budget
	Late      bool   // an answer came after the budget
	Slow      bool   // Slow against the platform's budget
	Violation string // the answer's first contract violation; empty if none
}

// Judge gives verdicts on single answers with Delivery's rules of
// acknowledgement and lateness; it validates every answer that arrived in
// time against the contract (a 500 is a violation), where Delivery reports
// non-2xx answers as status.2xx and validates only the acknowledging one.
// Verdicts on identical answers (event type, status, content type, body)
// are remembered, so a run of a million answers validates each distinct
// answer once. It is safe for concurrent use.
type Judge struct {
	contract *contract.Contract
	seed     maphash.Seed
	mu       sync.Mutex
	seen     map[uint64]string
}

// maxRemembered bounds the verdicts a Judge remembers.
const maxRemembered = 4096

// NewJudge returns a Judge against c (nil: no contract, answers are only
// judged acknowledged or not).
func NewJudge(c *contract.Contract) *Judge {
	return &Judge{contract: c, seed: maphash.MakeSeed(), seen: map[uint64]string{}}
}

// Answer judges attempt a of delivering an event of type typ with body reqBody.
func (j *Judge) Answer(typ string, reqBody []byte, a deliver.Attempt) Verdict {
	v := Verdict{Acked: a.OK(), Late: a.Class == deliver.ClassLate, Slow: Slow(a, deliver.AckBudget)}
	if j.contract == nil || a.Class != deliver.ClassNone || a.Status == 0 {
		return v
	}
	var h maphash.Hash
	h.SetSeed(j.seed)
	var scratch [8]byte
	h.WriteString(typ)
	h.Write(strconv.AppendUint(scratch[:0], uint64(a.Status), 10))
	h.WriteByte(0)
	h.WriteString(a.Header.Get("Content-Type"))
	h.WriteByte(0)
	h.Write(a.Body)
	key := h.Sum64()
	j.mu.Lock()
	reason, ok := j.seen[key]
	j.mu.Unlock()
	if !ok {
		if vs := answerViolations(j.contract, typ, reqBody, a); len(vs) > 0 {
			reason = vs[0].String()
		}
		j.mu.Lock()
		if len(j.seen) < maxRemembered {
			j.seen[key] = reason
		}
		j.mu.Unlock()
	}
	v.Violation = reason
	return v
}
