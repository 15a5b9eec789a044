package deploy_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// instr is one Dockerfile instruction.
type instr struct {
	stage int    // index of the FROM it belongs to
	cmd   string // upper case: FROM, RUN, COPY...
	flags map[string]string
	args  string   // the rest, continuation lines joined
	exec  []string // the JSON (exec) form of the arguments, if used
	words []string // args split on white space
}

// dockerfile is a parsed Dockerfile: enough of the syntax for
// deploy/docker/Dockerfile, and a failure for anything else, so that a
// construct this test does not understand is never silently skipped.
type dockerfile struct {
	instrs []instr
	stages []string // stage names (AS ...), by index
}

var knownInstrs = map[string]bool{
	"FROM": true, "WORKDIR": true, "COPY": true, "RUN": true, "USER": true, "VOLUME": true,
	"EXPOSE": true, "HEALTHCHECK": true, "ENTRYPOINT": true, "CMD": true, "ENV": true,
}

func parseDockerfile(t testing.TB, text string) dockerfile {
	t.Helper()
	var d dockerfile
	for _, line := range logicalLines(text) {
		cmd, rest, _ := strings.Cut(line, " ")
		cmd = strings.ToUpper(cmd)
		if !knownInstrs[cmd] {
			t.Fatalf("Dockerfile: instruction %s: teach the test what it means", cmd)
		}
		in := instr{cmd: cmd, flags: map[string]string{}}
		rest = strings.TrimSpace(rest)
		for strings.HasPrefix(rest, "--") {
			flag, r, _ := strings.Cut(rest, " ")
			k, v, _ := strings.Cut(strings.TrimPrefix(flag, "--"), "=")
			in.flags[k], rest = v, strings.TrimSpace(r)
		}
		in.args = rest
		in.words = strings.Fields(rest)
		if strings.HasPrefix(rest, "[") {
			if err := json.Unmarshal([]byte(rest), &in.exec); err != nil {
				t.Fatalf("Dockerfile: %s %s: %v", cmd, rest, err)
			}
		}
		if cmd == "FROM" {
			name := ""
			if len(in.words) == 3 && strings.EqualFold(in.words[1], "AS") {
				name = in.words[2]
			}
			d.stages = append(d.stages, name)
		}
		if len(d.stages) == 0 {
			t.Fatalf("Dockerfile: %s before FROM", cmd)
		}
		in.stage = len(d.stages) - 1
		d.instrs = append(d.instrs, in)
	}
	return d
}

// logicalLines joins continuation lines and drops comments, blank lines
// and parser directives.
func logicalLines(text string) []string {
	var out []string
	var cur strings.Builder
	for _, l := range strings.Split(text, "\n") {
		s := strings.TrimSpace(l)
		if strings.HasPrefix(s, "#") || (s == "" && cur.Len() == 0) {
			continue
		}
		if strings.HasSuffix(s, "\\") {
			cur.WriteString(strings.TrimSuffix(s, "\\") + " ")
			continue
		}
		cur.WriteString(s)
		out = append(out, strings.Join(strings.Fields(cur.String()), " "))
		cur.Reset()
	}
	return out
}

// stage returns the instructions of stage i.
func (d dockerfile) stage(i int) []instr {
	var out []instr
	for _, in := range d.instrs {
		if in.stage == i {
			out = append(out, in)
		}
	}
	return out
}

// last returns the last instruction cmd of stage i; it fails if there is
// none.
func (d dockerfile) last(t *testing.T, i int, cmd string) instr {
	t.Helper()
	var found *instr
	for _, in := range d.stage(i) {
		if in.cmd == cmd {
			found = &in
		}
	}
	if found == nil {
		t.Fatalf("Dockerfile: stage %d has no %s", i, cmd)
	}
	return *found
}

// stageIndex returns the index of the stage named name.
func (d dockerfile) stageIndex(t testing.TB, name string) int {
	t.Helper()
	for i, n := range d.stages {
		if n == name {
			return i
		}
	}
	t.Fatalf("Dockerfile: no stage %q", name)
	return -1
}

// Test_parseDockerfile: the parser reads the forms the Dockerfile uses
// and refuses what it does not know.
func Test_parseDockerfile(t *testing.T) {
	d := parseDockerfile(t, `# syntax=docker/dockerfile:1
FROM golang:1 AS build
RUN a \
 && b
COPY --from=build /src/x /y
FROM debian
CMD ["-config", "/etc/f"]
`)
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"stages", strings.Join(d.stages, ","), "build,"},
		{"continuation", d.instrs[1].args, "a && b"},
		{"flag", d.instrs[2].flags["from"], "build"},
		{"copy args", strings.Join(d.instrs[2].words, " "), "/src/x /y"},
		{"exec form", strings.Join(d.instrs[4].exec, "|"), "-config|/etc/f"},
		{"stage of CMD", d.instrs[4].stage, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
}
