// Command compose-check validates a Compose file without a Docker engine.
//
// It loads the file with the Compose specification's reference loader
// (github.com/compose-spec/compose-go/v2): YAML anchors and merge keys,
// interpolation of ${VARIABLES} from the project's env defaults, validation
// against the Compose JSON schema embedded in compose-go, normalization and the
// loader's consistency checks (unknown depends_on targets, networks, volumes).
// On top of that it checks what users of this project rely on:
//
//   - every service another one waits for with `condition: service_healthy`
//     has a healthcheck of its own;
//   - the services named by -require-healthcheck (api and worker) have one;
//   - no host port is published twice (by two services, twice by one service,
//     or by a service that runs several replicas);
//   - every variable the file interpolates without a default has a value;
//   - the services named by -stop-grace (the worker) let their process drain
//     for at least the given time before Docker kills it (stop_grace_period;
//     the project derives the worker's from its activity timeouts).
//
// It prints one line per service and exits 0, or names every problem and
// exits 1 (2 for a usage error).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/sirupsen/logrus"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("compose-check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var envFiles listFlag
	fs.Var(&envFiles, "env-file", "file of KEY=value defaults for interpolation, repeatable, later ones win\n(default: .env.example next to the compose file, if there is one)")
	osEnv := fs.Bool("os-env", false, "let the process environment override the env files, as docker compose does")
	projectName := fs.String("project-name", "", "project name (default: the file's top-level name, else its directory's name)")
	required := fs.String("require-healthcheck", "api,worker", "comma-separated services that must exist and have a healthcheck")
	var stopGrace listFlag
	fs.Var(&stopGrace, "stop-grace", "service=duration (e.g. worker=90s): the service's stop_grace_period must be at least that, repeatable")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: compose-check [flags] [docker-compose.yml]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return 2
	}
	file := "docker-compose.yml"
	if fs.NArg() == 1 {
		file = fs.Arg(0)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		fmt.Fprintf(stderr, "compose-check: %s: %v\n", file, err)
		return 2
	}
	dir := filepath.Dir(abs)
	if len(envFiles) == 0 {
		if def := filepath.Join(dir, ".env.example"); fileExists(def) {
			envFiles = append(envFiles, def)
		}
	}

	env := map[string]string{}
	for _, f := range envFiles {
		values, err := dotenv.ReadFile(f, nil)
		if err != nil {
			fmt.Fprintf(stderr, "compose-check: env file %s: %v\n", f, err)
			return 2
		}
		for k, v := range values {
			env[k] = v
		}
	}
	if *osEnv {
		for _, kv := range os.Environ() {
			if k, v, ok := strings.Cut(kv, "="); ok {
				env[k] = v
			}
		}
	}

	// compose-go reports some findings (obsolete `version`, ...) as logrus warnings.
	logrus.SetOutput(stderr)
	logrus.SetFormatter(&logrus.TextFormatter{DisableTimestamp: true, DisableQuote: true})

	project, unset, err := load(abs, dir, env, *projectName)
	if err != nil {
		fmt.Fprintf(stderr, "compose-check: %s is not a valid Compose file:\n  %s\n", file, indent(err.Error()))
		return 1
	}

	for _, s := range sortedServices(project) {
		fmt.Fprintln(stdout, summary(s))
	}

	problems := unset
	problems = append(problems, checkHealthchecks(project, splitList(*required))...)
	problems = append(problems, checkPorts(project)...)
	graceProblems, err := checkStopGrace(project, stopGrace)
	if err != nil {
		fmt.Fprintf(stderr, "compose-check: -stop-grace: %v\n", err)
		return 2
	}
	problems = append(problems, graceProblems...)
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "compose-check: %s: %d problem(s):\n", file, len(problems))
		for _, p := range problems {
			fmt.Fprintf(stderr, "  - %s\n", p)
		}
		return 1
	}
	fmt.Fprintf(stdout, "compose-check: %s is valid (project %q, %d services, schema and project checks passed)\n",
		file, project.Name, len(project.Services))
	return 0
}

