// The relayd ABI, version 1, as AssemblyScript constants: every row of the
// tables in sdk/abi/ABI.md, with the name and value of the Go constant in
// package sdk/abi (astest checks that none is missing or different).

// Guest exports
export const ExportMemory: string = "memory";
export const ExportABIVersion: string = "relayd_abi_version";
export const ExportInitialize: string = "_initialize";
export const ExportInit: string = "relayd_init";
export const ExportLimitation: string = "relayd_limitation";
export const ExportOnConnect: string = "relayd_on_connect";
export const ExportOnEventPre: string = "relayd_on_event_pre";
export const ExportOnEvent: string = "relayd_on_event";
export const ExportOnReq: string = "relayd_on_req";
export const ExportOnCount: string = "relayd_on_count";
export const ExportOnAuth: string = "relayd_on_auth";
export const ExportOnDeliver: string = "relayd_on_deliver";
export const ExportOnClose: string = "relayd_on_close";
export const ExportOnManage: string = "relayd_on_manage";
export const ExportOnTick: string = "relayd_on_tick";
export const ExportOnDeliverBatch: string = "relayd_on_deliver_batch";
export const ExportPreempt: string = "relayd_preempt";
export const Version: i32 = 1;
export const HookParams: i32 = 7;

// Hook signature
export const FlagSourceMask: i32 = 0xff;
export const FlagAuthed: i32 = 0x100;
export const FlagSession: i32 = 0x200;

// Hooks
export const HookConnect: i32 = 1;
export const HookEventPre: i32 = 2;
export const HookEvent: i32 = 3;
export const HookReq: i32 = 4;
export const HookCount: i32 = 5;
export const HookAuth: i32 = 6;
export const HookDeliver: i32 = 7;
export const HookClose: i32 = 8;
export const HookManage: i32 = 9;
export const MaxHook: i32 = 9;
export const HookMaskAll: i32 = 0x3fe;
export const HookTick: i32 = 10;
export const HookDeliverBatch: i32 = 11;

// Actions
export const ActionAccept: i32 = 0;
export const ActionReject: i32 = 1;
export const ActionShadowReject: i32 = 2;
export const ActionRewrite: i32 = 3;
export const ActionRateLimited: i32 = 4;
export const MaxAction: i32 = 4;

// Prefixes
export const PrefixDefault: i32 = 0;
export const PrefixBlocked: i32 = 1;
export const PrefixRateLimited: i32 = 2;
export const PrefixInvalid: i32 = 3;
export const PrefixRestricted: i32 = 4;
export const PrefixAuthRequired: i32 = 5;
export const PrefixPow: i32 = 6;
export const PrefixDuplicate: i32 = 7;
export const PrefixError: i32 = 8;
export const PrefixMute: i32 = 9;
export const MaxPrefix: i32 = 9;

// Sources
export const SourceIP4: i32 = 0;
export const SourceIP6: i32 = 1;
export const SourceImport: i32 = 2;
export const SourceStream: i32 = 3;
export const SourceSync: i32 = 4;
export const SourceStored: i32 = 5;

// Fields
export const FieldEventID: i32 = 1;
export const FieldPubkey: i32 = 2;
export const FieldContent: i32 = 3;
export const FieldTags: i32 = 4;
export const FieldRaw: i32 = 5;
export const FieldSig: i32 = 6;
export const FieldStrfryInput: i32 = 7;
export const FieldFilters: i32 = 8;
export const FieldSubID: i32 = 9;
export const FieldIP: i32 = 10;
export const FieldAuthed: i32 = 11;
export const FieldConfig: i32 = 12;
export const FieldPluginName: i32 = 13;
export const FieldConnectedAt: i32 = 14;
export const FieldRelayVersion: i32 = 15;
export const FieldMethod: i32 = 16;
export const FieldParams: i32 = 17;
export const FieldSessions: i32 = 18;
export const MaxField: i32 = 18;

// Outputs
export const OutputMessage: i32 = 1;
export const OutputFilters: i32 = 2;
export const OutputPayload: i32 = 3;
export const OutputLimitation: i32 = 4;
export const OutputMethods: i32 = 5;
export const OutputResult: i32 = 6;
export const OutputVerdicts: i32 = 7;
export const MaxOutput: i32 = 7;

