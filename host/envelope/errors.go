package envelope

import "errors"

// Sentinel errors wrapped by *Error. They name the rule a message broke;
// callers branch on them with errors.Is.
var (
	// ErrSyntax: the message is not valid UTF-8 JSON, or nests deeper than
	// this package reads.
	ErrSyntax = errors.New("envelope: malformed JSON")
	// ErrNotArray: the message is JSON but not an array.
	ErrNotArray = errors.New("envelope: message is not an array")
	// ErrEmpty: the message is an empty array.
	ErrEmpty = errors.New("envelope: empty message")
	// ErrLabel: the first element is not a string.
	ErrLabel = errors.New("envelope: label is not a string")
	// ErrUnknownLabel: the label is not one a client may send.
	ErrUnknownLabel = errors.New("envelope: unknown label")
	// ErrArity: the message has the wrong number of elements.
	ErrArity = errors.New("envelope: wrong number of elements")
	// ErrSubID: the subscription id is not a non-empty string.
	ErrSubID = errors.New("envelope: bad subscription id")
	// ErrFilter: a filter is not an object or has a bad field.
	ErrFilter = errors.New("envelope: bad filter")
	// ErrEvent: the event is not an object or has a bad or missing field.
	ErrEvent = errors.New("envelope: bad event")
	// ErrNegMessage: the negentropy message of a NEG-OPEN or NEG-MSG is not
	// a string of lowercase hex.
	ErrNegMessage = errors.New("envelope: bad negentropy message")
	// ErrLimit: the message exceeds one of the Limits.
	ErrLimit = errors.New("envelope: over limit")
)

// Error is the error Parse returns. It says which message it was about and
// carries what could be read of it, so the relay can answer the right way:
//
//   - Label is LabelEvent or LabelAuth and EventID is set: answer
//     ["OK", EventID, false, "invalid: " + Reason].
//   - Label is LabelReq or LabelCount and SubID is set: answer
//     ["CLOSED", SubID, "invalid: " + Reason] (or "error: " for ErrLimit,
//     as the relay prefers).
//   - Label is LabelNegOpen or LabelNegMsg and SubID is set: answer
//     ["NEG-ERR", SubID, "invalid: " + Reason] (NIP-77).
//   - Otherwise: answer ["NOTICE", Reason] (a bad CLOSE has no reply of
//     its own).
//
// EventID is set only to a well-formed id (64 lowercase hex characters)
// found in the event object, even when the rest of the event or message is
// bad. SubID is set only when the subscription id itself was valid.
// A bad NEG-CLOSE, like a bad CLOSE, has no reply of its own.
type Error struct {
	// Label is the message's label, LabelUnknown when it could not be read.
	Label Label
	// SubID is the subscription id of a REQ, COUNT, CLOSE or NEG-*, if
	// valid.
	SubID string
	// EventID is the id of the event of an EVENT or AUTH, if well-formed.
	EventID string
	// Reason says what is wrong, in lowercase, without a NIP-01 prefix; it
	// is meant for the client.
	Reason string
	// Err is one of the sentinel errors of this package.
	Err error
}

// Error returns the error as "envelope: <label>: <reason>".
func (e *Error) Error() string {
	return "envelope: " + e.Label.String() + ": " + e.Reason
}

// Unwrap returns the sentinel error.
func (e *Error) Unwrap() error {
	return e.Err
}
