package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"everymeter/change"
	"everymeter/domain"
	"everymeter/i18n"
	"everymeter/store"
	"everymeter/vocab"
	"everymeter/workflow"
)

// Citizens runs public reporting (市民随手拍): submissions without an account, throttled per address and per
// device, wait in a moderation queue; an accepted one is filed as a case through the report loop's own filing
// and routing; the reporter follows it by a tracking code and rates the fix.
type Citizens struct {
	Reports *Reports
	Notify  Notifier
	// AddressLimit and DeviceLimit are how many submissions one address (an IPv6 /64) and one device may make per
	// Window; beyond them a submission is refused until the window ends, and nothing is written.
	AddressLimit, DeviceLimit int
	Window                    time.Duration
}

// Public reporting limits.
const (
	DefaultPublicAddressLimit = 10
	DefaultPublicDeviceLimit  = 5
	DefaultPublicWindow       = time.Hour
	MaxPublicPhotos           = 3
	// NearbyRadiusM is how far the suggestions shown before submitting look for open cases.
	NearbyRadiusM = 150
	maxNearby     = 5
	maxQueue      = 500
)

// Throttle scopes of public submissions (in the sign-in throttle's table).
const (
	ScopePublicAddress = "public-address"
	ScopePublicDevice  = "public-device"
)

// NewCitizens wires public reporting over the report loop with the default limits; n may be nil.
func NewCitizens(rs *Reports, n Notifier) *Citizens {
	if n == nil {
		n = LogNotifier{Log: rs.Log}
	}
	return &Citizens{Reports: rs, Notify: n, AddressLimit: DefaultPublicAddressLimit, DeviceLimit: DefaultPublicDeviceLimit, Window: DefaultPublicWindow}
}

// ErrBlocked is returned for a submission from a blocked phone or device.
var ErrBlocked = domain.ErrBlocked

// codeAlphabet has no 0/O or 1/I, so a code read aloud or copied by hand survives.
const codeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// newCode makes a tracking code: 10 characters of 32, 50 bits, not guessable (the page shows no identity, but
// a case's progress is still the reporter's business).
func newCode() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b)
}

// ValidCode reports whether s has the shape of a tracking code.
func ValidCode(s string) bool {
	if len(s) != 10 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune(codeAlphabet, r) {
			return false
		}
	}
	return true
}

// PublicCategories are the categories residents may choose: active 事件 (event) categories (部件 reports need
// the asset register, which the public does not know).
func (c *Citizens) PublicCategories(ctx context.Context) ([]store.Category, error) {
	cats, err := c.Reports.Store.Categories(ctx, true)
	if err != nil {
		return nil, err
	}
	out := cats[:0]
	for _, cat := range cats {
		if vocab.CategoryType(cat.Type) == vocab.EventType {
			out = append(out, cat)
		}
	}
	return out, nil
}

// limitKey is one throttle key of a submission.
type limitKey struct {
	key, scope, addr string
	limit            int
}

func (c *Citizens) limitKeys(in domain.NewPublicReport) []limitKey {
	addr := keysFor("", in.Addr).addr
	var ks []limitKey
	// A citizen app posts for all its users from its own servers: its key vouches for it, and its users are
	// limited by their devices.
	if in.AppID == nil {
		ks = append(ks, limitKey{key: "public-addr:" + addr, scope: ScopePublicAddress, addr: addr, limit: c.AddressLimit})
	}
	if in.Device != "" {
		ks = append(ks, limitKey{key: "public-device:" + in.Device, scope: ScopePublicDevice, addr: addr, limit: c.DeviceLimit})
	}
	return ks
}

