package main

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/db"
)

// The moderation queue (NIP-86 listeventsneedingmoderation), fed by NIP-56
// reports: each kind 1984 event lists lets through names the events it
// reports in "e" tags, ["e", <id>, <report type>]. The queue is kept in the
// durable state under report/<id>, and bounded: at most maxReports events
// (a new one evicts the one first reported longest ago), at most
// maxReporters reporters each, and none older than reportTTL. An entry
// leaves the queue when the operator calls dismissreport [<id>], when it
// ages out, or when it is evicted; the relay's banevent and allowevent do
// not touch it.

const (
	kindReport   = 1984
	keyReport    = "report/"
	maxReports   = 1000
	maxReporters = 16
	reportTTL    = 30 * 24 * time.Hour
)

// report is the value of report/<id>.
type report struct {
	First int64         `json:"first"` // unix seconds of the first report
	By    []reportEntry `json:"by"`
}

type reportEntry struct {
	Pubkey string `json:"pubkey"`
	Type   string `json:"type"`
}

// recordReport queues the events report e names. Failures are logged: a
// report is never refused for them.
func recordReport(e sdk.Event) {
	reporter := e.Pubkey()
	pType := ""
	var ids []string
	var types []string
	for _, t := range e.Tags() {
		switch {
		case len(t) >= 2 && t[0] == "p" && pType == "" && len(t) >= 3:
			pType = t[2]
		case len(t) >= 2 && t[0] == "e" && isHex64(t[1]):
			typ := ""
			if len(t) >= 3 {
				typ = t[2]
			}
			ids, types = append(ids, t[1]), append(types, typ)
		}
	}
	for i, id := range ids {
		typ := types[i]
		if typ == "" {
			typ = pType
		}
		if typ == "" {
			typ = "other"
		}
		if err := addReport(id, reporter, typ); err != nil {
			sdk.Log(sdk.LevelWarn, "moderation queue: "+err.Error())
		}
	}
}

// addReport adds reporter's report of event id to the queue.
func addReport(id, reporter, typ string) error {
	now := sdk.Now()
	var r report
	val, ok, err := db.Get(keyReport + id)
	if err != nil {
		return err
	}
	if ok && json.Unmarshal(val, &r) == nil && now.Unix()-r.First < int64(reportTTL/time.Second) {
		if len(r.By) >= maxReporters || slices.ContainsFunc(r.By, func(b reportEntry) bool { return b.Pubkey == reporter }) {
			return nil
		}
	} else {
		if err := makeRoom(now); err != nil {
			return err
		}
		r = report{First: now.Unix()}
	}
	r.By = append(r.By, reportEntry{Pubkey: reporter, Type: truncate(typ, 64)})
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return db.Put(keyReport+id, b)
}

// makeRoom drops the reports past reportTTL and, if the queue is still
// full, the one first reported longest ago.
func makeRoom(now time.Time) error {
	var oldest string
	var oldestAt int64
	n := 0
	var expired []string
	err := db.Scan(keyReport, func(key string, val []byte) bool {
		var r report
		if json.Unmarshal(val, &r) != nil || now.Unix()-r.First >= int64(reportTTL/time.Second) {
			expired = append(expired, key)
			return true
		}
		n++
		if oldest == "" || r.First < oldestAt {
			oldest, oldestAt = key, r.First
		}
		return true
	})
	if err != nil {
		return err
	}
	if n >= maxReports {
		expired = append(expired, oldest)
	}
	for _, k := range expired {
		if _, err := db.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// eventEntry is a row of listeventsneedingmoderation.
type eventEntry struct {
	ID     string `json:"id"`
	Reason string `json:"reason,omitempty"`
}

// listReports lists the queue, the events reported first coming first.
func listReports(sdk.Params) ([]byte, error) {
	now := sdk.Now().Unix()
	type row struct {
		eventEntry
		first int64
	}
	var rows []row
	err := db.Scan(keyReport, func(key string, val []byte) bool {
		var r report
		if json.Unmarshal(val, &r) != nil || now-r.First >= int64(reportTTL/time.Second) {
			return true
		}
		rows = append(rows, row{eventEntry{strings.TrimPrefix(key, keyReport), reason(r)}, r.First})
		return true
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(rows, func(a, b row) int { return int(a.first - b.first) })
	out := make([]eventEntry, len(rows))
	for i, r := range rows {
		out[i] = r.eventEntry
	}
	return json.Marshal(out)
}

// reason describes a report: "spam by <hex>; illegal by <hex>".
func reason(r report) string {
	parts := make([]string, len(r.By))
	for i, b := range r.By {
		parts[i] = b.Type + " by " + b.Pubkey
	}
	return truncate(strings.Join(parts, "; "), maxReason)
}

// dismissReport takes an event off the queue: params [<event id>].
func dismissReport(p sdk.Params) ([]byte, error) {
	id, ok := p.String(0)
	if !ok || !isHex64(id) {
		return nil, errors.New("want an event id (64 hex characters) as the first param")
	}
	_, err := db.Delete(keyReport + id)
	return nil, err
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
