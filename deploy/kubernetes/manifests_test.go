// Package kubernetes_test checks the manifests in this directory: that they
// parse, that `kubectl apply -k` applies the right ones, that the shard count
// agrees everywhere it is written, and that the shell wrappers in the two
// Jobs do what their comments say when run the way the kubelet runs them.
package kubernetes_test

import (
	"bufio"
	"errors"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// appliedByHand are the files here that kustomization.yaml must not list,
// with the reason.
var appliedByHand = map[string]string{
	"secret.example.yaml": "applying it would overwrite the real Secret with its placeholder",
	"report-reader.yaml":  "it is applied only to copy the reports out",
}

// completionIndexPath is the downward-API field Indexed Jobs fill in.
const completionIndexPath = "metadata.annotations['batch.kubernetes.io/job-completion-index']"

type header struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name      string `yaml:"name"`
		Namespace string `yaml:"namespace"`
	} `yaml:"metadata"`
}

// manifest is one YAML document of one file.
type manifest struct {
	file string
	header
	node *yaml.Node
}

type kustomization struct {
	Namespace string   `yaml:"namespace"`
	Resources []string `yaml:"resources"`
	Images    []image  `yaml:"images"`
}

type image struct {
	Name    string `yaml:"name"`
	NewName string `yaml:"newName"`
}

type configMap struct {
	Data map[string]string `yaml:"data"`
}

type secret struct {
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
}

type pvc struct {
	Spec struct {
		AccessModes []string `yaml:"accessModes"`
	} `yaml:"spec"`
}

type job struct {
	Spec struct {
		CompletionMode          string `yaml:"completionMode"`
		Completions             *int   `yaml:"completions"`
		Parallelism             *int   `yaml:"parallelism"`
		BackoffLimit            *int   `yaml:"backoffLimit"`
		ActiveDeadlineSeconds   *int   `yaml:"activeDeadlineSeconds"`
		TTLSecondsAfterFinished *int   `yaml:"ttlSecondsAfterFinished"`
		Template                struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type pod struct {
	Spec podSpec `yaml:"spec"`
}

type podSpec struct {
	RestartPolicy                 string `yaml:"restartPolicy"`
	TerminationGracePeriodSeconds *int   `yaml:"terminationGracePeriodSeconds"`
	SecurityContext               struct {
		RunAsNonRoot *bool `yaml:"runAsNonRoot"`
		RunAsUser    *int  `yaml:"runAsUser"`
	} `yaml:"securityContext"`
	Affinity struct {
		PodAntiAffinity struct {
			Preferred []struct {
				Weight          int `yaml:"weight"`
				PodAffinityTerm struct {
					TopologyKey   string `yaml:"topologyKey"`
					LabelSelector struct {
						MatchLabels map[string]string `yaml:"matchLabels"`
					} `yaml:"labelSelector"`
				} `yaml:"podAffinityTerm"`
			} `yaml:"preferredDuringSchedulingIgnoredDuringExecution"`
		} `yaml:"podAntiAffinity"`
	} `yaml:"affinity"`
	Containers []container `yaml:"containers"`
	Volumes    []struct {
		Name                  string `yaml:"name"`
		PersistentVolumeClaim *struct {
			ClaimName string `yaml:"claimName"`
		} `yaml:"persistentVolumeClaim"`
	} `yaml:"volumes"`
}

type container struct {
	Name    string   `yaml:"name"`
	Image   string   `yaml:"image"`
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
	EnvFrom []struct {
		ConfigMapRef *struct {
			Name string `yaml:"name"`
		} `yaml:"configMapRef"`
	} `yaml:"envFrom"`
	Env []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			FieldRef *struct {
				FieldPath string `yaml:"fieldPath"`
			} `yaml:"fieldRef"`
			SecretKeyRef *struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	Resources struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

// readManifests parses every YAML file in this directory, every document.
func readManifests(t *testing.T) map[string][]manifest {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no YAML files found next to the test")
	}
	all := make(map[string][]manifest, len(files))
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(f)
		for {
			var node yaml.Node
			err := dec.Decode(&node)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				f.Close()
				t.Fatalf("%s: %v", file, err)
			}
			m := manifest{file: file, node: &node}
			if err := node.Decode(&m.header); err != nil {
				f.Close()
				t.Fatalf("%s:%d: %v", file, node.Line, err)
			}
			all[file] = append(all[file], m)
		}
		f.Close()
	}
	return all
}

