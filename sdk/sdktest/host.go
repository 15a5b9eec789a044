//go:build !wasip1

package sdktest

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/relayd/relayd/sdk/abi"
)

// put implements the (buf, buf_limit) convention: write v if it fits,
// return its length either way.
func put(buf []byte, v []byte) int32 {
	if len(v) <= len(buf) {
		copy(buf, v)
	}
	return int32(len(v))
}

func putString(buf []byte, s string) int32 { return put(buf, []byte(s)) }

// Get implements the host function get.
func (h *Host) Get(field uint32, buf []byte) int32 {
	c := &h.call
	switch abi.Field(field) {
	case abi.FieldConfig:
		return putString(buf, h.opts.Config)
	case abi.FieldPluginName:
		return putString(buf, h.opts.Name)
	case abi.FieldRelayVersion:
		return putString(buf, "sdktest")
	}
	if v, ok := h.sessionField(abi.Field(field)); ok {
		return putString(buf, v)
	}
	if c.event != nil {
		if v, ok := h.eventField(abi.Field(field)); ok {
			return put(buf, v)
		}
	}
	switch abi.Field(field) {
	case abi.FieldFilters:
		if c.hook == abi.HookReq || c.hook == abi.HookCount {
			return putString(buf, c.filters)
		}
	case abi.FieldSubID:
		if c.hook == abi.HookReq || c.hook == abi.HookCount || c.hook == abi.HookDeliver || c.hook == abi.HookDeliverBatch {
			return putString(buf, c.subID)
		}
	case abi.FieldSessions:
		if c.hook == abi.HookDeliverBatch {
			var b []byte
			for _, t := range c.batch {
				b = binary.LittleEndian.AppendUint64(b, t.Session.ID)
				b = binary.LittleEndian.AppendUint32(b, sessionFlags(&t.Session, c.source))
				b = binary.LittleEndian.AppendUint32(b, 0)
			}
			return put(buf, b)
		}
	case abi.FieldMethod:
		if c.hook == abi.HookManage {
			return putString(buf, c.method)
		}
	case abi.FieldParams:
		if c.hook == abi.HookManage {
			return putString(buf, c.params)
		}
	}
	if field == 0 || abi.Field(field) > abi.MaxField {
		return int32(abi.ErrInvalid)
	}
	return int32(abi.ErrNotFound)
}

func (h *Host) sessionField(f abi.Field) (string, bool) {
	s := h.call.session
	if s == nil || s.IP == "" {
		return "", false
	}
	switch f {
	case abi.FieldIP:
		return s.IP, true
	case abi.FieldAuthed:
		return s.Authed, s.Authed != ""
	case abi.FieldConnectedAt:
		return strconv.FormatInt(s.ConnectedAt, 10), true
	}
	return "", false
}

func (h *Host) eventField(f abi.Field) ([]byte, bool) {
	c := &h.call
	ev := c.event
	switch f {
	case abi.FieldEventID:
		return []byte(ev.ID), true
	case abi.FieldPubkey:
		return []byte(ev.PubKey), true
	case abi.FieldSig:
		return []byte(ev.Sig), true
	case abi.FieldContent:
		return []byte(ev.Content), true
	case abi.FieldTags:
		b, _ := json.Marshal(ev.Tags)
		return b, true
	case abi.FieldRaw:
		return c.raw, true
	case abi.FieldStrfryInput:
		if c.hook != abi.HookEventPre && c.hook != abi.HookEvent {
			return nil, false
		}
		return h.strfryInput(), true
	}
	return nil, false
}

func (h *Host) strfryInput() []byte {
	c := &h.call
	in := map[string]any{
		"type": "new", "event": json.RawMessage(c.raw), "receivedAt": c.recvAt,
		"sourceType": sourceName(c.source), "sourceInfo": "",
	}
	if c.session != nil {
		in["sourceInfo"] = c.session.IP
		if c.session.Authed != "" {
			in["authed"] = c.session.Authed
		}
	}
	b, _ := json.Marshal(in)
	return b
}

