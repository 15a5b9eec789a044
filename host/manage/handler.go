package manage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ContentType is the Content-Type of NIP-86 requests (and of the answers).
const ContentType = "application/nostr+json+rpc"

// request is a NIP-86 request.
type request struct {
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

// response is a NIP-86 answer: Result, or Error.
type response struct {
	Result any    `json:"result,omitempty"`
	Error  string `json:"error,omitempty"`
}

// ServeManage answers the NIP-86 request req; urls are the absolute URLs
// the request may have been sent to (the relay derives them from
// relay_url, or from the Host header and a trusted proxy's headers), which
// the NIP-98 event's u tag must name.
func (h *Handler) ServeManage(w http.ResponseWriter, req *http.Request, urls []string) {
	// A body trickled in slowly must not hold the connection for ever; the
	// server sets no read timeout of its own (no error: not every
	// ResponseWriter can).
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(h.opts.ReadTimeout))
	body, err := io.ReadAll(io.LimitReader(req.Body, h.opts.MaxBody+1))
	if err != nil {
		reply(w, http.StatusBadRequest, response{Error: "cannot read the request"})
		return
	}
	if int64(len(body)) > h.opts.MaxBody {
		reply(w, http.StatusRequestEntityTooLarge, response{Error: fmt.Sprintf("request larger than %d bytes", h.opts.MaxBody)})
		return
	}
	admin, err := h.authorise(req, body, urls)
	if err != nil {
		h.log.Info("management call refused", "remote", req.RemoteAddr, "why", err)
		w.Header().Set("WWW-Authenticate", "Nostr")
		reply(w, http.StatusUnauthorized, response{Error: errUnauthorised.Error()})
		return
	}
	var r request
	if err := json.Unmarshal(body, &r); err != nil || r.Method == "" {
		reply(w, http.StatusOK, response{Error: "invalid request: want {\"method\": ..., \"params\": [...]}"})
		return
	}
	res, err := h.call(req.Context(), r.Method, r.Params)
	if err != nil {
		h.log.Info("management call failed", "admin", admin, "method", r.Method, "err", err)
		reply(w, http.StatusOK, response{Error: err.Error()})
		return
	}
	h.log.Info("management call", "admin", admin, "method", r.Method)
	reply(w, http.StatusOK, response{Result: res})
}

// reply writes resp as JSON with status.
func reply(w http.ResponseWriter, status int, resp response) {
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(resp)
}

// errUnknownMethod is the error of a method nobody serves.
var errUnknownMethod = errors.New("unknown method")

// call runs method with params (a JSON array, or nothing).
func (h *Handler) call(ctx context.Context, name string, raw json.RawMessage) (any, error) {
	var params []json.RawMessage
	if t := bytes.TrimSpace(raw); len(t) > 0 && !bytes.Equal(t, []byte("null")) {
		if err := json.Unmarshal(t, &params); err != nil {
			return nil, errors.New("invalid params: want an array")
		}
	}
	if m, ok := h.host[name]; ok {
		return m(ctx, params)
	}
	if h.opts.Plugins == nil || !h.served(name) {
		return nil, fmt.Errorf("%w: %s", errUnknownMethod, name)
	}
	if name == "banpubkey" && len(params) >= 3 {
		return h.banPubkeyPurge(ctx, params)
	}
	if params == nil {
		params = []json.RawMessage{}
	}
	arr, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("invalid params: %w", err)
	}
	res, err := h.opts.Plugins.Manage(ctx, name, arr)
	if err != nil {
		return nil, err
	}
	return json.RawMessage(res), nil
}

// served reports whether a plugin serves name.
func (h *Handler) served(name string) bool {
	for _, m := range h.opts.Plugins.ManageMethods() {
		if m == name {
			return true
		}
	}
	return false
}
