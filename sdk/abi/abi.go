// Package abi is the contract between the relay (host) and a policy plugin
// (guest): the host module name, every import and export name, and every
// number that crosses the boundary. ABI.md in this directory is the prose
// specification; a test keeps the two in sync.
//
// The package is stdlib-only and builds for every GOOS, including wasip1, so
// both the host (host/wasmhost) and the guest SDK (sdk) import it. Numbers
// are explicit and never renumbered; additions get new numbers.
package abi

// Version is the ABI version this package describes. A guest reports it from
// ExportABIVersion; the host refuses any other value.
const Version = 1

// ModuleName is the import module of every host function. The major version
// is part of the name, like wasi_snapshot_preview1.
const ModuleName = "relayd_v1"

// Names of guest exports. Only ExportABIVersion and ExportMemory are
// required; a hook export that is absent costs nothing.
const (
	// ExportMemory is the guest's linear memory.
	ExportMemory = "memory"
	// ExportInitialize is the WASI reactor start function (Go c-shared).
	ExportInitialize = "_initialize"
	// ExportABIVersion: () -> i32, returns Version.
	ExportABIVersion = "relayd_abi_version"
	// ExportInit: () -> i32, called once per instance after _initialize.
	// Returns a HookMask of the hooks the plugin handles, or a negative
	// value when initialisation failed (reason via set_output OutputMessage).
	ExportInit = "relayd_init"
	// ExportLimitation: () -> i32, called once at load; the guest writes a
	// JSON object of NIP-11 limitation keys with set_output OutputLimitation.
	ExportLimitation = "relayd_limitation"
	// ExportOnConnect and the other hook exports share HookSignature.
	ExportOnConnect  = "relayd_on_connect"
	ExportOnEventPre = "relayd_on_event_pre"
	ExportOnEvent    = "relayd_on_event"
	ExportOnReq      = "relayd_on_req"
	ExportOnCount    = "relayd_on_count"
	ExportOnAuth     = "relayd_on_auth"
	ExportOnDeliver  = "relayd_on_deliver"
	ExportOnClose    = "relayd_on_close"
	// ExportOnManage runs a NIP-86 management method the plugin declared
	// (FeatureManage); hook signature.
	ExportOnManage = "relayd_on_manage"
	// ExportOnTick: () -> i32, the plugin's periodic work (FeatureTick):
	// called every tick_ms on an instance of its own, never overlapping
	// itself. Returns >= 0, or a negative value when the tick failed
	// (reason via set_output OutputMessage).
	ExportOnTick = "relayd_on_tick"
	// ExportOnDeliverBatch: hook signature, with the number of receiving
	// sessions in place of the session id (FeatureDeliverBatch, asked for
	// with HookDeliverBatch's mask bit). It decides one live event for up
	// to MaxDeliverBatch sessions (FieldSessions, select_session) and sets
	// OutputVerdicts; it returns 0, anything else is a plugin error.
	ExportOnDeliverBatch = "relayd_on_deliver_batch"
	// ExportPreempt is reserved: the host adds a mutable i32 global of this
	// name when it instruments a module for preemption. A guest must not
	// export it.
	ExportPreempt = "relayd_preempt"
)

// HookExport returns the export name of hook h, or "" for an unknown hook.
func HookExport(h Hook) string {
	switch h {
	case HookConnect:
		return ExportOnConnect
	case HookEventPre:
		return ExportOnEventPre
	case HookEvent:
		return ExportOnEvent
	case HookReq:
		return ExportOnReq
	case HookCount:
		return ExportOnCount
	case HookAuth:
		return ExportOnAuth
	case HookDeliver:
		return ExportOnDeliver
	case HookClose:
		return ExportOnClose
	case HookManage:
		return ExportOnManage
	}
	return ""
}

// HookParams is the number of parameters every hook export takes:
// (session i64, kind i32, created_at i64, received_at i64, size i32,
// count i32, flags i32) -> i32. See ABI.md for what each means per hook.
const HookParams = 7

