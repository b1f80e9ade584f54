package service

import (
	"errors"
	"testing"

	"everymeter/domain"
)

// TestModeratorFollowsThePolicy: the moderation queue names residents (nickname, phone, device), so only a role
// the visibility policy lets read every reporter may open it; unit staff (reporters: none) and the public may not.
func TestModeratorFollowsThePolicy(t *testing.T) {
	unit := int64(7)
	for _, c := range []struct {
		who  domain.Principal
		want error
	}{
		{domain.Principal{Role: "admin"}, nil},
		{domain.Principal{Role: "unit_staff", UnitID: &unit}, ErrForbidden},
		{domain.Principal{Role: Anonymous}, ErrForbidden},
	} {
		if err := moderator(c.who); !errors.Is(err, c.want) {
			t.Errorf("%s: moderator() = %v, want %v", c.who.Role, err, c.want)
		}
	}
}
