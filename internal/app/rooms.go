package app

import (
	"kessai/internal/atobarai"
	"kessai/internal/cardupdate"
	"kessai/internal/kantan"
	"kessai/internal/payout"
	"kessai/internal/rakutenpay"
	"kessai/internal/room"
)

// Rooms is the room list: every workflow room, in the order their migrations apply. Adding a
// room is one line here (its package exposes a room.Room); nothing else in internal/app names
// a room. `kessai serve` attaches each, `kessai sandbox` builds their simulators.
func Rooms() []room.Room {
	return []room.Room{
		payout.Plugin,
		cardupdate.Plugin,
		kantan.Plugin,
		rakutenpay.Plugin,
		atobarai.Plugin,
	}
}
