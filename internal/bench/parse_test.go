package bench

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseReports(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		file  string
		parse func([]byte) (RunResult, error)
		want  RunResult
	}{
		{
			name: "vegeta report -type=json", file: "vegeta-report.json", parse: ParseVegetaReport,
			want: RunResult{Tool: ToolVegeta, EventsPerSec: 20023.786007771356, Rate: 20032.722758687116,
				Requests: 60089, Errors: 0, P50Ms: 1.439757, P99Ms: 9.103377},
		},
		{
			name: "k6 --summary-export", file: "k6-summary.json", parse: ParseK6Summary,
			want: RunResult{Tool: ToolK6, EventsPerSec: 15122.448539073222, Requests: 45391, Errors: 0,
				P50Ms: 3.501388, P99Ms: 16.8275893},
		},
		{
			name: "hamsasim summary.json", file: "hamsasim-summary.json", parse: ParseHamsasimSummary,
			want: RunResult{Tool: ToolHamsasim, EventsPerSec: 6007.545, Requests: 240561, Errors: 0,
				P50Ms: 4.583, P99Ms: 43.295, MaxInFlight: 10000, CallsStarted: 21458, CallsCompleted: 11461,
				CallsIncomplete: 9997, CallsLate: 11429, ElapsedMs: 40043,
				StopReason: "the drain timeout (30s after arrivals ended) passed with calls unfinished"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.parse(readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseCountsFailures(t *testing.T) {
	t.Parallel()
	v, err := ParseVegetaReport([]byte(`{"requests": 1000, "success": 0.75, "throughput": 750, "rate": 1000,
		"latencies": {"50th": 2000000, "99th": 9500000}, "status_codes": {"200": 750, "503": 250}}`))
	if err != nil {
		t.Fatal(err)
	}
	if v.Errors != 250 || v.EventsPerSec != 750 || v.P50Ms != 2 || v.P99Ms != 9.5 {
		t.Errorf("vegeta: got %+v, want 250 errors, 750/s, p50 2 ms, p99 9.5 ms", v)
	}
	k, err := ParseK6Summary([]byte(`{"metrics": {"http_reqs": {"count": 400, "rate": 40},
		"http_req_failed": {"passes": 12, "fails": 388, "value": 0.03}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if k.Errors != 12 || k.Requests != 400 || k.EventsPerSec != 40 {
		t.Errorf("k6: got %+v, want 12 errors of 400 at 40/s", k)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		parse func([]byte) (RunResult, error)
		in    string
		want  string
	}{
		{"vegeta, not JSON", ParseVegetaReport, "Requests [total, rate]", "vegeta report"},
		{"vegeta, no requests", ParseVegetaReport, `{"throughput": 1}`, "no requests field"},
		{"k6, not JSON", ParseK6Summary, "", "k6 summary"},
		{"k6, nothing sent", ParseK6Summary, `{"metrics": {"vus": {"value": 1}}}`, "no http_reqs metric"},
		{"hamsasim, not JSON", ParseHamsasimSummary, "{", "summary.json"},
		{"hamsasim, other version", ParseHamsasimSummary, `{"version": 99}`, "is version 99, this bench reads version 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tt.parse([]byte(tt.in))
			if !errors.Is(err, ErrReport) {
				t.Fatalf("err = %v, want ErrReport", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to say %q", err, tt.want)
			}
		})
	}
}

func TestVegetaTarget(t *testing.T) {
	t.Parallel()
	body := []byte(`{"eventType":"transcription.update"}`)
	line, err := VegetaTarget("http://127.0.0.1:9/webhook", body, Authorization)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(line), "}\n") || strings.Count(string(line), "\n") != 1 {
		t.Errorf("a JSON targets file wants one target per line, got %q", line)
	}
	var got struct {
		Method string              `json:"method"`
		URL    string              `json:"url"`
		Body   string              `json:"body"`
		Header map[string][]string `json:"header"`
	}
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatal(err)
	}
	dec, err := base64.StdEncoding.DecodeString(got.Body)
	if err != nil {
		t.Fatalf("body is not base64: %v", err)
	}
	if got.Method != "POST" || got.URL != "http://127.0.0.1:9/webhook" || string(dec) != string(body) ||
		got.Header["Content-Type"][0] != "application/json" || got.Header["Authorization"][0] != "Bearer bench-token" {
		t.Errorf("target = %+v (body %q)", got, dec)
	}
}

func TestK6Script(t *testing.T) {
	t.Parallel()
	got := K6Script("http://127.0.0.1:9/webhook", "/tmp/x/body.json", Authorization, 64, 10*time.Second)
	for _, want := range []string{
		`open("/tmp/x/body.json")`,
		`'Authorization': "Bearer bench-token"`,
		`'Content-Type': 'application/json'`,
		`executor: 'constant-vus', vus: 64, duration: '10000ms'`,
		`http.post("http://127.0.0.1:9/webhook", body, params)`,
		`timeout: '5s'`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("script lacks %s:\n%s", want, got)
		}
	}
}

func TestModuleVersion(t *testing.T) {
	t.Parallel()
	out := []byte("/root/go/bin/k6: go1.26.8\n\tpath\tgo.k6.io/k6\n\tmod\tgo.k6.io/k6\tv1.8.1\th1:abc=\n\tdep\tgithub.com/x/y\tv1.0.0\th1:def=\n")
	tests := []struct{ module, want string }{
		{"go.k6.io/k6", "v1.8.1"},
		{"github.com/x/y", ""}, // a dependency, not the main module
		{"github.com/tsenart/vegeta/v12", ""},
	}
	for _, tt := range tests {
		if got := moduleVersion(out, tt.module); got != tt.want {
			t.Errorf("moduleVersion(%s) = %q, want %q", tt.module, got, tt.want)
		}
	}
}

func TestStatusKB(t *testing.T) {
	t.Parallel()
	status := []byte("Name:\thamsasim\nVmPeak:\t 1700000 kB\nVmHWM:\t   98304 kB\nVmRSS:\t   81920 kB\nThreads:\t5\n")
	tests := []struct {
		key    string
		want   int64
		wantOK bool
	}{
		{"VmRSS", 81920, true},
		{"VmHWM", 98304, true},
		{"Threads", 5, true}, // unitless lines read as plain numbers
		{"VmSwap", 0, false},
	}
	for _, tt := range tests {
		got, ok := statusKB(status, tt.key)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("statusKB(%s) = %d, %v; want %d, %v", tt.key, got, ok, tt.want, tt.wantOK)
		}
	}
	if _, ok := statusKB([]byte("VmRSS:\t12 MB\n"), "VmRSS"); ok {
		t.Error("statusKB accepted a unit other than kB")
	}
}

func TestTailBuffer(t *testing.T) {
	t.Parallel()
	tb := &tailBuffer{max: 8}
	for _, s := range []string{"abc", "defgh", "ijk"} {
		if _, err := tb.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if got := string(tb.Bytes()); got != "defghijk" {
		t.Errorf("tail = %q, want the last 8 bytes %q", got, "defghijk")
	}
	if got := tail([]byte("a\nb\nc\nd\n"), 2); got != "c\nd" {
		t.Errorf("tail lines = %q, want %q", got, "c\nd")
	}
}

func TestProcCPUParsers(t *testing.T) {
	t.Parallel()
	stat := []byte("cpu  1000 20 300 5000 40 5 6 7 0 0\ncpu0 500 10 150 2500 20 2 3 3 0 0\n")
	// user 1000 + nice 20 + system 300 + steal 7 ticks; idle, iowait and
	// interrupts are not counted
	if got, want := statBusy(stat), 1327*clockTick; got != want {
		t.Errorf("statBusy = %s, want %s", got, want)
	}
	if got := statBusy([]byte("intr 1 2 3\n")); got != 0 {
		t.Errorf("statBusy of a file without a cpu line = %s, want 0", got)
	}
	pid := []byte("4242 (hamsasim sink) (x)) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 75 0 0 20 0 8 0 123 0 0\n")
	if got, want := pidStatCPU(pid), 325*clockTick; got != want {
		t.Errorf("pidStatCPU = %s, want %s (utime 250 + stime 75)", got, want)
	}
	if got := pidStatCPU([]byte("4242 (short) S 1")); got != 0 {
		t.Errorf("pidStatCPU of a truncated line = %s, want 0", got)
	}
}
