// Package managetest tests NIP-86 management methods (sdk.OnManage) through
// sdktest.Host, with a plugin of its own (a test binary holds one plugin).
package managetest

import (
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/db"
	"github.com/relayd/relayd/sdk/sdktest"
)

func init() {
	notes := db.NewSet("note/")
	sdk.OnManage("addnote", func(p sdk.Params) ([]byte, error) {
		s, ok := p.String(0)
		if !ok {
			return nil, errors.New("want a string")
		}
		_, err := notes.Add(s)
		return nil, err
	})
	sdk.OnManage("listnotes", func(sdk.Params) ([]byte, error) {
		keys, err := db.Keys("note/")
		if err != nil {
			return nil, err
		}
		b := []byte{'['}
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendQuote(b, k[len("note/"):])
		}
		return append(b, ']'), nil
	})
	sdk.OnManage("double", func(p sdk.Params) ([]byte, error) {
		n, ok := p.Int(0)
		if !ok || p.Len() != 1 {
			return nil, errors.New("want one integer")
		}
		return strconv.AppendInt(nil, 2*n, 10), nil
	})
	sdk.OnManage("gone", func(sdk.Params) ([]byte, error) { return nil, nil })
	sdk.OnManage("gone", nil) // unregistered
}

func TestManageMethods(t *testing.T) {
	h := sdktest.New(sdktest.Options{})
	got, err := h.ManageMethods()
	want := []string{"addnote", "double", "listnotes"}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("ManageMethods = %v, %v, want %v", got, err, want)
	}
}

func TestManage(t *testing.T) {
	h := sdktest.New(sdktest.Options{})
	tests := []struct {
		method, params string
		want           string
		refused        string
		unknown        bool
	}{
		{method: "double", params: `[21]`, want: `42`},
		{method: "double", params: `["x"]`, refused: "want one integer"},
		{method: "double", params: `[1, 2]`, refused: "want one integer"},
		{method: "addnote", params: `["b\"q"]`, want: `true`},
		{method: "addnote", params: ` [ "a" ] `, want: `true`},
		{method: "addnote", params: `[1]`, refused: "want a string"},
		{method: "listnotes", want: `["a","b\"q"]`},
		{method: "gone", unknown: true},
		{method: "banevent", unknown: true},
	}
	for _, tc := range tests {
		t.Run(tc.method+tc.params, func(t *testing.T) {
			got, err := h.Manage(tc.method, tc.params)
			var me *sdktest.MethodError
			switch {
			case tc.unknown:
				if !errors.Is(err, sdktest.ErrUnknownMethod) {
					t.Fatalf("got %s, %v, want ErrUnknownMethod", got, err)
				}
			case tc.refused != "":
				if !errors.As(err, &me) || me.Message != tc.refused {
					t.Fatalf("got %s, %v, want refusal %q", got, err, tc.refused)
				}
			case err != nil || got != tc.want:
				t.Fatalf("got %s, %v, want %s", got, err, tc.want)
			}
		})
	}
	if _, err := h.Manage("double", `{"a":1}`); err == nil {
		t.Error("params not an array: got nil error")
	}
}

// TestManageDurable: what a method writes to the durable state is there
// for the next instance (a restart: a new Host on the same DB).
func TestManageDurable(t *testing.T) {
	d := sdktest.NewDB(sdktest.DBLimits{})
	h := sdktest.New(sdktest.Options{DB: d})
	if _, err := h.Manage("addnote", `["kept"]`); err != nil {
		t.Fatal(err)
	}
	h2 := sdktest.New(sdktest.Options{DB: d})
	if got, err := h2.Manage("listnotes", ""); err != nil || got != `["kept"]` {
		t.Fatalf("after restart: %s, %v", got, err)
	}
}

// TestManageHooksSetting: the operator's hooks setting can leave the
// manage hook out, and the methods are then not served.
func TestManageHooksSetting(t *testing.T) {
	h := sdktest.New(sdktest.Options{Settings: `hooks = ["event"]`})
	if _, err := h.Manage("double", `[1]`); !errors.Is(err, sdktest.ErrUnknownMethod) {
		t.Fatalf("got %v, want ErrUnknownMethod", err)
	}
}
