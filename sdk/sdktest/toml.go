//go:build !wasip1

package sdktest

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// parseTOML decodes a TOML document into the values an untyped decode
// with the relay's TOML library (BurntSushi/toml, TOML 1.1) gives: string,
// int64, float64, bool, time.Time, []any and map[string]any. It follows
// that library where it is lenient, too (an inline table may be extended
// later). TestSettingsMatchRelay, in internal/presubmit, holds it to the
// relay's decoder.
func parseTOML(src string) (map[string]any, error) {
	p := &tomlParser{s: src, line: 1, root: map[string]any{}}
	p.cur = p.root
	if err := p.document(); err != nil {
		return nil, fmt.Errorf("line %d: %w", p.line, err)
	}
	return finish(p.root).(map[string]any), nil
}

// tableArray is an array of tables while parsing ([[name]] headers), told
// apart from a static array, which [[name]] cannot extend.
type tableArray struct{ tables []map[string]any }

// finish turns the tableArrays in v into []any.
func finish(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, el := range v {
			v[k] = finish(el)
		}
	case []any:
		for i, el := range v {
			v[i] = finish(el)
		}
	case *tableArray:
		out := make([]any, len(v.tables))
		for i, t := range v.tables {
			out[i] = finish(t)
		}
		return out
	}
	return v
}

type tomlParser struct {
	s    string
	i    int
	line int
	root map[string]any
	cur  map[string]any
	// defined holds the tables named by a [header]; a second [header] for
	// one of them is an error.
	defined []map[string]any
}

func (p *tomlParser) eof() bool  { return p.i >= len(p.s) }
func (p *tomlParser) peek() byte { return p.s[p.i] }

func (p *tomlParser) hasPrefix(s string) bool { return strings.HasPrefix(p.s[p.i:], s) }

// space skips spaces and tabs.
func (p *tomlParser) space() {
	for !p.eof() && (p.peek() == ' ' || p.peek() == '\t') {
		p.i++
	}
}

// comment skips a comment to the end of the line, if there is one.
func (p *tomlParser) comment() {
	if !p.eof() && p.peek() == '#' {
		for !p.eof() && p.peek() != '\n' {
			p.i++
		}
	}
}

// newline consumes one line break and reports whether there was one.
func (p *tomlParser) newline() bool {
	switch {
	case p.hasPrefix("\n"):
		p.i++
	case p.hasPrefix("\r\n"):
		p.i += 2
	default:
		return false
	}
	p.line++
	return true
}

// blank skips whitespace, comments and line breaks.
func (p *tomlParser) blank() {
	for {
		p.space()
		p.comment()
		if !p.newline() {
			return
		}
	}
}

func (p *tomlParser) document() error {
	for {
		p.blank()
		if p.eof() {
			return nil
		}
		var err error
		switch {
		case p.hasPrefix("[["):
			err = p.arrayTable()
		case p.hasPrefix("["):
			err = p.table()
		default:
			err = p.keyValue(p.cur)
		}
		if err != nil {
			return err
		}
		p.space()
		p.comment()
		if !p.eof() && !p.newline() {
			return fmt.Errorf("unexpected %q after a value or header", p.rest())
		}
	}
}

// rest returns the start of the unread input, for error messages.
func (p *tomlParser) rest() string {
	r := p.s[p.i:]
	if i := strings.IndexByte(r, '\n'); i >= 0 {
		r = r[:i]
	}
	if len(r) > 20 {
		r = r[:20]
	}
	return r
}

func (p *tomlParser) table() error {
	p.i++
	p.space()
	key, err := p.key()
	if err != nil {
		return err
	}
	p.space()
	if !p.hasPrefix("]") {
		return errors.New("table header: want ]")
	}
	p.i++
	parent, err := p.walk(p.root, key[:len(key)-1])
	if err != nil {
		return err
	}
	last := key[len(key)-1]
	switch v := parent[last].(type) {
	case nil:
		t := map[string]any{}
		parent[last] = t
		p.defined = append(p.defined, t)
		p.cur = t
	case map[string]any:
		if p.isDefined(v) {
			return fmt.Errorf("table [%s] is defined twice", strings.Join(key, "."))
		}
		p.defined = append(p.defined, v)
		p.cur = v
	default:
		return fmt.Errorf("key %s is already a value, not a table", strings.Join(key, "."))
	}
	return nil
}

