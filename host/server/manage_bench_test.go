package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/relayd/relayd/host/manage"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// BenchmarkManage is the latency of NIP-86 calls through a real relayd
// over HTTP on loopback, badger on disk, one call at a time:
//
//   - client/supportedmethods: as relayd admin calls, the client signing
//     its NIP-98 event for each call;
//   - presigned/METHOD: the events signed beforehand, outside the timer,
//     so the figure is the HTTP round trip plus the relay's work: NIP-98
//     checks (a signature verification; host/manage's
//     BenchmarkAuthorise alone), the method, and for banevent a durable
//     badger commit.
//
// go test -tags libsecp256k1 -run '^$' -bench BenchmarkManage -benchtime 2000x ./host/server/
func BenchmarkManage(b *testing.B) {
	admin := wsc.NewKey()
	cfg := relaydtest.Default("") // a temporary data dir
	cfg.AdminPubkeys = []string{admin.PK}
	r := relaydtest.Start(b, cfg)
	url := manage.HTTPURL(r.URL)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}

	b.Run("client/supportedmethods", func(b *testing.B) {
		c := &manage.Client{URL: r.URL, SecretKey: admin.SK, HTTP: hc}
		for b.Loop() {
			if _, err := c.Call(context.Background(), "supportedmethods", nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, method := range []string{"supportedmethods", "banevent"} {
		b.Run("presigned/"+method, func(b *testing.B) {
			bodies, auths := make([][]byte, b.N), make([]string, b.N)
			for i := range b.N {
				bodies[i] = []byte(`{"method":"supportedmethods","params":[]}`)
				if method == "banevent" {
					var id [32]byte
					rand.Read(id[:])
					bodies[i] = fmt.Appendf(nil, `{"method":"banevent","params":["%s","bench"]}`, hex.EncodeToString(id[:]))
				}
				var err error
				if auths[i], err = manage.AuthHeader(admin.SK, url, "POST", bodies[i], time.Now()); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := range b.N {
				req, _ := http.NewRequest("POST", url, bytes.NewReader(bodies[i]))
				req.Header.Set("Content-Type", manage.ContentType)
				req.Header.Set("Authorization", auths[i])
				resp, err := hc.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("HTTP %d", resp.StatusCode)
				}
			}
		})
	}
}
