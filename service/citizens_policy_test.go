package service

import (
	"context"
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

// TestModerationWritesFollowThePolicy: deciding, editing, hiding a photo and the block list are moderators' acts
// too; a role the policy refuses is stopped in the service before anything is read or written, whatever the route
// table says.
func TestModerationWritesFollowThePolicy(t *testing.T) {
	unit := int64(7)
	staff := domain.Principal{Role: "unit_staff", UnitID: &unit}
	c := &Citizens{} // no store: a refused call must not reach one
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"moderate": func() error {
			_, err := c.Moderate(ctx, staff, 1, domain.Moderation{Action: "reject", Reason: "x"})
			return err
		},
		"edit":       func() error { _, err := c.Edit(ctx, staff, 1, domain.PublicEdit{}); return err },
		"hide photo": func() error { _, err := c.HidePhoto(ctx, staff, 1); return err },
		"block":      func() error { _, err := c.Block(ctx, staff, domain.PublicBlock{Kind: "phone", Value: "1"}); return err },
		"unblock":    func() error { return c.Unblock(ctx, staff, 1) },
	} {
		if err := call(); !errors.Is(err, ErrForbidden) {
			t.Errorf("%s as unit staff: %v, want ErrForbidden", name, err)
		}
	}
}