// admitPublic refuses a submission whose address or device used its window up, writing nothing. Under the keys'
// locks (taken in one order: address, then device) concurrent submissions take turns, so none slips past a limit.
func (c *Citizens) admitPublic(ctx context.Context, tx *store.Store, ks []limitKey) error {
	names := make([]string, len(ks))
	for i, k := range ks {
		if err := tx.LockKey(ctx, k.key); err != nil {
			return err
		}
		names[i] = k.key
	}
	rows, err := tx.ThrottlesByKey(ctx, names)
	if err != nil {
		return err
	}
	for _, t := range rows {
		for _, k := range ks {
			if t.Key == k.key && t.Failures >= k.limit {
				return &LockedError{Until: t.ExpiresAt, Reason: fmt.Sprintf("too many reports from this %s", strings.TrimPrefix(k.scope, "public-"))}
			}
		}
	}
	return nil
}

// countPublic counts an admitted submission under its keys; a key's window starts with its first submission.
func (c *Citizens) countPublic(ctx context.Context, tx *store.Store, ks []limitKey) error {
	for _, k := range ks {
		t, err := tx.BumpThrottle(ctx, k.key, k.scope, "", k.addr)
		if err != nil {
			return err
		}
		end := t.FirstAt.Add(c.Window)
		var until *time.Time
		if t.Failures >= k.limit {
			until = &end
		}
		if err := tx.SetThrottleLimits(ctx, t.ID, until, end); err != nil {
			return err
		}
	}
	return nil
}

// Submit queues a public report. Order matters for "nothing written when refused": everything that can be
// checked without writing (fields, honeypot, block list, photos decoded and cleaned in memory, the limits) is
// checked first; only then are the photo files and rows written, in one transaction under the limits' locks.
func (c *Citizens) Submit(ctx context.Context, in domain.NewPublicReport) (domain.PublicFiled, error) {
	var ck checker
	ck.check(in.Honeypot == "", "website", "leave this field empty")
	ck.check(in.Category != "", "category", "choose a category")
	ck.check(utf8.RuneCountInString(in.Description) <= 2000, "description", "at most 2000 characters")
	ck.check(utf8.RuneCountInString(in.Address) <= 500, "address", "at most 500 characters")
	ck.check(utf8.RuneCountInString(in.Nickname) <= 50, "nickname", "at most 50 characters")
	ck.check(validPhone(in.Phone), "phone", "a phone number has 5 to 20 digits (and + - or spaces)")
	ck.check(len(in.Device) <= 100, "device", "at most 100 characters")
	ck.check(len(in.Photos) <= MaxPublicPhotos, "photos", "at most %d photos", MaxPublicPhotos)
	if in.Point != nil {
		p := *in.Point
		ck.check(!math.IsNaN(p[0]) && !math.IsNaN(p[1]) && p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90,
			"geometry", "coordinates must be [lon, lat] with lon in [-180, 180] and lat in [-90, 90]")
	}
	if err := ck.err(); err != nil {
		return domain.PublicFiled{}, err
	}
	st := c.Reports.Store
	cat, err := st.Category(ctx, in.Category)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (!cat.Active || vocab.CategoryType(cat.Type) != vocab.EventType)) {
		return domain.PublicFiled{}, invalid("category", "no public category with code %q", in.Category)
	} else if err != nil {
		return domain.PublicFiled{}, err
	}
	if blocked, err := st.Blocked(ctx, in.Phone, in.Device); err != nil {
		return domain.PublicFiled{}, err
	} else if blocked {
		return domain.PublicFiled{}, ErrBlocked
	}
	ks := c.limitKeys(in)
	// A read-only look first: a flood is refused before any photo is decoded.
	if err := c.admitPublic(ctx, st, ks); err != nil {
		return domain.PublicFiled{}, err
	}
	photos := make([]cleaned, 0, len(in.Photos))
	for _, data := range in.Photos {
		cp, err := c.Reports.cleanPhoto(data)
		if err != nil {
			return domain.PublicFiled{}, err
		}
		photos = append(photos, cp)
	}
	pin := in.Point
	for _, p := range photos {
		if pin == nil && p.suggested != nil {
			pin = p.suggested
		}
	}
	if pin == nil {
		return domain.PublicFiled{}, invalid("geometry", "place a pin on the map (or send a photo with its GPS position)")
	}
	var out domain.PublicReport
	err = st.WithTx(ctx, func(tx *store.Store) error {
		if err := c.admitPublic(ctx, tx, ks); err != nil {
			return err
		}
		if err := c.countPublic(ctx, tx, ks); err != nil {
			return err
		}
		var err error
		out, err = tx.InsertPublicReport(ctx, domain.PublicReport{Code: newCode(), CategoryCode: cat.Code,
			Description: strings.TrimSpace(in.Description), Address: strings.TrimSpace(in.Address), Geom: *pin,
			Nickname: strings.TrimSpace(in.Nickname), Phone: strings.TrimSpace(in.Phone), Device: in.Device, Addr: in.Addr, AppID: in.AppID})
		if err != nil {
			return err
		}
		for _, p := range photos {
			if err := p.store(c.Reports); err != nil {
				return err
			}
			if err := tx.AddPublicPhoto(ctx, domain.PublicPhoto{PublicReportID: out.ID, SHA256: p.hash, ContentType: p.contentType,
				Bytes: int64(len(p.clean)), Width: p.width, Height: p.height, ExifPoint: p.suggested}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return domain.PublicFiled{}, err
	}
	return domain.PublicFiled{Code: out.Code, Status: out.Status}, nil
}

func validPhone(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return true
	}
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' || r == '-' || r == ' ':
		default:
			return false
		}
	}
	return digits >= 5 && digits <= 20
}

