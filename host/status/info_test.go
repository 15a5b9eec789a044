package status_test

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/relayd/relayd/host/status"
)

// TestStatusSetInfo: a new name and description show on the page and in
// status.json at the next request (a config reload).
func TestStatusSetInfo(t *testing.T) {
	sh, err := status.New(status.Options{Name: "old name", Description: "old", Version: "v1", Started: time.Now(), Gatherer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) string {
		w := httptest.NewRecorder()
		sh.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		b, _ := io.ReadAll(w.Result().Body)
		return string(b)
	}
	get("/status.json") // cached for a second
	if err := sh.SetInfo("new name", "new <desc>"); err != nil {
		t.Fatal(err)
	}
	if page := get("/"); !strings.Contains(page, "<h1 id=\"name\">new name</h1>") || !strings.Contains(page, "new &lt;desc&gt;") {
		t.Fatalf("page:\n%s", page)
	}
	var st status.Status
	if err := json.Unmarshal([]byte(get("/status.json")), &st); err != nil {
		t.Fatal(err)
	}
	if st.Name != "new name" || st.Description != "new <desc>" {
		t.Fatalf("status.json: name %q, description %q", st.Name, st.Description)
	}
}
