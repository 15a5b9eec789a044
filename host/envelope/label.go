package envelope

// Label is the kind of a client message, taken from its first element.
type Label uint8

// The labels a client may send (NIP-01, NIP-42, NIP-45, NIP-77). The
// numbers are explicit and never change; zero means the label is unknown.
const (
	LabelUnknown  Label = 0
	LabelEvent    Label = 1
	LabelReq      Label = 2
	LabelCount    Label = 3
	LabelClose    Label = 4
	LabelAuth     Label = 5
	LabelNegOpen  Label = 6
	LabelNegMsg   Label = 7
	LabelNegClose Label = 8
)

// String returns the label as it appears on the wire, or "unknown".
func (l Label) String() string {
	switch l {
	case LabelEvent:
		return "EVENT"
	case LabelReq:
		return "REQ"
	case LabelCount:
		return "COUNT"
	case LabelClose:
		return "CLOSE"
	case LabelAuth:
		return "AUTH"
	case LabelNegOpen:
		return "NEG-OPEN"
	case LabelNegMsg:
		return "NEG-MSG"
	case LabelNegClose:
		return "NEG-CLOSE"
	default:
		return "unknown"
	}
}

// labelOf maps a wire label to a Label.
func labelOf(s string) Label {
	switch s {
	case "EVENT":
		return LabelEvent
	case "REQ":
		return LabelReq
	case "COUNT":
		return LabelCount
	case "CLOSE":
		return LabelClose
	case "AUTH":
		return LabelAuth
	case "NEG-OPEN":
		return LabelNegOpen
	case "NEG-MSG":
		return LabelNegMsg
	case "NEG-CLOSE":
		return LabelNegClose
	default:
		return LabelUnknown
	}
}
