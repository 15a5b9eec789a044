package presubmit

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/relayd/relayd/host/wasmhost"
	"github.com/relayd/relayd/sdk/sdktest"
)

// TestSettingsMatchRelay holds sdktest.ParseSettings, which plugin tests
// use natively with the standard library only, to the relay's reading of
// NAME.toml (wasmhost.ParseSettings on BurntSushi/toml): the same keys,
// the same refusals, and byte-identical [config] JSON, over every
// settings file in the tree, the TOML blocks of the plugin and example
// READMEs, and the cases below.
func TestSettingsMatchRelay(t *testing.T) {
	corpus := map[string]string{
		"empty":    "",
		"comments": "# a comment\norder = 5 # trailing\n\n[config] # table\nx = 1\n",
		"ints":     "[config]\na = 1_000\nb = -17\nc = +3\nd = 0xff\ne = 0o17\nf = 0b101\ng = 0\n",
		"floats":   "[config]\na = 1.0\nb = 3.14\nc = -0.5e3\nd = 6.626e-34\ne = 1e21\nf = 2_000.5\ng = 5E+2\n",
		"strings": `[config]
a = "tab\there \"q\" \u00e9 \U0001F600"
b = 'C:\path'
c = ""
d = "<&>"
`,
		"multi-line": `[config]
a = """
line one
line two"""
b = '''
 raw \n '''
c = """joined \
     here"""
d = """q""""
`,
		"arrays": `[config]
a = [1, 2, 3,]
b = [
  "x", # one
  "y",
]
c = [[1, 2], ["a"]]
d = []
e = [1, "mixed", true]
f = [ # empty
]
`,
		"tables":          "[config]\ntop = 1\n[config.sub]\nx = \"y\"\n[config.sub.deeper]\nz = true\n[config.other]\nw = 2\n",
		"dotted keys":     "[config]\na.b.c = 1\na.d = \"x\"\n\"quoted key\" = 2\n'lit key' = 3\n",
		"inline tables":   "[config]\npoint = { x = 1, y = 2 }\nnested = { a = { b = [1] } }\nempty = {}\n",
		"array of tables": "[[config.rule]]\nkind = 1\n[[config.rule]]\nkind = 4\nmax = 10\n[config.rule.extra]\nz = 1\n",
		"host settings": `order = -3
hooks = ["event", "req"]
timeout_ms = 20
memory_mb = 32
pool = 2
on_error = "closed"
mode = "shadow"
enabled = true
kinds = [1, 4]
files = ["a.txt"]
`,
		"no config":              "order = 1\n",
		"bool values":            "[config]\nyes = true\nno = false\n",
		"crlf":                   "order = 1\r\n[config]\r\na = \"b\"\r\n",
		"unicode":                "[config]\n\"ключ\" = \"значение\"\nemoji = \"😀\"\n",
		"big int":                "[config]\nbig = 9223372036854775807\nsmall = -9223372036854775808\n",
		"escapes 1.1":            "[config]\na = \"\\e\\x41\\u0000\"\nb = 'x\ty'\n",
		"inline 1.1":             "[config]\na = { x = 1, }\nb = { # c\n x = 1,\n y = [2]\n }\n",
		"extend inline":          "[config]\na = { x = 1 }\na.y = 2\n[config.a.b]\nz = 3\n[[config.a.list]]\n",
		"header after dotted":    "[config]\na.b = 1\n[config.a]\nc = 2\n",
		"implicit then explicit": "[config.a.b]\nx = 1\n[config.a]\ny = 2\n",
		"empty key":              "[config]\n\"\" = 1\n",
		"spaced keys":            "[ config . x ]\n a . b = 1\n\"c\".'d' = 2\n",
		"underscores":            "[config]\na = 0xDEAD_beef\nb = 1_000.0_1\nc = 1e5_0\nd = -0\n",
		"quotes at the end":      "[config]\na = \"\"\"a\"\"\"\"\"\nb = \"\"\"\"\"\"\nc = '''x'''''\n",
		"line-ending backslash":  "[config]\na = \"\"\"\\\n\n  x \\  \n  y\"\"\"\n",
		"dates": `[config]
a = 1979-05-27
b = 1979-05-27T07:32:00Z
c = 07:32:00
d = 1979-05-27 07:32:00.999-07:00
e = 1979-05-27t07:32:00z
f = 1979-05-27T07:32:00
g = 07:32:00.5
h = [1979-05-27, 1980-01-01T00:00:00+01:00]
`,
	}
	// stricter are settings the relay accepts and sdktest refuses, each for
	// a reason: a plugin test that passes natively must not fail on the
	// relay, but here the relay's reading is the surprise.
	stricter := map[string]string{
		// The relay ignores a config that is not a table (BurntSushi leaves
		// it undecoded and wasmhost.ParseSettings skips undecoded config
		// keys).
		"config not a table": "config = 5\n",
	}
	refused := map[string]string{
		"unknown setting":             "timeout = 5\n",
		"duplicate key":               "[config]\na = 1\na = 2\n",
		"duplicate table":             "[config]\na = 1\n[config]\nb = 2\n",
		"bad value":                   "[config]\na = yes\n",
		"unterminated":                "[config]\na = \"open\n",
		"leading zero":                "[config]\na = 012\n",
		"bad underscore":              "[config]\na = 1__0\n",
		"wrong type":                  "order = \"first\"\n",
		"wrong array type":            "kinds = [\"one\"]\n",
		"value then table":            "[config]\na = 1\n[config.a]\n",
		"missing value":               "[config]\na =\n",
		"two on a line":               "[config]\na = 1 b = 2\n",
		"bad escape":                  "[config]\na = \"\\q\"\n",
		"header unclosed":             "[config\n",
		"float no digits":             "[config]\na = 1.\n",
		"static then array of tables": "[config]\na = []\n[[config.a]]\n",
		"array of tables then table":  "[[config.r]]\n[config.r]\n",
		"table twice":                 "[config]\n[config.a]\nb=1\n[config]\n",
		"int overflow":                "[config]\na = 9223372036854775808\n",
		"control character":           "[config]\na = \"\x01\"\n",
		"surrogate":                   "[config]\na = \"\\uD800\"\n",
		"sign on hex":                 "[config]\na = +0x1\n",
		"float leading dot":           "[config]\na = .5\n",
		"float leading zero":          "[config]\na = 00.5\n",
		"exponent without digits":     "[config]\na = 1e\n",
		"trailing underscore":         "[config]\na = 1_\n",
		"double comma":                "[config]\na = [1,,2]\n",
		"nan in config JSON":          "[config]\na = nan\n",
		"inf in config JSON":          "[config]\na = -inf\n",
		"bad date":                    "[config]\na = 1979-13-45\n",
	}
	for _, pattern := range []string{"../../plugins/defaults/*.toml", "../../examples/policies/*/*.toml"} {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			corpus[f] = string(b)
		}
	}
	for _, pattern := range []string{"../../plugins/*/README.md", "../../examples/policies/*/README.md"} {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			b, _ := os.ReadFile(f)
			for i, m := range tomlBlock.FindAllStringSubmatch(string(b), -1) {
				corpus[f+"#"+string(rune('a'+i))] = m[1]
			}
		}
	}
	for name, src := range corpus {
		t.Run(name, func(t *testing.T) {
			want, wantErr := relaySettings(src)
			got, gotErr := sdktest.ParseSettings([]byte(src))
			if (wantErr == nil) != (gotErr == nil) {
				t.Fatalf("relay error %v, sdktest error %v\n%s", wantErr, gotErr, src)
			}
			if wantErr != nil {
				return // a README may show a fragment the relay refuses alone
			}
			if got.Config != want {
				t.Errorf("config JSON:\nsdktest %s\nrelay   %s", got.Config, want)
			}
		})
	}
	for name, src := range stricter {
		t.Run("stricter/"+name, func(t *testing.T) {
			if _, err := relaySettings(src); err != nil {
				t.Fatalf("the relay now refuses %q (%v); move it to refused", src, err)
			}
			if _, err := sdktest.ParseSettings([]byte(src)); err == nil {
				t.Errorf("sdktest accepts %q", src)
			}
		})
	}
	for name, src := range refused {
		t.Run("refused/"+name, func(t *testing.T) {
			if _, err := relaySettings(src); err == nil {
				t.Fatalf("the relay accepts %q; move it to the corpus", src)
			}
			if s, err := sdktest.ParseSettings([]byte(src)); err == nil {
				t.Errorf("sdktest accepts what the relay refuses: %q -> %+v", src, s)
			}
		})
	}
}

var tomlBlock = regexp.MustCompile("(?s)```toml\n(.*?)```")

// relaySettings reads NAME.toml as the relay does and returns the config
// JSON it would hand the plugin.
func relaySettings(src string) (string, error) {
	s, err := wasmhost.ParseSettings([]byte(src))
	if err != nil {
		return "", err
	}
	cfg := s.Config
	if cfg == nil {
		cfg = map[string]any{}
	}
	b, err := json.Marshal(cfg)
	return string(b), err
}

// TestSDKTestSettingsKeys: sdktest.Settings has exactly the keys of
// wasmhost.Settings, so a new host setting is not refused by plugin tests.
func TestSDKTestSettingsKeys(t *testing.T) {
	keys := func(v any) []string {
		typ := reflect.TypeOf(v)
		var out []string
		for i := range typ.NumField() {
			out = append(out, typ.Field(i).Tag.Get("toml"))
		}
		return out
	}
	relay, native := keys(wasmhost.Settings{}), keys(sdktest.Settings{})
	if strings.Join(relay, ",") != strings.Join(native, ",") {
		t.Errorf("setting keys differ:\nwasmhost.Settings %v\nsdktest.Settings  %v\n(add the new key to sdk/sdktest/settings.go)", relay, native)
	}
}
