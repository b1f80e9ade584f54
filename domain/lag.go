package domain

import "context"

type lagKey struct{}

// LagTolerant marks ctx as a read that may be answered from a streaming replica a few seconds behind the
// primary (a download: the cases, the gaps, as a spreadsheet), unlike the same data read on screen, which a user
// expects to show what they just wrote.
func LagTolerant(ctx context.Context) context.Context { return context.WithValue(ctx, lagKey{}, true) }

// IsLagTolerant reports whether ctx was marked by LagTolerant.
func IsLagTolerant(ctx context.Context) bool { v, _ := ctx.Value(lagKey{}).(bool); return v }
