package peer

import "fmt"

// Direction says which way a sync moves events.
type Direction uint8

// The directions.
const (
	// Down brings the other relay's events here.
	Down Direction = 1
	// Up sends this relay's events to the other relay.
	Up Direction = 2
	// Both is Down and Up.
	Both = Down | Up
)

// ParseDirection reads "down", "up" or "both"; "" is Down.
func ParseDirection(s string) (Direction, error) {
	switch s {
	case "", "down":
		return Down, nil
	case "up":
		return Up, nil
	case "both":
		return Both, nil
	}
	return 0, fmt.Errorf("peer: direction %q is not down, up or both", s)
}

// String returns "down", "up" or "both".
func (d Direction) String() string {
	switch d {
	case Down:
		return "down"
	case Up:
		return "up"
	case Both:
		return "both"
	}
	return "none"
}
