package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gobwas/ws"
)

// maxRelayMessage bounds one message read from a relay.
const maxRelayMessage = 16 << 20

// relayConn is a websocket connection to a relay for import -url and
// export -url. send is safe for concurrent use; read must be called from
// one goroutine. Pings are answered inside read.
type relayConn struct {
	nc  net.Conn
	r   io.Reader
	wmu sync.Mutex
}

// dialRelay connects to a ws:// or wss:// URL.
func dialRelay(ctx context.Context, url string) (*relayConn, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	nc, br, _, err := ws.Dial(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", url, err)
	}
	c := &relayConn{nc: nc, r: nc}
	if br != nil {
		c.r = io.MultiReader(br, nc)
	}
	return c, nil
}

// send writes msg as one masked text frame.
func (c *relayConn) send(msg []byte) error {
	return c.sendFrame(ws.NewTextFrame(msg))
}

func (c *relayConn) sendFrame(f ws.Frame) error {
	b, err := ws.CompileFrame(ws.MaskFrame(f))
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.nc.SetWriteDeadline(time.Now().Add(30 * time.Second))
	_, err = c.nc.Write(b)
	return err
}

// read returns the next data message, assembling fragments and answering
// pings, within timeout.
func (c *relayConn) read(timeout time.Duration) ([]byte, error) {
	c.nc.SetReadDeadline(time.Now().Add(timeout))
	var msg []byte
	for {
		h, err := ws.ReadHeader(c.r)
		if err != nil {
			return nil, err
		}
		if h.Length > maxRelayMessage || int64(len(msg))+h.Length > maxRelayMessage {
			return nil, fmt.Errorf("relay sent a message over %d bytes", maxRelayMessage)
		}
		payload := make([]byte, h.Length)
		if _, err := io.ReadFull(c.r, payload); err != nil {
			return nil, err
		}
		if h.Masked {
			ws.Cipher(payload, h.Mask, 0)
		}
		switch h.OpCode {
		case ws.OpPing:
			if err := c.sendFrame(ws.NewPongFrame(payload)); err != nil {
				return nil, err
			}
			continue
		case ws.OpPong:
			continue
		case ws.OpClose:
			code, reason := ws.ParseCloseFrameData(payload)
			return nil, fmt.Errorf("relay closed the connection: %d %s", code, reason)
		}
		msg = append(msg, payload...)
		if h.Fin {
			return msg, nil
		}
	}
}

// close says goodbye and closes the connection.
func (c *relayConn) close() {
	c.sendFrame(ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusNormalClosure, "")))
	c.nc.Close()
}

// relayMessage splits a relay message into its label and elements, each
// element's bytes exactly as the relay sent them.
func relayMessage(msg []byte) (string, []json.RawMessage, error) {
	var parts []json.RawMessage
	if err := json.Unmarshal(msg, &parts); err != nil || len(parts) == 0 {
		return "", nil, fmt.Errorf("relay sent a malformed message: %.80s", msg)
	}
	var label string
	if err := json.Unmarshal(parts[0], &label); err != nil {
		return "", nil, fmt.Errorf("relay sent a malformed message: %.80s", msg)
	}
	return label, parts, nil
}

// str decodes element i of a message as a string ("" if it is not one).
func str(parts []json.RawMessage, i int) string {
	var s string
	if i < len(parts) {
		json.Unmarshal(parts[i], &s)
	}
	return s
}

// relayMaxLimit reads limitation.max_limit from the relay's NIP-11
// document; 0 when it says none or cannot be read.
func relayMaxLimit(ctx context.Context, url string) int {
	httpURL := "http" + strings.TrimPrefix(url, "ws")
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, httpURL, nil)
	if err != nil {
		return 0
	}
	req.Header.Set("Accept", "application/nostr+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var doc struct {
		Limitation struct {
			MaxLimit int `json:"max_limit"`
		} `json:"limitation"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc); err != nil {
		return 0
	}
	return doc.Limitation.MaxLimit
}