func sourceName(s abi.Source) string {
	names := [...]string{"IP4", "IP6", "Import", "Stream", "Sync", "Stored"}
	if int(s) < len(names) {
		return names[s]
	}
	return "Unknown"
}

// GetTag implements the host function get_tag.
func (h *Host) GetTag(index uint32, buf []byte) int32 {
	if h.call.event == nil || int(index) >= len(h.call.event.Tags) {
		return int32(abi.ErrNotFound)
	}
	return putString(buf, strings.Join(h.call.event.Tags[index], "\x00"))
}

// GetHeader implements the host function get_header.
func (h *Host) GetHeader(name string, buf []byte) int32 {
	s := h.call.session
	if s == nil {
		return int32(abi.ErrNotFound)
	}
	v, ok := s.Headers[strings.ToLower(name)]
	if !ok {
		return int32(abi.ErrNotFound)
	}
	return putString(buf, v)
}

// SetOutput implements the host function set_output.
func (h *Host) SetOutput(kind uint32, data []byte) int32 {
	limits := [...]int{0, abi.MaxMessageLen, abi.MaxFiltersLen, abi.MaxPayloadLen, abi.MaxLimitationLen,
		abi.MaxMethodsLen, abi.MaxResultLen, 4 * abi.MaxDeliverBatch}
	if kind == 0 || int(kind) >= len(limits) {
		return int32(abi.ErrInvalid)
	}
	switch abi.Output(kind) {
	case abi.OutputMethods:
		if h.call.hook != hookInit {
			return int32(abi.ErrUnavailable)
		}
	case abi.OutputResult:
		if h.call.hook != abi.HookManage {
			return int32(abi.ErrUnavailable)
		}
	case abi.OutputVerdicts:
		if h.call.hook != abi.HookDeliverBatch {
			return int32(abi.ErrUnavailable)
		}
	}
	if len(data) > limits[kind] {
		return int32(abi.ErrTooLarge)
	}
	h.out[kind] = append([]byte(nil), data...)
	return 0
}

// Now implements the host function now.
func (h *Host) Now() int64 { return h.opts.Now().UnixNano() }

// LogEnabled implements the host function log_enabled: every level is on.
func (h *Host) LogEnabled(level uint32) bool { return level <= uint32(abi.LogError) }

// Log implements the host function log.
func (h *Host) Log(level uint32, msg string) {
	names := [...]string{"DEBUG", "INFO", "WARN", "ERROR"}
	if level > uint32(abi.LogError) {
		return
	}
	if len(msg) > abi.MaxLogLen {
		msg = msg[:abi.MaxLogLen]
	}
	if h.quiet {
		return
	}
	h.mu.Lock()
	h.logs = append(h.logs, names[level]+" "+msg)
	h.mu.Unlock()
}

// Features implements the host function features.
func (h *Host) Features() uint64 {
	f := abi.FeatureState | abi.FeatureFiles | abi.FeatureManage
	if h.opts.Count != nil {
		f |= abi.FeatureStore
	}
	if h.events != nil {
		f |= abi.FeatureQuery
	}
	f |= abi.FeatureTick
	if h.db != nil {
		f |= abi.FeatureDB
	}
	return uint64(f)
}

// GetFile implements the host function get_file.
func (h *Host) GetFile(name string, buf []byte) int32 {
	if len(name) > abi.MaxFileNameLen {
		return int32(abi.ErrTooLarge)
	}
	v, ok := h.opts.Files[name]
	if !ok {
		return int32(abi.ErrNotFound)
	}
	return putString(buf, v)
}

// checkFiles applies the relay's rules for the "files" setting: plain
// names of files in the plugin directory, other than plugins and their
// settings, each at most abi.MaxFileLen bytes.
func checkFiles(files map[string]string) error {
	for name, v := range files {
		switch {
		case name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) || len(name) > abi.MaxFileNameLen:
			return errors.New("sdktest: file " + strconv.Quote(name) + ": want a plain file name")
		case strings.HasSuffix(name, ".wasm") || strings.HasSuffix(name, ".toml"):
			return errors.New("sdktest: file " + strconv.Quote(name) + ": plugins and settings cannot be listed")
		case len(v) > abi.MaxFileLen:
			return errors.New("sdktest: file " + strconv.Quote(name) + ": over abi.MaxFileLen")
		}
	}
	return nil
}