func (p *tomlParser) arrayTable() error {
	p.i += 2
	p.space()
	key, err := p.key()
	if err != nil {
		return err
	}
	p.space()
	if !p.hasPrefix("]]") {
		return errors.New("array of tables header: want ]]")
	}
	p.i += 2
	parent, err := p.walk(p.root, key[:len(key)-1])
	if err != nil {
		return err
	}
	last := key[len(key)-1]
	t := map[string]any{}
	switch v := parent[last].(type) {
	case nil:
		parent[last] = &tableArray{tables: []map[string]any{t}}
	case *tableArray:
		v.tables = append(v.tables, t)
	default:
		return fmt.Errorf("key %s is already a value, not an array of tables", strings.Join(key, "."))
	}
	p.defined = append(p.defined, t)
	p.cur = t
	return nil
}

// walk follows key from t, making missing tables, and returns the table
// it ends at. An array of tables on the way means its last table.
func (p *tomlParser) walk(t map[string]any, key []string) (map[string]any, error) {
	for i, k := range key {
		switch v := t[k].(type) {
		case nil:
			n := map[string]any{}
			t[k] = n
			t = n
		case map[string]any:
			t = v
		case *tableArray:
			t = v.tables[len(v.tables)-1]
		default:
			return nil, fmt.Errorf("key %s is already a value, not a table", strings.Join(key[:i+1], "."))
		}
	}
	return t, nil
}

func (p *tomlParser) isDefined(t map[string]any) bool {
	for _, d := range p.defined {
		if sameMap(d, t) {
			return true
		}
	}
	return false
}

// sameMap reports whether a and b are the same map (not equal contents).
func sameMap(a, b map[string]any) bool {
	const probe = "\x00sdktest-probe"
	if _, ok := a[probe]; ok {
		return false
	}
	a[probe] = nil
	_, same := b[probe]
	delete(a, probe)
	return same
}

// keyValue reads key = value into t.
func (p *tomlParser) keyValue(t map[string]any) error {
	key, err := p.key()
	if err != nil {
		return err
	}
	p.space()
	if !p.hasPrefix("=") {
		return fmt.Errorf("key %s: want =", strings.Join(key, "."))
	}
	p.i++
	p.space()
	parent, err := p.walkDotted(t, key[:len(key)-1])
	if err != nil {
		return err
	}
	last := key[len(key)-1]
	if _, ok := parent[last]; ok {
		return fmt.Errorf("key %s is defined twice", strings.Join(key, "."))
	}
	v, err := p.value()
	if err != nil {
		return fmt.Errorf("key %s: %w", strings.Join(key, "."), err)
	}
	parent[last] = v
	return nil
}

// walkDotted follows the dotted part of a key from t, making tables.
func (p *tomlParser) walkDotted(t map[string]any, key []string) (map[string]any, error) {
	for i, k := range key {
		switch v := t[k].(type) {
		case nil:
			n := map[string]any{}
			t[k] = n
			t = n
		case map[string]any:
			t = v
		default:
			return nil, fmt.Errorf("key %s is already a value, not a table", strings.Join(key[:i+1], "."))
		}
	}
	return t, nil
}

// key reads a dotted key.
func (p *tomlParser) key() ([]string, error) {
	var out []string
	for {
		k, err := p.simpleKey()
		if err != nil {
			return nil, err
		}
		out = append(out, k)
		p.space()
		if !p.hasPrefix(".") {
			return out, nil
		}
		p.i++
		p.space()
	}
}

func (p *tomlParser) simpleKey() (string, error) {
	switch {
	case p.eof():
		return "", errors.New("want a key")
	case p.hasPrefix(`"""`), p.hasPrefix("'''"):
		return "", errors.New("a key cannot be a multi-line string")
	case p.peek() == '"':
		return p.basicString()
	case p.peek() == '\'':
		return p.literalString()
	}
	start := p.i
	for !p.eof() && isBare(p.peek()) {
		p.i++
	}
	if p.i == start {
		return "", fmt.Errorf("want a key, got %q", p.rest())
	}
	return p.s[start:p.i], nil
}

