// Package scrape reads a relayd /metrics page in tests, as Prometheus
// would: over HTTP, parsed with Prometheus' own text parser.
package scrape

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Page is one scrape: the metric families by name.
type Page map[string]*dto.MetricFamily

// Get scrapes url (http://host:port/metrics) and fails the test unless it
// answers 200 with a page that parses.
func Get(t testing.TB, url string) Page {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", url, resp.Status, body)
	}
	p, err := Parse(string(body))
	if err != nil {
		t.Fatalf("GET %s: %v\n%s", url, err, body)
	}
	return p
}

// Parse parses a page in the Prometheus text format.
func Parse(text string) (Page, error) {
	tp := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := tp.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	return Page(fams), nil
}

// Value returns the value of the series of name whose labels include
// every name=value pair in labels (a histogram's is its sample count), and
// how many series matched. A counter or gauge missing from the page is 0.
func (p Page) Value(name string, labels ...string) (v float64, matched int) {
	f := p[name]
	if f == nil {
		return 0, 0
	}
	for _, m := range f.Metric {
		if !hasLabels(m, labels) {
			continue
		}
		matched++
		switch {
		case m.Counter != nil:
			v += m.Counter.GetValue()
		case m.Gauge != nil:
			v += m.Gauge.GetValue()
		case m.Histogram != nil:
			v += float64(m.Histogram.GetSampleCount())
		case m.Untyped != nil:
			v += m.Untyped.GetValue()
		}
	}
	return v, matched
}

// Labels returns the label sets of name's series, each as "k=v,k=v"
// sorted, for failure messages.
func (p Page) Labels(name string) []string {
	var out []string
	if f := p[name]; f != nil {
		for _, m := range f.Metric {
			var kv []string
			for _, l := range m.Label {
				kv = append(kv, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(kv)
			out = append(out, strings.Join(kv, ","))
		}
	}
	return out
}

func hasLabels(m *dto.Metric, labels []string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		found := false
		for _, l := range m.Label {
			if l.GetName() == labels[i] {
				found = l.GetValue() == labels[i+1]
				break
			}
		}
		// A label missing from the series matches an empty value.
		if !found && !(labels[i+1] == "" && !hasName(m, labels[i])) {
			return false
		}
	}
	return true
}

func hasName(m *dto.Metric, name string) bool {
	for _, l := range m.Label {
		if l.GetName() == name {
			return true
		}
	}
	return false
}