// Nearby lists open cases near a place (suggestions shown before submitting: "已有人报告 …, 120 m away").
func (c *Citizens) Nearby(ctx context.Context, lon, lat float64, category string) ([]domain.NearbyCase, error) {
	if math.IsNaN(lon) || math.IsNaN(lat) || lon < -180 || lon > 180 || lat < -90 || lat > 90 {
		return nil, invalid("lon", "lon must be in [-180, 180] and lat in [-90, 90]")
	}
	return c.Reports.Store.NearbyOpenCases(ctx, [2]float64{lon, lat}, NearbyRadiusM, category, maxNearby)
}

// moderator checks that who may read residents' identities (nickname, phone, device) across the county: the
// visibility policy's reporters resource at scope all. The route table admits admins only; this keeps the rule in
// the one policy, beside every other read of a reporter.
func moderator(who Who) error {
	v, err := view(who, Reporters)
	if err != nil {
		return err
	}
	if v.Denied || v.Unit != nil {
		return ErrForbidden
	}
	return nil
}

// Queue lists the public reports waiting for moderation, oldest first, with their photos.
func (c *Citizens) Queue(ctx context.Context, who Who) ([]domain.PublicReport, error) {
	if err := moderator(who); err != nil {
		return nil, err
	}
	ps, err := c.Reports.Store.PublicReportsByStatus(ctx, "pending", maxQueue)
	if err != nil {
		return nil, err
	}
	for i := range ps {
		if ps[i].Photos, err = c.Reports.Store.PublicPhotos(ctx, ps[i].ID); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

// Queued returns one public report with its photos, for moderators.
func (c *Citizens) Queued(ctx context.Context, who Who, id int64) (domain.PublicReport, error) {
	if err := moderator(who); err != nil {
		return domain.PublicReport{}, err
	}
	p, err := c.Reports.Store.PublicReport(ctx, id)
	if err != nil {
		return p, err
	}
	p.Photos, err = c.Reports.Store.PublicPhotos(ctx, id)
	return p, err
}

// on is the report loop working in the transaction tx (filing joins it).
func (s *Reports) on(tx *store.Store) *Reports {
	return &Reports{Store: tx, Locate: s.Locate, Log: s.Log, DataDir: s.DataDir, Now: s.Now}
}

// Moderate applies a moderator's decision to a pending public report: accept files it as a case, routed exactly
// as reports are (the reason is kept), with its visible photos; merge makes it follow an open case; reject closes
// it with a reason the reporter sees. Deciding twice is a conflict.
func (c *Citizens) Moderate(ctx context.Context, who Who, id int64, m domain.Moderation) (domain.PublicReport, error) {
	if err := moderator(who); err != nil {
		return domain.PublicReport{}, err
	}
	var ck checker
	ck.check(m.Action == "accept" || m.Action == "merge" || m.Action == "reject", "action", "action must be accept, merge or reject")
	ck.check(utf8.RuneCountInString(m.Reason) <= 1000, "reason", "at most 1000 characters")
	ck.check(m.Action != "reject" || strings.TrimSpace(m.Reason) != "", "reason", "a rejection needs a reason the reporter will read")
	ck.check(m.Action != "merge" || m.ReportID != nil, "report_id", "a merge needs report_id, the open case this one duplicates")
	if err := ck.err(); err != nil {
		return domain.PublicReport{}, err
	}
	var caseID *int64
	var unitID *int64
	err := c.Reports.Store.WithTx(ctx, func(tx *store.Store) error {
		p, err := tx.PublicReportForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if p.Status != "pending" {
			return &workflow.Error{Kind: workflow.ErrIllegal, Detail: fmt.Sprintf("public report %s is %s already", p.Code, p.Status)}
		}
		status := map[string]string{"accept": "accepted", "merge": "merged", "reject": "rejected"}[m.Action]
		switch m.Action {
		case "accept":
			f, err := c.Reports.on(tx).File(ctx, who, NewReport{Point: &p.Geom, Category: p.CategoryCode, Description: p.Description,
				Address: p.Address, Source: string(vocab.FromCitizen), SourceID: p.Code})
			if err != nil {
				return err
			}
			caseID, unitID = &f.Report.ID, f.Report.UnitID
			if m.Reason != "" {
				if _, err := tx.AddReportEvent(ctx, store.ReportEvent{ReportID: f.Report.ID, At: c.Reports.now(), ActorID: idPtr(who), Actor: who.Name,
					Action: "moderate", FromStatus: f.Report.Status, ToStatus: f.Report.Status, Note: m.Reason, UnitID: f.Report.UnitID,
					Details: map[string]any{"public_report": p.ID}}); err != nil {
					return err
				}
			}
			if err := c.copyPhotos(ctx, tx, p.ID, f.Report.ID); err != nil {
				return err
			}
		case "merge":
			orig, err := tx.Report(ctx, *m.ReportID)
			if errors.Is(err, store.ErrNotFound) {
				return invalid("report_id", "no case with id %d", *m.ReportID)
			} else if err != nil {
				return err
			}
			if !vocab.Is(orig.Status, vocab.OpenStatuses) {
				return invalid("report_id", "case %d is %s; merge into an open case", orig.ID, orig.Status)
			}
			caseID = &orig.ID
			if err := c.copyPhotos(ctx, tx, p.ID, orig.ID); err != nil {
				return err
			}
		}
		if err := tx.ModeratePublicReport(ctx, p.ID, status, caseID, strings.TrimSpace(m.Reason), idPtr(who)); err != nil {
			return err
		}
		return tx.Audit(ctx, auditOf(who), "public-"+status, "public_report", p.ID, nil, map[string]any{"report_id": caseID, "reason": m.Reason})
	})
	if err != nil {
		return domain.PublicReport{}, err
	}
	p, err := c.Queued(ctx, who, id)
	if err != nil {
		return p, err
	}
	c.notify(ctx, Notice{Kind: NoticeStatus, Code: p.Code, Status: p.Status, Phone: p.Phone})
	if m.Action == "accept" && unitID != nil {
		c.notify(ctx, Notice{Kind: NoticeNewCase, ReportID: *caseID, UnitID: *unitID})
	}
	return p, nil
}

// copyPhotos attaches a public report's visible photos to a case.
func (c *Citizens) copyPhotos(ctx context.Context, tx *store.Store, publicID, reportID int64) error {
	ps, err := tx.PublicPhotos(ctx, publicID)
	if err != nil {
		return err
	}
	for _, pp := range ps {
		if pp.Hidden {
			continue
		}
		ph, _, err := tx.AddPhoto(ctx, store.Photo{ReportID: reportID, SHA256: pp.SHA256, ContentType: pp.ContentType,
			Bytes: pp.Bytes, Width: pp.Width, Height: pp.Height, ExifPoint: pp.ExifPoint})
		if err != nil {
			return err
		}
		if err := tx.LinkPublicPhoto(ctx, pp.ID, ph.ID); err != nil {
			return err
		}
	}
	return nil
}

// Edit corrects a pending public report; the submission as filed stays in its original.
func (c *Citizens) Edit(ctx context.Context, who Who, id int64, e domain.PublicEdit) (domain.PublicReport, error) {
	if err := moderator(who); err != nil {
		return domain.PublicReport{}, err
	}
	err := c.Reports.Store.WithTx(ctx, func(tx *store.Store) error {
		p, err := tx.PublicReportForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if p.Status != "pending" {
			return &workflow.Error{Kind: workflow.ErrIllegal, Detail: fmt.Sprintf("public report %s is %s; only pending ones are edited", p.Code, p.Status)}
		}
		before := p
		if e.Category != nil {
			cat, err := tx.Category(ctx, *e.Category)
			if errors.Is(err, store.ErrNotFound) || (err == nil && !cat.Active) {
				return invalid("category", "no active category with code %q", *e.Category)
			} else if err != nil {
				return err
			}
			p.CategoryCode = cat.Code
		}
		if e.Description != nil {
			p.Description = *e.Description
		}
		if e.Address != nil {
			p.Address = *e.Address
		}
		if e.Point != nil {
			p.Geom = *e.Point
		}
		var ck checker
		ck.check(utf8.RuneCountInString(p.Description) <= 2000, "description", "at most 2000 characters")
		ck.check(utf8.RuneCountInString(p.Address) <= 500, "address", "at most 500 characters")
		ck.check(p.Geom[0] >= -180 && p.Geom[0] <= 180 && p.Geom[1] >= -90 && p.Geom[1] <= 90, "geometry", "coordinates must be [lon, lat]")
		if err := ck.err(); err != nil {
			return err
		}
		if err := tx.EditPublicReport(ctx, p); err != nil {
			return err
		}
		return tx.Audit(ctx, auditOf(who), "public-edited", "public_report", p.ID,
			map[string]any{"category": before.CategoryCode, "description": before.Description, "address": before.Address},
			map[string]any{"category": p.CategoryCode, "description": p.Description, "address": p.Address})
	})
	if err != nil {
		return domain.PublicReport{}, err
	}
	return c.Queued(ctx, who, id)
}

// HidePhoto hides a photo of a public report: it is never published, and the case's copy is removed.
func (c *Citizens) HidePhoto(ctx context.Context, who Who, photoID int64) (domain.PublicPhoto, error) {
	if err := moderator(who); err != nil {
		return domain.PublicPhoto{}, err
	}
	var out domain.PublicPhoto
	err := c.Reports.Store.WithTx(ctx, func(tx *store.Store) error {
		var err error
		if out, err = tx.HidePublicPhoto(ctx, photoID); err != nil {
			return err
		}
		return tx.Audit(ctx, auditOf(who), "public-photo-hidden", "public_photo", photoID, nil, nil)
	})
	return out, err
}

// Blocks lists the block list.
func (c *Citizens) Blocks(ctx context.Context, who Who) ([]domain.PublicBlock, error) {
	if err := moderator(who); err != nil {
		return nil, err
	}
	return c.Reports.Store.Blocks(ctx)
}

// Block puts a phone or a device on the block list.
func (c *Citizens) Block(ctx context.Context, who Who, b domain.PublicBlock) (domain.PublicBlock, error) {
	if err := moderator(who); err != nil {
		return b, err
	}
	var ck checker
	ck.check(vocab.BlockKind(b.Kind).Valid(), "kind", "kind must be phone or device")
	ck.check(b.Value != "" && len(b.Value) <= 100, "value", "a value of 1 to 100 characters is required")
	ck.check(utf8.RuneCountInString(b.Reason) <= 500, "reason", "at most 500 characters")
	if err := ck.err(); err != nil {
		return b, err
	}
	var out domain.PublicBlock
	err := c.Reports.Store.WithTx(ctx, func(tx *store.Store) error {
		var err error
		if out, err = tx.AddBlock(ctx, b, idPtr(who)); err != nil {
			return err
		}
		return tx.Audit(ctx, auditOf(who), "public-blocked", "public_block", out.ID, nil, out)
	})
	return out, err
}

// Unblock removes a block list entry.
func (c *Citizens) Unblock(ctx context.Context, who Who, id int64) error {
	if err := moderator(who); err != nil {
		return err
	}
	return c.Reports.Store.WithTx(ctx, func(tx *store.Store) error {
		if err := tx.DeleteBlock(ctx, id); err != nil {
			return err
		}
		return tx.Audit(ctx, auditOf(who), "public-unblocked", "public_block", id, nil, nil)
	})
}

// PublicStatus is the reporter's tracking page: where the report (or the case it became or follows) stands, its
// timeline and published photos — nothing about the reporter, no staff note, no staff name. Unknown codes are
// store.ErrNotFound.
func (c *Citizens) PublicStatus(ctx context.Context, code string) (domain.PublicStatus, error) {
	if !ValidCode(code) {
		return domain.PublicStatus{}, store.ErrNotFound
	}
	st := c.Reports.Store
	p, err := st.PublicReportByCode(ctx, code)
	if err != nil {
		return domain.PublicStatus{}, err
	}
	out := domain.PublicStatus{Code: p.Code, Status: p.Status, CategoryName: p.CategoryName, Description: p.Description,
		Address: p.Address, Lon: p.Geom[0], Lat: p.Geom[1], Steps: []domain.PublicStep{{At: p.CreatedAt, Step: "received"}},
		PhotoIDs: []int64{}}
	switch p.Status {
	case "rejected":
		out.Reason = p.Reason
		out.Steps = append(out.Steps, domain.PublicStep{At: *p.ModeratedAt, Step: "rejected"})
		return out, nil
	case "pending":
		return out, nil
	case "merged":
		out.Merged, out.Reason = true, p.Reason
		out.Steps = append(out.Steps, domain.PublicStep{At: *p.ModeratedAt, Step: "merged"})
	default:
		out.Steps = append(out.Steps, domain.PublicStep{At: *p.ModeratedAt, Step: "accepted"})
	}
	r, err := st.Report(ctx, *p.ReportID)
	if err != nil {
		return out, err
	}
	out.Status, out.CaseStatus, out.UnitName = r.Status, r.Status, r.UnitName
	if p.Status == "merged" { // the original's own description stands for the case
		out.Description, out.Address = r.Description, r.Address
	}
	ev, err := st.ReportEvents(ctx, r.ID)
	if err != nil {
		return out, err
	}
	for _, e := range ev {
		if e.At.Before(*p.ModeratedAt) && p.Status == "merged" {
			continue // the original's history before this reporter joined is not theirs to read
		}
		s := publicStep(e)
		if s.Step != "" {
			out.Steps = append(out.Steps, s)
		}
	}
	ratings, err := st.Ratings(ctx, p.ID)
	if err != nil {
		return out, err
	}
	for _, x := range ratings {
		out.Steps = append(out.Steps, domain.PublicStep{At: x.At, Step: "rated", Rating: x.Rating})
		if r.ClosedAt != nil && x.ClosedAt.Equal(*r.ClosedAt) {
			out.Rating = x.Rating
		}
	}
	out.CanRate = r.Status == string(workflow.Closed) && r.ClosedAt != nil && out.Rating == ""
	if out.PhotoIDs, err = st.PublishedPhotoIDs(ctx, r.ID); err != nil {
		return out, err
	}
	return out, nil
}

// publicStep translates a case's step for the tracking page, keeping only what the public may read: the step,
// its time, the unit and the after photo. "" for steps the public does not see (edits, photos, duplicates …).
func publicStep(e store.ReportEvent) domain.PublicStep {
	s := domain.PublicStep{At: e.At}
	switch e.Action {
	case string(workflow.Dispatch):
		s.Step, s.UnitName = "dispatched", e.UnitName
	case string(workflow.Accept):
		s.Step, s.UnitName = "taken", e.UnitName
	case string(workflow.Resolve):
		s.Step, s.UnitName, s.PhotoID = "fixed", e.UnitName, e.PhotoID
	case string(workflow.Verify):
		s.Step = "closed"
	case string(workflow.SendForRework):
		s.Step = "rework"
	case string(workflow.Reopen):
		s.Step = "reopened"
	case string(workflow.Return):
		s.Step = "returned"
	case actionRecheck:
		s.Step = "recheck"
	}
	return s
}

// PublicPhoto returns a photo the tracking page of code publishes, and its file's path.
func (c *Citizens) PublicPhoto(ctx context.Context, code string, photoID int64, thumb bool) (store.Photo, string, error) {
	ps, err := c.PublicStatus(ctx, code)
	if err != nil {
		return store.Photo{}, "", err
	}
	for _, id := range ps.PhotoIDs {
		if id == photoID {
			ph, err := c.Reports.Store.Photo(ctx, id)
			if err != nil {
				return ph, "", err
			}
			return ph, c.Reports.PhotoPath(ph.SHA256, thumb), nil
		}
	}
	return store.Photo{}, "", store.ErrNotFound
}

// actionRecheck is the step a 不满意 rating records: the closed case goes back to resolved, to be verified again.
const actionRecheck = "recheck"

// Ratings residents may give (满意, 基本满意, 不满意).
var Ratings = vocab.Strings(vocab.Ratings)

// Rate records the reporter's satisfaction with the current closing of their case; 不满意 sends the case back
// for re-check (it is resolved again, waiting for an inspector to verify) and is counted against the unit.
func (c *Citizens) Rate(ctx context.Context, code, rating string) (domain.PublicStatus, error) {
	if !contains(Ratings, rating) {
		return domain.PublicStatus{}, invalid("rating", "rating must be %s", either(Ratings))
	}
	if !ValidCode(code) {
		return domain.PublicStatus{}, store.ErrNotFound
	}
	var unitID *int64
	err := c.Reports.Store.WithTx(ctx, func(tx *store.Store) error {
		p, err := tx.PublicReportByCode(ctx, code)
		if err != nil {
			return err
		}
		if p.ReportID == nil || (p.Status != "accepted" && p.Status != "merged") {
			return &workflow.Error{Kind: workflow.ErrIllegal, Detail: "only a closed case can be rated"}
		}
		r, err := tx.ReportForUpdate(ctx, *p.ReportID)
		if err != nil {
			return err
		}
		if r.Status != string(workflow.Closed) || r.ClosedAt == nil {
			return &workflow.Error{Kind: workflow.ErrIllegal, Detail: "only a closed case can be rated"}
		}
		if err := tx.AddRating(ctx, p.ID, r.ID, r.UnitID, rating, *r.ClosedAt); errors.Is(err, store.ErrConflict) {
			return &workflow.Error{Kind: workflow.ErrIllegal, Detail: "this closing was rated already"}
		} else if err != nil {
			return err
		}
		if vocab.Rating(rating) != vocab.Unsatisfied {
			return nil
		}
		from := r.Status
		r.Status, r.ClosedAt, r.VerifierID = string(workflow.Resolved), nil, nil
		if _, err := tx.UpdateReportState(ctx, r); err != nil {
			return err
		}
		ev := store.ReportEvent{ReportID: r.ID, At: c.Reports.now(), Actor: "public",
			Action: actionRecheck, FromStatus: from, ToStatus: r.Status, UnitID: r.UnitID, Details: map[string]any{"rating": rating}}
		ev.SetNote(i18n.M("the reporter is not satisfied (不满意): verify again"))
		if _, err := tx.AddReportEvent(ctx, ev); err != nil {
			return err
		}
		unitID = r.UnitID
		tx.Changed(change.Report, r.ID, r.Geom)
		return nil
	})
	if err != nil {
		return domain.PublicStatus{}, err
	}
	if unitID != nil {
		c.notify(ctx, Notice{Kind: NoticeRecheck, Code: code, UnitID: *unitID})
	}
	return c.PublicStatus(ctx, code)
}

func (c *Citizens) notify(ctx context.Context, n Notice) {
	if c.Notify == nil {
		return
	}
	if err := c.Notify.Notify(ctx, n); err != nil {
		c.Reports.Log.Warn("notifying", "kind", n.Kind, "err", err)
	}
}

// ReportChanged tells the reporters following the changed cases where their case stands now (subscribed to
// committed changes in package server).
func (c *Citizens) ReportChanged(ctx context.Context, ids []int64) {
	for _, id := range ids {
		ps, err := c.Reports.Store.PublicReportsOfCase(ctx, id)
		if err != nil || len(ps) == 0 {
			continue
		}
		r, err := c.Reports.Store.Report(ctx, id)
		if err != nil {
			continue
		}
		for _, p := range ps {
			c.notify(ctx, Notice{Kind: NoticeStatus, Code: p.Code, Status: r.Status, Phone: p.Phone, ReportID: id})
		}
	}
}

// appKeyHash is how a citizen app's key is kept: its SHA-256 (a key is random, so no salt or stretching helps).
func appKeyHash(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// CreateApp registers a citizen app and returns its key, shown this once.
func (c *Citizens) CreateApp(ctx context.Context, who Who, name string) (string, domain.CitizenApp, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return "", domain.CitizenApp{}, invalid("name", "an app needs a name of 1 to 200 characters")
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	key := domain.CitizenAppKeyPrefix + hex.EncodeToString(b)
	var app domain.CitizenApp
	err := c.Reports.Store.WithTx(ctx, func(tx *store.Store) error {
		var err error
		if app, err = tx.CreateCitizenApp(ctx, name, appKeyHash(key)); err != nil {
			return err
		}
		return tx.Audit(ctx, auditOf(who), "citizen-app-created", "citizen_app", app.ID, nil, app)
	})
	return key, app, err
}

// Apps lists the citizen apps.
func (c *Citizens) Apps(ctx context.Context) ([]domain.CitizenApp, error) {
	return c.Reports.Store.CitizenApps(ctx)
}

// RevokeApp revokes a citizen app's key.
func (c *Citizens) RevokeApp(ctx context.Context, who Who, id int64) error {
	return c.Reports.Store.WithTx(ctx, func(tx *store.Store) error {
		if err := tx.RevokeCitizenApp(ctx, id); err != nil {
			return err
		}
		return tx.Audit(ctx, auditOf(who), "citizen-app-revoked", "citizen_app", id, nil, nil)
	})
}

// SubmitFromApp queues a public report a citizen app sent with its key (Open311 POST requests): domain.ErrAuth
// for an unknown or revoked key.
func (c *Citizens) SubmitFromApp(ctx context.Context, key string, in domain.NewPublicReport) (domain.PublicFiled, error) {
	app, err := c.Reports.Store.CitizenAppByKey(ctx, appKeyHash(key))
	if errors.Is(err, store.ErrNotFound) {
		return domain.PublicFiled{}, domain.ErrAuth
	} else if err != nil {
		return domain.PublicFiled{}, err
	}
	in.AppID = &app.ID
	return c.Submit(ctx, in)
}