func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func (p *tomlParser) value() (any, error) {
	switch {
	case p.eof():
		return nil, errors.New("want a value")
	case p.hasPrefix(`"""`):
		return p.multiBasic()
	case p.hasPrefix("'''"):
		return p.multiLiteral()
	case p.peek() == '"':
		return p.basicString()
	case p.peek() == '\'':
		return p.literalString()
	case p.peek() == '[':
		return p.array()
	case p.peek() == '{':
		return p.inlineTable()
	}
	start := p.i
	for !p.eof() && (isBare(p.peek()) || strings.IndexByte("+.:", p.peek()) >= 0) {
		p.i++
	}
	tok := p.s[start:p.i]
	if isDate(tok) && p.hasPrefix(" ") && p.i+3 < len(p.s) && isDigit(p.s[p.i+1]) && isDigit(p.s[p.i+2]) && p.s[p.i+3] == ':' {
		p.i++ // "1979-05-27 07:32:00": a space may stand for the T
		for !p.eof() && (isBare(p.peek()) || strings.IndexByte("+.:", p.peek()) >= 0) {
			p.i++
		}
		tok = p.s[start:p.i]
	}
	switch tok {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "":
		return nil, fmt.Errorf("want a value, got %q", p.rest())
	}
	return number(tok)
}

// number reads an integer or a float token.
func number(tok string) (any, error) {
	bad := fmt.Errorf("bad value %q", tok)
	if strings.Contains(tok, ":") || isDate(tok) {
		return tomlTime(tok)
	}
	switch strings.TrimLeft(tok, "+-") {
	case "inf":
		if tok[0] == '-' {
			return math.Inf(-1), nil
		}
		return math.Inf(1), nil
	case "nan":
		return math.NaN(), nil
	}
	if !underscoresOK(tok) {
		return nil, bad
	}
	clean := strings.ReplaceAll(tok, "_", "")
	if len(clean) > 2 && clean[0] == '0' && strings.IndexByte("xob", clean[1]) >= 0 {
		base := map[byte]int{'x': 16, 'o': 8, 'b': 2}[clean[1]]
		n, err := strconv.ParseInt(clean[2:], base, 64)
		if err != nil || strings.ContainsAny(clean[2:], "+-") {
			return nil, bad
		}
		return n, nil
	}
	digits := strings.TrimLeft(clean, "+-")
	if len(digits) > 1 && digits[0] == '0' && digits[1] != '.' && digits[1] != 'e' && digits[1] != 'E' {
		return nil, bad // leading zero
	}
	if strings.ContainsAny(clean, ".eE") {
		if i := strings.IndexByte(clean, '.'); i >= 0 && (i == 0 || !isDigit(clean[i-1]) || i+1 >= len(clean) || !isDigit(clean[i+1])) {
			return nil, bad
		}
		f, err := strconv.ParseFloat(clean, 64)
		if err != nil {
			return nil, bad
		}
		return f, nil
	}
	n, err := strconv.ParseInt(clean, 10, 64)
	if err != nil {
		return nil, bad
	}
	return n, nil
}

// isDate reports whether tok starts with a date, 1979-05-27.
func isDate(tok string) bool {
	return len(tok) >= 10 && tok[4] == '-' && tok[7] == '-' && isDigits(tok[:4]) && isDigits(tok[5:7]) && isDigits(tok[8:10])
}

// tomlTime reads an offset or local date-time, a local date or a local
// time. Local values get offset zero, as the relay's decoder gives them,
// and a local time the date 0000-01-01.
func tomlTime(tok string) (time.Time, error) {
	s := strings.ToUpper(strings.Replace(tok, " ", "T", 1))
	for _, layout := range []string{"2006-01-02T15:04:05Z07:00", "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05",
		"2006-01-02T15:04", "2006-01-02", "15:04:05", "15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad date or time %q", tok)
}

