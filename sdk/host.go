package sdk

import (
	"time"

	"github.com/relayd/relayd/sdk/abi"
	"github.com/relayd/relayd/sdk/internal/imports"
)

// Level is a log level.
type Level = abi.LogLevel

// The log levels.
const (
	LevelDebug = abi.LogDebug
	LevelInfo  = abi.LogInfo
	LevelWarn  = abi.LogWarn
	LevelError = abi.LogError
)

// LogEnabled reports whether the relay logs lines at level. Check it before
// building an expensive message.
func LogEnabled(level Level) bool { return imports.LogEnabled(uint32(level)) }

// Log writes msg to the relay's log, tagged with the plugin's name. The
// relay truncates long lines and drops lines over the plugin's rate cap.
func Log(level Level, msg string) { imports.Log(uint32(level), msg) }

// Now returns the relay's clock.
func Now() time.Time { return time.Unix(0, imports.Now()) }

// Config returns the plugin's [config] table as JSON ("{}" if none). To
// decode it into a struct, use package sdk/config (which brings in
// encoding/json, about 1 MB of wasm).
func Config() []byte {
	b, _ := GetConfig()
	return b
}

// GetConfig is Config with the host's error.
func GetConfig() ([]byte, error) {
	b, errno := getField(abi.FieldConfig)
	if errno != abi.OK {
		return nil, &Error{Op: "GetConfig", Code: errno}
	}
	return append([]byte(nil), b...), nil
}

// PluginName returns the plugin's name (its file name without .wasm).
func PluginName() string {
	s, _ := GetPluginName()
	return s
}

// GetPluginName is PluginName with the host's error.
func GetPluginName() (string, error) {
	b, errno := getField(abi.FieldPluginName)
	if errno != abi.OK {
		return "", &Error{Op: "GetPluginName", Code: errno}
	}
	return string(b), nil
}

// Features returns the relay's feature bits (abi.FeatureStore,
// abi.FeatureDB...): what this relay's host offers the plugin.
func Features() abi.Feature { return abi.Feature(imports.Features()) }

// HasStore reports whether StoreCount is backed by an event store.
func HasStore() bool { return abi.Feature(imports.Features())&abi.FeatureStore != 0 }

// File returns the contents of name, one of the files the operator listed
// in the plugin's "files" setting (files = ["banned.txt"] in NAME.toml),
// read by the relay from the plugin directory. ok is false if name is not
// listed.
//
// # Notes
//
//   - The relay reads the files when it loads the plugin, and a change to
//     one reloads the plugin: new instances, OnInit again. So File returns
//     the same bytes for the life of an instance; parse it once, in OnInit,
//     and keep the result in a global.
//   - A listed file that is missing or over abi.MaxFileLen stops the load,
//     so the previous version of the plugin keeps running.
//   - Each call copies the file out of the host; the result is the
//     caller's.
func File(name string) ([]byte, bool) {
	b, err := GetFile(name)
	return b, err == nil
}

// GetFile is File with the host's error: ErrNotFound if name is not
// listed, ErrTooLarge for a name over abi.MaxFileNameLen, ErrUnavailable
// on a relay without files.
func GetFile(name string) ([]byte, error) {
	n := imports.GetFile(name, nil) // probe the length
	if n < 0 {
		return nil, &Error{Op: "GetFile", Code: Errno(n)}
	}
	b := make([]byte, n)
	if rc := imports.GetFile(name, b); rc != n {
		if rc >= 0 {
			rc = int32(abi.ErrInternal) // changed between the two reads: cannot happen within an instance
		}
		return nil, &Error{Op: "GetFile", Code: Errno(rc)}
	}
	return b, nil
}