// the returns the only document of file, decoded into a T.
func the[T any](t *testing.T, all map[string][]manifest, file string) T {
	t.Helper()
	docs := all[file]
	if len(docs) != 1 {
		t.Fatalf("%s: got %d YAML documents, want 1", file, len(docs))
	}
	var v T
	if err := docs[0].node.Decode(&v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return v
}

// run is the decoded set of files that make up one load run.
type run struct {
	load, merge job
	config      configMap
}

func readRun(t *testing.T) run {
	t.Helper()
	all := readManifests(t)
	return run{
		load:   the[job](t, all, "load-job.yaml"),
		merge:  the[job](t, all, "merge-job.yaml"),
		config: the[configMap](t, all, "load-config.yaml"),
	}
}

// onlyContainer returns the Job's single container.
func onlyContainer(t *testing.T, name string, j job) container {
	t.Helper()
	cs := j.Spec.Template.Spec.Containers
	if len(cs) != 1 {
		t.Fatalf("%s: got %d containers, want 1", name, len(cs))
	}
	return cs[0]
}

// flagValue returns the argument after flag, and whether flag was there.
func flagValue(args []string, flag string) (string, bool) {
	i := slices.Index(args, flag)
	if i < 0 || i+1 >= len(args) {
		return "", false
	}
	return args[i+1], true
}

// shardDirs returns merge's shard directory arguments: every positional
// argument after `report merge` that is not the --out value.
func shardDirs(args []string) []string {
	var dirs []string
	for i := 3; i < len(args); i++ {
		if args[i] == "--out" {
			i++
			continue
		}
		if !strings.HasPrefix(args[i], "-") {
			dirs = append(dirs, args[i])
		}
	}
	return dirs
}

func intOr(p *int, or int) int {
	if p == nil {
		return or
	}
	return *p
}

// shardCountProblems says where the shard count disagrees between the load
// Job, the merge Job and the ConfigMap; nil when it agrees everywhere.
func shardCountProblems(r run) []string {
	var problems []string
	n := intOr(r.load.Spec.Completions, 1)
	if p := intOr(r.load.Spec.Parallelism, 1); p != n {
		problems = append(problems, "load-job.yaml: parallelism "+strconv.Itoa(p)+" != completions "+strconv.Itoa(n)+": the shards would not run at the same time")
	}
	if got := r.config.Data["SHARDS"]; got != strconv.Itoa(n) {
		problems = append(problems, "load-config.yaml: SHARDS "+strconv.Quote(got)+" != completions "+strconv.Itoa(n))
	}
	if len(r.load.Spec.Template.Spec.Containers) != 1 || len(r.merge.Spec.Template.Spec.Containers) != 1 {
		return append(problems, "each Job needs exactly one container")
	}
	loadArgs := r.load.Spec.Template.Spec.Containers[0].Args
	if got, want := argOrEmpty(loadArgs, "--shard"), "$(JOB_COMPLETION_INDEX)/"+strconv.Itoa(n); got != want {
		problems = append(problems, "load-job.yaml: --shard "+strconv.Quote(got)+", want "+strconv.Quote(want))
	}
	reportDir := argOrEmpty(loadArgs, "--report-dir")
	var want []string
	for i := range n {
		want = append(want, strings.ReplaceAll(reportDir, "$(JOB_COMPLETION_INDEX)", strconv.Itoa(i)))
	}
	if got := shardDirs(r.merge.Spec.Template.Spec.Containers[0].Args); !slices.Equal(got, want) {
		problems = append(problems, "merge-job.yaml: shard directories "+strings.Join(got, " ")+", want "+strings.Join(want, " "))
	}
	return problems
}

func argOrEmpty(args []string, flag string) string {
	v, _ := flagValue(args, flag)
	return v
}

func TestManifestsParse(t *testing.T) {
	t.Parallel()
	all := readManifests(t)
	for file, docs := range all {
		for _, m := range docs {
			if m.APIVersion == "" || m.Kind == "" {
				t.Errorf("%s:%d: got apiVersion %q, kind %q; want both set", file, m.node.Line, m.APIVersion, m.Kind)
			}
			if m.Kind != "Kustomization" && m.Metadata.Name == "" {
				t.Errorf("%s:%d: %s has no metadata.name", file, m.node.Line, m.Kind)
			}
		}
	}
	wantKinds := map[string]string{
		"namespace.yaml":      "Namespace",
		"load-config.yaml":    "ConfigMap",
		"reports-pvc.yaml":    "PersistentVolumeClaim",
		"load-job.yaml":       "Job",
		"merge-job.yaml":      "Job",
		"secret.example.yaml": "Secret",
		"report-reader.yaml":  "Pod",
		"kustomization.yaml":  "Kustomization",
	}
	for file, want := range wantKinds {
		if len(all[file]) != 1 {
			t.Errorf("%s: got %d documents, want 1", file, len(all[file]))
			continue
		}
		if got := all[file][0].Kind; got != want {
			t.Errorf("%s: got kind %q, want %q", file, got, want)
		}
	}
}

func TestKustomizationListsEveryManifest(t *testing.T) {
	t.Parallel()
	all := readManifests(t)
	k := the[kustomization](t, all, "kustomization.yaml")

	var want []string
	for file := range all {
		if _, byHand := appliedByHand[file]; file != "kustomization.yaml" && !byHand {
			want = append(want, file)
		}
	}
	got := slices.Clone(k.Resources)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("kustomization.yaml resources: got %v, want %v", got, want)
	}
	for file, why := range appliedByHand {
		if slices.Contains(k.Resources, file) {
			t.Errorf("kustomization.yaml lists %s, but %s", file, why)
		}
		if _, ok := all[file]; !ok {
			t.Errorf("%s is missing", file)
			continue
		}
		// kustomize sets the namespace only on what it applies.
		for _, m := range all[file] {
			if m.Metadata.Namespace != k.Namespace {
				t.Errorf("%s: got namespace %q, want %q (the kustomization's)", file, m.Metadata.Namespace, k.Namespace)
			}
		}
	}
	if k.Namespace == "" {
		t.Error("kustomization.yaml sets no namespace")
	}
	var ns header
	if err := all["namespace.yaml"][0].node.Decode(&ns); err != nil || ns.Metadata.Name != k.Namespace {
		t.Errorf("namespace.yaml: got name %q, want the kustomization's namespace %q", ns.Metadata.Name, k.Namespace)
	}

	// Both Jobs use the image that `images:` rewrites.
	r := readRun(t)
	for name, j := range map[string]job{"load-job.yaml": r.load, "merge-job.yaml": r.merge} {
		img := onlyContainer(t, name, j).Image
		if !slices.ContainsFunc(k.Images, func(i image) bool { return i.Name == img && i.NewName != "" }) {
			t.Errorf("%s: image %q is not rewritten by kustomization.yaml's images", name, img)
		}
	}
}