// StoreCount implements the host function store_count.
func (h *Host) StoreCount(filter []byte, result *int64) int32 {
	if h.opts.Count == nil {
		return int32(abi.ErrUnavailable)
	}
	var obj map[string]any
	if json.Unmarshal(filter, &obj) != nil {
		return int32(abi.ErrInvalid)
	}
	n, err := h.opts.Count(string(filter))
	if err != nil {
		return int32(abi.ErrInternal)
	}
	*result = n
	return 0
}

// CounterAdd implements the host function counter_add.
func (h *Host) CounterAdd(key string, delta, ttlMs int64, result *int64) int32 {
	if rc := checkKey(key); rc != 0 {
		return rc
	}
	*result = h.state.counterAdd(key, delta, ttlMs, h.opts.Now())
	return 0
}

// CounterGet implements the host function counter_get.
func (h *Host) CounterGet(key string, result *int64) int32 {
	if rc := checkKey(key); rc != 0 {
		return rc
	}
	*result = h.state.counterGet(key, h.opts.Now())
	return 0
}

// BucketTake implements the host function bucket_take.
func (h *Host) BucketTake(key string, cost int64, rate float64, burst int64) int64 {
	if rc := checkKey(key); rc != 0 {
		return int64(rc)
	}
	if cost < 1 || cost > burst || !(rate > 0) || math.IsInf(rate, 0) {
		return int64(abi.ErrInvalid)
	}
	return h.state.take(key, cost, rate, burst, h.opts.Now())
}

// KVGet implements the host function kv_get.
func (h *Host) KVGet(key string, buf []byte) int32 {
	if rc := checkKey(key); rc != 0 {
		return rc
	}
	v, ok := h.state.kvGet(key, h.opts.Now())
	if !ok {
		return int32(abi.ErrNotFound)
	}
	return put(buf, v)
}

// KVSet implements the host function kv_set.
func (h *Host) KVSet(key string, val []byte, ttlMs int64) int32 {
	if rc := checkKV(key, val); rc != 0 {
		return rc
	}
	h.state.kvSet(key, val, ttlMs, h.opts.Now())
	return 0
}

// KVCAS implements the host function kv_cas.
func (h *Host) KVCAS(key string, old []byte, absent bool, val []byte, ttlMs int64) int32 {
	if rc := checkKV(key, val); rc != 0 {
		return rc
	}
	if !h.state.kvCAS(key, old, absent, val, ttlMs, h.opts.Now()) {
		return int32(abi.ErrMismatch)
	}
	return 0
}

// KVDelete implements the host function kv_delete.
func (h *Host) KVDelete(key string) int32 {
	if rc := checkKey(key); rc != 0 {
		return rc
	}
	if !h.state.kvDelete(key, h.opts.Now()) {
		return int32(abi.ErrNotFound)
	}
	return 0
}

func checkKey(key string) int32 {
	if len(key) > abi.MaxKeyLen {
		return int32(abi.ErrTooLarge)
	}
	return 0
}

func checkKV(key string, val []byte) int32 {
	if len(val) > abi.MaxValueLen {
		return int32(abi.ErrTooLarge)
	}
	return checkKey(key)
}

// SelectSession implements the host function select_session: session
// index of the current deliver batch becomes the one the session fields
// read.
func (h *Host) SelectSession(index uint32) int32 {
	c := &h.call
	switch {
	case c.hook != abi.HookDeliverBatch:
		return int32(abi.ErrUnavailable)
	case int(index) >= len(c.batch):
		return int32(abi.ErrNotFound)
	}
	c.session, c.subID = &c.batch[index].Session, c.batch[index].SubID
	return 0
}
