package service

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"everymeter/store"
)

// AuditTimeLayout is how an entry's time enters its hash (UTC, microseconds, as PostgreSQL's to_char
// 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"' writes it in migration 00011).
const AuditTimeLayout = "2006-01-02T15:04:05.000000Z"

// auditGenesis is the hash before the first entry.
var auditGenesis = make([]byte, sha256.Size)

// AuditBreak names the first audit entry where the chain does not hold, and why.
type AuditBreak struct {
	ID     int64  `json:"id"`
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}

// Error reads as a sentence for the command line.
func (b *AuditBreak) Error() string {
	return fmt.Sprintf("audit log broken at entry %d (seq %d): %s", b.ID, b.Seq, b.Reason)
}

// AuditReport is what verifying the audit log found.
type AuditReport struct {
	Entries int64
	Head    string // hex hash of the last entry: note it down, and a later verify proves the log only grew
	Broken  *AuditBreak
}

// auditMessage is the bytes an entry's hash covers: every field as <byte length>:<text>, in the order of
// migration 00011's audit_message, built here independently of the SQL so that each checks the other.
func auditMessage(seq int64, e store.AuditEntry) []byte {
	var b bytes.Buffer
	field := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	opt := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	actorID := ""
	if e.ActorID != nil {
		actorID = strconv.FormatInt(*e.ActorID, 10)
	}
	field(strconv.FormatInt(seq, 10))
	field(e.At.UTC().Format(AuditTimeLayout))
	field(actorID)
	field(e.Actor)
	field(e.Action)
	field(e.Entity)
	field(e.EntityID)
	field(opt(e.Before))
	field(opt(e.After))
	return b.Bytes()
}

// AuditEntryHash is sha256(previous hash ‖ message of the entry at seq).
func AuditEntryHash(prev []byte, seq int64, e store.AuditEntry) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(auditMessage(seq, e))
	return h.Sum(nil)
}

// errStop ends the walk at the first break.
var errStop = errors.New("stop")

// SealAudit chains every audit entry written so far.
func (s *Service) SealAudit(ctx context.Context) (int64, error) {
	var total int64
	for {
		n, err := s.Store.SealAudit(ctx)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// KeepAuditSealed seals new audit entries every interval until ctx ends (the server runs it), so that an entry is
// part of the chain within about a second of its commit.
func (s *Service) KeepAuditSealed(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.SealAudit(ctx); err != nil && ctx.Err() == nil {
				s.Log.Warn("sealing the audit log", "err", err)
			}
		}
	}
}

// VerifyAudit seals what is waiting, then walks the audit log in chain order and recomputes every hash: an entry
// changed or removed shows as the first break.
func (s *Service) VerifyAudit(ctx context.Context) (AuditReport, error) {
	var rep AuditReport
	if _, err := s.SealAudit(ctx); err != nil {
		return rep, err
	}
	prev, want := auditGenesis, int64(1)
	var lastID int64
	headSeq, headHash, err := s.Store.EachAuditEntry(ctx, func(e store.AuditEntry) error {
		brk := func(seq int64, reason string) error {
			rep.Broken = &AuditBreak{ID: e.ID, Seq: seq, Reason: reason}
			return errStop
		}
		switch {
		case *e.Seq > want:
			return brk(*e.Seq, fmt.Sprintf("entries %d to %d are missing (removed)", want, *e.Seq-1))
		case *e.Seq < want:
			return brk(*e.Seq, "the sequence number repeats")
		case !bytes.Equal(e.PrevHash, prev):
			return brk(*e.Seq, "its link to the entry before does not match (that entry was changed or replaced)")
		case !bytes.Equal(e.Hash, AuditEntryHash(prev, *e.Seq, e)):
			return brk(*e.Seq, "its content does not match its hash (the entry was changed)")
		}
		prev, want, lastID = e.Hash, want+1, e.ID
		rep.Entries++
		return nil
	})
	if errors.Is(err, errStop) {
		return rep, nil
	}
	if err != nil {
		return rep, err
	}
	if headSeq != want-1 || !bytes.Equal(headHash, prev) {
		rep.Broken = &AuditBreak{ID: lastID, Seq: want - 1, Reason: fmt.Sprintf(
			"the chain head says %d entries but the log ends at %d (the last entries were removed, or the head changed)", headSeq, want-1)}
		return rep, nil
	}
	rep.Head = hex.EncodeToString(prev)
	return rep, nil
}
