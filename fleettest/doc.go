// Package fleettest holds the loopback test of a fleet: a private primary, a real streaming replica and two
// `everymeter serve` processes on them, checking that what one server writes the other serves at once.
package fleettest
