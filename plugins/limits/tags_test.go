package main

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// scanned is what tagScanner reports for one tag.
type scanned struct {
	indexable bool
	valueLen  int
}

func scanAll(b []byte) ([]scanned, bool) {
	var out []scanned
	s := tagScanner{b: b}
	ok := s.each(func(nameLen int, name0 byte, valueLen int) bool {
		out = append(out, scanned{nameLen == 1 && isLetter(name0), valueLen})
		return true
	})
	return out, ok
}

// reference decodes with encoding/json.
func reference(b []byte) ([]scanned, bool) {
	var tags [][]string
	if err := json.Unmarshal(b, &tags); err != nil {
		return nil, false
	}
	var out []scanned
	for _, t := range tags {
		s := scanned{valueLen: -1}
		if len(t) > 0 {
			s.indexable = len(t[0]) == 1 && isLetter(t[0][0])
		}
		if len(t) > 1 {
			s.valueLen = len(t[1])
		}
		out = append(out, s)
	}
	return out, true
}

var tagSeeds = []string{
	`[]`,
	` [ ] `,
	`[[]]`,
	`[["e","abc","wss://r"],["p","x"],["alt","text"],["-"]]`,
	"[ [ \"t\" , \"nostr\" ] ,\n\t[\"E\",\"\"] ]",
	`[["\u0074","caf\u00e9"],["\ud83d\ude00","\ud83d\ude00"],["x","\ud800"],["y","\ud800\u0041"]]`,
	`[["a","\"\\\/\b\f\n\r\t"],["é","é"]]`,
	`[["t","x"]`,
	`[["t",1]]`,
	`[["t","x\q"]]`,
	`[["t","\u12"]]`,
	`[["t" "x"]]`,
	`{"t":"x"}`,
	`[["t","x"],]`,
}

func Test_tagScanner(t *testing.T) {
	for _, in := range tagSeeds {
		got, gotOK := scanAll([]byte(in))
		want, wantOK := reference([]byte(in))
		if gotOK != wantOK || wantOK && !equal(got, want) {
			t.Errorf("%s: got %v %v, want %v %v", in, got, gotOK, want, wantOK)
		}
	}
}

// FuzzTagScanner checks tagScanner against encoding/json on valid UTF-8
// (encoding/json replaces invalid bytes, the scanner counts them).
func FuzzTagScanner(f *testing.F) {
	for _, s := range tagSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if !utf8.ValidString(in) {
			return
		}
		want, wantOK := reference([]byte(in))
		got, gotOK := scanAll([]byte(in))
		if wantOK && (!gotOK || !equal(got, want)) {
			t.Errorf("%q: got %v %v, want %v", in, got, gotOK, want)
		}
	})
}

func equal(a, b []scanned) bool {
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