// Names of host functions in module ModuleName.
const (
	// FuncGet: (field i32, buf i32, buf_limit i32) -> i32.
	FuncGet = "get"
	// FuncGetTag: (index i32, buf i32, buf_limit i32) -> i32.
	FuncGetTag = "get_tag"
	// FuncGetHeader: (name i32, name_len i32, buf i32, buf_limit i32) -> i32.
	FuncGetHeader = "get_header"
	// FuncSetOutput: (kind i32, ptr i32, len i32) -> i32.
	FuncSetOutput = "set_output"
	// FuncNow: () -> i64, unix nanoseconds.
	FuncNow = "now"
	// FuncLogEnabled: (level i32) -> i32.
	FuncLogEnabled = "log_enabled"
	// FuncLog: (level i32, ptr i32, len i32).
	FuncLog = "log"
	// FuncCounterAdd: (key i32, key_len i32, delta i64, ttl_ms i64, result i32) -> i32.
	FuncCounterAdd = "counter_add"
	// FuncCounterGet: (key i32, key_len i32, result i32) -> i32.
	FuncCounterGet = "counter_get"
	// FuncBucketTake: (key i32, key_len i32, cost i64, rate f64, burst i64) -> i64.
	FuncBucketTake = "bucket_take"
	// FuncKVGet: (key i32, key_len i32, buf i32, buf_limit i32) -> i32.
	FuncKVGet = "kv_get"
	// FuncKVSet: (key i32, key_len i32, val i32, val_len i32, ttl_ms i64) -> i32.
	FuncKVSet = "kv_set"
	// FuncKVCAS: (key i32, key_len i32, old i32, old_len i32, val i32, val_len i32, ttl_ms i64) -> i32.
	FuncKVCAS = "kv_cas"
	// FuncKVDelete: (key i32, key_len i32) -> i32.
	FuncKVDelete = "kv_delete"
	// FuncStoreCount: (filter i32, filter_len i32, result i32) -> i32.
	FuncStoreCount = "store_count"
	// FuncFeatures: () -> i64, the host's Feature bits.
	FuncFeatures = "features"
	// FuncGetFile: (name i32, name_len i32, buf i32, buf_limit i32) -> i32.
	// Reads one of the files the operator listed in the plugin's "files"
	// setting (FeatureFiles).
	FuncGetFile = "get_file"
	// FuncDBGet: (key i32, key_len i32, buf i32, buf_limit i32) -> i32.
	// Reads a key of the plugin's durable state (FeatureDB).
	FuncDBGet = "db_get"
	// FuncDBPut: (key i32, key_len i32, val i32, val_len i32, flags i32) -> i32.
	FuncDBPut = "db_put"
	// FuncDBDelete: (key i32, key_len i32) -> i32.
	FuncDBDelete = "db_delete"
	// FuncDBList: (prefix i32, prefix_len i32, after i32, after_len i32,
	// limit i32, flags i32, buf i32, buf_limit i32) -> i32.
	FuncDBList = "db_list"
	// FuncDBUsage: (result i32) -> i32; writes DBUsageLen bytes.
	FuncDBUsage = "db_usage"
	// FuncStoreQuery: (filter i32, filter_len i32, buf i32, buf_limit i32)
	// -> i32. Reads the stored events matching one NIP-01 filter
	// (FeatureQuery); see QueryHeaderLen for the result's layout.
	FuncStoreQuery = "store_query"
	// FuncHookKinds: (hook i32, kinds i32, count i32) -> i32. In relayd_init
	// only: the event kinds (count little-endian u32) for which the host
	// calls hook; it skips the call for other kinds (FeatureHookKinds).
	FuncHookKinds = "hook_kinds"
	// FuncSelectSession: (index i32) -> i32. In relayd_on_deliver_batch
	// only: makes receiving session index (0-based) the one the session
	// fields and get_header read (FeatureDeliverBatch).
	FuncSelectSession = "select_session"
)

// Feature is a bit in the result of the features host function. Additive
// host capabilities are announced here; 0 means none.
type Feature uint64

// The feature bits.
const (
	// FeatureStore: store_count is backed by an event store.
	FeatureStore Feature = 1 << 0
	// FeatureState: the shared state functions (counter_*, bucket_take,
	// kv_*) are available.
	FeatureState Feature = 1 << 1
	// FeatureFiles: get_file reads the files listed in the plugin's
	// "files" setting.
	FeatureFiles Feature = 1 << 2
	// FeatureDB: the db_* functions reach the plugin's durable state,
	// kept in the relay's event store.
	FeatureDB Feature = 1 << 3
	// FeatureManage: the host routes NIP-86 management methods a plugin
	// declares (OutputMethods in relayd_init) to relayd_on_manage.
	FeatureManage Feature = 0x10
	// FeatureQuery: store_query reads events from an event store.
	FeatureQuery Feature = 0x20
	// FeatureTick: the host calls relayd_on_tick every tick_ms.
	FeatureTick Feature = 0x40
	// FeatureHookKinds: hook_kinds limits an event hook to the kinds a
	// plugin handles, so the host skips the other calls.
	FeatureHookKinds Feature = 0x80
	// FeatureDeliverBatch: the host calls relayd_on_deliver_batch for a
	// live event's receiving sessions when the guest asks for it.
	FeatureDeliverBatch Feature = 0x100
	// FeatureFilterKinds: hook_kinds also takes HookReq and HookCount,
	// and the host then calls the hook only for filters that name one of
	// the kinds.
	FeatureFilterKinds Feature = 0x200
)

// HostMethods returns the NIP-86 management methods the relay serves
// itself. A plugin that declares one of them is refused at load.
func HostMethods() []string {
	return []string{"supportedmethods", "banevent", "allowevent", "listbannedevents",
		"changerelayname", "changerelaydescription", "changerelayicon", "stats"}
}

// ValidMethod reports whether name may be declared as a management
// method: 1 to MaxMethodLen bytes of lowercase ASCII letters, digits and
// underscores.
func ValidMethod(name string) bool {
	if name == "" || len(name) > MaxMethodLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// HostFunctions returns the names of every host function in ModuleName.
func HostFunctions() []string {
	return []string{FuncGet, FuncGetTag, FuncGetHeader, FuncSetOutput, FuncNow, FuncLogEnabled, FuncLog,
		FuncCounterAdd, FuncCounterGet, FuncBucketTake, FuncKVGet, FuncKVSet, FuncKVCAS, FuncKVDelete,
		FuncStoreCount, FuncFeatures, FuncGetFile, FuncDBGet, FuncDBPut, FuncDBDelete, FuncDBList, FuncDBUsage,
		FuncStoreQuery, FuncHookKinds, FuncSelectSession}
}
