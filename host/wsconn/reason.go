package wsconn

import "github.com/gobwas/ws"

// CloseReason says why a connection ended. Every close is logged with one.
type CloseReason uint8

// The close reasons.
const (
	// ReasonClientClose: the client sent a close frame.
	ReasonClientClose CloseReason = iota + 1
	// ReasonEOF: the client closed TCP without a close frame.
	ReasonEOF
	// ReasonReadError: reading the socket failed.
	ReasonReadError
	// ReasonWriteError: writing the socket failed or hit the write deadline.
	ReasonWriteError
	// ReasonQueueFull: the client read too slowly and its outbound queue
	// went over its byte cap.
	ReasonQueueFull
	// ReasonTooLarge: a message was larger than the maximum.
	ReasonTooLarge
	// ReasonProtocol: the client broke the websocket protocol.
	ReasonProtocol
	// ReasonBadData: a text message was not valid UTF-8.
	ReasonBadData
	// ReasonIdle: nothing (not even a pong) arrived within the idle timeout.
	ReasonIdle
	// ReasonShutdown: the relay is shutting down.
	ReasonShutdown
	// ReasonPolicy: the application closed the connection.
	ReasonPolicy
)

// String names the reason for logs.
func (r CloseReason) String() string {
	switch r {
	case ReasonClientClose:
		return "client close"
	case ReasonEOF:
		return "client went away"
	case ReasonReadError:
		return "read error"
	case ReasonWriteError:
		return "write error"
	case ReasonQueueFull:
		return "outbound queue full"
	case ReasonTooLarge:
		return "message too large"
	case ReasonProtocol:
		return "protocol error"
	case ReasonBadData:
		return "invalid data"
	case ReasonIdle:
		return "idle timeout"
	case ReasonShutdown:
		return "shutting down"
	case ReasonPolicy:
		return "closed by relay"
	}
	return "unknown"
}

// Code is the websocket status code sent in the close frame for the reason.
func (r CloseReason) Code() ws.StatusCode {
	switch r {
	case ReasonClientClose:
		return ws.StatusNormalClosure
	case ReasonQueueFull:
		return ws.StatusPolicyViolation
	case ReasonTooLarge:
		return ws.StatusMessageTooBig
	case ReasonProtocol:
		return ws.StatusProtocolError
	case ReasonBadData:
		return ws.StatusInvalidFramePayloadData
	case ReasonIdle, ReasonShutdown:
		return ws.StatusGoingAway
	case ReasonPolicy:
		return ws.StatusPolicyViolation
	}
	return ws.StatusInternalServerError
}