// load runs the compose-go loader with schema validation, interpolation from
// env and the consistency checks on; it also returns the variables that were
// interpolated without a value (compose would silently use "").
func load(file, dir string, env map[string]string, name string) (*types.Project, []string, error) {
	var unset []string
	seen := map[string]bool{}
	details := types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: file}},
		Environment: types.Mapping(env),
	}
	// Same substitution as compose-go's default, but an unset variable without
	// a default is recorded instead of logged.
	recordUnset := func(sub string, m template.Mapping, cfg *template.Config) (string, error) {
		value, applied, err := template.DefaultReplacementAppliedFunc(sub, m, cfg)
		if err == nil && !applied && !seen[sub] {
			seen[sub] = true
			unset = append(unset, fmt.Sprintf("variable %s is not set and has no default (compose would use an empty string); set it in the env file or write ${NAME:-default}", sub))
		}
		return value, err
	}
	project, err := loader.LoadWithContext(context.Background(), details, func(o *loader.Options) {
		o.SkipValidation = false
		o.SkipInterpolation = false
		o.SkipConsistencyCheck = false
		// Keep the loader's own lookup (details.Environment) and type casts
		// (`ports.*.published` to int, `healthcheck.disable` to bool, ...).
		interpolate := *o.Interpolate
		interpolate.Substitute = func(s string, m template.Mapping) (string, error) {
			return template.SubstituteWithOptions(s, m, template.WithoutLogging, template.WithReplacementFunction(recordUnset))
		}
		o.Interpolate = &interpolate
		if name != "" {
			o.SetProjectName(name, true)
		} else {
			o.SetProjectName(loader.NormalizeProjectName(filepath.Base(dir)), false)
		}
	})
	return project, unset, err
}

func checkHealthchecks(p *types.Project, required []string) []string {
	var problems []string
	waitedFor := map[string][]string{}
	for _, s := range sortedServices(p) {
		for _, dep := range sortedKeys(s.DependsOn) {
			if s.DependsOn[dep].Condition == types.ServiceConditionHealthy {
				waitedFor[dep] = append(waitedFor[dep], s.Name)
			}
		}
	}
	for _, dep := range sortedKeys(waitedFor) {
		target, ok := p.Services[dep]
		if !ok {
			continue // the loader's consistency check reports unknown services
		}
		if why := healthcheckMissing(target); why != "" {
			verb := "waits"
			if len(waitedFor[dep]) > 1 {
				verb = "wait"
			}
			problems = append(problems, fmt.Sprintf("service %q %s, but %s %s for it with condition: service_healthy (`docker compose up` would fail)",
				dep, why, quoteAll(waitedFor[dep]), verb))
		}
	}
	for _, name := range required {
		s, ok := p.Services[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("service %q is missing (it must exist and have a healthcheck)", name))
			continue
		}
		if why := healthcheckMissing(s); why != "" {
			problems = append(problems, fmt.Sprintf("service %q %s; it must have one", name, why))
		}
	}
	return problems
}

// healthcheckMissing says why the service has no usable healthcheck, or "".
func healthcheckMissing(s types.ServiceConfig) string {
	h := s.HealthCheck
	switch {
	case h == nil:
		return "has no healthcheck"
	case h.Disable || (len(h.Test) > 0 && h.Test[0] == "NONE"):
		return "has its healthcheck disabled"
	case len(h.Test) == 0:
		return "has a healthcheck without a test"
	}
	return ""
}

// checkStopGrace: each service=duration names a service whose stop_grace_period
// (Docker's default: 10s) must be at least duration.
func checkStopGrace(p *types.Project, wanted []string) ([]string, error) {
	var problems []string
	for _, entry := range wanted {
		name, raw, ok := strings.Cut(entry, "=")
		if !ok {
			return nil, fmt.Errorf("%q is not service=duration", entry)
		}
		least, err := time.ParseDuration(raw)
		if err != nil {
			return nil, fmt.Errorf("%q: %v", entry, err)
		}
		s, ok := p.Services[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("service %q is missing (it must exist and have a stop_grace_period of at least %s)", name, least))
			continue
		}
		if got := stopGracePeriod(s); got < least {
			problems = append(problems, fmt.Sprintf("service %q stops after %s (stop_grace_period), less than the %s it needs to drain; set stop_grace_period: %s",
				name, got, least, durationForCompose(least)))
		}
	}
	return problems, nil
}

// stopGracePeriod: the service's stop_grace_period, or Docker's default of 10 seconds.
func stopGracePeriod(s types.ServiceConfig) time.Duration {
	if s.StopGracePeriod == nil {
		return 10 * time.Second
	}
	return time.Duration(*s.StopGracePeriod)
}

