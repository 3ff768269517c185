package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// The cores the bench pins to: generators on one, the sink on the other.
const (
	generatorCore = 0
	sinkCore      = 1
)

// Pinning says whether processes are pinned to cores with taskset.
type Pinning struct {
	On   bool   `json:"on"`
	Note string `json:"note"` // what was done, or why not
}

// DetectPinning pins when taskset is on PATH, the machine has at least two
// cores and taskset may set affinity here (containers may forbid it).
func DetectPinning(ctx context.Context) Pinning {
	path, err := exec.LookPath("taskset")
	if err != nil {
		return Pinning{Note: "taskset not found (it is in util-linux): running unpinned, so generator and sink share the cores"}
	}
	if n := runtime.NumCPU(); n < 2 {
		return Pinning{Note: fmt.Sprintf("only %d core: running unpinned, so generator and sink share it", n)}
	}
	if out, err := exec.CommandContext(ctx, path, "-c", strconv.Itoa(sinkCore), "true").CombinedOutput(); err != nil {
		return Pinning{Note: fmt.Sprintf("taskset cannot pin here (%v: %s): running unpinned", err, bytes.TrimSpace(out))}
	}
	return Pinning{On: true, Note: fmt.Sprintf("generator on core %d, sink on core %d (taskset)", generatorCore, sinkCore)}
}

// procSpec is one process to start.
type procSpec struct {
	Name   string   // for messages: vegeta, k6, hamsasim, sink
	Args   []string // the command and its arguments
	Env    []string // added to the environment
	Core   int      // the core to pin to when pinning is on
	Stdout io.Writer
	Log    string // file that receives stderr as well as the tail buffer; "" for none
}

// process is a started child in its own process group, so killing it takes
// its children too and a terminal's Ctrl-C reaches only the driver, which
// then kills it.
type process struct {
	name   string
	cmd    *exec.Cmd
	stderr *tailBuffer
	done   chan struct{} // closed when the process has been waited for
	err    error         // Wait's result, valid once done is closed
	logf   *os.File
}

// start runs spec under ctx: when ctx ends the whole process group is
// killed.
func start(ctx context.Context, pin Pinning, spec procSpec) (*process, error) {
	args := spec.Args
	if pin.On {
		args = append([]string{"taskset", "-c", strconv.Itoa(spec.Core)}, args...)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append(os.Environ(), spec.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = killWait
	p := &process{name: spec.Name, cmd: cmd, stderr: &tailBuffer{max: 8 << 10}, done: make(chan struct{})}
	cmd.Stdout = spec.Stdout
	cmd.Stderr = p.stderr
	if spec.Log != "" {
		f, err := os.Create(spec.Log)
		if err != nil {
			return nil, err
		}
		p.logf = f
		cmd.Stderr = io.MultiWriter(p.stderr, f)
	}
	if err := cmd.Start(); err != nil {
		p.closeLog()
		return nil, fmt.Errorf("starting %s: %w", spec.Name, err)
	}
	go func() {
		p.err = cmd.Wait()
		p.closeLog()
		close(p.done)
	}()
	return p, nil
}

// closeLog closes the stderr log, and removes it when nothing was written,
// so the log directory lists only the processes that had something to say.
func (p *process) closeLog() {
	if p.logf == nil {
		return
	}
	_ = p.logf.Close()
	if st, err := os.Stat(p.logf.Name()); err == nil && st.Size() == 0 {
		_ = os.Remove(p.logf.Name())
	}
}

// wait waits for the process and returns its Wait error.
func (p *process) wait() error {
	<-p.done
	return p.err
}

// kill kills the process group and waits; safe to call more than once and
// after the process has exited.
func (p *process) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// maxRSSKB is the process's peak resident set from the kernel's rusage, in
// kB; 0 before it has exited.
func (p *process) maxRSSKB() int64 {
	if p.cmd.ProcessState == nil {
		return 0
	}
	if ru, ok := p.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss
	}
	return 0
}

// failure describes a process that did not do its job: what happened and
// the tail of its stderr.
func (p *process) failure(what string, err error) error {
	return &toolError{msg: fmt.Sprintf("%s %s: %v", p.name, what, err), name: p.name, stderr: tail(p.stderr.Bytes(), 15)}
}

// ErrTool is wrapped by every error about a tool of the comparison (or the
// sink) that failed to run.
var ErrTool = errors.New("a tool failed to run")

// toolError is a failed tool with the tail of its stderr.
type toolError struct {
	msg    string
	name   string // whose stderr
	stderr string
}

// toolErr wraps a failure that has no stderr to show.
func toolErr(format string, args ...any) error {
	return &toolError{msg: fmt.Sprintf(format, args...)}
}

func (e *toolError) Error() string {
	if e.stderr == "" {
		return e.msg
	}
	return e.msg + "\n--- " + e.name + " stderr, last lines ---\n" + e.stderr
}

func (e *toolError) Unwrap() error { return ErrTool }

// tailBuffer keeps the last max bytes written to it; safe for concurrent
// use.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(b), nil
}

