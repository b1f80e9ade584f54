package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Notice is one thing someone should be told: a reporter that their case moved (by tracking code; the phone is
// for an SMS notifier), or a unit that a case came in or came back for re-check.
type Notice struct {
	Kind     string `json:"kind"` // status, new_case, recheck
	Code     string `json:"code,omitempty"`
	Status   string `json:"status,omitempty"`
	Phone    string `json:"phone,omitempty"`
	ReportID int64  `json:"report_id,omitempty"`
	UnitID   int64  `json:"unit_id,omitempty"`
}

// Notice kinds.
const (
	NoticeStatus  = "status"
	NoticeNewCase = "new_case"
	NoticeRecheck = "recheck"
)

// Notifier delivers notices (log and webhook now; SMS later, behind the same interface).
type Notifier interface {
	Notify(ctx context.Context, n Notice) error
}

// LogNotifier writes notices to the log (the phone left out: logs are read by more people than need it).
type LogNotifier struct{ Log *slog.Logger }

// Notify logs n.
func (l LogNotifier) Notify(_ context.Context, n Notice) error {
	l.Log.Info("notice", "kind", n.Kind, "code", n.Code, "status", n.Status, "report_id", n.ReportID, "unit_id", n.UnitID)
	return nil
}

// WebhookNotifier POSTs each notice as JSON to URL; a 2xx answer is delivery.
type WebhookNotifier struct {
	URL    string
	Client *http.Client // nil: a client with a 5 s timeout
}

// Notify posts n.
func (w WebhookNotifier) Notify(ctx context.Context, n Notice) error {
	cl := w.Client
	if cl == nil {
		cl = &http.Client{Timeout: 5 * time.Second}
	}
	b, err := json.Marshal(n)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := cl.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook %s answered %s", w.URL, resp.Status)
	}
	return nil
}

// Notifiers delivers every notice to each of its notifiers, returning the first error.
type Notifiers []Notifier

// Notify delivers n to all.
func (ns Notifiers) Notify(ctx context.Context, n Notice) error {
	var first error
	for _, x := range ns {
		if err := x.Notify(ctx, n); err != nil && first == nil {
			first = err
		}
	}
	return first
}
