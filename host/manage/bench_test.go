package manage_test

import (
	"bytes"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/relayd/relayd/host/manage"
	"github.com/relayd/relayd/host/store/badgerstore"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// BenchmarkAuthorise is the handler's cost for one supportedmethods call
// in-process (no network): admin, the NIP-98 checks (a signature
// verification is most of it) and the answer; stranger, the same request
// signed by a key not in admin_pubkeys, refused just before the
// signature check, so the difference is the verification's cost.
// BenchmarkSign is the client's cost of signing the NIP-98 event.
//
// go test -tags libsecp256k1 -run '^$' -bench 'BenchmarkAuthorise|BenchmarkSign' ./host/manage/
func BenchmarkAuthorise(b *testing.B) {
	st, err := badgerstore.Open(b.TempDir(), badgerstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	admin := wsc.NewKey()
	h, err := manage.New(manage.Options{Store: st, Admins: func() []string { return []string{admin.PK} }, MaxSeen: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	const u = "http://relay.test/"
	body := []byte(`{"method":"supportedmethods","params":[]}`)
	for _, tc := range []struct {
		name string
		key  wsc.Key
		want int
	}{{"admin", admin, 200}, {"stranger", wsc.NewKey(), 401}} {
		b.Run(tc.name, func(b *testing.B) {
			auths := make([]string, b.N)
			for i := range auths {
				if auths[i], err = manage.AuthHeader(tc.key.SK, u, "POST", body, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := range b.N {
				req := httptest.NewRequest("POST", u, bytes.NewReader(body))
				req.Header.Set("Authorization", auths[i])
				w := httptest.NewRecorder()
				h.ServeManage(w, req, []string{u})
				if w.Code != tc.want {
					b.Fatalf("HTTP %d", w.Code)
				}
			}
		})
	}
}

func BenchmarkSign(b *testing.B) {
	admin := wsc.NewKey()
	body := []byte(`{"method":"supportedmethods","params":[]}`)
	for b.Loop() {
		if _, err := manage.AuthHeader(admin.SK, "http://relay.test/", "POST", body, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
