package store

import (
	"strings"

	"everymeter/vocab"
)

// sqlIn renders a vocabulary set as an SQL list literal. It is kept for the few predicates that must stay
// constants because a partial index's predicate names the same set: the planner proves a query uses such an index
// only from constants, and a status = ANY($n) in a generic plan would never match. Everywhere else the sets are
// $n array parameters. The values come from package vocab, never from input; TestSchemaMatchesVocab holds the
// index predicates to the same sets.
func sqlIn[T ~string](set []T) string {
	q := make([]string, len(set))
	for i, v := range set {
		q[i] = "'" + strings.ReplaceAll(string(v), "'", "''") + "'"
	}
	return "(" + strings.Join(q, ", ") + ")"
}

var (
	// openStatusList is vocab.OpenStatuses, the predicate of reports_open_dup_idx (migration 00007).
	openStatusList = sqlIn(vocab.OpenStatuses)
	// runningStatusList is vocab.RunningStatuses, the predicate of reports_deadline_idx (migration 00003).
	runningStatusList = sqlIn(vocab.RunningStatuses)
)

// Plain-string copies of the sets passed as $n parameters.
var (
	terminalStatuses  = vocab.Strings(vocab.TerminalStatuses)
	discardedStatuses = vocab.Strings(vocab.DiscardedStatuses)
	handledStatuses   = vocab.Strings(vocab.HandledStatuses)
	ownedCoverages    = vocab.Strings(vocab.OwnedCoverages)
	verifyingActions  = vocab.Strings(vocab.VerifyingActions)
)