// underscoresOK reports whether each _ in tok stands between two digits.
func underscoresOK(tok string) bool {
	for i := 0; i < len(tok); i++ {
		if tok[i] == '_' && (i == 0 || i+1 >= len(tok) || !isHexDigit(tok[i-1]) || !isHexDigit(tok[i+1])) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool    { return c >= '0' && c <= '9' }
func isHexDigit(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

func (p *tomlParser) array() ([]any, error) {
	p.i++
	out := []any{}
	for {
		p.blank()
		if p.eof() {
			return nil, errors.New("unterminated array")
		}
		if p.peek() == ']' {
			p.i++
			break
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		p.blank()
		if p.hasPrefix(",") {
			p.i++
			continue
		}
		if !p.hasPrefix("]") {
			return nil, fmt.Errorf("array: want , or ], got %q", p.rest())
		}
		p.i++
		break
	}
	return out, nil
}

// inlineTable reads { k = v, ... }. As in TOML 1.1 it may span lines,
// hold comments and end with a comma.
func (p *tomlParser) inlineTable() (map[string]any, error) {
	p.i++
	t := map[string]any{}
	for {
		p.blank()
		if p.hasPrefix("}") {
			p.i++
			return t, nil
		}
		if err := p.keyValue(t); err != nil {
			return nil, err
		}
		p.blank()
		if p.hasPrefix(",") {
			p.i++
			continue
		}
		if !p.hasPrefix("}") {
			return nil, fmt.Errorf("inline table: want , or }, got %q", p.rest())
		}
	}
}

func (p *tomlParser) literalString() (string, error) {
	p.i++
	start := p.i
	for !p.eof() && p.peek() != '\'' {
		if c := p.peek(); c == '\n' {
			return "", errors.New("unterminated string")
		} else if c < 0x20 && c != '\t' || c == 0x7f {
			return "", errors.New("control character in a string")
		}
		p.i++
	}
	if p.eof() {
		return "", errors.New("unterminated string")
	}
	s := p.s[start:p.i]
	p.i++
	return s, nil
}

func (p *tomlParser) multiLiteral() (string, error) {
	p.i += 3
	p.newline()
	end := strings.Index(p.s[p.i:], "'''")
	if end < 0 {
		return "", errors.New("unterminated multi-line string")
	}
	// Up to two quotes before the closing ones belong to the string.
	for extra := 0; extra < 2 && p.i+end+3 < len(p.s) && p.s[p.i+end+3] == '\''; extra++ {
		end++
	}
	s := p.s[p.i : p.i+end]
	p.line += strings.Count(s, "\n")
	p.i += end + 3
	return s, nil
}

func (p *tomlParser) basicString() (string, error) {
	p.i++
	var b strings.Builder
	for {
		if p.eof() || p.peek() == '\n' {
			return "", errors.New("unterminated string")
		}
		c := p.peek()
		switch {
		case c == '"':
			p.i++
			return b.String(), nil
		case c == '\\':
			if err := p.escape(&b); err != nil {
				return "", err
			}
		case c < 0x20 && c != '\t' || c == 0x7f:
			return "", errors.New("control character in a string")
		default:
			b.WriteByte(c)
			p.i++
		}
	}
}

func (p *tomlParser) multiBasic() (string, error) {
	p.i += 3
	p.newline()
	var b strings.Builder
	for {
		if p.eof() {
			return "", errors.New("unterminated multi-line string")
		}
		switch {
		case p.hasPrefix(`"""`):
			extra := 0
			for extra < 2 && p.i+3+extra < len(p.s) && p.s[p.i+3+extra] == '"' {
				extra++
			}
			b.WriteString(strings.Repeat(`"`, extra))
			p.i += 3 + extra
			return b.String(), nil
		case p.hasPrefix("\\"):
			// A backslash at the end of a line trims the break and the
			// whitespace after it.
			j := p.i + 1
			for j < len(p.s) && (p.s[j] == ' ' || p.s[j] == '\t') {
				j++
			}
			if j < len(p.s) && (p.s[j] == '\n' || strings.HasPrefix(p.s[j:], "\r\n")) {
				p.i = j
				for !p.eof() && (p.peek() == ' ' || p.peek() == '\t' || p.newline()) {
					if p.peek() == ' ' || p.peek() == '\t' {
						p.i++
					}
				}
				continue
			}
			if err := p.escape(&b); err != nil {
				return "", err
			}
		case p.newline():
			b.WriteByte('\n')
		default:
			c := p.peek()
			if c < 0x20 && c != '\t' || c == 0x7f {
				return "", errors.New("control character in a string")
			}
			b.WriteByte(c)
			p.i++
		}
	}
}

// escape reads one backslash escape at p.i into b.
func (p *tomlParser) escape(b *strings.Builder) error {
	if p.i+1 >= len(p.s) {
		return errors.New("unterminated escape")
	}
	c := p.s[p.i+1]
	p.i += 2
	simple := map[byte]byte{'b': '\b', 't': '\t', 'n': '\n', 'f': '\f', 'r': '\r', 'e': 0x1b, '"': '"', '\\': '\\'}
	if r, ok := simple[c]; ok {
		b.WriteByte(r)
		return nil
	}
	n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[c]
	if n == 0 || p.i+n > len(p.s) {
		return fmt.Errorf("bad escape \\%c", c)
	}
	v, err := strconv.ParseUint(p.s[p.i:p.i+n], 16, 32)
	if err != nil || !utf8.ValidRune(rune(v)) {
		return fmt.Errorf("bad escape \\%c%s", c, p.s[p.i:p.i+n])
	}
	p.i += n
	b.WriteRune(rune(v))
	return nil
}
