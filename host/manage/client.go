package manage

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/nbd-wtf/go-nostr"
)

// Client calls a relay's management API, signing each request with
// NIP-98 (relayd admin uses it).
type Client struct {
	// URL is the relay's URL; ws:// and wss:// are posted to as http://
	// and https://.
	URL string
	// SecretKey is the admin's secret key, 64 hex digits.
	SecretKey string
	// HTTP is the client to post with; nil: http.DefaultClient.
	HTTP *http.Client
}

// ErrUnauthorised is the error of a call the relay answered with 401.
var ErrUnauthorised = errors.New("not authorised")

// RPCError is an error the relay answered a call with.
type RPCError struct{ Message string }

// Error returns the relay's message.
func (e *RPCError) Error() string { return e.Message }

// HTTPURL is url with ws:// and wss:// as http:// and https://.
func HTTPURL(url string) string {
	switch {
	case strings.HasPrefix(url, "ws://"):
		return "http://" + url[5:]
	case strings.HasPrefix(url, "wss://"):
		return "https://" + url[6:]
	}
	return url
}

// Call calls method with params (nil: none) and returns the result.
func (c *Client) Call(ctx context.Context, method string, params []any) (json.RawMessage, error) {
	if params == nil {
		params = []any{}
	}
	body, err := json.Marshal(map[string]any{"method": method, "params": params})
	if err != nil {
		return nil, fmt.Errorf("manage: %w", err)
	}
	url := HTTPURL(c.URL)
	auth, err := AuthHeader(c.SecretKey, url, http.MethodPost, body, time.Now())
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("manage: %w", err)
	}
	req.Header.Set("Content-Type", ContentType)
	req.Header.Set("Authorization", auth)
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("manage: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("manage: reading the answer: %w", err)
	}
	return decodeAnswer(resp.StatusCode, b)
}

// decodeAnswer reads a NIP-86 answer.
func decodeAnswer(status int, b []byte) (json.RawMessage, error) {
	if status == http.StatusUnauthorized {
		return nil, ErrUnauthorised
	}
	var r struct {
		Result json.RawMessage `json:"result"`
		Error  string          `json:"error"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("manage: HTTP %d, not a NIP-86 answer: %.200q", status, b)
	}
	if r.Error != "" {
		return nil, &RPCError{Message: r.Error}
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("manage: HTTP %d", status)
	}
	return r.Result, nil
}

// AuthHeader returns the Authorization header value of a NIP-98 event
// for a request to url with method and body, signed by sk (hex) at now.
func AuthHeader(sk, url, method string, body []byte, now time.Time) (string, error) {
	ev := nostr.Event{
		Kind:      KindHTTPAuth,
		CreatedAt: nostr.Timestamp(now.Unix()),
		Tags:      nostr.Tags{{"u", url}, {"method", method}, {"payload", payloadHash(body)}},
	}
	if err := ev.Sign(sk); err != nil {
		return "", fmt.Errorf("manage: signing the NIP-98 event: %w", err)
	}
	raw, err := ev.MarshalJSON()
	if err != nil {
		return "", fmt.Errorf("manage: %w", err)
	}
	return "Nostr " + base64.StdEncoding.EncodeToString(raw), nil
}
