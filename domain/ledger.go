package domain

import (
	"sort"
	"time"

	"everymeter/vocab"
)

// LedgerRow is one line of the rectification ledger (整改台账): a failed item of a round, or a row of the
// provincial feedback list, with the case it filed and where that case stands.
type LedgerRow struct {
	Ref           int64      `json:"ref"` // the result's id (rounds) or the feedback row's id
	Site          string     `json:"site"`
	SiteType      string     `json:"site_type"` // "" for a feedback row
	Item          string     `json:"item"`      // the checklist item, or the feedback row's problem
	Note          string     `json:"note"`      // the evaluator's note, or the feedback row's 序号
	ReportID      int64      `json:"report_id"`
	Status        string     `json:"status"`
	Deadline      *time.Time `json:"deadline"`
	ResolvedAt    *time.Time `json:"resolved_at"`
	Rework        int        `json:"rework"`
	UnitID        *int64     `json:"unit_id"`
	UnitName      string     `json:"unit_name"`
	BeforePhotoID *int64     `json:"before_photo_id"`
	AfterPhotoID  *int64     `json:"after_photo_id"`
	Rebound       bool       `json:"rebound"`   // the item had failed here before and been rectified (反弹)
	Rechecked     bool       `json:"rechecked"` // a later round found it passing
	// Derived by Judge at a moment: rectified (the unit's work is done, or a later round passed it), on time
	// (rectified by the deadline), overdue (the deadline passed before it was rectified).
	Rectified bool `json:"rectified"`
	OnTime    bool `json:"on_time"`
	Overdue   bool `json:"overdue"`
}

// Judge fills Rectified, OnTime and Overdue as they stand at now.
func (l *LedgerRow) Judge(now time.Time) {
	l.Rectified = vocab.Status(l.Status).Handled() || l.Rechecked
	done := now
	if l.ResolvedAt != nil {
		done = *l.ResolvedAt
	}
	late := l.Deadline != nil && done.After(*l.Deadline)
	l.OnTime = l.Rectified && !late
	l.Overdue = late && (l.Rectified || vocab.Status(l.Status).Open())
}

// Ledger is a ledger with its totals.
type Ledger struct {
	Title     string      `json:"title"`
	RoundID   *int64      `json:"round_id"` // nil: the feedback list
	Rows      []LedgerRow `json:"rows"`
	Total     int         `json:"total"`
	Rectified int         `json:"rectified"`
	OnTime    int         `json:"on_time"`
	Open      int         `json:"open"`
	Overdue   int         `json:"overdue"`
	Rebounds  int         `json:"rebounds"`
}

// NewLedger judges every row at now and counts the totals.
func NewLedger(title string, roundID *int64, rows []LedgerRow, now time.Time) Ledger {
	l := Ledger{Title: title, RoundID: roundID, Rows: rows}
	if l.Rows == nil {
		l.Rows = []LedgerRow{}
	}
	for i := range l.Rows {
		r := &l.Rows[i]
		r.Judge(now)
		l.Total++
		if r.Rectified {
			l.Rectified++
		} else {
			l.Open++
		}
		if r.OnTime {
			l.OnTime++
		}
		if r.Overdue {
			l.Overdue++
		}
		if r.Rebound {
			l.Rebounds++
		}
	}
	return l
}

// ReadinessShare is how one unit or site type stands: items, rectified, rectified on time, overdue, and the
// share rectified on time.
type ReadinessShare struct {
	Key       string  `json:"key"`
	Name      string  `json:"name"`
	Items     int     `json:"items"`
	Rectified int     `json:"rectified"`
	OnTime    int     `json:"on_time"`
	Overdue   int     `json:"overdue"`
	Share     float64 `json:"share_on_time"` // OnTime / Items (0 when there are none)
}

// RoundScore is one round's place in the score trend.
type RoundScore struct {
	RoundID  int64        `json:"round_id"`
	Name     string       `json:"name"`
	StartsOn string       `json:"starts_on"`
	County   *float64     `json:"county"`
	Types    []GroupScore `json:"types"`
}

// Readiness is the leaders' view (迎检准备): share rectified on time by unit and by site type, the overdue items,
// and the score trend across rounds.
type Readiness struct {
	ByUnit     []ReadinessShare `json:"by_unit"`
	BySiteType []ReadinessShare `json:"by_site_type"`
	Overdue    []LedgerRow      `json:"overdue"`
	Trend      []RoundScore     `json:"trend"`
}

// Shares groups judged ledger rows by key into readiness shares, ordered by share ascending (the units holding the
// county back first), then by key.
func Shares(rows []LedgerRow, key func(LedgerRow) (string, string)) []ReadinessShare {
	m := map[string]*ReadinessShare{}
	for _, r := range rows {
		k, name := key(r)
		s := m[k]
		if s == nil {
			s = &ReadinessShare{Key: k, Name: name}
			m[k] = s
		}
		s.Items++
		if r.Rectified {
			s.Rectified++
		}
		if r.OnTime {
			s.OnTime++
		}
		if r.Overdue {
			s.Overdue++
		}
	}
	out := []ReadinessShare{}
	for _, s := range m {
		if s.Items > 0 {
			s.Share = float64(s.OnTime) / float64(s.Items)
		}
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Share != out[j].Share {
			return out[i].Share < out[j].Share
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// FeedbackRow is one row of an imported provincial feedback list (测评反馈), located and filed or not.
type FeedbackRow struct {
	ID       int64  `json:"id"`
	ImportID int64  `json:"import_id"`
	RowNo    int    `json:"row"` // the row's number in the sheet (1-based, as the spreadsheet shows it)
	Seq      string `json:"seq"` // 序号
	Place    string `json:"place"`
	Problem  string `json:"problem"`
	Category string `json:"category"`
	Photos   string `json:"photos"`
	Hash     string `json:"hash"`
	Located  bool   `json:"located"`
	Reason   string `json:"reason"` // why it could not be located, or how it was
	ReportID *int64 `json:"report_id"`
}

// FeedbackImport is the answer to importing a feedback list: every row, and what became of it.
type FeedbackImport struct {
	ImportID  int64         `json:"import_id"`
	Rows      int           `json:"rows"`
	Filed     int           `json:"filed"`     // new cases
	Already   int           `json:"already"`   // rows filed by an earlier import
	Unlocated []FeedbackRow `json:"unlocated"` // rows to pin by hand, each with why
	Results   []FeedbackRow `json:"results"`   // every row in sheet order
}

// EvalBriefing is the evaluation's section of the briefing: every round's county score and where its
// rectification stands.
type EvalBriefing struct {
	Rounds []EvalRoundSummary
}

// EvalRoundSummary is one round in the briefing: its scores and its ledger's totals (no lines).
type EvalRoundSummary struct {
	RoundScore
	Ledger Ledger
}