// Bytes returns a copy of what is kept.
func (t *tailBuffer) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return bytes.Clone(t.buf)
}

// MemStats is what watchMemory saw of a process, in kB.
type MemStats struct {
	Samples int64
	PeakRSS int64 // the largest VmRSS sampled
	HWM     int64 // the last VmHWM read: the kernel's own peak
}

// PeakKB is the largest resident set seen by any means.
func (m MemStats) PeakKB() int64 { return max(m.PeakRSS, m.HWM) }

// watchMemory samples /proc/PID/status every interval until ctx ends, then
// sends what it saw and closes the channel.
func watchMemory(ctx context.Context, pid int, every time.Duration) <-chan MemStats {
	out := make(chan MemStats, 1)
	go func() {
		defer close(out)
		var m MemStats
		path := "/proc/" + strconv.Itoa(pid) + "/status"
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if data, err := os.ReadFile(path); err == nil {
				if rss, ok := statusKB(data, "VmRSS"); ok {
					m.Samples++
					m.PeakRSS = max(m.PeakRSS, rss)
				}
				if hwm, ok := statusKB(data, "VmHWM"); ok {
					m.HWM = max(m.HWM, hwm)
				}
			}
			select {
			case <-ctx.Done():
				out <- m
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// clockTick is the unit of the CPU times in /proc: USER_HZ, 100 on every
// Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// machineCPU is the CPU time every core has spent busy since boot, from the
// first line of /proc/stat; 0 when it cannot be read.
func machineCPU() time.Duration {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	return statBusy(data)
}

// statBusy sums user, nice, system and steal of the "cpu" line of
// /proc/stat (guest time is already in user). Interrupt time is left out:
// on loopback most of it is the bench's own traffic, which no process is
// charged for.
func statBusy(stat []byte) time.Duration {
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 9 || string(f[0]) != "cpu" {
		return 0
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 8} { // 1 user, 2 nice, 3 system, 8 steal
		n, _ := strconv.ParseInt(string(f[i]), 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * clockTick
}

// procCPU is the CPU time (user + system) process pid has used; 0 when it
// cannot be read.
func procCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	return pidStatCPU(data)
}

// pidStatCPU reads utime and stime (fields 14 and 15) of /proc/PID/stat.
// The command name (field 2) may hold spaces and parentheses, so fields
// are counted from its closing parenthesis.
func pidStatCPU(stat []byte) time.Duration {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := bytes.Fields(stat[i+1:]) // f[0] is field 3, state
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(string(f[11]), 10, 64)
	s, _ := strconv.ParseInt(string(f[12]), 10, 64)
	return time.Duration(u+s) * clockTick
}

// statusKB reads a "Key:   1234 kB" line of /proc/PID/status.
func statusKB(status []byte, key string) (int64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	prefix := []byte(key + ":")
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, prefix) {
			continue
		}
		f := bytes.Fields(line[len(prefix):])
		if len(f) == 0 {
			return 0, false
		}
		n, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil || (len(f) > 1 && string(f[1]) != "kB") {
			return 0, false
		}
		return n, true
	}
	return 0, false
}

// killWait is how long a killed generator's output may still be read.
const killWait = 3 * time.Second