// Errors
export const OK: i32 = 0;
export const ErrNotFound: i32 = -1;
export const ErrMemory: i32 = -2;
export const ErrTooLarge: i32 = -3;
export const ErrInvalid: i32 = -4;
export const ErrUnavailable: i32 = -5;
export const ErrTimeout: i32 = -6;
export const ErrMismatch: i32 = -7;
export const ErrInternal: i32 = -8;
export const ErrFull: i32 = -9;
export const ErrReadOnly: i32 = -10;

// Log levels
export const LogDebug: i32 = 0;
export const LogInfo: i32 = 1;
export const LogWarn: i32 = 2;
export const LogError: i32 = 3;

// Features
export const FeatureStore: i32 = 0x1;
export const FeatureState: i32 = 0x2;
export const FeatureFiles: i32 = 0x4;
export const FeatureDB: i32 = 0x8;
export const FeatureManage: i32 = 0x10;
export const FeatureQuery: i32 = 0x20;
export const FeatureTick: i32 = 0x40;
export const FeatureHookKinds: i32 = 0x80;
export const FeatureDeliverBatch: i32 = 0x100;
export const FeatureFilterKinds: i32 = 0x200;

// Limits
export const MaxMessageLen: i32 = 512;
export const MaxFiltersLen: i32 = 65536;
export const MaxPayloadLen: i32 = 1048576;
export const MaxLimitationLen: i32 = 4096;
export const MaxKeyLen: i32 = 256;
export const MaxValueLen: i32 = 65536;
export const MaxLogLen: i32 = 4096;
export const MaxHeaderNameLen: i32 = 64;
export const MaxFileNameLen: i32 = 255;
export const MaxFileLen: i32 = 8388608;
export const MaxListEntries: i32 = 1024;
export const MaxMethodsLen: i32 = 4096;
export const MaxMethodLen: i32 = 64;
export const MaxResultLen: i32 = 4194304;
export const MaxDeliverBatch: i32 = 64;
export const SessionRecordLen: i32 = 16;

// Host functions
export const ModuleName: string = "relayd_v1";
export const FuncGet: string = "get";
export const FuncGetTag: string = "get_tag";
export const FuncGetHeader: string = "get_header";
export const FuncSetOutput: string = "set_output";
export const FuncNow: string = "now";
export const FuncLogEnabled: string = "log_enabled";
export const FuncLog: string = "log";
export const FuncCounterAdd: string = "counter_add";
export const FuncCounterGet: string = "counter_get";
export const FuncBucketTake: string = "bucket_take";
export const FuncKVGet: string = "kv_get";
export const FuncKVSet: string = "kv_set";
export const FuncKVCAS: string = "kv_cas";
export const FuncKVDelete: string = "kv_delete";
export const FuncStoreCount: string = "store_count";
export const FuncStoreQuery: string = "store_query";
export const FuncHookKinds: string = "hook_kinds";
export const FuncSelectSession: string = "select_session";
export const FuncFeatures: string = "features";
export const FuncGetFile: string = "get_file";
export const FuncDBGet: string = "db_get";
export const FuncDBPut: string = "db_put";
export const FuncDBDelete: string = "db_delete";
export const FuncDBList: string = "db_list";
export const FuncDBUsage: string = "db_usage";

// Durable state
export const DBPutIfAbsent: i32 = 1;
export const DBListValues: i32 = 1;
export const DBEntryHeaderLen: i32 = 8;
export const DBUsageLen: i32 = 32;
export const DBDefaultMaxKeys: i32 = 100000;
export const DBDefaultMaxBytes: i32 = 67108864;

// Store query
export const QueryHeaderLen: i32 = 8;
export const QueryEntryHeaderLen: i32 = 4;
export const QueryTruncated: i32 = 1;
export const QueryDefaultMaxEvents: i32 = 1000;
export const QueryDefaultMaxBytes: i32 = 4194304;
export const QueryDefaultTimeoutMS: i32 = 1000;

// Tick
export const TickDefaultMS: i32 = 60000;
export const TickDefaultTimeoutMS: i32 = 30000;
