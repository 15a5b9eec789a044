package wasmhost

import "errors"

// Errors a plugin call or load can wrap. Callers branch with errors.Is.
var (
	// ErrTimeout: the call ran past the plugin's deadline; the instance was
	// closed and is being replaced.
	ErrTimeout = errors.New("deadline exceeded")
	// ErrStackLimit: the call's stack passed the plugin's budget (deep or
	// unbounded recursion); the instance was closed and is being replaced.
	ErrStackLimit = errors.New("call stack limit")
	// ErrTrap: the guest trapped (a Go panic, unreachable, out of bounds,
	// out of memory); the instance was closed and is being replaced.
	ErrTrap = errors.New("guest trapped")
	// ErrBadVerdict: the guest returned an unknown action or prefix, or a
	// rewrite without a valid output.
	ErrBadVerdict = errors.New("bad verdict")
	// ErrTripped: the plugin failed repeatedly and is switched off for a
	// backoff period.
	ErrTripped = errors.New("plugin tripped after repeated failures")
	// ErrBusy: no instance became free within the plugin's deadline.
	ErrBusy = errors.New("all instances busy")
	// ErrStart: no instance of the plugin is running and new ones fail to
	// start; calls fail at once until one starts.
	ErrStart = errors.New("plugin instances fail to start")
	// ErrClosed: the plugin was unloaded.
	ErrClosed = errors.New("plugin closed")
	// ErrABI: the module does not follow the relayd ABI (missing or
	// wrong-typed exports, unknown imports, wrong ABI version).
	ErrABI = errors.New("abi mismatch")
	// ErrInit: the plugin refused to start (relayd_init returned < 0).
	ErrInit = errors.New("plugin init failed")
	// ErrUnknownMethod: no loaded plugin serves the management method.
	ErrUnknownMethod = errors.New("unknown management method")
	// ErrInvalidParams: a management method's params are not a JSON
	// array.
	ErrInvalidParams = errors.New("management params are not a JSON array")
	// ErrMethodConflict: a plugin declares a management method that the
	// relay or another plugin serves; it is refused at load.
	ErrMethodConflict = errors.New("management method conflict")
)