func TestLoadJobIsIndexedAndNeverRetried(t *testing.T) {
	t.Parallel()
	all := readManifests(t)
	m := all["load-job.yaml"][0]
	j := the[job](t, all, "load-job.yaml")
	spec := j.Spec

	tests := []struct {
		name      string
		got, want string
	}{
		{"apiVersion", m.APIVersion, "batch/v1"},
		{"kind", m.Kind, "Job"},
		{"completionMode", spec.CompletionMode, "Indexed"},
		{"parallelism equals completions", strconv.Itoa(intOr(spec.Parallelism, -1)), strconv.Itoa(intOr(spec.Completions, -2))},
		// Unset, backoffLimit is 6: a failed shard would run again and
		// deliver its calls twice.
		{"backoffLimit", strconv.Itoa(intOr(spec.BackoffLimit, 6)), "0"},
		{"restartPolicy", spec.Template.Spec.RestartPolicy, "Never"},
		{"activeDeadlineSeconds set", strconv.FormatBool(intOr(spec.ActiveDeadlineSeconds, 0) > 0), "true"},
		{"ttlSecondsAfterFinished set", strconv.FormatBool(spec.TTLSecondsAfterFinished != nil), "true"},
		{"more than one shard", strconv.FormatBool(intOr(spec.Completions, 1) > 1), "true"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("load-job.yaml %s: got %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}

func TestLoadJobArgs(t *testing.T) {
	t.Parallel()
	r := readRun(t)
	c := onlyContainer(t, "load-job.yaml", r.load)
	n := intOr(r.load.Spec.Completions, 1)
	mount := reportsMount(t, "load-job.yaml", c)

	if len(c.Args) < 2 || c.Args[0] != "/hamsasim" || c.Args[1] != "load" {
		t.Fatalf("load-job.yaml args start %q, want /hamsasim load", c.Args[:min(2, len(c.Args))])
	}
	tests := []struct {
		flag  string
		check func(v string) bool
		want  string
	}{
		{"--shard", func(v string) bool { return v == "$(JOB_COMPLETION_INDEX)/"+strconv.Itoa(n) }, "$(JOB_COMPLETION_INDEX)/" + strconv.Itoa(n) + " (n = completions)"},
		{"--start-at", func(v string) bool { return v == "$(START_AT)" }, "$(START_AT)"},
		{"--seed", func(v string) bool { return v == "$(SEED)" }, "$(SEED)"},
		{"--target", func(v string) bool { return v == "$(TARGET_URL)" }, "$(TARGET_URL)"},
		{"--report-dir", func(v string) bool {
			return strings.HasPrefix(v, mount+"/$(RUN_ID)/") && strings.Contains(v, "$(JOB_COMPLETION_INDEX)")
		}, mount + "/$(RUN_ID)/... with $(JOB_COMPLETION_INDEX) in it"},
		{"--scenario", func(v string) bool {
			_, err := os.Stat(filepath.Join("..", "..", "scenarios", strings.TrimPrefix(v, "/scenarios/")))
			return strings.HasPrefix(v, "/scenarios/") && err == nil
		}, "/scenarios/NAME.yaml, a file in the repository's scenarios/ (the image copies it there)"},
	}
	for _, tt := range tests {
		got, ok := flagValue(c.Args, tt.flag)
		if !ok || !tt.check(got) {
			t.Errorf("load-job.yaml %s: got %q (present: %t), want %s", tt.flag, got, ok, tt.want)
		}
	}
	if !slices.Contains(c.Args, "--yes") {
		t.Error("load-job.yaml: no --yes; hamsasim refuses a remote target at this rate without it")
	}
}

func TestLoadJobEnv(t *testing.T) {
	t.Parallel()
	all := readManifests(t)
	r := readRun(t)
	c := onlyContainer(t, "load-job.yaml", r.load)
	s := all["secret.example.yaml"][0]

	var index, secretName, secretKey string
	for _, e := range c.Env {
		switch {
		case e.Name == "JOB_COMPLETION_INDEX" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil:
			index = e.ValueFrom.FieldRef.FieldPath
		case e.Name == "WEBHOOK_SECRET" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			secretName, secretKey = e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key
		}
	}
	if index != completionIndexPath {
		t.Errorf("load-job.yaml JOB_COMPLETION_INDEX: got fieldPath %q, want %q", index, completionIndexPath)
	}
	if secretName != s.Metadata.Name || secretKey != "WEBHOOK_SECRET" {
		t.Errorf("load-job.yaml WEBHOOK_SECRET: got secret %q key %q, want secret %q key WEBHOOK_SECRET", secretName, secretKey, s.Metadata.Name)
	}
	cm := all["load-config.yaml"][0].Metadata.Name
	for name, j := range map[string]job{"load-job.yaml": r.load, "merge-job.yaml": r.merge} {
		c := onlyContainer(t, name, j)
		if len(c.EnvFrom) != 1 || c.EnvFrom[0].ConfigMapRef == nil || c.EnvFrom[0].ConfigMapRef.Name != cm {
			t.Errorf("%s: envFrom does not name the ConfigMap %q", name, cm)
		}
	}
}

// TestEveryVariableIsDefined catches a misspelt $(NAME): the kubelet leaves an
// unknown reference as it is, and hamsasim would get "$(RUNID)" as a path.
func TestEveryVariableIsDefined(t *testing.T) {
	t.Parallel()
	r := readRun(t)
	ref := regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)
	for name, j := range map[string]job{"load-job.yaml": r.load, "merge-job.yaml": r.merge} {
		c := onlyContainer(t, name, j)
		defined := map[string]bool{}
		for k := range r.config.Data {
			defined[k] = true
		}
		for _, e := range c.Env {
			defined[e.Name] = true
		}
		for _, s := range slices.Concat(c.Command, c.Args) {
			for _, m := range ref.FindAllStringSubmatch(s, -1) {
				if !defined[m[1]] {
					t.Errorf("%s: $(%s) is not defined by the container's env or the ConfigMap", name, m[1])
				}
			}
		}
	}
}

// TestLoadConfig: the committed ConfigMap is well formed, and applied
// unedited it sends nothing (hamsasim refuses a --start-at that is not a time
// before it sends a request).
func TestLoadConfig(t *testing.T) {
	t.Parallel()
	data := readRun(t).config.Data
	tests := []struct {
		key   string
		ok    func(v string) bool
		wants string
	}{
		{"SHARDS", func(v string) bool { n, err := strconv.Atoi(v); return err == nil && n > 0 }, "a positive whole number"},
		{"SEED", func(v string) bool { _, err := strconv.ParseUint(v, 10, 64); return err == nil }, "a whole number from 0 to 2^64-1"},
		{"RUN_ID", regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`).MatchString, "one path segment: lowercase letters, digits, '.', '_', '-'"},
		{"START_AT", func(v string) bool { _, err := time.Parse(time.RFC3339, v); return err != nil && v != "" }, "a placeholder that is not an RFC 3339 time"},
		{"TARGET_URL", func(v string) bool { return strings.HasPrefix(v, "https://") && strings.Contains(v, ".example.com/") }, "an https:// placeholder on example.com"},
	}
	for _, tt := range tests {
		v, ok := data[tt.key]
		if !ok || !tt.ok(v) {
			t.Errorf("load-config.yaml %s: got %q (present: %t), want %s", tt.key, v, ok, tt.wants)
		}
	}
}

func TestShardCountsAgree(t *testing.T) {
	t.Parallel()
	if problems := shardCountProblems(readRun(t)); len(problems) > 0 {
		t.Errorf("the shard count disagrees:\n%s", strings.Join(problems, "\n"))
	}
}

// TestShardCountProblems shows that TestShardCountsAgree fails when one place
// changes and the others do not.
func TestShardCountProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(r *run)
		want   string
	}{
		{"completions alone", func(r *run) { five := 5; r.load.Spec.Completions = &five }, "merge-job.yaml: shard directories"},
		{"completions and parallelism, not merge", func(r *run) {
			five := 5
			r.load.Spec.Completions, r.load.Spec.Parallelism = &five, &five
		}, "merge-job.yaml: shard directories"},
		{"parallelism alone", func(r *run) { two := 2; r.load.Spec.Parallelism = &two }, "parallelism 2"},
		{"SHARDS alone", func(r *run) { r.config.Data["SHARDS"] = "3" }, `SHARDS "3"`},
		{"a merge shard dropped", func(r *run) {
			c := &r.merge.Spec.Template.Spec.Containers[0]
			c.Args = c.Args[:len(c.Args)-1]
		}, "merge-job.yaml: shard directories"},
		{"a merge shard twice", func(r *run) {
			c := &r.merge.Spec.Template.Spec.Containers[0]
			c.Args[len(c.Args)-1] = c.Args[len(c.Args)-2]
		}, "merge-job.yaml: shard directories"},
		{"the --shard count", func(r *run) {
			c := &r.load.Spec.Template.Spec.Containers[0]
			c.Args[slices.Index(c.Args, "--shard")+1] = "$(JOB_COMPLETION_INDEX)/8"
		}, "--shard"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := readRun(t)
			tt.change(&r)
			got := strings.Join(shardCountProblems(r), "\n")
			if !strings.Contains(got, tt.want) {
				t.Errorf("got problems %q, want one containing %q", got, tt.want)
			}
		})
	}
}

func TestJobsShareTheReportVolume(t *testing.T) {
	t.Parallel()
	all := readManifests(t)
	claim := all["reports-pvc.yaml"][0].Metadata.Name
	if modes := the[pvc](t, all, "reports-pvc.yaml").Spec.AccessModes; !slices.Contains(modes, "ReadWriteMany") {
		t.Errorf("reports-pvc.yaml: got accessModes %v, want ReadWriteMany (the shards run on several nodes)", modes)
	}
	r := readRun(t)
	var mounts []string
	for name, j := range map[string]job{"load-job.yaml": r.load, "merge-job.yaml": r.merge} {
		mount := reportsMount(t, name, onlyContainer(t, name, j))
		mounts = append(mounts, mount)
		if got := claimOf(j.Spec.Template.Spec, "reports"); got != claim {
			t.Errorf("%s: volume reports uses claim %q, want %q", name, got, claim)
		}
	}
	if mounts[0] != mounts[1] {
		t.Errorf("the Jobs mount the reports at %q and %q, want one path", mounts[0], mounts[1])
	}
	reader := the[pod](t, all, "report-reader.yaml")
	if got := claimOf(reader.Spec, "reports"); got != claim {
		t.Errorf("report-reader.yaml: volume reports uses claim %q, want %q", got, claim)
	}
}

func claimOf(spec podSpec, volume string) string {
	for _, v := range spec.Volumes {
		if v.Name == volume && v.PersistentVolumeClaim != nil {
			return v.PersistentVolumeClaim.ClaimName
		}
	}
	return ""
}

func reportsMount(t *testing.T, name string, c container) string {
	t.Helper()
	for _, m := range c.VolumeMounts {
		if m.Name == "reports" {
			return m.MountPath
		}
	}
	t.Fatalf("%s: the container does not mount the reports volume", name)
	return ""
}

func TestSecretExampleIsAPlaceholder(t *testing.T) {
	t.Parallel()
	all := readManifests(t)
	s := the[secret](t, all, "secret.example.yaml")
	if len(s.Data) > 0 {
		t.Error("secret.example.yaml: use stringData, so that the placeholder reads as one")
	}
	v, ok := s.StringData["WEBHOOK_SECRET"]
	if !ok || len(s.StringData) != 1 {
		t.Fatalf("secret.example.yaml: got keys %v, want exactly WEBHOOK_SECRET", slices.Sorted(maps.Keys(s.StringData)))
	}
	if !strings.Contains(strings.ToLower(v), "replace") {
		t.Errorf("secret.example.yaml: WEBHOOK_SECRET %q does not read as a placeholder (want \"replace\" in it)", v)
	}
	if !strings.HasPrefix(v, "Bearer ") {
		t.Errorf("secret.example.yaml: WEBHOOK_SECRET %q, want the whole header value's shape, \"Bearer <token>\"", v)
	}
}

func TestLoadPodsSpreadAndAreBounded(t *testing.T) {
	t.Parallel()
	r := readRun(t)
	spec := r.load.Spec.Template.Spec
	c := onlyContainer(t, "load-job.yaml", r.load)

	tests := []struct {
		name      string
		got, want int64
		cmp       string // "<=" or ">="
	}{
		{"cpu request (millicores)", milli(t, c.Resources.Requests["cpu"]), 1000, ">="},
		{"cpu limit (millicores)", milli(t, c.Resources.Limits["cpu"]), milli(t, c.Resources.Requests["cpu"]), ">="},
		{"cpu limit (millicores)", milli(t, c.Resources.Limits["cpu"]), 2000, "<="},
		{"memory request (Mi)", mebi(t, c.Resources.Requests["memory"]), 256, ">="},
		{"memory limit (Mi)", mebi(t, c.Resources.Limits["memory"]), mebi(t, c.Resources.Requests["memory"]), ">="},
		{"memory limit (Mi)", mebi(t, c.Resources.Limits["memory"]), 512, "<="},
	}
	for _, tt := range tests {
		if (tt.cmp == ">=" && tt.got < tt.want) || (tt.cmp == "<=" && tt.got > tt.want) {
			t.Errorf("load-job.yaml %s: got %d, want %s %d", tt.name, tt.got, tt.cmp, tt.want)
		}
	}

	pref := spec.Affinity.PodAntiAffinity.Preferred
	if len(pref) == 0 {
		t.Fatal("load-job.yaml: no preferred pod anti-affinity")
	}
	term := pref[0].PodAffinityTerm
	if term.TopologyKey != "kubernetes.io/hostname" {
		t.Errorf("load-job.yaml anti-affinity topologyKey: got %q, want kubernetes.io/hostname", term.TopologyKey)
	}
	// A selector that matches no shard spreads nothing.
	labels := r.load.Spec.Template.Metadata.Labels
	if len(term.LabelSelector.MatchLabels) == 0 {
		t.Error("load-job.yaml anti-affinity: empty label selector")
	}
	for k, v := range term.LabelSelector.MatchLabels {
		if labels[k] != v {
			t.Errorf("load-job.yaml anti-affinity selects %s=%s, but the pods are labelled %s=%q", k, v, k, labels[k])
		}
	}
	if g := intOr(spec.TerminationGracePeriodSeconds, 30); g < 30 {
		t.Errorf("load-job.yaml terminationGracePeriodSeconds: got %d, want >= 30 so an interrupted shard can write its report", g)
	}
}

func milli(t *testing.T, q string) int64 {
	t.Helper()
	if s, ok := strings.CutSuffix(q, "m"); ok {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("cpu %q: %v", q, err)
		}
		return v
	}
	v, err := strconv.ParseFloat(q, 64)
	if err != nil {
		t.Fatalf("cpu %q: %v", q, err)
	}
	return int64(v * 1000)
}

func mebi(t *testing.T, q string) int64 {
	t.Helper()
	for suffix, factor := range map[string]int64{"Mi": 1, "Gi": 1024} {
		if s, ok := strings.CutSuffix(q, suffix); ok {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				t.Fatalf("memory %q: %v", q, err)
			}
			return v * factor
		}
	}
	t.Fatalf("memory %q: want a value in Mi or Gi", q)
	return 0
}

func TestPodsRunAsNonRoot(t *testing.T) {
	t.Parallel()
	all := readManifests(t)
	r := readRun(t)
	specs := map[string]podSpec{
		"load-job.yaml":      r.load.Spec.Template.Spec,
		"merge-job.yaml":     r.merge.Spec.Template.Spec,
		"report-reader.yaml": the[pod](t, all, "report-reader.yaml").Spec,
	}
	for name, spec := range specs {
		sc := spec.SecurityContext
		if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || intOr(sc.RunAsUser, 0) == 0 {
			t.Errorf("%s: want runAsNonRoot: true and a non-zero runAsUser", name)
		}
		for _, c := range spec.Containers {
			if ape := c.SecurityContext.AllowPrivilegeEscalation; ape == nil || *ape {
				t.Errorf("%s container %s: want allowPrivilegeEscalation: false", name, c.Name)
			}
		}
	}
}

// TestMergeOutwaitsTheLoadJob: the merge, applied with the load Job, must not
// give up on a shard that may still be running, and must have time to merge.
func TestMergeOutwaitsTheLoadJob(t *testing.T) {
	t.Parallel()
	r := readRun(t)
	var wait int
	for _, e := range onlyContainer(t, "merge-job.yaml", r.merge).Env {
		if e.Name == "WAIT_LIMIT_SECONDS" {
			var err error
			if wait, err = strconv.Atoi(e.Value); err != nil {
				t.Fatalf("merge-job.yaml WAIT_LIMIT_SECONDS: %v", err)
			}
		}
	}
	loadEnd := intOr(r.load.Spec.ActiveDeadlineSeconds, 0) + intOr(r.load.Spec.Template.Spec.TerminationGracePeriodSeconds, 30)
	if wait < loadEnd {
		t.Errorf("merge-job.yaml WAIT_LIMIT_SECONDS: got %d, want >= %d (the load Job's activeDeadlineSeconds + grace period)", wait, loadEnd)
	}
	if d := intOr(r.merge.Spec.ActiveDeadlineSeconds, 0); d < wait+60 {
		t.Errorf("merge-job.yaml activeDeadlineSeconds: got %d, want >= WAIT_LIMIT_SECONDS + 60 = %d", d, wait+60)
	}
	if got := intOr(r.merge.Spec.BackoffLimit, 6); got != 0 {
		t.Errorf("merge-job.yaml backoffLimit: got %d, want 0", got)
	}
}

func TestDockerfile(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var froms, users []string
	var entrypoint string
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "FROM "):
			froms = append(froms, line)
		case strings.HasPrefix(line, "USER "):
			users = append(users, strings.TrimPrefix(line, "USER "))
		case strings.HasPrefix(line, "ENTRYPOINT "):
			entrypoint = strings.TrimPrefix(line, "ENTRYPOINT ")
		}
	}
	text := string(b)
	tests := []struct {
		name string
		ok   bool
	}{
		{"builds with golang:1.26", len(froms) >= 2 && strings.Contains(froms[0], "golang:1.26")},
		{"static, trimmed build of ./cmd/hamsasim", strings.Contains(text, "CGO_ENABLED=0") && strings.Contains(text, "go build -trimpath -o /hamsasim") && strings.Contains(text, "./cmd/hamsasim\n")},
		// .git is not in the build context: the version comes as build args.
		{"version, commit and date stamped from build args", strings.Contains(text, "ARG VERSION COMMIT DATE") &&
			strings.Contains(text, "internal/cli.version=$VERSION") && strings.Contains(text, "internal/cli.commit=$COMMIT") && strings.Contains(text, "internal/cli.date=$DATE")},
		// The Jobs run their wrappers with /bin/sh; distroless and scratch
		// have none.
		{"runtime image has /bin/sh", len(froms) >= 2 && (strings.Contains(froms[len(froms)-1], "alpine") || strings.Contains(froms[len(froms)-1], "busybox"))},
		{"entrypoint is /hamsasim", entrypoint == `["/hamsasim"]`},
		{"scenarios copied to /scenarios", strings.Contains(text, "COPY scenarios/ /scenarios/")},
		{"runs as a numeric non-root user", len(users) == 1 && users[0] == "65532:65532"},
	}
	for _, tt := range tests {
		if !tt.ok {
			t.Errorf("deploy/Dockerfile: %s: no", tt.name)
		}
	}
	r := readRun(t)
	if uid := intOr(r.load.Spec.Template.Spec.SecurityContext.RunAsUser, 0); len(users) == 1 && users[0] != strconv.Itoa(uid)+":"+strconv.Itoa(uid) {
		t.Errorf("load-job.yaml runAsUser %d differs from the Dockerfile's USER %s", uid, users[0])
	}
}

// expand is the kubelet's $(NAME) expansion of command and args: $$ is a
// literal $, $(NAME) is NAME's value when NAME is defined and is left as it
// is otherwise.
func expand(s string, env map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+2+end]
			if v, ok := env[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString("$(" + name + ")")
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

func TestExpand(t *testing.T) {
	t.Parallel()
	env := map[string]string{"A": "1", "RUN_ID": "r"}
	tests := []struct{ in, want string }{
		{"/reports/$(RUN_ID)/shard-$(A)", "/reports/r/shard-1"},
		{"$(MISSING)", "$(MISSING)"},
		{"$$(A)", "$(A)"},
		{`n=$((n + 1))`, `n=$((n + 1))`},
		{`"${shard#*/}" "$@" $! $?`, `"${shard#*/}" "$@" $! $?`},
		{"$(A", "$(A"},
		{"$", "$"},
	}
	for _, tt := range tests {
		if got := expand(tt.in, env); got != tt.want {
			t.Errorf("expand(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// fakeHamsasim stands in for the binary: it records its arguments and
// WEBHOOK_SECRET, writes a summary.json where the real one would, and exits
// with FAKE_EXIT. With FAKE_BLOCK set it signals readiness by creating that
// file and waits for SIGTERM, then exits 130 as an interrupted run does.
const fakeHamsasim = `#!/bin/sh
printf '%s\n' "$@" >"$FAKE_LOG"
printf '%s\n' "$WEBHOOK_SECRET" >"$FAKE_LOG.secret"
dir=
prev=
for a in "$@"; do
  case $prev in --report-dir|--out) dir=$a ;; esac
  prev=$a
done
mkdir -p "$dir"
if [ -n "$FAKE_BLOCK" ]; then
  trap 'echo interrupted >"$dir/summary.json"; kill "$sleeper"; exit 130' TERM
  sleep 30 &
  sleeper=$!
  : >"$FAKE_BLOCK"
  wait "$sleeper"
fi
echo done >"$dir/summary.json"
exit "${FAKE_EXIT:-0}"
`

// shells are the shells the wrappers are run with: /bin/sh, and busybox's
// ash (the image's /bin/sh) when it is installed.
func shells(t *testing.T) map[string][]string {
	t.Helper()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh to run the wrappers with")
	}
	s := map[string][]string{"sh": {"/bin/sh"}}
	if bb, err := exec.LookPath("busybox"); err == nil {
		s["busybox"] = []string{bb, "sh"}
	}
	return s
}

// podRun is one container of a Job, set up to run the way the kubelet would
// run it for one completion index, with the report volume in a temporary
// directory and the fake in place of /hamsasim.
type podRun struct {
	cmd     *exec.Cmd
	reports string // the report volume
	log     string // the fake's record of its arguments
	args    []string
}

func newPodRun(t *testing.T, shell []string, name string, j job, config map[string]string, index int, override map[string]string) *podRun {
	t.Helper()
	c := onlyContainer(t, name, j)
	dir := t.TempDir()
	fake := filepath.Join(dir, "hamsasim")
	if err := os.WriteFile(fake, []byte(fakeHamsasim), 0o755); err != nil {
		t.Fatal(err)
	}
	reports := filepath.Join(dir, "reports")
	if err := os.Mkdir(reports, 0o755); err != nil {
		t.Fatal(err)
	}
	p := &podRun{reports: reports, log: filepath.Join(dir, "args.log")}

	// The environment the kubelet builds: envFrom first, then env in order.
	env := map[string]string{}
	for k, v := range config {
		env[k] = v
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = expand(e.Value, env)
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == completionIndexPath:
			env[e.Name] = strconv.Itoa(index)
		case e.ValueFrom.SecretKeyRef != nil:
			env[e.Name] = "Bearer test-token"
		default:
			t.Fatalf("%s: env %s: the test does not know this kind of value", name, e.Name)
		}
	}
	for k, v := range override {
		env[k] = v
	}

	if len(c.Command) < 3 || c.Command[0] != "/bin/sh" || c.Command[1] != "-c" {
		t.Fatalf("%s: command %q, want /bin/sh -c SCRIPT NAME", name, c.Command)
	}
	mount := reportsMount(t, name, c)
	var args []string
	for i, a := range c.Args {
		a = expand(a, env)
		if i == 0 {
			if a != "/hamsasim" {
				t.Fatalf("%s: args[0] %q, want /hamsasim", name, a)
			}
			a = fake
		}
		if rest, ok := strings.CutPrefix(a, mount+"/"); ok {
			a = filepath.Join(reports, rest)
		}
		args = append(args, a)
	}
	p.args = args
	var script []string
	for _, s := range c.Command[2:] {
		script = append(script, expand(s, env))
	}
	p.cmd = exec.Command(shell[0], slices.Concat(shell[1:], []string{"-c"}, script, args)...)
	p.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "FAKE_LOG=" + p.log}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	return p
}

// exitCode runs the pod to the end and returns its exit code and output.
func (p *podRun) exitCode(t *testing.T) (int, string) {
	t.Helper()
	out, err := p.cmd.CombinedOutput()
	var xe *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &xe):
		return xe.ExitCode(), string(out)
	}
	t.Fatalf("running the wrapper: %v", err)
	return -1, ""
}

func readTrimmed(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestShardWrapper(t *testing.T) {
	t.Parallel()
	r := readRun(t)
	const index = 2
	n := strconv.Itoa(intOr(r.load.Spec.Completions, 1))
	runID := r.config.Data["RUN_ID"]

	tests := []struct {
		name       string
		fakeExit   string
		override   map[string]string
		before     func(t *testing.T, reports string)
		wantExit   int
		wantMarker string // "" when the fake must not have run
		wantOutput string
	}{
		{name: "passed", fakeExit: "0", wantExit: 0, wantMarker: "0"},
		{name: "own thresholds failed counts as done", fakeExit: "1", wantExit: 0, wantMarker: "1", wantOutput: "the merged report decides"},
		{name: "usage error fails the pod", fakeExit: "2", wantExit: 2, wantMarker: "2"},
		{name: "RUN_ID used before", fakeExit: "0", wantExit: 2, wantOutput: "set a new RUN_ID",
			before: func(t *testing.T, reports string) {
				if err := os.MkdirAll(filepath.Join(reports, runID, "shard-"+strconv.Itoa(index)), 0o755); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "SHARDS disagrees with --shard", fakeExit: "0", override: map[string]string{"SHARDS": "3"}, wantExit: 2, wantOutput: "disagrees with SHARDS=3"},
	}
	for shellName, shell := range shells(t) {
		for _, tt := range tests {
			t.Run(shellName+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				p := newPodRun(t, shell, "load-job.yaml", r.load, r.config.Data, index, tt.override)
				p.cmd.Env = append(p.cmd.Env, "FAKE_EXIT="+tt.fakeExit)
				if tt.before != nil {
					tt.before(t, p.reports)
				}
				got, out := p.exitCode(t)
				if got != tt.wantExit {
					t.Errorf("exit code: got %d, want %d; output:\n%s", got, tt.wantExit, out)
				}
				if !strings.Contains(out, tt.wantOutput) {
					t.Errorf("output: got %q, want it to contain %q", out, tt.wantOutput)
				}
				shardDir := filepath.Join(p.reports, runID, "shard-"+strconv.Itoa(index))
				if tt.wantMarker == "" {
					if _, err := os.Stat(p.log); err == nil {
						t.Error("hamsasim ran; want the wrapper to refuse before it")
					}
					return
				}
				if got := readTrimmed(t, shardDir+".exit"); got != tt.wantMarker {
					t.Errorf("%s.exit: got %q, want %q", shardDir, got, tt.wantMarker)
				}
				gotArgs := strings.Split(readTrimmed(t, p.log), "\n")
				for flag, want := range map[string]string{
					"--shard":      strconv.Itoa(index) + "/" + n,
					"--report-dir": shardDir,
					"--seed":       r.config.Data["SEED"],
					"--start-at":   r.config.Data["START_AT"],
					"--target":     r.config.Data["TARGET_URL"],
				} {
					if got, _ := flagValue(gotArgs, flag); got != want {
						t.Errorf("hamsasim got %s %q, want %q", flag, got, want)
					}
				}
				if got := readTrimmed(t, p.log+".secret"); got != "Bearer test-token" {
					t.Errorf("hamsasim got WEBHOOK_SECRET %q, want the Secret's value", got)
				}
			})
		}
	}
}

func TestShardWrapperPassesSIGTERMOn(t *testing.T) {
	t.Parallel()
	r := readRun(t)
	for shellName, shell := range shells(t) {
		t.Run(shellName, func(t *testing.T) {
			t.Parallel()
			p := newPodRun(t, shell, "load-job.yaml", r.load, r.config.Data, 0, nil)
			ready := filepath.Join(t.TempDir(), "ready")
			p.cmd.Env = append(p.cmd.Env, "FAKE_BLOCK="+ready)
			var out strings.Builder
			p.cmd.Stdout, p.cmd.Stderr = &out, &out
			if err := p.cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = p.cmd.Process.Kill() })
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				if _, err := os.Stat(ready); err == nil {
					break
				}
				if time.Now().After(deadline) {
					_ = p.cmd.Process.Kill()
					_ = p.cmd.Wait()
					t.Fatalf("the fake never started; output:\n%s", out.String())
				}
			}
			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			err := p.cmd.Wait()
			var xe *exec.ExitError
			if !errors.As(err, &xe) || xe.ExitCode() != 130 {
				t.Errorf("exit: got %v, want exit status 130 (hamsasim's, interrupted); output:\n%s", err, out.String())
			}
			shardDir := filepath.Join(p.reports, r.config.Data["RUN_ID"], "shard-0")
			if got := readTrimmed(t, filepath.Join(shardDir, "summary.json")); got != "interrupted" {
				t.Errorf("summary.json: got %q, want the one hamsasim writes on SIGTERM", got)
			}
			if got := readTrimmed(t, shardDir+".exit"); got != "130" {
				t.Errorf("shard-0.exit: got %q, want 130", got)
			}
		})
	}
}

func TestMergeWrapper(t *testing.T) {
	t.Parallel()
	r := readRun(t)
	n := intOr(r.load.Spec.Completions, 1)
	runID := r.config.Data["RUN_ID"]
	allShards := make([]int, n)
	for i := range n {
		allShards[i] = i
	}

	tests := []struct {
		name       string
		finished   []int // shards whose .exit marker exists
		late       int   // a shard whose marker appears after the merge has started; -1 for none
		fakeExit   string
		override   map[string]string
		merged     bool // a merged report exists already
		wantExit   int
		wantRan    bool
		wantOutput string
	}{
		{name: "every shard finished", finished: allShards, late: -1, fakeExit: "0", wantExit: 0, wantRan: true, wantOutput: "shard-" + strconv.Itoa(n-1) + " finished with exit code 0"},
		{name: "merged thresholds failed", finished: allShards, late: -1, fakeExit: "1", wantExit: 1, wantRan: true},
		{name: "a shard finishes while it waits", finished: allShards[:n-1], late: n - 1, fakeExit: "0", override: map[string]string{"WAIT_LIMIT_SECONDS": "30"}, wantExit: 0, wantRan: true, wantOutput: "shard-" + strconv.Itoa(n-1) + " finished with exit code 0"},
		{name: "a shard never finished", finished: allShards[:n-1], late: -1, fakeExit: "0", override: map[string]string{"WAIT_LIMIT_SECONDS": "0"}, wantExit: 0, wantRan: true, wantOutput: "shard-" + strconv.Itoa(n-1) + " has not finished"},
		{name: "RUN_ID merged before", finished: allShards, late: -1, fakeExit: "0", merged: true, wantExit: 2, wantOutput: "set a new RUN_ID"},
		{name: "SHARDS disagrees", finished: allShards, late: -1, fakeExit: "0", override: map[string]string{"SHARDS": strconv.Itoa(n + 1)}, wantExit: 2, wantOutput: "SHARDS=" + strconv.Itoa(n+1)},
	}
	for shellName, shell := range shells(t) {
		for _, tt := range tests {
			t.Run(shellName+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				p := newPodRun(t, shell, "merge-job.yaml", r.merge, r.config.Data, 0, tt.override)
				p.cmd.Env = append(p.cmd.Env, "FAKE_EXIT="+tt.fakeExit)
				run := filepath.Join(p.reports, runID)
				if err := os.MkdirAll(run, 0o755); err != nil {
					t.Fatal(err)
				}
				for _, i := range tt.finished {
					if err := os.WriteFile(filepath.Join(run, "shard-"+strconv.Itoa(i)+".exit"), []byte("0\n"), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				if tt.merged {
					if err := os.MkdirAll(filepath.Join(run, "merged"), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join(run, "merged", "summary.json"), []byte("{}"), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				if tt.late >= 0 {
					marker := filepath.Join(run, "shard-"+strconv.Itoa(tt.late)+".exit")
					timer := time.AfterFunc(300*time.Millisecond, func() { _ = os.WriteFile(marker, []byte("0\n"), 0o644) })
					t.Cleanup(func() { timer.Stop() })
				}
				got, out := p.exitCode(t)
				if got != tt.wantExit {
					t.Errorf("exit code: got %d, want %d; output:\n%s", got, tt.wantExit, out)
				}
				if !strings.Contains(out, tt.wantOutput) {
					t.Errorf("output: got %q, want it to contain %q", out, tt.wantOutput)
				}
				_, err := os.Stat(p.log)
				if ran := err == nil; ran != tt.wantRan {
					t.Fatalf("hamsasim ran: got %t, want %t; output:\n%s", ran, tt.wantRan, out)
				}
				if !tt.wantRan {
					return
				}
				// hamsasim gets exactly the Job's arguments.
				if got, want := readTrimmed(t, p.log), strings.Join(p.args[1:], "\n"); got != want {
					t.Errorf("hamsasim args:\ngot  %q\nwant %q", got, want)
				}
			})
		}
	}
}
