package main

import (
	"fmt"
	"strings"
)

// joinLines writes lines one per line, each ending in a newline.
func joinLines(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// splitLines is the inverse of joinLines; it also reads CRLF files.
func splitLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// maxDiffCells bounds the LCS table of diffLines; larger inputs are
// compared line by line instead.
const maxDiffCells = 16 << 20

// diffLines returns a readable diff from want to got ("" if equal): the
// changed lines marked - (only in want) and + (only in got) with their
// line numbers, and up to two unchanged lines of context around each
// change.
func diffLines(want, got []string) string {
	if equalLines(want, got) {
		return ""
	}
	ops := lcsDiff(want, got)
	var b strings.Builder
	const context = 2
	last := -1 // index in ops of the last line written
	for i, op := range ops {
		if op.kind == ' ' {
			continue
		}
		from := max(i-context, last+1)
		if last >= 0 && from > last+1 || last < 0 && from > 0 {
			b.WriteString("  ...\n")
		}
		for j := from; j < i; j++ {
			writeOp(&b, ops[j])
		}
		writeOp(&b, op)
		last = i
		for j := i + 1; j < len(ops) && j <= i+context && ops[j].kind == ' '; j++ {
			writeOp(&b, ops[j])
			last = j
		}
	}
	if last < len(ops)-1 {
		b.WriteString("  ...\n")
	}
	return b.String()
}

func equalLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// diffOp is one line of a diff: ' ' in both, '-' only in want, '+' only
// in got; n is its line number in want (' ', '-') or got ('+').
type diffOp struct {
	kind byte
	n    int
	text string
}

func writeOp(b *strings.Builder, op diffOp) {
	fmt.Fprintf(b, "%c %4d  %s\n", op.kind, op.n, op.text)
}

// lcsDiff aligns want and got on a longest common subsequence.
func lcsDiff(want, got []string) []diffOp {
	n, m := len(want), len(got)
	if (n+1)*(m+1) > maxDiffCells {
		return pairwise(want, got)
	}
	// l[i][j] is the LCS length of want[i:] and got[j:].
	l := make([][]int32, n+1)
	for i := range l {
		l[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if want[i] == got[j] {
				l[i][j] = l[i+1][j+1] + 1
			} else {
				l[i][j] = max(l[i+1][j], l[i][j+1])
			}
		}
	}
	var ops []diffOp
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && want[i] == got[j]:
			ops = append(ops, diffOp{' ', i + 1, want[i]})
			i, j = i+1, j+1
		case i < n && (j == m || l[i+1][j] >= l[i][j+1]):
			ops = append(ops, diffOp{'-', i + 1, want[i]})
			i++
		default:
			ops = append(ops, diffOp{'+', j + 1, got[j]})
			j++
		}
	}
	return ops
}

// pairwise compares line i with line i, for inputs too large for lcsDiff.
func pairwise(want, got []string) []diffOp {
	var ops []diffOp
	for i := 0; i < max(len(want), len(got)); i++ {
		switch {
		case i < len(want) && i < len(got) && want[i] == got[i]:
			ops = append(ops, diffOp{' ', i + 1, want[i]})
		default:
			if i < len(want) {
				ops = append(ops, diffOp{'-', i + 1, want[i]})
			}
			if i < len(got) {
				ops = append(ops, diffOp{'+', i + 1, got[i]})
			}
		}
	}
	return ops
}