// durationForCompose writes a duration as the Compose file takes it (whole seconds: 90s).
func durationForCompose(d time.Duration) string {
	return fmt.Sprintf("%ds", int64((d+time.Second-1)/time.Second))
}

type binding struct {
	service string
	hostIP  string
	port    int
	proto   string
}

func checkPorts(p *types.Project) []string {
	var problems []string
	var bindings []binding
	for _, s := range sortedServices(p) {
		replicas := s.GetScale()
		for _, port := range s.Ports {
			if port.Published == "" {
				continue // an ephemeral host port is chosen by the engine
			}
			lo, hi, err := portRange(port.Published)
			if err != nil {
				problems = append(problems, fmt.Sprintf("service %q: published port %q: %v", s.Name, port.Published, err))
				continue
			}
			if lo == hi && replicas > 1 {
				problems = append(problems, fmt.Sprintf("service %q runs %d replicas but publishes host port %d/%s: every replica would bind it",
					s.Name, replicas, lo, protocol(port)))
			}
			for n := lo; n <= hi; n++ {
				bindings = append(bindings, binding{s.Name, port.HostIP, n, protocol(port)})
			}
		}
	}
	reported := map[string]bool{}
	for i, a := range bindings {
		for _, b := range bindings[i+1:] {
			if a.port != b.port || a.proto != b.proto || !sameHost(a.hostIP, b.hostIP) {
				continue
			}
			key := fmt.Sprintf("%d/%s", a.port, a.proto)
			if reported[key] {
				continue
			}
			reported[key] = true
			if a.service == b.service {
				problems = append(problems, fmt.Sprintf("host port %s is published twice by service %q", key, a.service))
			} else {
				problems = append(problems, fmt.Sprintf("host port %s is published by both %q and %q", key, a.service, b.service))
			}
		}
	}
	return problems
}

func portRange(published string) (int, int, error) {
	loS, hiS, isRange := strings.Cut(published, "-")
	lo, err := strconv.Atoi(loS)
	if err != nil {
		return 0, 0, fmt.Errorf("not a port number")
	}
	hi := lo
	if isRange {
		if hi, err = strconv.Atoi(hiS); err != nil || hi < lo {
			return 0, 0, fmt.Errorf("not a port range")
		}
	}
	return lo, hi, nil
}

func protocol(p types.ServicePortConfig) string {
	if p.Protocol == "" {
		return "tcp"
	}
	return strings.ToLower(p.Protocol)
}

// sameHost: two bindings clash on the same address, or when either listens on all of them.
func sameHost(a, b string) bool {
	wildcard := func(ip string) bool { return ip == "" || ip == "0.0.0.0" || ip == "::" || ip == "[::]" }
	return a == b || wildcard(a) || wildcard(b)
}

func summary(s types.ServiceConfig) string {
	image := s.Image
	if s.Build != nil {
		image = "build " + relOrSelf(s.Build.Context)
		if s.Image != "" {
			image += " as " + s.Image
		}
	}
	health := "none"
	if why := healthcheckMissing(s); why == "" {
		health = "yes"
	}
	var ports []string
	for _, p := range s.Ports {
		host := p.Published
		if p.HostIP != "" {
			host = p.HostIP + ":" + host
		}
		ports = append(ports, fmt.Sprintf("%s->%d/%s", host, p.Target, protocol(p)))
	}
	var deps []string
	for _, d := range sortedKeys(s.DependsOn) {
		deps = append(deps, d+"("+strings.TrimPrefix(s.DependsOn[d].Condition, "service_")+")")
	}
	return fmt.Sprintf("service %-15s %s; replicas %d; healthcheck %s; ports %s; depends on %s; stop grace %s",
		s.Name, image, s.GetScale(), health, orNone(ports), orNone(deps), durationForCompose(stopGracePeriod(s)))
}

func relOrSelf(path string) string {
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return path
}

func orNone(items []string) string {
	if len(items) == 0 {
		return "-"
	}
	return strings.Join(items, ", ")
}

func sortedServices(p *types.Project) []types.ServiceConfig {
	var out []types.ServiceConfig
	for _, name := range sortedKeys(p.Services) {
		out = append(out, p.Services[name])
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func quoteAll(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = strconv.Quote(n)
	}
	return strings.Join(quoted, ", ")
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n  ") }

func fileExists(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir()
}
